/// A seeded generator (for fuzzers and property tests) and byte mutations for the fuzz tests.
///
/// SplitMix64: the same seed gives the same cases on every machine and every
/// Swift version (nothing here goes through the standard library's
/// `random(in:using:)`, whose algorithm may change), so a failing case is
/// reproduced by its seed and index.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0; the slight modulo bias does not matter here).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// A number in `range`.
    public mutating func within(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    /// A double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// True one time in `n`.
    public mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    /// One of `items` (non-empty).
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Byte-level mutations shared by the fuzzers: each returns a changed copy.
public enum FuzzMutation {
    /// Bytes that break text decoders: invalid UTF-8 (a lone continuation, a
    /// truncated sequence, an encoded surrogate, an overlong form, 0xFF), NUL,
    /// byte-order marks, CR.
    public static let hostileBytes: [[UInt8]] = [
        [0x80], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xFF], [0xFE], [0xF4, 0x90, 0x80, 0x80],
        [0x00], [0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xFE, 0xFF], [0x0D], [0x0D, 0x0A],
    ]

    /// Applies 1 to `most` random mutations: flip a bit, overwrite or insert a
    /// random byte, delete or duplicate a run, insert a hostile byte sequence or
    /// one of `snippets` (the format's own tokens).
    public static func mutate(_ input: [UInt8], snippets: [String], random: inout SeededRandom, most: Int = 4) -> [UInt8] {
        var bytes = input
        for _ in 0..<random.within(1...most) {
            let at = bytes.isEmpty ? 0 : random.below(bytes.count + 1)
            switch random.below(7) {
            case 0 where !bytes.isEmpty:
                let i = random.below(bytes.count)
                bytes[i] ^= UInt8(1) << UInt8(random.below(8))
            case 1 where !bytes.isEmpty:
                bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            case 2:
                bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            case 3 where !bytes.isEmpty:
                let start = random.below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + random.within(1...8)))
            case 4 where !bytes.isEmpty:
                let start = random.below(bytes.count)
                let run = bytes[start..<min(bytes.count, start + random.within(1...16))]
                bytes.insert(contentsOf: run, at: random.below(bytes.count + 1))
            case 5:
                bytes.insert(contentsOf: random.pick(hostileBytes), at: at)
            default:
                if !snippets.isEmpty { bytes.insert(contentsOf: Array(random.pick(snippets).utf8), at: at) }
            }
        }
        return bytes
    }
}
