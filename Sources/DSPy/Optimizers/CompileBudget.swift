import Foundation

/// Limits on what a compile may spend: LM calls, tokens, wall time (`calls=200,tokens=50000,time=5m`).
///
/// Any subset may be set; an unset limit does not bound. A compile run under a budget
/// (``Optimizer/compile(_:trainset:valset:budget:)``) stops at the first limit reached and
/// returns the best program found so far, with ``BudgetStatus`` in its report.
///
/// What is counted, at the LM layer (every predictor call, whatever model it uses):
/// - `calls`: LM calls, cache hits included (they are the "LM calls" of the compile summary).
///   Never exceeded: a call past the limit is refused before it is sent.
/// - `tokens`: prompt + completion tokens the models computed (cache hits cost nothing, as in
///   DSPy's usage). Checked before each call, so calls already in flight when the limit is
///   reached still finish: the total can pass the limit by up to one call per concurrent worker.
/// - `time`: wall time since the compile started, checked before each call (the same overshoot).
public struct CompileBudget: Sendable, Hashable, CustomStringConvertible {
    public var calls: Int?
    public var tokens: Int?
    public var time: Duration?

    public init(calls: Int? = nil, tokens: Int? = nil, time: Duration? = nil) {
        self.calls = calls
        self.tokens = tokens
        self.time = time
    }

    /// True when no limit is set.
    public var isUnlimited: Bool { calls == nil && tokens == nil && time == nil }

    /// Parses `calls=N,tokens=N,time=DURATION` (any subset, any order; DURATION is a number
    /// with `s`, `m` or `h`, e.g. `90s`, `5m`, `1.5h`).
    ///
    /// - Throws: ``BudgetParseError`` naming the part that is wrong and what was expected.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw BudgetParseError(part: text, problem: "the budget is empty; expected calls=N,tokens=N,time=DURATION") }
        var seen = Set<String>()
        for raw in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let part = raw.trimmingCharacters(in: .whitespaces)
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pieces.count == 2 else {
                throw BudgetParseError(part: part, problem: "expected key=value (calls=N, tokens=N or time=DURATION)")
            }
            let key = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
            let value = pieces[1].trimmingCharacters(in: .whitespaces)
            guard seen.insert(key).inserted else { throw BudgetParseError(part: part, problem: "'\(key)' is given twice") }
            switch key {
            case "calls": calls = try Self.positiveInt(value, part: part)
            case "tokens": tokens = try Self.positiveInt(value, part: part)
            case "time": time = try Self.duration(value, part: part)
            default:
                throw BudgetParseError(part: part, problem: "unknown limit '\(key)'; the limits are calls, tokens and time")
            }
        }
    }

    private static func positiveInt(_ value: String, part: String) throws -> Int {
        guard let n = Int(value.replacingOccurrences(of: "_", with: "")), n > 0 else {
            throw BudgetParseError(part: part, problem: "'\(value)' is not a positive integer")
        }
        return n
    }

    private static func duration(_ value: String, part: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        guard let match = units.first(where: { value.hasSuffix($0.0) && Double(value.dropLast($0.0.count)) != nil }) else {
            throw BudgetParseError(part: part, problem: "'\(value)' is not a duration; expected a number with s, m or h (90s, 5m, 1h)")
        }
        let (unit, scale) = match
        guard let number = Double(value.dropLast(unit.count)), number.isFinite, number > 0 else {
            throw BudgetParseError(part: part, problem: "'\(value)' is not a positive duration")
        }
        return .milliseconds(Int64((number * scale * 1000).rounded()))
    }

    /// `calls=200,tokens=50000,time=300s` (only the set limits), as parsed.
    public var description: String {
        var parts: [String] = []
        if let calls { parts.append("calls=\(calls)") }
        if let tokens { parts.append("tokens=\(tokens)") }
        if let time { parts.append("time=\(Self.durationText(time))") }
        return parts.isEmpty ? "unlimited" : parts.joined(separator: ",")
    }

    static func durationText(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000)s" : String(format: "%.1fs", Double(ms) / 1000)
    }
}

/// A `--budget` text that does not parse: which part, and what is wrong with it.
public struct BudgetParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let part: String
    public let problem: String
    public var description: String { "budget part '\(part)': \(problem)" }
}

/// Thrown by an LM call refused because the budget is spent; optimizers let it pass (they
/// do not count it as an example's error) and ``Optimizer/compile(_:trainset:valset:budget:)``
/// turns it into the best program found so far.
public struct BudgetExhausted: Error, Sendable, CustomStringConvertible {
    /// The limit that was reached (`calls`, `tokens`, `time`).
    public let limit: String
    public var description: String { "the compile budget is spent (\(limit))" }
}

/// What a budget allowed and what was spent, for the compile summary.
public struct BudgetStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    public var budget: String
    /// The limit that stopped the compile (`calls`, `tokens`, `time`), `nil` when it completed.
    public var stoppedBy: String?
    public var calls: Int
    public var tokens: Int
    public var seconds: Double
    public var callLimit: Int?
    public var tokenLimit: Int?
    public var secondsLimit: Double?

    public var stopped: Bool { stoppedBy != nil }

    /// `stopped by budget (calls): calls 200/200, tokens 51234, time 63.2s/300s` or `within budget: …`.
    public var description: String {
        func of(_ limit: String?) -> String { limit.map { "/\($0)" } ?? "" }
        let spent = "calls \(calls)\(of(callLimit.map { "\($0)" })), tokens \(tokens)\(of(tokenLimit.map { "\($0)" })), "
            + String(format: "time %.1fs", seconds) + of(secondsLimit.map { String(format: "%.0fs", $0) })
        return (stoppedBy.map { "stopped by budget (\($0)): " } ?? "within budget: ") + spent
    }
}
