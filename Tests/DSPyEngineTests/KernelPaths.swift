import CDSPyKernels

/// The kernel settings tests can force, and a record of which kernel variants really ran.
///
/// The kernels choose their variant at run time from the CPU (AVX-512 VNNI, AVX-VNNI, AVX2,
/// scalar) and from the caps tests set (`dspy_set_vector_limit`, `dspy_set_force_scalar`).
/// A cap only lowers the ceiling, so on a CPU without AVX-512 "no cap" and "no AVX-512" run
/// the same code. Tests therefore group results by the variants that actually ran (counted
/// per thread by the kernels: call them without a pool) and compare across groups only.
enum KernelPaths {
    /// One setting of the caps.
    struct Setting: CustomStringConvertible, Sendable {
        let description: String
        let forceScalar: Bool
        let vectorLimit: Int32
    }

    /// Every setting, from the best the CPU has down to the portable scalar code.
    static let settings = [
        Setting(description: "no cap", forceScalar: false, vectorLimit: 0),
        Setting(description: "no AVX-512", forceScalar: false, vectorLimit: 1),
        Setting(description: "plain AVX2", forceScalar: false, vectorLimit: 2),
        Setting(description: "scalar", forceScalar: true, vectorLimit: 0),
    ]

    /// The vector settings only (all bit-identical to each other by design).
    static var vectorSettings: [Setting] { settings.filter { !$0.forceScalar } }

    /// Runs `body` under `setting` on the calling thread and returns its result with the
    /// names of the kernel variants that ran (sorted), then restores the defaults.
    static func run<T>(_ setting: Setting, _ body: () throws -> T) rethrows -> (result: T, paths: [String]) {
        dspy_set_force_scalar(setting.forceScalar ? 1 : 0)
        dspy_set_vector_limit(setting.vectorLimit)
        defer {
            dspy_set_force_scalar(0)
            dspy_set_vector_limit(0)
        }
        dspy_path_counts_reset()
        let result = try body()
        let paths = (0..<Int32(DSPY_PATH_COUNT)).filter { dspy_path_count($0) > 0 }.map { String(cString: dspy_path_name($0)) }
        return (result, paths.sorted())
    }

    /// Runs `body` under each of `settings` and keeps one result per distinct set of variants
    /// that ran (the first setting that ran it names it).
    static func distinctRuns<T>(_ settings: [Setting], _ body: () throws -> T) rethrows
        -> [(setting: Setting, paths: [String], result: T)]
    {
        var runs: [(setting: Setting, paths: [String], result: T)] = []
        for setting in settings {
            let (result, paths) = try run(setting, body)
            if !runs.contains(where: { $0.paths == paths }) { runs.append((setting, paths, result)) }
        }
        return runs
    }

    /// The distinct vector levels this CPU runs, by the lane kernel each vector setting picks
    /// for a tiny Q8_0 product (e.g. ["lanes-avx2"] on an AVX2-only CPU).
    static let vectorLevels: [String] = {
        let columns = 32, tokens = 8
        let weights = [UInt8](repeating: 1, count: 34)
        let input = [Float](repeating: 0.5, count: tokens * columns)
        var quantized = [dspy_block_q8](repeating: dspy_block_q8(), count: tokens)
        dspy_quantize_q8(input, Int32(columns), &quantized, Int32(tokens), Int32(columns))
        var output = [Float](repeating: 0, count: tokens)
        let runs = distinctRuns(vectorSettings) {
            weights.withUnsafeBytes { w in
                output.withUnsafeMutableBufferPointer { out in
                    var matrix = dspy_matrix(type: Int32(DSPY_TYPE_Q8_0), weights: w.baseAddress, row_bytes: 34,
                                             rows: 1, cols: Int32(columns), out: out.baseAddress, out_stride: 1)
                    dspy_matmul(nil, &matrix, 1, input, Int32(columns), quantized, Int32(tokens), nil)
                }
            }
        }
        return runs.map { $0.paths.joined(separator: "+") }
    }()

    /// Whether the CPU has the AVX2 kernels (the vector code every other level builds on).
    static var hasAVX2: Bool { dspy_cpu_has_avx2_fma() != 0 }

    /// Whether the CPU has two or more vector levels to compare with each other.
    static var hasSeveralVectorLevels: Bool { vectorLevels.count >= 2 }
}
