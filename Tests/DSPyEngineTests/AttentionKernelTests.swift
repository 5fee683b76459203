import CDSPyKernels
import Testing

@Suite("Decoding attention kernels", .serialized)
struct AttentionKernelTests {
    /// Runs `dspy_attention` for `tokens` query rows against a random half-precision cache.
    static func attend(tokens: Int, visible: [Int], heads: Int, kvHeads: Int, seed: UInt64,
                       pool: OpaquePointer? = nil) -> [Float] {
        let headDimension = 64
        var generator = SeededGenerator(seed: seed)
        let width = kvHeads * headDimension
        let length = visible.max() ?? 0
        let keys = (0..<length * width).map { _ in dspy_fp32_to_fp16(Float.random(in: -2...2, using: &generator)) }
        let values = (0..<length * width).map { _ in dspy_fp32_to_fp16(Float.random(in: -1...1, using: &generator)) }
        let queries = (0..<tokens * heads * headDimension).map { _ in Float.random(in: -3...3, using: &generator) }
        var output = [Float](repeating: .nan, count: queries.count)
        keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                let spans = visible.map { dspy_attention_span(keys: k.baseAddress, values: v.baseAddress, visible: Int32($0)) }
                dspy_attention(pool, queries, Int32(heads * headDimension), &output, Int32(heads * headDimension), spans,
                               Int32(tokens), Int32(heads), Int32(kvHeads), Int32(headDimension), 0.125)
            }
        }
        return output
    }

    @Test("Grouped AVX-512 decoding attention gives the same bits as the per-head AVX2 path",
          .enabled(if: KernelPaths.hasSeveralVectorLevels, "this CPU has one vector level: nothing to compare it with"),
          arguments: [[1, 2, 3], [64, 65, 150]])
    func sameBitsAtEveryVectorLevel(visible: [Int]) throws {
        let runs = KernelPaths.distinctRuns(KernelPaths.vectorSettings) {
            Self.attend(tokens: visible.count, visible: visible, heads: 9, kvHeads: 3, seed: 7).map(\.bitPattern)
        }
        print("attention, visible \(visible): compared \(runs.map { "\($0.setting): \($0.paths.joined(separator: "+"))" })")
        try #require(runs.count >= 2, "only one vector path ran (\(runs.map(\.paths))): nothing was compared")
        // Besides the attention variant, the float order's path (the same at every vector level).
        #expect(runs.allSatisfy { $0.paths.filter { !$0.contains("-order-") }.count == 1 },
                "one attention variant per setting: \(runs.map(\.paths))")
        for run in runs.dropFirst() {
            #expect(run.result == runs[0].result, "\(run.paths) against \(runs[0].paths), visible \(visible)")
        }
        #expect(!runs[0].result.contains(Float.nan.bitPattern))
    }

    @Test("The scalar attention path stays within rounding of the vector paths")
    func scalarAgreesWithVector() throws {
        let visible = [5, 64, 130]
        let runs = KernelPaths.distinctRuns([KernelPaths.settings[0], KernelPaths.settings[3]]) {
            Self.attend(tokens: visible.count, visible: visible, heads: 9, kvHeads: 3, seed: 11)
        }
        try #require(runs.count == 2, "vector and scalar ran the same variants: \(runs.map(\.paths))")
        #expect(runs[1].paths == ["attend-scalar"])
        let worst = zip(runs[0].result, runs[1].result).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-2, "largest difference \(worst)")
    }
}
