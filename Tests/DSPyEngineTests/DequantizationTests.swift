import CDSPyKernels
import Foundation
import Testing

@testable import DSPyEngine

@Suite("Dequantization of ggml block formats", .serialized)
struct DequantizationTests {
    static func half(_ value: Float) -> [UInt8] {
        withUnsafeBytes(of: dspy_fp32_to_fp16(value).littleEndian) { Array($0) }
    }

    static func decode(_ type: TensorType, _ bytes: [UInt8], count: Int) -> [Float] {
        bytes.withUnsafeBytes { type.dequantize($0, count: count) }
    }

    @Test("F32 and F16 decode exactly")
    func floats() {
        let values: [Float] = [0, 1, -2.5, 65504, 0.000061035156]
        let f32 = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        #expect(Self.decode(.f32, f32, count: 5) == values)
        #expect(Self.decode(.f16, values.flatMap(Self.half), count: 5) == values)
    }

    @Test("Q4_0 blocks decode as (nibble - 8) × scale, low nibbles first")
    func q4_0() {
        let qs: [UInt8] = (0..<16).map { (i: Int) -> UInt8 in UInt8(i) | (UInt8(15 - i) << 4) }
        let values = Self.decode(.q4_0, Self.half(0.5) + qs, count: 32)
        let low: [Float] = (0..<16).map { (i: Int) -> Float in Float(i - 8) * 0.5 }
        let high: [Float] = (0..<16).map { (i: Int) -> Float in Float(7 - i) * 0.5 }
        #expect(values == low + high)
    }

    @Test("Q4_1 blocks decode as nibble × scale + minimum")
    func q4_1() {
        let qs: [UInt8] = (0..<16).map { (i: Int) -> UInt8 in UInt8(i) | (UInt8(i) << 4) }
        let values = Self.decode(.q4_1, Self.half(0.25) + Self.half(-1) + qs, count: 32)
        let half: [Float] = (0..<16).map { (i: Int) -> Float in Float(i) * 0.25 - 1 }
        #expect(values == half + half)
    }

    @Test("Q8_0 blocks decode as signed byte × scale")
    func q8_0() {
        let qs: [UInt8] = (0..<32).map { (i: Int) -> UInt8 in UInt8(bitPattern: Int8(i * 8 - 128)) }
        let expected: [Float] = (0..<32).map { (i: Int) -> Float in Float(i * 8 - 128) * 2 }
        #expect(Self.decode(.q8_0, Self.half(2) + qs, count: 32) == expected)
    }

    @Test("Q4_K super-blocks apply 6-bit sub-block scales and minimums")
    func q4_K() {
        // scales 1..8 and mins 0..7 packed in ggml's 12-byte layout.
        let scales: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let mins: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7]
        var packed = [UInt8](repeating: 0, count: 12)
        for j in 0..<4 {
            packed[j] = scales[j]
            packed[j + 4] = mins[j]
            packed[j + 8] = (scales[j + 4] & 0x0F) | (mins[j + 4] & 0x0F) << 4
        }
        let qs: [UInt8] = (0..<128).map { (i: Int) -> UInt8 in UInt8(i % 16) | (UInt8((i + 1) % 16) << 4) }
        let header: [UInt8] = Self.half(0.5) + Self.half(0.25)
        let values = Self.decode(.q4_K, header + packed + qs, count: 256)
        var expected: [Float] = []
        for chunk in 0..<4 {
            let q = Array(qs[chunk * 32..<(chunk + 1) * 32])
            let d1 = 0.5 * Float(scales[2 * chunk]), m1 = 0.25 * Float(mins[2 * chunk])
            let d2 = 0.5 * Float(scales[2 * chunk + 1]), m2 = 0.25 * Float(mins[2 * chunk + 1])
            expected += q.map { (v: UInt8) -> Float in d1 * Float(v & 0x0F) - m1 }
            expected += q.map { (v: UInt8) -> Float in d2 * Float(v >> 4) - m2 }
        }
        #expect(values == expected)
    }

    @Test("Q6_K super-blocks combine low and high bits with signed scales")
    func q6_K() {
        let ql: [UInt8] = (0..<128).map { (i: Int) -> UInt8 in UInt8((i * 7) % 256) }
        let qh: [UInt8] = (0..<64).map { (i: Int) -> UInt8 in UInt8((i * 13) % 256) }
        let scales: [UInt8] = (0..<16).map { (i: Int) -> UInt8 in UInt8(bitPattern: Int8(i - 8)) }
        let block: [UInt8] = ql + qh + scales + Self.half(0.125)
        let values = Self.decode(.q6_K, block, count: 256)
        var expected = [Float](repeating: 0, count: 256)
        for half in 0..<2 {
            for l in 0..<32 {
                let lo = ql[half * 64 + l], lo2 = ql[half * 64 + l + 32], hi = qh[half * 32 + l]
                let q0: Int = Int(lo & 15) | (Int(hi & 3) << 4)
                let q1: Int = Int(lo2 & 15) | (Int((hi >> 2) & 3) << 4)
                let q2: Int = Int(lo >> 4) | (Int((hi >> 4) & 3) << 4)
                let q3: Int = Int(lo2 >> 4) | (Int((hi >> 6) & 3) << 4)
                let q = [q0, q1, q2, q3]
                for k in 0..<4 {
                    let scale = Float(Int8(bitPattern: scales[half * 8 + l / 16 + 2 * k]))
                    expected[half * 128 + k * 32 + l] = 0.125 * scale * Float(q[k] - 32)
                }
            }
        }
        #expect(values == expected)
    }

    @Test("Quantized matrix products agree with float products of the dequantized weights")
    func matmulMatchesDequantizedProduct() {
        let columns = 64, rows = 3
        var generator = SystemRandomNumberGenerator()
        for type in [TensorType.q4_0, .q4_1, .q8_0] {
            let rowBytes = type.byteCount(elements: columns)
            var weights = [UInt8](repeating: 0, count: rowBytes * rows)
            for i in weights.indices { weights[i] = UInt8.random(in: 0...255, using: &generator) }
            for r in 0..<rows * columns / 32 {  // sane scales
                let offset = r * type.blockBytes
                weights.replaceSubrange(offset..<offset + 2, with: Self.half(0.01))
                if type == .q4_1 { weights.replaceSubrange(offset + 2..<offset + 4, with: Self.half(-0.05)) }
            }
            let input = (0..<columns).map { _ in Float.random(in: -1...1, using: &generator) }
            let dense = Self.decode(type, weights, count: rows * columns)
            for setting in [KernelPaths.settings[0], KernelPaths.settings[3]] {
                let (output, paths) = KernelPaths.run(setting) {
                    var output = [Float](repeating: 0, count: rows)
                    var quantized = [dspy_block_q8](repeating: dspy_block_q8(), count: columns / 32)
                    input.withUnsafeBufferPointer { x in
                        dspy_quantize_q8(x.baseAddress, Int32(columns), &quantized, 1, Int32(columns))
                        weights.withUnsafeBytes { w in
                            output.withUnsafeMutableBufferPointer { out in
                                var matrix = dspy_matrix(type: Int32(type.rawValue), weights: w.baseAddress, row_bytes: rowBytes,
                                                         rows: Int32(rows), cols: Int32(columns), out: out.baseAddress, out_stride: Int32(rows))
                                dspy_matmul(nil, &matrix, 1, x.baseAddress, Int32(columns), quantized, 1, nil)
                            }
                        }
                    }
                    return output
                }
                #expect(setting.forceScalar == (paths == ["dot-scalar"]), "\(type), \(setting) ran \(paths)")
                for r in 0..<rows {
                    var exact: Float = 0
                    for c in 0..<columns { exact += dense[r * columns + c] * input[c] }
                    #expect(abs(output[r] - exact) < 0.05, "\(type) row \(r) \(paths): \(output[r]) vs \(exact)")
                }
            }
        }
    }

    /// Random Q4_0/Q4_1/Q8_0 rows with sane block scales (and Q4_1 minimums).
    static func randomWeights<G: RandomNumberGenerator>(_ type: TensorType, rows: Int, columns: Int, using generator: inout G)
        -> [UInt8]
    {
        var weights = (0..<type.byteCount(elements: columns) * rows).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for block in 0..<rows * columns / 32 {
            let offset = block * type.blockBytes
            weights.replaceSubrange(offset..<offset + 2, with: half(Float.random(in: 0.001...0.05, using: &generator)))
            if type == .q4_1 { weights.replaceSubrange(offset + 2..<offset + 4, with: half(-0.05)) }
        }
        return weights
    }

    @Test("A batch of tokens gets the same products, bit for bit, as each token alone, at every vector level the CPU has",
          arguments: [4, 5, 8, 9, 12, 13, 19])
    func batchedProductsEqualSingleTokenProducts(tokens: Int) throws {
        let columns = 96, rows = 5
        var generator = SystemRandomNumberGenerator()
        for type in [TensorType.q4_0, .q4_1, .q8_0] {
            let rowBytes = type.byteCount(elements: columns)
            let weights = Self.randomWeights(type, rows: rows, columns: columns, using: &generator)
            let input = (0..<tokens * columns).map { _ in Float.random(in: -2...2, using: &generator) }
            var quantized = [dspy_block_q8](repeating: dspy_block_q8(), count: tokens * columns / 32)
            dspy_quantize_q8(input, Int32(columns), &quantized, Int32(tokens), Int32(columns))

            func products(first: Int, count: Int) -> [Float] {
                var output = [Float](repeating: .nan, count: count * rows)
                input.withUnsafeBufferPointer { x in
                    quantized.withUnsafeBufferPointer { xq in
                        weights.withUnsafeBytes { w in
                            output.withUnsafeMutableBufferPointer { out in
                                var matrix = dspy_matrix(type: Int32(type.rawValue), weights: w.baseAddress, row_bytes: rowBytes,
                                                         rows: Int32(rows), cols: Int32(columns), out: out.baseAddress, out_stride: Int32(rows))
                                dspy_matmul(nil, &matrix, 1, x.baseAddress! + first * columns, Int32(columns),
                                            xq.baseAddress! + first * columns / 32, Int32(count), nil)
                            }
                        }
                    }
                }
                return output
            }
            // Batched runs take the lane kernels, single tokens the row kernels: two different
            // variants, compared at every vector level the CPU has.
            var levels: [(paths: [String], result: [UInt32])] = []
            for setting in KernelPaths.vectorSettings {
                let batched = KernelPaths.run(setting) { products(first: 0, count: tokens).map(\.bitPattern) }
                if levels.contains(where: { $0.paths == batched.paths }) { continue }
                let alone = KernelPaths.run(setting) { (0..<tokens).flatMap { products(first: $0, count: 1) }.map(\.bitPattern) }
                #expect(batched.paths != alone.paths, "\(type), \(setting): batched and alone both ran \(alone.paths)")
                #expect(batched.result == alone.result, "\(type), \(tokens) tokens, \(setting): \(batched.paths) against \(alone.paths)")
                levels.append((batched.paths, batched.result))
            }
            #expect(levels.allSatisfy { $0.result == levels[0].result }, "\(type): \(levels.map(\.paths)) disagree")
            if type == .q4_0 && tokens == 8 { print("lane kernels against row kernels at: \(levels.map { $0.paths.joined(separator: "+") })") }
        }
    }

    @Test("Every vector level gives the same products, bit for bit",
          .enabled(if: KernelPaths.hasSeveralVectorLevels, "this CPU has one vector level: nothing to compare it with"))
    func vectorLevelsAgree() throws {
        print("vector levels on this CPU: \(KernelPaths.vectorLevels)")
        let columns = 128, rows = 6
        var generator = SeededGenerator(seed: 42)
        for type in [TensorType.q4_0, .q4_1, .q8_0] {
            for tokens in [1, 3, 8, 13] {
                let rowBytes = type.byteCount(elements: columns)
                let weights = Self.randomWeights(type, rows: rows, columns: columns, using: &generator)
                let input = (0..<tokens * columns).map { _ in Float.random(in: -2...2, using: &generator) }
                var quantized = [dspy_block_q8](repeating: dspy_block_q8(), count: tokens * columns / 32)
                dspy_quantize_q8(input, Int32(columns), &quantized, Int32(tokens), Int32(columns))
                let runs = KernelPaths.distinctRuns(KernelPaths.vectorSettings) {
                    var output = [Float](repeating: .nan, count: tokens * rows)
                    weights.withUnsafeBytes { w in
                        output.withUnsafeMutableBufferPointer { out in
                            var matrix = dspy_matrix(type: Int32(type.rawValue), weights: w.baseAddress, row_bytes: rowBytes,
                                                     rows: Int32(rows), cols: Int32(columns), out: out.baseAddress, out_stride: Int32(rows))
                            dspy_matmul(nil, &matrix, 1, input, Int32(columns), quantized, Int32(tokens), nil)
                        }
                    }
                    return output.map(\.bitPattern)
                }
                try #require(runs.count >= 2, "\(type), \(tokens) tokens: one variant ran (\(runs.map(\.paths)))")
                for run in runs.dropFirst() {
                    #expect(run.result == runs[0].result, "\(type), \(tokens) tokens: \(run.paths) against \(runs[0].paths)")
                }
            }
        }
    }
}
