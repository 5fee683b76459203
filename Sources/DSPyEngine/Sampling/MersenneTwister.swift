/// The 32-bit Mersenne Twister (`std::mt19937`), the generator llama.cpp samples with.
///
/// Using the same generator and the same way of turning its output into a
/// uniform number (`std::uniform_real_distribution<double>` as libstdc++
/// implements it: two 32-bit draws make 64 random bits) means that, given equal
/// probabilities, the same seed picks the same token as llama.cpp.
public struct MersenneTwister: RandomNumberGenerator, Sendable, Equatable {
    private var state: [UInt32]
    private var index: Int

    /// Seeds the generator as `std::mt19937(seed)` does.
    public init(seed: UInt32) {
        state = [UInt32](repeating: 0, count: 624)
        state[0] = seed
        for i in 1..<624 {
            let previous = state[i - 1]
            state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        index = 624
    }

    /// The next 32 random bits.
    public mutating func next32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// 64 random bits from two 32-bit draws (low half first).
    public mutating func next() -> UInt64 {
        let low = UInt64(next32())
        return low | UInt64(next32()) << 32
    }

    /// A uniform number in `[0, 1)`, as libstdc++'s `generate_canonical<double, 53>`
    /// computes it from an `mt19937`.
    public mutating func nextUnitDouble() -> Double {
        let low = Double(next32())
        let high = Double(next32())
        let value = (low + high * 4_294_967_296.0) / 18_446_744_073_709_551_616.0
        return value >= 1 ? 1.0.nextDown : value
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            var next = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { next ^= 0x9908_B0DF }
            state[i] = next
        }
        index = 0
    }
}
