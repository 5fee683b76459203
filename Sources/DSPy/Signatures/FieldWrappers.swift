/// Marks a stored property of a ``Signature`` as an input field.
///
/// Give it a default value to get a memberwise initialiser that takes the
/// plain value (`Sentiment(text: "…")`), and a `desc:` to describe it to the
/// model:
///
/// ```swift
/// @Input(desc: "may contain relevant facts") var context: [String] = []
/// @Input var question: String = ""
/// ```
@propertyWrapper
public struct Input<Value: Codable & Sendable>: Codable, Sendable {
    var storage: Value?
    /// The description shown to the model (DSPy's `desc`).
    public let desc: String?
    /// Constraints in English, shown on a `Constraints:` line.
    public let constraints: String?

    public init(desc: String? = nil, constraints: String? = nil) {
        self.storage = nil
        self.desc = desc
        self.constraints = constraints
    }

    public init(wrappedValue: Value, desc: String? = nil, constraints: String? = nil) {
        self.storage = wrappedValue
        self.desc = desc
        self.constraints = constraints
    }

    /// The value. Reading an input that was never set is a programming error.
    public var wrappedValue: Value {
        get {
            guard let storage else { preconditionFailure("Input of type \(Value.self) read before it was set") }
            return storage
        }
        set { storage = newValue }
    }

    public init(from decoder: any Decoder) throws {
        storage = try decoder.singleValueContainer().decode(Value.self)
        desc = nil
        constraints = nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(storage)
    }
}

/// Marks a stored property of a ``Signature`` as an output field.
///
/// ```swift
/// @Output(desc: "positive or negative") var sentiment: Polarity
/// ```
/// Outputs are filled by the module; reading one before that is a programming error.
@propertyWrapper
public struct Output<Value: Codable & Sendable>: Codable, Sendable {
    var storage: Value?
    public let desc: String?
    public let constraints: String?

    public init(desc: String? = nil, constraints: String? = nil) {
        self.storage = nil
        self.desc = desc
        self.constraints = constraints
    }

    public init(wrappedValue: Value, desc: String? = nil, constraints: String? = nil) {
        self.storage = wrappedValue
        self.desc = desc
        self.constraints = constraints
    }

    public var wrappedValue: Value {
        get {
            guard let storage else { preconditionFailure("Output of type \(Value.self) read before it was produced") }
            return storage
        }
        set { storage = newValue }
    }

    public init(from decoder: any Decoder) throws {
        storage = try decoder.singleValueContainer().decode(Value.self)
        desc = nil
        constraints = nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(storage)
    }
}

/// What reflection needs from either wrapper.
protocol SignatureFieldWrapper {
    var fieldKind: FieldKind { get }
    var fieldDesc: String? { get }
    var fieldConstraints: String? { get }
    var anyValue: (any Encodable)? { get }
    static var valueType: Any.Type { get }
}

extension Input: SignatureFieldWrapper {
    var fieldKind: FieldKind { .input }
    var fieldDesc: String? { desc }
    var fieldConstraints: String? { constraints }
    var anyValue: (any Encodable)? { storage }
    static var valueType: Any.Type { Value.self }
}

extension Output: SignatureFieldWrapper {
    var fieldKind: FieldKind { .output }
    var fieldDesc: String? { desc }
    var fieldConstraints: String? { constraints }
    var anyValue: (any Encodable)? { storage }
    static var valueType: Any.Type { Value.self }
}
