/// Finds stop strings in streamed text, holding back what might be the start of one.
///
/// Generated text arrives in pieces, and a stop string can span pieces
/// (`"\n\n"` arriving as `"\n"` + `"\n"`). The matcher returns only text that
/// can no longer be part of a stop string: a tail that is a prefix of some stop
/// string is held back until the next piece decides it. When a stop string
/// appears, the text before it is returned and ``isStopped`` becomes true; the
/// stop string and anything after it are dropped. Matching is by Unicode scalars.
///
/// ```swift
/// var matcher = StopStringMatcher(stops: ["[[ ## completed ## ]]"])
/// matcher.append("positive\n\n[[ ## comp")   // "positive\n\n"
/// matcher.append("leted ## ]]")              // "" and matcher.isStopped
/// ```
public struct StopStringMatcher: Sendable {
    private let stops: [[Unicode.Scalar]]
    private var held: [Unicode.Scalar] = []
    /// Whether a stop string has been seen.
    public private(set) var isStopped = false
    /// The stop string that ended the text, once ``isStopped``.
    public private(set) var matchedStop: String?

    /// Creates a matcher for `stops` (empty strings are ignored).
    public init(stops: [String]) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.unicodeScalars) }
    }

    /// Adds a piece of text; returns the text that is now safe to emit.
    public mutating func append(_ text: String) -> String {
        guard !isStopped else { return "" }
        held.append(contentsOf: text.unicodeScalars)
        // The earliest stop string occurrence wins.
        var earliest: (start: Int, stop: Int)?
        for (stopIndex, stop) in stops.enumerated() {
            if let start = Self.firstIndex(of: stop, in: held), start < (earliest?.start ?? .max) {
                earliest = (start, stopIndex)
            }
        }
        if let earliest {
            isStopped = true
            matchedStop = String(String.UnicodeScalarView(stops[earliest.stop]))
            let emitted = String(String.UnicodeScalarView(held[..<earliest.start]))
            held.removeAll()
            return emitted
        }
        let keep = heldBackLength()
        let emitted = String(String.UnicodeScalarView(held[..<(held.count - keep)]))
        held.removeFirst(held.count - keep)
        return emitted
    }

    /// Returns the held-back text at the end of generation (empty after a stop).
    public mutating func finish() -> String {
        defer { held.removeAll() }
        return isStopped ? "" : String(String.UnicodeScalarView(held))
    }

    /// The length of the longest tail of `held` that is a proper prefix of a stop string.
    private func heldBackLength() -> Int {
        var longest = 0
        for stop in stops {
            var length = min(stop.count - 1, held.count)
            while length > longest {
                if held[(held.count - length)...].elementsEqual(stop[..<length]) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }

    private static func firstIndex(of needle: [Unicode.Scalar], in haystack: [Unicode.Scalar]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
