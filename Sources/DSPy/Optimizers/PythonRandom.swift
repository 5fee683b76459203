import Foundation

/// CPython's `random.Random`, bit for bit: MT19937 seeded from an integer as
/// `random.seed(int)` does, with `random()`, `getrandbits`, `randbelow`,
/// `randint`, `choice`, `shuffle` and `sample` following CPython 3.12.
///
/// DSPy's optimizers draw every choice from `random.Random(seed)`; using the
/// same generator makes dspyc's `.dspy` modes choose exactly the demos DSPy
/// chooses for the same data.
///
/// ```swift
/// var rng = PythonRandom(seed: 0)
/// rng.random()                      // 0.8444218515250481, as Python prints
/// rng.sample(Array(0..<10), 3)      // Python's random.Random(0).sample(range(10), 3)
/// ```
public struct PythonRandom: Sendable {
    private static let n = 624
    private static let m = 397
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 625

    /// Seeded as CPython's `random.seed(seed)` for an integer (the sign is ignored, as in CPython).
    public init(seed: Int) {
        var magnitude = seed.magnitude
        var key: [UInt32] = []
        repeat {
            key.append(UInt32(truncatingIfNeeded: magnitude))
            magnitude >>= 32
        } while magnitude > 0
        initByArray(key)
    }

    private mutating func initGenrand(_ s: UInt32) {
        state[0] = s
        for i in 1..<Self.n {
            let prev = state[i - 1]
            state[i] = 1_812_433_253 &* (prev ^ (prev >> 30)) &+ UInt32(i)
        }
        index = Self.n
    }

    private mutating func initByArray(_ key: [UInt32]) {
        initGenrand(19_650_218)
        var i = 1
        var j = 0
        for _ in 0..<max(Self.n, key.count) {
            let prev = state[i - 1]
            state[i] = (state[i] ^ ((prev ^ (prev >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1
            j += 1
            if i >= Self.n { state[0] = state[Self.n - 1]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<(Self.n - 1) {
            let prev = state[i - 1]
            state[i] = (state[i] ^ ((prev ^ (prev >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= Self.n { state[0] = state[Self.n - 1]; i = 1 }
        }
        state[0] = 0x8000_0000
    }

    private mutating func twist() {
        for k in 0..<Self.n {
            let y = (state[k] & 0x8000_0000) | (state[(k + 1) % Self.n] & 0x7fff_ffff)
            var next = state[(k + Self.m) % Self.n] ^ (y >> 1)
            if y & 1 != 0 { next ^= 0x9908_b0df }
            state[k] = next
        }
        index = 0
    }

    /// The next raw 32-bit output (CPython's `genrand_uint32`).
    public mutating func nextUInt32() -> UInt32 {
        if index >= Self.n { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// A float in [0, 1) with 53 random bits (`random.random()`).
    public mutating func random() -> Double {
        let a = Double(nextUInt32() >> 5)
        let b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `random.getrandbits(k)` for 0 ≤ k ≤ 64.
    public mutating func getrandbits(_ k: Int) -> UInt64 {
        precondition(k >= 0 && k <= 64, "getrandbits supports up to 64 bits")
        if k == 0 { return 0 }
        if k <= 32 { return UInt64(nextUInt32() >> UInt32(32 - k)) }
        let low = UInt64(nextUInt32())
        let high = UInt64(nextUInt32() >> UInt32(64 - k))
        return high << 32 | low
    }

    /// A uniform integer in `0..<n` by rejection sampling (CPython's `_randbelow_with_getrandbits`).
    public mutating func randbelow(_ n: Int) -> Int {
        guard n > 0 else { return 0 }
        let k = Int.bitWidth - n.leadingZeroBitCount
        var r = getrandbits(k)
        while r >= UInt64(n) { r = getrandbits(k) }
        return Int(r)
    }

    /// A uniform integer in `a...b` (`random.randint(a, b)`).
    public mutating func randint(_ a: Int, _ b: Int) -> Int {
        precondition(b >= a, "randint: empty range \(a)...\(b)")
        return a + randbelow(b - a + 1)
    }

    /// One element (`random.choice`).
    public mutating func choice<T>(_ items: [T]) -> T {
        precondition(!items.isEmpty, "choice from an empty sequence")
        return items[randbelow(items.count)]
    }

    /// Shuffles in place (`random.shuffle`).
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = randbelow(i + 1)
            items.swapAt(i, j)
        }
    }

    /// A shuffled copy.
    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        var copy = items
        shuffle(&copy)
        return copy
    }

    /// `k` distinct elements in selection order (`random.sample`), including CPython's
    /// switch between a pool and a set of selected indices.
    public mutating func sample<T>(_ population: [T], _ k: Int) -> [T] {
        let n = population.count
        precondition(k >= 0 && k <= n, "Sample larger than population or is negative")
        var setSize = 21
        if k > 5 {
            setSize += Int(pow4(Int((log(Double(k * 3)) / log(4.0)).rounded(.up))))
        }
        var result: [T] = []
        result.reserveCapacity(k)
        if n <= setSize {
            var pool = population
            for i in 0..<k {
                let j = randbelow(n - i)
                result.append(pool[j])
                pool[j] = pool[n - i - 1]
            }
        } else {
            var selected = Set<Int>()
            for _ in 0..<k {
                var j = randbelow(n)
                while selected.contains(j) { j = randbelow(n) }
                selected.insert(j)
                result.append(population[j])
            }
        }
        return result
    }

    private func pow4(_ e: Int) -> Int { e <= 0 ? 1 : (0..<e).reduce(1) { acc, _ in acc * 4 } }
}
