import CDSPyKernels

/// The int8 multiply-accumulate peak of the running CPU: the most int8 multiply-adds per
/// second the quantized dot products could do if they never waited for memory.
///
/// Measured by CDSPyKernels' register-resident microbenchmark (`peak.c`) on every thread of a
/// pool at once, so it is the all-core figure for that many threads. `dspyc bench` divides
/// prompt processing's int8 work by it (see ``TokenArithmetic``): the fraction says how close
/// the prefill kernels come to what the arithmetic units allow.
///
/// ```swift
/// let peak = await engine.measureInt8Peak()
/// print(peak.path, peak.multiplyAddsPerSecond / 1e9, "GMAC/s")
/// ```
///
/// Cost: `seconds × repetitions` of every pool thread per vector path the CPU has (0.6 s on an
/// AVX2-only CPU with the defaults, 1.8 s with AVX-VNNI and AVX-512 VNNI).
public struct Int8Peak: Sendable, Codable, Equatable {
    /// An instruction path of the microbenchmark.
    public enum Path: String, Sendable, Codable, CaseIterable {
        /// A plain C loop: one integer multiply and one add per multiply-add.
        case scalar
        /// vpmaddubsw + vpmaddwd + vpaddd on 256 bits, the AVX2 dot kernels' instruction mix.
        case avx2
        /// vpdpbusd on 256 bits.
        case avxVNNI = "avx-vnni"
        /// vpdpbusd on 512 bits.
        case avx512VNNI = "avx512-vnni"

        var code: Int32 {
            switch self {
            case .scalar: Int32(DSPY_PEAK_SCALAR)
            case .avx2: Int32(DSPY_PEAK_AVX2)
            case .avxVNNI: Int32(DSPY_PEAK_AVX_VNNI)
            case .avx512VNNI: Int32(DSPY_PEAK_AVX512_VNNI)
            }
        }

        /// The path counter (`DSPY_PATH_PEAK_*`) each thread that ran the path counts once
        /// (-1 for a path this build has no loop for).
        var counter: Int32 { dspy_int8_peak_counter(code) }

        /// Whether the running CPU has the path.
        public var isAvailable: Bool { dspy_int8_peak_available(code) != 0 }

        /// The paths the running CPU has, slowest first.
        public static var available: [Path] { allCases.filter(\.isAvailable) }
    }

    /// The path that reached the peak (the fastest of those measured).
    public var path: Path
    /// Threads that ran the microbenchmark at once.
    public var threads: Int
    /// Int8 multiply-adds per second, summed over the threads.
    public var multiplyAddsPerSecond: Double

    /// The share of the peak that `tokensPerSecond` tokens of `multiplyAddsPerToken` int8
    /// multiply-adds each use.
    public func fraction(tokensPerSecond: Double, multiplyAddsPerToken: Double) -> Double {
        multiplyAddsPerSecond > 0 ? tokensPerSecond * multiplyAddsPerToken / multiplyAddsPerSecond : 0
    }

    /// One run of `path` for about `seconds` on every thread of `pool` (nil: the calling
    /// thread): multiply-adds per second, 0 when the CPU lacks the path.
    static func rate(of path: Path, pool: WorkerPool?, seconds: Double) -> Double {
        dspy_int8_peak(pool?.pointer, path.code, seconds)
    }

    /// The best of `repetitions` runs of each vector path the CPU has (the scalar path when it
    /// has none) on every thread of `pool`, keeping the fastest path.
    static func measure(pool: WorkerPool, seconds: Double, repetitions: Int) -> Int8Peak {
        let vector = Path.available.filter { $0 != .scalar }
        var best = Int8Peak(path: .scalar, threads: pool.threadCount, multiplyAddsPerSecond: 0)
        for path in vector.isEmpty ? [.scalar] : vector {
            for _ in 0..<max(1, repetitions) {
                let rate = rate(of: path, pool: pool, seconds: seconds)
                if rate > best.multiplyAddsPerSecond { best = Int8Peak(path: path, threads: pool.threadCount, multiplyAddsPerSecond: rate) }
            }
        }
        return best
    }
}

extension LanguageEngine {
    /// Measures the int8 peak on the engine's own kernel threads (``threadCount``), the
    /// best of `repetitions` runs of about `seconds` per vector path. Blocks the engine
    /// meanwhile.
    public func measureInt8Peak(seconds: Double = 0.2, repetitions: Int = 3) -> Int8Peak {
        Int8Peak.measure(pool: model.pool, seconds: seconds, repetitions: repetitions)
    }
}
