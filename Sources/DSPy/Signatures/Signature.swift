import Foundation

/// A typed signature: a struct whose `@Input`/`@Output` properties are the fields.
///
/// Fields are discovered by reflection (`Mirror`) in declaration order, the
/// way swift-argument-parser discovers options; no macros. Field types map to
/// DSPy types (see ``FieldType``): a `String`-backed `CaseIterable` enum
/// becomes a `Literal`, a `Codable` struct a JSON-schema'd output.
///
/// ```swift
/// enum Polarity: String, CaseIterable, Codable { case positive, negative }
///
/// struct Sentiment: Signature {
///     static let instructions = "Classify the sentiment of a short text."
///     @Input var text: String = ""
///     @Output(desc: "positive or negative") var sentiment: Polarity
/// }
///
/// let classify = Predict(Sentiment.self)
/// let result = try await classify(Sentiment(text: "what a lovely day"))
/// result.sentiment // Polarity.positive
/// ```
///
/// Misuse — no output, a stored property without a wrapper, an unsupported
/// type — is reported by ``signatureSpec()`` (and by the first call of a
/// module built from it) as ``DSPyError/invalidDeclaration(type:message:)``.
public protocol Signature: Codable, Sendable {
    /// An empty instance (all inputs unset or at their defaults); synthesised when every field has a default.
    init()
    /// The task description; empty means DSPy's default instructions.
    static var instructions: String { get }
}

extension Signature {
    public static var instructions: String { "" }

    /// The dynamic signature this type declares.
    public static func signatureSpec() throws -> SignatureSpec {
        let typeName = String(describing: Self.self)
        var inputs: [FieldSpec] = [], outputs: [FieldSpec] = []
        for (name, wrapper) in try reflectFields(Self()) {
            let type: FieldType
            do { type = try SwiftTypeMapping.fieldType(for: Swift.type(of: wrapper).valueType) } catch {
                throw DSPyError.invalidDeclaration(
                    type: typeName, message: "field `\(name)` has an unsupported type \(Swift.type(of: wrapper).valueType)")
            }
            var field = FieldSpec(name: name, kind: wrapper.fieldKind, type: type, description: wrapper.fieldDesc,
                                  constraints: wrapper.fieldConstraints)
            if let value = wrapper.anyValue { field.defaultValue = try? SwiftTypeMapping.encode(value, as: type) }
            if wrapper.fieldKind == .input { inputs.append(field) } else { outputs.append(field) }
        }
        guard !outputs.isEmpty else {
            throw DSPyError.invalidDeclaration(type: typeName, message: "it declares no @Output field")
        }
        do {
            return try SignatureSpec(inputs: inputs, outputs: outputs, instructions: instructions, name: typeName)
        } catch let error as DSPyError {
            throw DSPyError.invalidDeclaration(type: typeName, message: error.description)
        }
    }

    /// The input values of this instance, by field name; unset inputs are left out.
    public func inputValues() throws -> JSONObject {
        var object = JSONObject()
        for (name, wrapper) in try Self.reflectFields(self) where wrapper.fieldKind == .input {
            guard let value = wrapper.anyValue else { continue }
            let type = try SwiftTypeMapping.fieldType(for: Swift.type(of: wrapper).valueType)
            object[name] = try SwiftTypeMapping.encode(value, as: type)
        }
        return object
    }

    /// An instance with `values` (inputs and outputs by name) decoded into its fields.
    public static func decode(from values: JSONObject) throws -> Self {
        var object = JSONObject()
        for (name, _) in try reflectFields(Self()) { object[name] = values[name] ?? .null }
        do {
            return try JSONDecoder().decode(Self.self, from: Data(JSONValue.object(object).pythonJSON().utf8))
        } catch {
            throw DSPyError.conversion(field: String(describing: Self.self), message: "\(error)")
        }
    }

    static func reflectFields(_ instance: Self) throws -> [(String, any SignatureFieldWrapper)] {
        var result: [(String, any SignatureFieldWrapper)] = []
        for child in Mirror(reflecting: instance).children {
            guard let label = child.label else { continue }
            guard let wrapper = child.value as? any SignatureFieldWrapper, label.hasPrefix("_") else {
                throw DSPyError.invalidDeclaration(
                    type: String(describing: Self.self),
                    message: "stored property `\(label)` is not declared with @Input or @Output")
            }
            result.append((String(label.dropFirst()), wrapper))
        }
        return result
    }
}
