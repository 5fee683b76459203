/// The key–value metadata of a GGUF file, in file order, with typed lookups.
///
/// Subscript by key for an optional value; the `required…` accessors throw an
/// `EngineError` that names the file and key, which is what loaders want.
///
/// ```swift
/// let merges = file.metadata["tokenizer.ggml.merges"]?.strings ?? []
/// let layers = try file.metadata.requiredInt("llama.block_count")
/// ```
public struct GGUFMetadata: Sendable, Equatable {
    /// The path of the file the metadata came from (for error messages).
    public let path: String
    /// The keys in file order.
    public let keys: [String]
    private let values: [String: GGUFValue]

    init(path: String, entries: [(String, GGUFValue)]) {
        self.path = path
        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        keys.reserveCapacity(entries.count)
        for (key, value) in entries where values.updateValue(value, forKey: key) == nil {
            keys.append(key)
        }
        self.keys = keys
        self.values = values
    }

    /// The number of keys.
    public var count: Int { keys.count }

    /// The value stored under `key`, if any.
    public subscript(key: String) -> GGUFValue? { values[key] }

    /// The value under `key`.
    /// - Throws: `EngineError.missingMetadata` when absent.
    public func required(_ key: String) throws -> GGUFValue {
        guard let value = values[key] else { throw EngineError.missingMetadata(path: path, key: key) }
        return value
    }

    /// The integer under `key`, of any integer width.
    /// - Throws: `EngineError.missingMetadata` or `.metadataTypeMismatch`.
    public func requiredInt(_ key: String) throws -> Int {
        let value = try required(key)
        guard let int = value.int else { throw mismatch(key, expected: "an integer", value) }
        return int
    }

    /// The number under `key` (float or integer) as a `Float`.
    /// - Throws: `EngineError.missingMetadata` or `.metadataTypeMismatch`.
    public func requiredFloat(_ key: String) throws -> Float {
        let value = try required(key)
        guard let float = value.float else { throw mismatch(key, expected: "a number", value) }
        return float
    }

    /// The string under `key`.
    /// - Throws: `EngineError.missingMetadata` or `.metadataTypeMismatch`.
    public func requiredString(_ key: String) throws -> String {
        let value = try required(key)
        guard let string = value.string else { throw mismatch(key, expected: "STRING", value) }
        return string
    }

    /// The string array under `key`.
    /// - Throws: `EngineError.missingMetadata` or `.metadataTypeMismatch`.
    public func requiredStrings(_ key: String) throws -> [String] {
        let value = try required(key)
        guard let strings = value.strings else { throw mismatch(key, expected: "ARRAY[STRING]", value) }
        return strings
    }

    /// The integer array under `key`, of any integer width.
    /// - Throws: `EngineError.missingMetadata` or `.metadataTypeMismatch`.
    public func requiredIntegers(_ key: String) throws -> [Int] {
        let value = try required(key)
        guard let ints = value.integers else { throw mismatch(key, expected: "an integer array", value) }
        return ints
    }

    /// The integer under `key`, or nil when absent.
    /// - Throws: `EngineError.metadataTypeMismatch` when present but not an integer.
    public func optionalInt(_ key: String) throws -> Int? {
        guard let value = values[key] else { return nil }
        guard let int = value.int else { throw mismatch(key, expected: "an integer", value) }
        return int
    }

    /// The number under `key` as a `Float`, or nil when absent.
    /// - Throws: `EngineError.metadataTypeMismatch` when present but not a number.
    public func optionalFloat(_ key: String) throws -> Float? {
        guard let value = values[key] else { return nil }
        guard let float = value.float else { throw mismatch(key, expected: "a number", value) }
        return float
    }

    private func mismatch(_ key: String, expected: String, _ value: GGUFValue) -> EngineError {
        .metadataTypeMismatch(path: path, key: key, expected: expected, found: value.typeName)
    }

    public static func == (lhs: GGUFMetadata, rhs: GGUFMetadata) -> Bool {
        lhs.keys == rhs.keys && lhs.values == rhs.values
    }
}
