import Foundation

/// Whether a field is given to the model or produced by it.
public enum FieldKind: String, Sendable, Hashable, Codable {
    case input
    case output
}

/// One field of a signature: name, kind, type and the metadata DSPy keeps in
/// `json_schema_extra` (description, prefix, constraints).
public struct FieldSpec: Sendable, Hashable {
    public var name: String
    public var kind: FieldKind
    public var type: FieldType
    /// The description; DSPy's default is the literal `"${name}"`, which prompts leave out.
    public var description: String
    /// The prefix (`"Question:"`); stored and saved, never rendered by the 3.x adapters.
    public var prefix: String
    /// Constraints in English (`"greater than or equal to: 0"`), rendered on a `Constraints:` line.
    public var constraints: String?
    /// The value used when an input is not supplied, or when an optional output is omitted.
    public var defaultValue: JSONValue?
    /// True when the string signature gave no annotation (the type defaulted to `str`).
    public var isTypeUndefined: Bool
    /// For choice outputs (Literal, enum, bool): a per-choice offset subtracted from the
    /// choice's log-probability when an engine scores the choices (calibrated choice scoring).
    /// Learned at compile time and saved with the predictor; DSPy ignores it on load.
    public var choiceOffsets: [String: Double]?

    public init(
        name: String, kind: FieldKind, type: FieldType = .string, description: String? = nil,
        prefix: String? = nil, constraints: String? = nil, defaultValue: JSONValue? = nil,
        isTypeUndefined: Bool = false
    ) {
        self.name = name
        self.kind = kind
        self.type = type
        self.description = description ?? "${\(name)}"
        self.prefix = prefix ?? (FieldSpec.inferPrefix(name) + ":")
        self.constraints = constraints
        self.defaultValue = defaultValue
        self.isTypeUndefined = isTypeUndefined
    }

    /// An input field.
    public static func input(_ name: String, _ type: FieldType = .string, desc: String? = nil) -> FieldSpec {
        FieldSpec(name: name, kind: .input, type: type, description: desc)
    }

    /// An output field.
    public static func output(_ name: String, _ type: FieldType = .string, desc: String? = nil) -> FieldSpec {
        FieldSpec(name: name, kind: .output, type: type, description: desc)
    }

    /// The description as prompts show it: empty when it is the `${name}` default.
    var renderedDescription: String { description == "${\(name)}" ? "" : description }

    /// Whether the output may be missing from a completion (it has a default or allows `None`).
    var isOptionalOutput: Bool { defaultValue != nil || type.allowsNull }

    /// DSPy's `infer_prefix`: `someAttributeName42IsCool` → `Some Attribute Name 42 Is Cool`.
    public static func inferPrefix(_ name: String) -> String {
        func sub(_ pattern: String, _ template: String, _ s: String) -> String {
            guard let re = try? NSRegularExpression(pattern: pattern) else { return s }
            return re.stringByReplacingMatches(
                in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
        }
        var s = sub("(.)([A-Z][a-z]+)", "$1_$2", name)
        s = sub("([a-z0-9])([A-Z])", "$1_$2", s)
        s = sub("([a-zA-Z])(\\d)", "$1_$2", s)
        s = sub("(\\d)([a-zA-Z])", "$1_$2", s)
        let words = s.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        return words.map { word -> String in
            let cased = word.filter { $0.isUppercase || $0.isLowercase }
            if !cased.isEmpty && cased.allSatisfy(\.isUppercase) { return word }
            guard let first = word.first else { return word }
            return first.uppercased() + word.dropFirst().lowercased()
        }.joined(separator: " ")
    }
}
