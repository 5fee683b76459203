import Foundation

protocol _OptionalMarker { static var wrappedType: Any.Type { get } }
extension Optional: _OptionalMarker { static var wrappedType: Any.Type { Wrapped.self } }

protocol _ArrayMarker { static var elementType: Any.Type { get } }
extension Array: _ArrayMarker { static var elementType: Any.Type { Element.self } }

protocol _SetMarker { static var elementType: Any.Type { get } }
extension Set: _SetMarker { static var elementType: Any.Type { Element.self } }

protocol _DictionaryMarker { static var keyType: Any.Type { get }; static var valueType: Any.Type { get } }
extension Dictionary: _DictionaryMarker {
    static var keyType: Any.Type { Key.self }
    static var valueType: Any.Type { Value.self }
}

/// Types that describe their own DSPy field type (e.g. a Codable struct with a hand-written schema).
public protocol FieldTypeDescribing {
    static var fieldType: FieldType { get }
}

/// Maps Swift types to DSPy field types.
///
/// `String` → `str`, integers → `int`, `Double`/`Float` → `float`, `Bool` →
/// `bool`, arrays → `list[T]`, `[String: T]` → `dict[str, T]`, optionals →
/// `Optional[T]`, a `String`- or `Int`-backed `CaseIterable` enum → a
/// `Literal` of its raw values, ``JSONValue`` → `Any`, and any other
/// `Decodable` type → a structured type whose JSON schema is derived by
/// ``SchemaSniffer``.
enum SwiftTypeMapping {
    static func fieldType(for type: Any.Type) throws -> FieldType {
        if let describing = type as? any FieldTypeDescribing.Type { return describing.fieldType }
        switch type {
        case is String.Type, is Substring.Type, is Character.Type: return .string
        case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type,
            is UInt.Type, is UInt8.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type: return .int
        case is Double.Type, is Float.Type: return .float
        case is Bool.Type: return .bool
        case is JSONValue.Type: return .any
        default: break
        }
        if let optional = type as? any _OptionalMarker.Type { return .optional(try fieldType(for: optional.wrappedType)) }
        if let array = type as? any _ArrayMarker.Type { return .list(try fieldType(for: array.elementType)) }
        if let set = type as? any _SetMarker.Type { return .list(try fieldType(for: set.elementType)) }
        if let dict = type as? any _DictionaryMarker.Type {
            return .dict(key: try fieldType(for: dict.keyType), value: try fieldType(for: dict.valueType))
        }
        if let cases = type as? any CaseIterable.Type {
            var values: [JSONValue] = []
            for c in cases.allCases as any Collection {
                guard let raw = c as? any RawRepresentable else { break }
                if let s = raw.rawValue as? String { values.append(.string(s)) } else if let i = raw.rawValue as? Int { values.append(.int(i)) }
            }
            if !values.isEmpty { return .literal(values) }
        }
        if let decodable = type as? any Decodable.Type {
            return .object(name: String(describing: type), schema: SchemaSniffer.schema(for: decodable))
        }
        throw DSPyError.unknownType(String(describing: type))
    }

    /// Encodes a Swift value as a ``JSONValue`` shaped for `type` (Doubles stay floats).
    static func encode(_ value: any Encodable, as type: FieldType) throws -> JSONValue {
        if let j = value as? JSONValue { return j }
        let encoder = JSONEncoder()
        let data = try encoder.encode(value)
        let parsed = try JSONValue.parse(String(decoding: data, as: UTF8.self))
        return FieldValueFormatting.coerced(parsed, to: type)
    }
}
