/// Decodes tokens as they are generated, emitting only complete UTF-8 characters.
///
/// One character can span several tokens (byte-level BPE splits emoji and CJK
/// into byte tokens), so a token's bytes may end in the middle of a character.
/// The detokenizer holds such trailing bytes back until the character completes;
/// bytes that can never form a character are emitted as U+FFFD.
///
/// ```swift
/// var stream = tokenizer.makeStreamingDetokenizer()
/// for id in [15107, 116, 243] { print(stream.append(id), terminator: "") }  // " 🦙" once complete
/// print(stream.finish())
/// ```
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: Tokenizer
    private let renderSpecial: Bool
    private var pending: [UInt8] = []

    init(tokenizer: Tokenizer, renderSpecial: Bool) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// The bytes held back because they end in an incomplete character.
    public var pendingByteCount: Int { pending.count }

    /// Adds token `id` and returns the text that is now complete (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        append(bytes: tokenizer.pieceBytes(for: id, renderSpecial: renderSpecial))
    }

    /// Adds raw bytes and returns the text that is now complete (possibly empty).
    public mutating func append(bytes: [UInt8]) -> String {
        pending.append(contentsOf: bytes)
        let complete = Self.completePrefixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Returns whatever is still held back (incomplete bytes become U+FFFD) and resets.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of the longest prefix of `bytes` that does not end inside a
    /// character which later bytes could still complete.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // Look back at most 3 bytes for the lead byte of the last character.
        var index = count - 1
        var continuation = 0
        while index >= 0, continuation < 3, bytes[index] & 0xC0 == 0x80 {
            continuation += 1
            index -= 1
        }
        guard index >= 0 else { return count }
        let lead = bytes[index]
        let expected: Int
        switch lead {
        case 0xC2...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF4: expected = 4
        default: return count  // ASCII, or a byte that cannot start a character
        }
        return continuation + 1 < expected ? index : count
    }
}
