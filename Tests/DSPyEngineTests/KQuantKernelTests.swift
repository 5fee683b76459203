import CDSPyKernels
import Foundation
import Testing

@testable import DSPyEngine

/// Every weight type's products against llama.cpp's own (`LlamaCppProducts`, recorded from the
/// ggml llama-cpp-python ships), on every kernel variant this CPU runs, scalar included.
@Suite("Products of every weight type equal llama.cpp's", .serialized)
struct KQuantKernelTests {
    static let fixture = Result { try LlamaCppProducts.load() }

    /// The variant names a product of `type` with `tokens` tokens runs in `setting` on this CPU.
    static func expectedPaths(_ type: TensorType, tokens: Int, tiled: Bool, scalar: Bool) -> [String] {
        let level = scalar ? "scalar" : "avx2"
        switch type {
        case .q5_0 where !scalar && tokens >= 4:
            // Packed tokens (whole groups of eight, or a last group of four or more) through the lane kernel.
            let packed = tokens % 8 >= 4 ? tokens : tokens / 8 * 8
            return packed == tokens ? ["q5-lanes-avx2"] : ["q5-dot-avx2", "q5-lanes-avx2"]
        case .q5_0, .q5_1: return ["q5-dot-\(level)"]
        case .q4_K, .q5_K, .q6_K: return [tokens >= 8 && tiled ? "kquant-tiled-\(level)" : "kquant-dot-\(level)"]
        case .f32, .f16, .bf16: return []  // depends on the shape; checked in floatOrders
        case .q4_0, .q4_1, .q8_0: return scalar ? ["dot-scalar"] : []  // vector: row and lane kernels by count
        }
    }

    @Test("llama.cpp's Q8_K, Q8_0, Q8_1, F16 and BF16 conversions of the activations are reproduced byte for byte")
    func activationConversions() throws {
        let f = try Self.fixture.get()
        let x = f.activations
        #expect(x.count == 9 && x.allSatisfy { $0.count == 512 })
        for (t, row) in x.enumerated() {
            var q8k = [dspy_block_q8_k](repeating: dspy_block_q8_k(), count: 2)
            dspy_quantize_q8_k(row, 512, &q8k, 1, 512)
            #expect(q8k.withUnsafeBytes { Array($0) } == f.converted("Q8_K", token: t), "Q8_K token \(t)")

            var q8 = [dspy_block_q8](repeating: dspy_block_q8(), count: 16)
            dspy_quantize_q8(row, 512, &q8, 1, 512)
            let q8_0 = q8.flatMap { block in Self.half(block.d) + Self.bytes(block.qs) }
            let q8_1 = q8.flatMap { block in Self.half(block.d) + Self.half(block.s) + Self.bytes(block.qs) }
            #expect(q8_0 == f.converted("Q8_0", token: t), "Q8_0 token \(t)")
            #expect(q8_1 == f.converted("Q8_1", token: t), "Q8_1 token \(t)")

            var halves = [UInt16](repeating: 0, count: 512)
            dspy_fp32_to_fp16_row(row, &halves, 512)
            #expect(halves.withUnsafeBytes { Array($0) } == f.converted("F16", token: t), "F16 token \(t)")
            dspy_fp32_to_bf16_row(row, &halves, 512)
            #expect(halves.withUnsafeBytes { Array($0) } == f.converted("BF16", token: t), "BF16 token \(t)")
        }
    }

    static func half(_ value: Float) -> [UInt8] { withUnsafeBytes(of: dspy_fp32_to_fp16(value).littleEndian) { Array($0) } }

    static func bytes(_ qs: (Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8,
                             Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8, Int8)) -> [UInt8] {
        withUnsafeBytes(of: qs) { Array($0) }
    }

    @Test("Products equal llama.cpp's bit for bit, for 1, 3 and 9 tokens, with the tiled matmul on and off, vector and scalar",
          arguments: ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"])
    func bitExact(typeName: String) throws {
        let f = try Self.fixture.get()
        let cases = f.cases.filter { $0.type == typeName }
        try #require(!cases.isEmpty, "no fixture case for \(typeName)")
        for c in cases {
            let type = try #require(c.tensorType)
            let weights = c.weights
            #expect(weights.count == c.rows * type.byteCount(elements: c.cols))
            for tokens in f.tokenCounts {
                for tiled in [true, false] {
                    for setting in KernelPaths.settings {
                        dspy_set_kquant_tiled_on_thread(tiled ? 1 : 0)
                        defer { dspy_set_kquant_tiled_on_thread(-1) }
                        let (out, paths) = KernelPaths.run(setting) {
                            Products.compute(type, weights: weights, rows: c.rows, columns: c.cols,
                                             input: Array(f.activations.prefix(tokens)))
                        }
                        let want = Self.expectedPaths(type, tokens: tokens, tiled: tiled, scalar: setting.forceScalar)
                        if !want.isEmpty { #expect(paths == want, "\(typeName) \(tokens) tokens \(setting)") }
                        let expected = c.expected(tokens: tokens, tiled: tiled)
                        let got = out.map(\.bitPattern)
                        let differing = zip(got, expected).filter { $0 != $1 }.count
                        #expect(got == expected,
                                "\(typeName) \(c.rows)×\(c.cols), \(tokens) tokens, tiled \(tiled), \(paths): \(differing) of \(expected.count) differ")
                    }
                }
            }
        }
    }

    @Test("F32, F16 and BF16 take vec_dot's order for one token and tinyBLAS's for batches of matrices it accepts")
    func floatOrders() throws {
        let f = try Self.fixture.get()
        for c in f.cases where ["F32", "F16", "BF16"].contains(c.type) {
            let type = try #require(c.tensorType)
            for tokens in f.tokenCounts {
                for setting in [KernelPaths.settings[0], KernelPaths.settings[3]] {
                    let (_, paths) = KernelPaths.run(setting) {
                        Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols,
                                         input: Array(f.activations.prefix(tokens)))
                    }
                    let tiny = tokens >= 2 && c.rows % 4 == 0 && c.cols % 8 == 0
                    let level = setting.forceScalar ? "scalar" : "avx2"
                    #expect(paths == [tiny ? "float-dot-\(level)" : "float-vec-dot-\(level)"], "\(c.type) \(c.rows)×\(c.cols) \(tokens)")
                }
            }
        }
    }

    @Test("A pool of two threads gives the same products as the calling thread alone")
    func threadsAgree() throws {
        let f = try Self.fixture.get()
        let pool = try #require(dspy_pool_create(2))
        defer { dspy_pool_destroy(pool) }
        for c in f.cases {
            let type = try #require(c.tensorType)
            for tokens in f.tokenCounts {
                let input = Array(f.activations.prefix(tokens))
                let alone = Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols, input: input)
                let pooled = Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols, input: input, pool: pool)
                #expect(alone.map(\.bitPattern) == pooled.map(\.bitPattern), "\(c.type) \(tokens) tokens")
                #expect(pooled.map(\.bitPattern) == c.expected(tokens: tokens, tiled: true), "\(c.type) \(tokens) tokens")
            }
        }
    }

    @Test("Rows computed in groups (output rows) take the float order of the whole product, as llama.cpp computes it")
    func groupsTakeTheWholeProductsOrder() throws {
        let f = try Self.fixture.get()
        for c in f.cases {
            let type = try #require(c.tensorType)
            let input = f.activations
            let whole = Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols, input: input)
            var grouped: [Float] = []
            for range in [0..<1, 1..<5, 5..<9] {
                grouped += Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols,
                                            input: Array(input[range]), orderTokens: input.count)
            }
            #expect(grouped.map(\.bitPattern) == whole.map(\.bitPattern), "\(c.type) \(c.rows)×\(c.cols)")
            #expect(whole.map(\.bitPattern) == c.expected(tokens: 9, tiled: true), "\(c.type)")
        }
    }

    @Test("Every type's activation encoding is the one the kernels expect")
    func encodings() {
        for type in TensorType.allCases {
            #expect(type.activationEncoding.rawValue == dspy_activation_encoding(Int32(type.rawValue)), "\(type)")
        }
        #expect(MemoryLayout<dspy_block_q8_k>.size == 292)
    }
}
