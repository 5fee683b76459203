/// The trainer's seeded random numbers (SplitMix64): LoRA initialization and the order of
/// the sequences in each epoch. Same seed, same numbers, on every machine.
struct TrainingRandom: RandomNumberGenerator {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A float uniform in [0, 1) from the top 24 bits.
    mutating func nextUnitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }

    /// SplitMix64's finalizer: a well-mixed 64-bit function of `z`.
    static func mix(_ z: UInt64) -> UInt64 {
        var z = z
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A key derived from several values (dropout masks per step, sequence, block and pair).
    static func key(_ parts: UInt64...) -> UInt64 {
        parts.reduce(0x5DEE_CE66_D1CE_4E5B) { mix($0 ^ mix($1 &+ 0x9E37_79B9_7F4A_7C15)) }
    }

    /// The order of `count` sequences in epoch `epoch` (a Fisher–Yates shuffle seeded by both).
    static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var random = TrainingRandom(seed: key(seed, UInt64(epoch), 0x0EB0C4))
        var order = Array(0..<count)
        guard count > 1 else { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(random.next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }
}
