/// A bounds-checked little-endian cursor over the mapped bytes of a GGUF file.
///
/// Every read checks the remaining length first and throws `EngineError.truncatedFile`
/// naming what was being read, so a cut-off file never reads out of bounds.
struct GGUFReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset: Int = 0

    /// Counts above this are treated as corruption rather than allocated.
    static let maximumCount = 1 << 31

    init(bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    private mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - offset else {
            throw EngineError.truncatedFile(
                path: path, reading: what(), offset: offset, needed: count, fileSize: bytes.count)
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
        offset += count
        return slice
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let slice = try take(MemoryLayout<T>.size, what())
        return T(littleEndian: slice.loadUnaligned(as: T.self))
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// The bytes not yet read.
    var remaining: Int { bytes.count - offset }

    /// Reads a 64-bit count of items that each take at least `minimumItemSize` bytes
    /// of what follows, and checks that the rest of the file could hold them, so a
    /// corrupt count is refused before anything is allocated or looped over.
    ///
    /// - Throws: `EngineError.malformedFile` naming `what` and the count.
    mutating func readCount(_ what: @autoclosure () -> String, minimumItemSize: Int = 1) throws -> Int {
        let count = try read(UInt64.self, what())
        guard count <= UInt64(Self.maximumCount) else {
            throw EngineError.malformedFile(path: path, reason: "\(what()) has an implausible count \(count)")
        }
        guard Int(count) <= remaining / max(minimumItemSize, 1) else {
            throw EngineError.malformedFile(
                path: path,
                reason: "\(what()) declares \(count) items of at least \(minimumItemSize) bytes each at offset \(offset), "
                    + "but only \(remaining) bytes remain in the file")
        }
        return Int(count)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let length = try read(UInt64.self, what())
        let slice = try take(Int(clamping: length), what())
        return String(decoding: slice, as: UTF8.self)
    }

    /// Reads `count` fixed-width values in one copy.
    mutating func readArray<T: FixedWidthInteger>(_: T.Type, count: Int, _ what: @autoclosure () -> String) throws -> [T] {
        let slice = try take(count * MemoryLayout<T>.size, what())
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: slice)
            }
            initialized = count
        }.map { T(littleEndian: $0) }
    }

    /// Reads one metadata value of GGUF value type `type`.
    mutating func readValue(type: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        let what = "metadata value '\(key)'"
        switch type {
        case 0: return .uint8(try read(UInt8.self, what))
        case 1: return .int8(try read(Int8.self, what))
        case 2: return .uint16(try read(UInt16.self, what))
        case 3: return .int16(try read(Int16.self, what))
        case 4: return .uint32(try read(UInt32.self, what))
        case 5: return .int32(try read(Int32.self, what))
        case 6: return .float32(try readFloat(what))
        case 7:
            let byte = try read(UInt8.self, what)
            guard byte <= 1 else {
                throw EngineError.malformedFile(path: path, reason: "metadata '\(key)' has bool value \(byte)")
            }
            return .bool(byte == 1)
        case 8: return .string(try readString(what))
        case 9: return .array(try readArray(key: key, depth: depth))
        case 10: return .uint64(try read(UInt64.self, what))
        case 11: return .int64(try read(Int64.self, what))
        case 12: return .float64(try readDouble(what))
        default:
            throw EngineError.malformedFile(path: path, reason: "metadata '\(key)' has unknown value type \(type)")
        }
    }

    private mutating func readArray(key: String, depth: Int) throws -> GGUFArray {
        guard depth < 8 else {
            throw EngineError.malformedFile(path: path, reason: "metadata '\(key)' nests arrays too deeply")
        }
        let what = "array '\(key)'"
        let elementType = try read(UInt32.self, what)
        // The smallest encoding of one element: its bytes, a string's length, or a
        // nested array's type and count; unknown types are refused below.
        let minimumSize: Int
        switch elementType {
        case 0, 1, 7: minimumSize = 1
        case 2, 3: minimumSize = 2
        case 4, 5, 6: minimumSize = 4
        case 8, 10, 11, 12: minimumSize = 8
        case 9: minimumSize = 12
        default:
            throw EngineError.malformedFile(path: path, reason: "array '\(key)' has unknown element type \(elementType)")
        }
        let count = try readCount(what, minimumItemSize: minimumSize)
        switch elementType {
        case 0: return .uint8(try readArray(UInt8.self, count: count, what))
        case 1: return .int8(try readArray(Int8.self, count: count, what))
        case 2: return .uint16(try readArray(UInt16.self, count: count, what))
        case 3: return .int16(try readArray(Int16.self, count: count, what))
        case 4: return .uint32(try readArray(UInt32.self, count: count, what))
        case 5: return .int32(try readArray(Int32.self, count: count, what))
        case 6: return .float32(try readArray(UInt32.self, count: count, what).map(Float.init(bitPattern:)))
        case 7: return .bool(try readArray(UInt8.self, count: count, what).map { $0 != 0 })
        case 8:
            var strings: [String] = []
            strings.reserveCapacity(count)
            for _ in 0..<count { strings.append(try readString(what)) }
            return .string(strings)
        case 9:
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(count)
            for _ in 0..<count { arrays.append(try readArray(key: key, depth: depth + 1)) }
            return .array(arrays)
        case 10: return .uint64(try readArray(UInt64.self, count: count, what))
        case 11: return .int64(try readArray(Int64.self, count: count, what))
        case 12: return .float64(try readArray(UInt64.self, count: count, what).map(Double.init(bitPattern:)))
        default:
            throw EngineError.malformedFile(path: path, reason: "array '\(key)' has unknown element type \(elementType)")
        }
    }
}
