/// One metadata value of a GGUF file, typed as the file stores it.
///
/// Use the convenience views (`int`, `float`, `string`, `strings`, `integers`,
/// `floats`) to read a value without caring about its stored width:
///
/// ```swift
/// let tokens = file.metadata["tokenizer.ggml.tokens"]?.strings   // [String]?
/// let types = file.metadata["tokenizer.ggml.token_type"]?.integers // [Int]?
/// let eos = file.metadata["tokenizer.ggml.eos_token_id"]?.int      // Int?
/// ```
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    /// The value as an `Int`, for any integer type whose value fits.
    public var int: Int? {
        switch self {
        case let .uint8(v): return Int(v)
        case let .int8(v): return Int(v)
        case let .uint16(v): return Int(v)
        case let .int16(v): return Int(v)
        case let .uint32(v): return Int(v)
        case let .int32(v): return Int(v)
        case let .uint64(v): return Int(exactly: v)
        case let .int64(v): return Int(v)
        default: return nil
        }
    }

    /// The value as a `Double`, for float and integer types.
    public var double: Double? {
        switch self {
        case let .float32(v): return Double(v)
        case let .float64(v): return v
        default: return int.map(Double.init)
        }
    }

    /// The value as a `Float`, for float and integer types.
    public var float: Float? { double.map(Float.init) }

    /// The value if it is a string.
    public var string: String? {
        if case let .string(v) = self { return v }
        return nil
    }

    /// The value if it is a bool.
    public var bool: Bool? {
        if case let .bool(v) = self { return v }
        return nil
    }

    /// The value if it is an array.
    public var array: GGUFArray? {
        if case let .array(v) = self { return v }
        return nil
    }

    /// The value as `[String]` if it is an array of strings.
    public var strings: [String]? { array?.strings }

    /// The value as `[Int]` if it is an array of integers of any width.
    public var integers: [Int]? { array?.integers }

    /// The value as `[Float]` if it is an array of floats or integers.
    public var floats: [Float]? { array?.floats }

    /// The GGUF type name, as gguf-py prints it: `UINT32`, `STRING`, `ARRAY[INT32]`.
    public var typeName: String {
        switch self {
        case .uint8: return "UINT8"
        case .int8: return "INT8"
        case .uint16: return "UINT16"
        case .int16: return "INT16"
        case .uint32: return "UINT32"
        case .int32: return "INT32"
        case .uint64: return "UINT64"
        case .int64: return "INT64"
        case .float32: return "FLOAT32"
        case .float64: return "FLOAT64"
        case .bool: return "BOOL"
        case .string: return "STRING"
        case let .array(a): return "ARRAY[\(a.elementTypeName)]"
        }
    }
}

/// A GGUF metadata array, stored with its element type (arrays may nest).
public enum GGUFArray: Sendable, Equatable {
    case uint8([UInt8])
    case int8([Int8])
    case uint16([UInt16])
    case int16([Int16])
    case uint32([UInt32])
    case int32([Int32])
    case uint64([UInt64])
    case int64([Int64])
    case float32([Float])
    case float64([Double])
    case bool([Bool])
    case string([String])
    case array([GGUFArray])

    /// The number of elements.
    public var count: Int {
        switch self {
        case let .uint8(v): return v.count
        case let .int8(v): return v.count
        case let .uint16(v): return v.count
        case let .int16(v): return v.count
        case let .uint32(v): return v.count
        case let .int32(v): return v.count
        case let .uint64(v): return v.count
        case let .int64(v): return v.count
        case let .float32(v): return v.count
        case let .float64(v): return v.count
        case let .bool(v): return v.count
        case let .string(v): return v.count
        case let .array(v): return v.count
        }
    }

    /// The elements if they are strings.
    public var strings: [String]? {
        if case let .string(v) = self { return v }
        return nil
    }

    /// The elements as `Int` if they are integers (nil if a UINT64 does not fit).
    public var integers: [Int]? {
        switch self {
        case let .uint8(v): return v.map(Int.init)
        case let .int8(v): return v.map(Int.init)
        case let .uint16(v): return v.map(Int.init)
        case let .int16(v): return v.map(Int.init)
        case let .uint32(v): return v.map(Int.init)
        case let .int32(v): return v.map(Int.init)
        case let .int64(v): return v.map(Int.init)
        case let .uint64(v):
            let converted = v.compactMap { Int(exactly: $0) }
            return converted.count == v.count ? converted : nil
        default: return nil
        }
    }

    /// The elements as `Float` if they are floats or integers.
    public var floats: [Float]? {
        switch self {
        case let .float32(v): return v
        case let .float64(v): return v.map(Float.init)
        default: return integers?.map(Float.init)
        }
    }

    /// The element type name: `INT32`, `STRING`, `ARRAY`.
    public var elementTypeName: String {
        switch self {
        case .uint8: return "UINT8"
        case .int8: return "INT8"
        case .uint16: return "UINT16"
        case .int16: return "INT16"
        case .uint32: return "UINT32"
        case .int32: return "INT32"
        case .uint64: return "UINT64"
        case .int64: return "INT64"
        case .float32: return "FLOAT32"
        case .float64: return "FLOAT64"
        case .bool: return "BOOL"
        case .string: return "STRING"
        case .array: return "ARRAY"
        }
    }
}
