/// The position of a byte-level match inside an ``OutputConstraint``: which segment,
/// and where inside it.
///
/// A small plain value (48 bytes, no references) so the trie walk can copy it per
/// visited node. Fields are reused by segment kind:
///
/// | segment   | `offset`                    | `count`                  | other |
/// | --------- | --------------------------- | ------------------------ | ----- |
/// | literal   | bytes matched               | —                        | —     |
/// | free text | terminator bytes matched    | bytes so far             | `utf8` |
/// | JSON      | bytes into the current literal / hex digits / choice bytes | string length, digits | `node`, `phase`, `utf8`, `choices`, `arrays` |
///
/// `utf8` keeps a pending multi-byte character: low 2 bits = continuation bytes still
/// expected, higher bits = the restricted range of the next one (see `UTF8Check`).
struct ByteState: Hashable, Sendable {
    var segment: Int32
    var node: Int32 = -1
    var offset: Int32 = 0
    var count: Int32 = 0
    var phase: UInt8 = 0
    var utf8: UInt8 = 0
    /// Viable values of a JSON enumeration / boolean (bit i = value i).
    var choices: UInt64 = 0
    /// Item counts of up to four nested JSON arrays, 16 bits each.
    var arrays: UInt64 = 0

    init(segment: Int32) { self.segment = segment }
}

/// UTF-8 well-formedness, one byte at a time (RFC 3629 table 3-7), so that free text
/// and JSON strings always decode.
enum UTF8Check {
    /// Advances `state` (see ``ByteState/utf8``) by `b`; `false` if ill-formed.
    @inline(__always)
    static func step(_ state: inout UInt8, _ b: UInt8) -> Bool {
        let pending = state & 3
        if pending > 0 {
            let (low, high): (UInt8, UInt8)
            switch state >> 2 {
            case 1: (low, high) = (0xA0, 0xBF)
            case 2: (low, high) = (0x80, 0x9F)
            case 3: (low, high) = (0x90, 0xBF)
            case 4: (low, high) = (0x80, 0x8F)
            default: (low, high) = (0x80, 0xBF)
            }
            guard b >= low, b <= high else { return false }
            state = pending - 1
            return true
        }
        switch b {
        case 0x00...0x7F: return true
        case 0xC2...0xDF: state = 1
        case 0xE0: state = 2 | (1 << 2)
        case 0xE1...0xEC, 0xEE...0xEF: state = 2
        case 0xED: state = 2 | (2 << 2)
        case 0xF0: state = 3 | (3 << 2)
        case 0xF1...0xF3: state = 3
        case 0xF4: state = 3 | (4 << 2)
        default: return false
        }
        return true
    }

    /// Whether a character is complete (no continuation byte pending).
    @inline(__always)
    static func isComplete(_ state: UInt8) -> Bool { state & 3 == 0 }
}
