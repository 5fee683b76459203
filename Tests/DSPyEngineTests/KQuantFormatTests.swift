import CDSPyKernels
import Foundation
import Testing

@testable import DSPyEngine

/// The block formats added for llama.cpp's common types, decoded by a Swift implementation
/// written from the format descriptions (architectures.md §6, ggml-common.h) rather than from
/// the C kernels, and the products checked against exact products of the decoded values.
@Suite("Q5_0, Q5_1, Q4_K, Q5_K, Q6_K and BF16 formats and products", .serialized)
struct KQuantFormatTests {
    // MARK: - An independent decoder

    static func half(_ bytes: ArraySlice<UInt8>) -> Float {
        let i = bytes.startIndex
        return Float(Float16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8))
    }

    /// Scale and min of sub-block j of the 12 packed bytes (6 bits each; j ≥ 4 borrow the top bits).
    static func scaleMin(_ s: ArraySlice<UInt8>, _ j: Int) -> (Float, Float) {
        let b = Array(s)
        if j < 4 { return (Float(b[j] & 63), Float(b[j + 4] & 63)) }
        return (Float((b[j + 4] & 0x0F) | (b[j - 4] >> 6) << 4), Float((b[j + 4] >> 4) | (b[j] >> 6) << 4))
    }

    /// Decodes one block of `type` (its `blockBytes` bytes) to `blockSize` floats.
    static func decodeBlock(_ type: TensorType, _ b: ArraySlice<UInt8>) -> [Float] {
        let o = b.startIndex
        func bit(_ qh: Int, _ i: Int) -> Int { Int(b[qh + i / 8] >> UInt8(i % 8) & 1) }
        switch type {
        case .q5_0, .q5_1:
            let d = half(b[o...]), m: Float = type == .q5_1 ? half(b[(o + 2)...]) : 0
            let qh = o + (type == .q5_1 ? 4 : 2), qs = qh + 4
            return (0..<32).map { i in
                let nibble = Int(i < 16 ? b[qs + i] & 0x0F : b[qs + i - 16] >> 4)
                let q = nibble + 16 * bit(qh, i)
                return type == .q5_0 ? Float(q - 16) * d : Float(q) * d + m
            }
        case .q4_K, .q5_K:
            let d = half(b[o...]), dmin = half(b[(o + 2)...])
            let scales = b[(o + 4)..<(o + 16)], qh = o + 16, qs = o + (type == .q5_K ? 48 : 16)
            var out: [Float] = []
            for i in 0..<256 {
                let chunk = i / 64, high = (i % 64) >= 32, l = i % 32
                let byte = b[qs + 32 * chunk + l]
                var q = Int(high ? byte >> 4 : byte & 0x0F)
                if type == .q5_K { q += 16 * Int(b[qh + l] >> UInt8(2 * chunk + (high ? 1 : 0)) & 1) }
                let (sc, mn) = scaleMin(scales, 2 * chunk + (high ? 1 : 0))
                out.append(d * sc * Float(q) - dmin * mn)
            }
            return out
        case .q6_K:
            let ql = o, qh = o + 128, sc = o + 192, d = half(b[(o + 208)...])
            return (0..<256).map { i in
                let h = i / 128, j = i % 128, l = j % 32, quarter = j / 32
                let low = b[ql + 64 * h + l + (quarter & 1) * 32]
                let q = Int(quarter < 2 ? low & 0x0F : low >> 4) | Int(b[qh + 32 * h + l] >> UInt8(2 * quarter) & 3) << 4
                return d * Float(Int8(bitPattern: b[sc + 8 * h + l / 16 + 2 * quarter])) * Float(q - 32)
            }
        case .bf16:
            return [Float(bitPattern: (UInt32(b[o]) | UInt32(b[o + 1]) << 8) << 16)]
        case .f16:
            return [half(b[o...])]
        case .f32, .q4_0, .q4_1, .q8_0:
            return []
        }
    }

    static func decode(_ type: TensorType, _ bytes: [UInt8]) -> [Float] {
        stride(from: 0, to: bytes.count, by: type.blockBytes).flatMap { decodeBlock(type, bytes[$0..<($0 + type.blockBytes)]) }
    }

    static let newTypes: [TensorType] = [.q5_0, .q5_1, .q4_K, .q5_K, .q6_K, .bf16]

    @Test("The kernels decode llama.cpp's quantized weights and random blocks as the format describes")
    func dequantization() throws {
        let f = try KQuantKernelTests.fixture.get()
        var generator = SeededGenerator(seed: 15)
        for type in Self.newTypes + [.f16] {
            var samples: [[UInt8]] = f.cases.filter { $0.tensorType == type }.map(\.weights)
            for _ in 0..<20 {
                var block = (0..<type.blockBytes * 2).map { _ in UInt8.random(in: 0...255, using: &generator) }
                // Sane scales: halves below 1 where the format has them.
                for start in stride(from: 0, to: block.count, by: type.blockBytes) {
                    let offsets: [Int] = switch type {
                    case .q5_0, .q4_K, .q5_K: [0, 2]
                    case .q5_1: [0, 2]
                    case .q6_K: [208]
                    default: []
                    }
                    for offset in offsets { block[start + offset + 1] &= 0x3B }
                }
                // Finite halves and bfloat16s (no NaN payloads to compare).
                if type == .f16 || type == .bf16 {
                    for i in stride(from: 1, to: block.count, by: 2) { block[i] &= 0xBB }
                }
                samples.append(block)
            }
            for bytes in samples {
                let count = bytes.count / type.blockBytes * type.blockSize
                let decoded = bytes.withUnsafeBytes { type.dequantize($0, count: count) }
                let expected = Self.decode(type, bytes)
                #expect(decoded.map(\.bitPattern) == expected.map(\.bitPattern), "\(type)")
            }
        }
    }

    @Test("Products are the exact products of the decoded weights and activations, within float rounding")
    func productsMatchDecodedProducts() throws {
        let f = try KQuantKernelTests.fixture.get()
        for c in f.cases {
            guard let type = c.tensorType, Self.newTypes.contains(type) || type == .f16 else { continue }
            let weights = Self.decode(type, c.weights)
            let input = Array(f.activations.prefix(3)).map { Array($0.prefix(c.cols)) }
            for setting in [KernelPaths.settings[0], KernelPaths.settings[3]] {
                let (out, _) = KernelPaths.run(setting) {
                    Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols, input: input)
                }
                for t in input.indices {
                    let x = Self.decodedActivations(type, input[t])
                    for r in 0..<c.rows {
                        let w = weights[(r * c.cols)..<((r + 1) * c.cols)]
                        let exact = zip(w, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                        let scale = zip(w, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                        // Q5_1's minimum term uses the half-rounded activation sum s (2^-11 relative).
                        let tolerance = (type == .q5_1 ? 2e-3 : 1e-4) * scale + 1e-6
                        #expect(abs(Double(out[t * c.rows + r]) - exact) <= tolerance,
                                "\(type) \(setting) token \(t) row \(r): \(out[t * c.rows + r]) vs \(exact)")
                    }
                }
            }
        }
    }

    /// The activations as the kernels see them: dequantized from their encoding.
    static func decodedActivations(_ type: TensorType, _ x: [Float]) -> [Float] {
        let n = Int32(x.count)
        switch type.activationEncoding {
        case .f32:
            return x
        case .q8:
            var q = [dspy_block_q8](repeating: dspy_block_q8(), count: x.count / 32)
            dspy_quantize_q8(x, n, &q, 1, n)
            return q.flatMap { b in withUnsafeBytes(of: b.qs) { $0.map { Float(Int8(bitPattern: $0)) * b.d } } }
        case .q8K:
            var q = [dspy_block_q8_k](repeating: dspy_block_q8_k(), count: x.count / 256)
            dspy_quantize_q8_k(x, n, &q, 1, n)
            return q.flatMap { b in withUnsafeBytes(of: b.qs) { $0.map { Float(Int8(bitPattern: $0)) * b.d } } }
        case .f16:
            return x.map { Float(Float16($0)) }
        case .bf16:
            var h = [UInt16](repeating: 0, count: x.count)
            dspy_fp32_to_bf16_row(x, &h, Int64(x.count))
            return h.map { Float(bitPattern: UInt32($0) << 16) }
        }
    }

    @Test("A batch gets the same products, bit for bit, as each token alone where llama.cpp's order does not depend on the batch",
          arguments: [2, 5, 7])
    func batchedEqualsAlone(tokens: Int) throws {
        let f = try KQuantKernelTests.fixture.get()
        for c in f.cases {
            // Q5 and K-quants below eight tokens: vec_dot for every token count.
            guard let type = c.tensorType, [TensorType.q5_0, .q5_1, .q4_K, .q5_K, .q6_K].contains(type) else { continue }
            let input = Array(f.activations.prefix(tokens))
            for setting in [KernelPaths.settings[0], KernelPaths.settings[3]] {
                let batched = KernelPaths.run(setting) {
                    Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols, input: input).map(\.bitPattern)
                }
                let alone = KernelPaths.run(setting) {
                    input.flatMap { Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols, input: [$0]) }
                        .map(\.bitPattern)
                }
                if type == .q5_0 && setting.forceScalar == false && tokens >= 4 {
                    // Q5_0 batches of four or more take the lane kernel (leftovers the row kernel),
                    // each token alone the row kernel: same results.
                    let lanes: Set<String> = tokens % 8 == 0 || tokens % 8 >= 4 ? ["q5-lanes-avx2"] : ["q5-lanes-avx2", "q5-dot-avx2"]
                    #expect(Set(batched.paths) == lanes && alone.paths == ["q5-dot-avx2"], "\(tokens) tokens: \(batched.paths)")
                } else {
                    #expect(batched.paths == alone.paths)
                }
                #expect(batched.result == alone.result, "\(type) \(tokens) tokens \(setting)")
            }
        }
    }

    @Test("Batches of eight or more K-quant tokens are computed token by token in the tiled order, whatever the batch")
    func tiledIsPerToken() throws {
        let f = try KQuantKernelTests.fixture.get()
        for c in f.cases where [TensorType.q4_K, .q5_K, .q6_K].contains(where: { $0 == c.tensorType }) {
            let type = try #require(c.tensorType)
            let nine = Array(f.activations.prefix(9))
            let batch = Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols, input: nine)
            // The same nine tokens in another order and next to repeated tokens.
            let shuffled = [nine[8], nine[0], nine[1], nine[2], nine[3], nine[4], nine[5], nine[6], nine[7], nine[0]]
            let other = Products.compute(type, weights: c.weights, rows: c.rows, columns: c.cols, input: shuffled)
            let rows = c.rows
            for (i, t) in [8, 0, 1, 2, 3, 4, 5, 6, 7].enumerated() {
                #expect(Array(other[(i * rows)..<((i + 1) * rows)]).map(\.bitPattern)
                        == Array(batch[(t * rows)..<((t + 1) * rows)]).map(\.bitPattern), "\(type) token \(t)")
            }
        }
    }
}
