import Foundation

/// Writes small GGUF files (version 3): metadata and tensors whose bytes are already encoded.
///
/// Used for LoRA adapter files. Tensors are laid out in the order added, each at an offset
/// that is a multiple of `alignment` (32, llama.cpp's default), after the header, metadata and
/// tensor directory; the layout is what gguf-py and llama.cpp write, so `GGUFFile` and
/// llama.cpp read the result. Cost: one copy of every tensor's bytes into the output.
struct GGUFWriter {
    /// A metadata value of one of the types this writer emits.
    enum Value {
        case string(String)
        case float32(Float)
        case uint32(UInt32)
        case uint32s([UInt32])

        var typeCode: UInt32 {
            switch self {
            case .uint32: 4
            case .float32: 6
            case .string: 8
            case .uint32s: 9
            }
        }
    }

    /// One tensor: name, ggml shape (innermost first), type and encoded bytes.
    struct Tensor {
        var name: String
        var shape: [Int]
        var type: TensorType
        var bytes: [UInt8]
    }

    var metadata: [(key: String, value: Value)] = []
    var tensors: [Tensor] = []
    let alignment = 32

    /// The encoded file.
    func data() -> Data {
        var out = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func string(_ s: String) {
            u64(UInt64(s.utf8.count))
            out.append(contentsOf: Array(s.utf8))
        }
        func pad() {
            let remainder = out.count % alignment
            if remainder != 0 { out.append(contentsOf: [UInt8](repeating: 0, count: alignment - remainder)) }
        }

        out.append(contentsOf: Array("GGUF".utf8))
        u32(3)
        u64(UInt64(tensors.count))
        u64(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key)
            u32(value.typeCode)
            switch value {
            case let .string(s): string(s)
            case let .float32(f): u32(f.bitPattern)
            case let .uint32(v): u32(v)
            case let .uint32s(list):
                u32(4)
                u64(UInt64(list.count))
                for v in list { u32(v) }
            }
        }
        var offset = 0
        for tensor in tensors {
            string(tensor.name)
            u32(UInt32(tensor.shape.count))
            for extent in tensor.shape { u64(UInt64(extent)) }
            u32(tensor.type.rawValue)
            u64(UInt64(offset))
            offset += (tensor.bytes.count + alignment - 1) / alignment * alignment
        }
        pad()
        for tensor in tensors {
            out.append(contentsOf: tensor.bytes)
            pad()
        }
        return out
    }
}
