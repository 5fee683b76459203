import Foundation

/// A JSON value, used for the small structured fields of the store
/// (sampling parameters, parsed output fields, run summaries).
///
/// Integers and floating-point numbers are kept apart so that `max_tokens: 64`
/// round-trips as `64`, not `64.0`; but JSON has one number type, so equality
/// compares numbers by value (`.int(0) == .double(0.0)`), as a JSON round trip
/// may turn `0.0` into `0`.
///
/// Not the `DSPy` library's `JSONValue`: the store does not depend on `DSPy`, and
/// a distinct name lets a module import both without qualifying either.
public enum StoredJSON: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([StoredJSON])
    case object([String: StoredJSON])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([StoredJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: StoredJSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public static func == (lhs: StoredJSON, rhs: StoredJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.int, .double), (.double, .int), (.double, .double): lhs.doubleValue == rhs.doubleValue
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(value)
        case .int, .double: hasher.combine(doubleValue)
        case .string(let value): hasher.combine(value)
        case .array(let value): hasher.combine(value)
        case .object(let value): hasher.combine(value)
        }
    }

    /// The number, if this is `.int` or `.double`.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The string, if this is `.string`.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// Compact JSON text with sorted keys and unescaped slashes.
    public var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Converts any `Encodable` value (for instance another module's JSON type,
    /// or a parameters struct) by encoding it to JSON and decoding that.
    ///
    /// - Throws: ``StoreError/invalidJSON(field:detail:)`` if it does not encode to JSON.
    public init(encoding value: some Encodable, field: String = "value") throws {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw StoreError.invalidJSON(field: field, detail: String(describing: error))
        }
        self = try Self.parse(String(decoding: data, as: UTF8.self), field: field)
    }

    /// The members, if this is `.object`.
    public var objectValue: [String: StoredJSON]? {
        if case .object(let value) = self { value } else { nil }
    }

    /// Parses JSON text.
    ///
    /// - Throws: ``StoreError/invalidJSON(field:detail:)`` naming `field`.
    public static func parse(_ text: String, field: String = "value") throws -> StoredJSON {
        do {
            return try JSONDecoder().decode(StoredJSON.self, from: Data(text.utf8))
        } catch {
            throw StoreError.invalidJSON(field: field, detail: String(describing: error))
        }
    }
}

extension StoredJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: StoredJSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, StoredJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
