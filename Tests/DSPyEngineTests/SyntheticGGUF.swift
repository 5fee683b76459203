import Foundation

/// Writes small GGUF files for tests: a header, metadata and tensors with given bytes.
///
/// `layout()` also reports where each structural field (counts, lengths, type codes,
/// tensor shapes and offsets) was written, so fuzzers can mutate a field in place.
struct SyntheticGGUF {
    enum Value {
        case uint32(UInt32)
        case int32(Int32)
        case uint64(UInt64)
        case int64(Int64)
        case float32(Float)
        case float64(Double)
        case string(String)
        case strings([String])
        case int32s([Int32])
        case floats([Float])
        case bool(Bool)
        case nested([[UInt8]])
        /// Any value type code followed by raw bytes (for invalid encodings).
        case raw(type: UInt32, bytes: [UInt8])
    }

    struct Tensor {
        var name: String
        var type: UInt32
        var shape: [UInt64]
        var data: [UInt8]
        /// The data offset to write instead of the computed one.
        var offset: UInt64? = nil
    }

    /// A structural field of the written file.
    struct Field {
        enum Kind: CaseIterable {
            case tensorCount, keyCount, keyLength, valueType, stringLength, arrayElementType, arrayCount
            case scalarValue, tensorNameLength, tensorDimensions, tensorExtent, tensorType, tensorOffset
        }

        var kind: Kind
        /// The byte offset of the field.
        var offset: Int
        /// The field's width in bytes (4 or 8, or the width of a scalar value).
        var width: Int
        /// The metadata key or tensor name the field belongs to.
        var owner: String
    }

    /// The bytes of a file and where its fields are.
    struct Layout {
        var bytes: [UInt8]
        var fields: [Field]
        /// Where tensor data begins.
        var dataOffset: Int
    }

    var version: UInt32 = 3
    var magic: [UInt8] = Array("GGUF".utf8)
    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []
    var alignment = 32

    func bytes() -> [UInt8] { layout().bytes }

    func layout() -> Layout {
        var out: [UInt8] = []
        var fields: [Field] = []
        func mark(_ kind: Field.Kind, _ width: Int, _ owner: String) {
            fields.append(Field(kind: kind, offset: out.count, width: width, owner: owner))
        }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func string(_ s: String, _ owner: String, _ kind: Field.Kind = .stringLength) {
            mark(kind, 8, owner)
            u64(UInt64(s.utf8.count))
            out += s.utf8
        }
        func type(_ code: UInt32, _ owner: String) { mark(.valueType, 4, owner); u32(code) }
        func arrayHeader(_ element: UInt32, _ count: Int, _ owner: String) {
            mark(.arrayElementType, 4, owner)
            u32(element)
            mark(.arrayCount, 8, owner)
            u64(UInt64(count))
        }
        out += magic
        u32(version)
        mark(.tensorCount, 8, "")
        u64(UInt64(tensors.count))
        mark(.keyCount, 8, "")
        u64(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key, key, .keyLength)
            switch value {
            case let .uint32(v): type(4, key); mark(.scalarValue, 4, key); u32(v)
            case let .int32(v): type(5, key); mark(.scalarValue, 4, key); u32(UInt32(bitPattern: v))
            case let .uint64(v): type(10, key); mark(.scalarValue, 8, key); u64(v)
            case let .int64(v): type(11, key); mark(.scalarValue, 8, key); u64(UInt64(bitPattern: v))
            case let .float32(v): type(6, key); mark(.scalarValue, 4, key); u32(v.bitPattern)
            case let .float64(v): type(12, key); mark(.scalarValue, 8, key); u64(v.bitPattern)
            case let .string(v): type(8, key); string(v, key)
            case let .bool(v): type(7, key); mark(.scalarValue, 1, key); out.append(v ? 1 : 0)
            case let .strings(list):
                type(9, key)
                arrayHeader(8, list.count, key)
                list.forEach { string($0, key) }
            case let .int32s(list):
                type(9, key)
                arrayHeader(5, list.count, key)
                list.forEach { u32(UInt32(bitPattern: $0)) }
            case let .floats(list):
                type(9, key)
                arrayHeader(6, list.count, key)
                list.forEach { u32($0.bitPattern) }
            case let .nested(arrays):
                type(9, key)
                arrayHeader(9, arrays.count, key)
                for a in arrays {
                    arrayHeader(0, a.count, key)
                    out += a
                }
            case let .raw(code, bytes):
                type(code, key)
                out += bytes
            }
        }
        var offset = 0
        var offsets: [UInt64] = []
        for t in tensors {
            offsets.append(t.offset ?? UInt64(offset))
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            string(t.name, t.name, .tensorNameLength)
            mark(.tensorDimensions, 4, t.name)
            u32(UInt32(t.shape.count))
            for extent in t.shape {
                mark(.tensorExtent, 8, t.name)
                u64(extent)
            }
            mark(.tensorType, 4, t.name)
            u32(t.type)
            mark(.tensorOffset, 8, t.name)
            u64(o)
        }
        while out.count % alignment != 0 { out.append(0) }
        let dataOffset = out.count
        for t in tensors {
            out += t.data
            while out.count % alignment != 0 { out.append(0) }
        }
        return Layout(bytes: out, fields: fields, dataOffset: dataOffset)
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
