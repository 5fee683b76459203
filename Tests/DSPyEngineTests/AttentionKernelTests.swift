import CDSPyKernels
import Testing

@Suite("Decoding attention kernels", .serialized)
struct AttentionKernelTests {
    /// Runs `dspy_attention` for `tokens` query rows against a random half-precision cache.
    static func attend(tokens: Int, visible: [Int], heads: Int, kvHeads: Int, seed: UInt64) -> [Float] {
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
                dspy_attention(nil, queries, Int32(heads * headDimension), &output, Int32(heads * headDimension), spans,
                               Int32(tokens), Int32(heads), Int32(kvHeads), Int32(headDimension), 0.125)
            }
        }
        return output
    }

    @Test("Grouped AVX-512 attention gives the same bits as the per-head AVX2 path",
          arguments: [[1, 2, 3], [64, 65, 150]])
    func sameBitsAtEveryVectorLevel(visible: [Int]) {
        var results: [[UInt32]] = []
        for limit in [0, 1] {  // AVX-512 where the CPU has it, then AVX2
            dspy_set_vector_limit(Int32(limit))
            results.append(Self.attend(tokens: visible.count, visible: visible, heads: 9, kvHeads: 3, seed: 7).map(\.bitPattern))
        }
        dspy_set_vector_limit(0)
        #expect(results[0] == results[1], "AVX-512 against AVX2, visible \(visible)")
        #expect(!results[0].contains(Float.nan.bitPattern))
    }
}
