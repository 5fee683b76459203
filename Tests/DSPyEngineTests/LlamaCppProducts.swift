import CDSPyKernels
import Foundation

@testable import DSPyEngine

/// llama.cpp's own matrix products for every weight type, recorded by
/// `Fixtures/make_kquant_fixtures.py` from the ggml that llama-cpp-python 0.3.36 ships, built
/// on an AVX2 machine: seeded weights quantized by llama.cpp, nine tokens of activations, their
/// conversions to each activation encoding, and the products of 1, 3 and 9 tokens.
struct LlamaCppProducts: Decodable {
    /// One weight matrix and its products.
    struct Case: Decodable {
        let type: String
        let rows: Int
        let cols: Int
        let weightsHex: String
        /// Products of the first n tokens (key n), [token][row] as float bit patterns; vec_dot
        /// and tinyBLAS only (GGML_CPU_TILED_MM=0).
        let products: [String: [String]]
        /// Where llama.cpp as shipped differs: K-quants with eight or more tokens (tiled matmul).
        let productsTiled: [String: [String]]?

        enum CodingKeys: String, CodingKey {
            case type, rows, cols, products
            case weightsHex = "weights"
            case productsTiled = "products_tiled"
        }

        var tensorType: TensorType? { TensorType.allCases.first { $0.name == type } }
        var weights: [UInt8] { LlamaCppProducts.bytes(weightsHex) }

        /// llama.cpp's products of the first `tokens` tokens as shipped (`tiled`) or with the
        /// tiled matmul off.
        func expected(tokens: Int, tiled: Bool) -> [UInt32] {
            let key = String(tokens)
            let hex = (tiled ? productsTiled?[key] : nil) ?? products[key] ?? []
            return hex.compactMap { UInt32($0, radix: 16) }
        }
    }

    let llamaCppPython: String
    let cpu: String
    let tokenCounts: [Int]
    let activationsHex: [[String]]
    /// Each token converted by llama.cpp to an activation encoding (key: ggml type name).
    let converted: [String: [String]]
    let cases: [Case]

    enum CodingKeys: String, CodingKey {
        case cpu, converted, cases
        case llamaCppPython = "llama_cpp_python"
        case tokenCounts = "token_counts"
        case activationsHex = "activations"
    }

    /// The activations, [token][column] (512 columns; cases use the first `cols`).
    var activations: [[Float]] { activationsHex.map { $0.compactMap { UInt32($0, radix: 16).map(Float.init(bitPattern:)) } } }

    /// Token `t` in `encoding` as llama.cpp converted it.
    func converted(_ encoding: String, token: Int) -> [UInt8] { Self.bytes(converted[encoding]?[token] ?? "") }

    static func load() throws -> LlamaCppProducts {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/kquant_fixtures.json")
        return try JSONDecoder().decode(LlamaCppProducts.self, from: Data(contentsOf: url))
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8 = c >= 97 ? c - 87 : c >= 65 ? c - 55 : c - 48
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return out
    }
}

/// Runs the kernels the way the forward pass does, on the calling thread unless `pool` is given:
/// the activations converted to `type`'s encoding, then `dspy_matmul_activations`.
enum Products {
    /// out[token * rows + row] for the first `tokens` rows of `input` (each `columns` floats).
    /// `orderTokens`: the token count of the whole product when `input` is one group of it.
    static func compute(_ type: TensorType, weights: [UInt8], rows: Int, columns: Int, input: [[Float]],
                        pool: OpaquePointer? = nil, orderTokens: Int = 0) -> [Float] {
        let tokens = input.count
        let flat = input.flatMap { Array($0.prefix(columns)) }
        var q8 = [dspy_block_q8](repeating: dspy_block_q8(), count: max(1, tokens * columns / 32))
        var q8k = [dspy_block_q8_k](repeating: dspy_block_q8_k(), count: max(1, tokens * columns / 256))
        var halves = [UInt16](repeating: 0, count: max(1, tokens * columns))
        let c = Int32(columns), n = Int32(tokens)
        switch type.activationEncoding {
        case .f32: break
        case .q8: dspy_quantize_q8(flat, c, &q8, n, c)
        case .q8K: dspy_quantize_q8_k(flat, c, &q8k, n, c)
        case .f16: dspy_fp32_to_fp16_row(flat, &halves, Int64(flat.count))
        case .bf16: dspy_fp32_to_bf16_row(flat, &halves, Int64(flat.count))
        }
        var out = [Float](repeating: .nan, count: tokens * rows)
        flat.withUnsafeBufferPointer { x in
            q8.withUnsafeBufferPointer { q8 in
                q8k.withUnsafeBufferPointer { q8k in
                    halves.withUnsafeBufferPointer { h in
                        weights.withUnsafeBytes { w in
                            out.withUnsafeMutableBufferPointer { o in
                                var a = dspy_activations(x: x.baseAddress, x_stride: c, q8: q8.baseAddress, q8_k: q8k.baseAddress,
                                                         f16: h.baseAddress, bf16: h.baseAddress,
                                                         order_tokens: Int32(orderTokens))
                                var m = dspy_matrix(type: Int32(type.rawValue), weights: w.baseAddress,
                                                    row_bytes: type.byteCount(elements: columns), rows: Int32(rows), cols: c,
                                                    out: o.baseAddress, out_stride: Int32(rows))
                                dspy_matmul_activations(pool, &m, 1, &a, n)
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
