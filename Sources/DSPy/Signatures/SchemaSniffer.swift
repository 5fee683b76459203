/// Derives a JSON schema for a `Decodable` type by decoding it from a recording decoder.
///
/// The type's own `init(from:)` reveals its keys and their types, in order;
/// `decodeIfPresent` marks a key optional. The result has pydantic's shape
/// (`properties` with titles, `required`, `title`), with nested types inlined
/// rather than put under `$defs`. Types whose decoding depends on the data
/// (custom logic, enums with associated values) get `{"type": "object"}`.
enum SchemaSniffer {
    static func schema(for type: any Decodable.Type) -> JSONValue {
        let recorder = Recorder()
        do { _ = try type.init(from: SniffDecoder(recorder: recorder)) } catch {
            if recorder.properties.isEmpty { return ["type": "object", "title": .string(String(describing: type))] }
        }
        var properties = JSONObject()
        for (key, schema) in recorder.properties {
            var s = schema.objectValue ?? JSONObject()
            s["title"] = .string(title(key))
            properties[key] = .object(s)
        }
        return FieldType.typeFirst([
            "type": "object", "properties": .object(properties),
            "required": .array(recorder.required.map(JSONValue.string)), "title": .string(String(describing: type)),
        ])
    }

    static func title(_ key: String) -> String {
        key.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: " ")
    }

    final class Recorder {
        var properties: [(String, JSONValue)] = []
        var required: [String] = []
    }

    /// A stand-in value of `type` for the decoding to go on: a `CaseIterable`
    /// type's first case (its own decoder would reject the empty raw value the
    /// sniffing decoder hands it), else whatever `type` decodes from nothing.
    static func dummy<T: Decodable>(_ type: T.Type) throws -> T {
        if let cases = T.self as? any CaseIterable.Type, let first = firstCase(of: cases) as? T {
            return first
        }
        return try T(from: SniffDecoder(recorder: nil))
    }

    /// The first of `allCases` (opening the existential `any CaseIterable.Type`).
    private static func firstCase<C: CaseIterable>(of type: C.Type) -> Any? {
        C.allCases.first
    }

    static func fieldSchema(_ type: Any.Type) -> JSONValue {
        (try? SwiftTypeMapping.fieldType(for: type))?.jsonSchema ?? .object(JSONObject())
    }

    struct SniffDecoder: Decoder {
        let recorder: Recorder?
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] = [:]
        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            KeyedDecodingContainer(Keyed<Key>(recorder: recorder))
        }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { Unkeyed() }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { Single() }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let recorder: Recorder?
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { [] }
        func contains(_ key: Key) -> Bool { true }
        func decodeNil(forKey key: Key) throws -> Bool { false }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            recorder?.properties.append((key.stringValue, SchemaSniffer.fieldSchema(T.self)))
            recorder?.required.append(key.stringValue)
            return try SchemaSniffer.dummy(T.self)
        }
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try sniffOptional(T.self, key) }
        func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try sniffOptional(Bool.self, key) }
        func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try sniffOptional(String.self, key) }
        func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try sniffOptional(Double.self, key) }
        func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try sniffOptional(Float.self, key) }
        func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try sniffOptional(Int.self, key) }
        func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try sniffOptional(Int8.self, key) }
        func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try sniffOptional(Int16.self, key) }
        func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try sniffOptional(Int32.self, key) }
        func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try sniffOptional(Int64.self, key) }
        func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try sniffOptional(UInt.self, key) }
        func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try sniffOptional(UInt8.self, key) }
        func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try sniffOptional(UInt16.self, key) }
        func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try sniffOptional(UInt32.self, key) }
        func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try sniffOptional(UInt64.self, key) }
        private func sniffOptional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
            // pydantic: `x: Optional[T] = None` -> anyOf [T, null] with "default": null, not required.
            var schema = FieldType.optional((try? SwiftTypeMapping.fieldType(for: T.self)) ?? .any).jsonSchema.objectValue ?? JSONObject()
            schema["default"] = .null
            recorder?.properties.append((key.stringValue, .object(schema)))
            return nil
        }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey> { KeyedDecodingContainer(Keyed<NestedKey>(recorder: nil)) }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { Unkeyed() }
        func superDecoder() throws -> any Decoder { SniffDecoder(recorder: nil) }
        func superDecoder(forKey key: Key) throws -> any Decoder { SniffDecoder(recorder: nil) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        var codingPath: [any CodingKey] = []
        var count: Int? { 0 }
        var isAtEnd: Bool { true }
        var currentIndex: Int { 0 }
        mutating func decodeNil() throws -> Bool { true }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: [], debugDescription: "schema sniffing"))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
            -> KeyedDecodingContainer<NestedKey> { KeyedDecodingContainer(Keyed<NestedKey>(recorder: nil)) }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { Unkeyed() }
        mutating func superDecoder() throws -> any Decoder { SniffDecoder(recorder: nil) }
    }

    struct Single: SingleValueDecodingContainer {
        var codingPath: [any CodingKey] = []
        func decodeNil() -> Bool { false }
        func decode(_ type: Bool.Type) throws -> Bool { false }
        func decode(_ type: String.Type) throws -> String { "" }
        func decode(_ type: Double.Type) throws -> Double { 0 }
        func decode(_ type: Float.Type) throws -> Float { 0 }
        func decode(_ type: Int.Type) throws -> Int { 0 }
        func decode(_ type: Int8.Type) throws -> Int8 { 0 }
        func decode(_ type: Int16.Type) throws -> Int16 { 0 }
        func decode(_ type: Int32.Type) throws -> Int32 { 0 }
        func decode(_ type: Int64.Type) throws -> Int64 { 0 }
        func decode(_ type: UInt.Type) throws -> UInt { 0 }
        func decode(_ type: UInt8.Type) throws -> UInt8 { 0 }
        func decode(_ type: UInt16.Type) throws -> UInt16 { 0 }
        func decode(_ type: UInt32.Type) throws -> UInt32 { 0 }
        func decode(_ type: UInt64.Type) throws -> UInt64 { 0 }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try SchemaSniffer.dummy(T.self) }
    }
}
