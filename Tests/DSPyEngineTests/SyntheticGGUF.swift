import Foundation

/// Writes small GGUF files for tests: a header, metadata and tensors with given bytes.
struct SyntheticGGUF {
    enum Value {
        case uint32(UInt32)
        case float32(Float)
        case string(String)
        case strings([String])
        case int32s([Int32])
        case bool(Bool)
        case nested([[UInt8]])
    }

    struct Tensor {
        var name: String
        var type: UInt32
        var shape: [UInt64]
        var data: [UInt8]
    }

    var version: UInt32 = 3
    var magic: [UInt8] = Array("GGUF".utf8)
    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []
    var alignment = 32

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); out += s.utf8 }
        out += magic
        u32(version)
        u64(UInt64(tensors.count))
        u64(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key)
            switch value {
            case let .uint32(v): u32(4); u32(v)
            case let .float32(v): u32(6); u32(v.bitPattern)
            case let .string(v): u32(8); string(v)
            case let .bool(v): u32(7); out.append(v ? 1 : 0)
            case let .strings(list): u32(9); u32(8); u64(UInt64(list.count)); list.forEach(string)
            case let .int32s(list): u32(9); u32(5); u64(UInt64(list.count)); list.forEach { u32(UInt32(bitPattern: $0)) }
            case let .nested(arrays):
                u32(9); u32(9); u64(UInt64(arrays.count))
                for a in arrays { u32(0); u64(UInt64(a.count)); out += a }
            }
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            string(t.name)
            u32(UInt32(t.shape.count))
            t.shape.forEach(u64)
            u32(t.type)
            u64(UInt64(o))
        }
        while out.count % alignment != 0 { out.append(0) }
        for t in tensors {
            out += t.data
            while out.count % alignment != 0 { out.append(0) }
        }
        return out
    }

    /// Writes the file into a fresh temporary directory and returns its URL.
    func write(named name: String = "model.gguf", bytes override: [UInt8]? = nil) throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dspyc-engine-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(override ?? bytes()).write(to: url)
        return url
    }
}
