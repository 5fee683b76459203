import CDSPyKernels

/// The element encodings of tensors this engine can read and compute with.
///
/// Raw values are ggml's type ids as stored in GGUF files. Quantized types store
/// blocks of `blockSize` elements in `blockBytes` bytes (ggml's layouts):
/// Q4_0 = half scale + 16 bytes of 4-bit values; Q4_1 adds a half minimum; Q5_0 and Q5_1
/// add 32 fifth bits to those; Q8_0 = half scale + 32 signed bytes; Q4_K, Q5_K and Q6_K
/// are 256-element super-blocks; BF16 is the top half of an F32.
public enum TensorType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0
    case f16 = 1
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case bf16 = 30

    /// Elements per block (1 for unquantized types).
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q4_K, .q5_K, .q6_K: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18
        case .q4_1: return 20
        case .q5_0: return 22
        case .q5_1: return 24
        case .q8_0: return 34
        case .q4_K: return 144
        case .q5_K: return 176
        case .q6_K: return 210
        }
    }

    /// The encoding matrix products with this type take their activations in: llama.cpp's
    /// vec_dot_type for the weight type, which its CPU backend converts activations to.
    enum ActivationEncoding: Int32, CaseIterable {
        /// The floats themselves (F32 weights).
        case f32 = 0
        /// 32-element blocks of 8-bit quants with half scale and scaled sum (`dspy_quantize_q8`).
        case q8 = 1
        /// 256-element blocks of 8-bit quants with float scale and 16-element sums (`dspy_quantize_q8_k`).
        case q8K = 2
        /// IEEE halves.
        case f16 = 3
        /// bfloat16s.
        case bf16 = 4
    }

    /// The activation encoding of products with this type (`dspy_activation_encoding`).
    var activationEncoding: ActivationEncoding {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return .q8
        case .q4_K, .q5_K, .q6_K: return .q8K
        }
    }

    /// The ggml name, e.g. `Q4_1`.
    public var name: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        case .bf16: return "BF16"
        }
    }

    public var description: String { name }

    /// Bytes taken by `elements` elements (a multiple of `blockSize`).
    public func byteCount(elements: Int) -> Int { elements / blockSize * blockBytes }

    /// The ggml name of any type id, including ones this engine cannot compute with.
    static func ggmlName(_ id: UInt32) -> String {
        let names: [UInt32: String] = [
            0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0", 9: "Q8_1",
            10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K", 16: "IQ2_XXS",
            17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
            23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M",
            30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
        ]
        if let name = names[id] { return "\(name) (type \(id))" }
        return "unknown type \(id)"
    }

    /// Decodes `count` elements stored in this type to floats.
    ///
    /// Cost: one pass over the bytes; used for embeddings rows, norms and tests.
    /// - Precondition: `count` is a multiple of `blockSize` and `bytes` holds them.
    public func dequantize(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Float] {
        precondition(count % blockSize == 0 && bytes.count >= byteCount(elements: count))
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                _ = dspy_dequantize(Int32(rawValue), bytes.baseAddress, buffer.baseAddress, Int64(count))
            }
            initialized = count
        }
    }
}
