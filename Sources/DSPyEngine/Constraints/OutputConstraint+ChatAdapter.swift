/// An output field of a ChatAdapter completion: its name and what its value may be.
public struct ConstrainedField: Sendable, Equatable {
    /// The field name as it appears in `[[ ## name ## ]]`.
    public var name: String
    /// The shape of the value.
    public var kind: Kind

    /// The shape of a field value, by the field's declared type.
    public enum Kind: Sendable, Equatable {
        /// `str`: free text up to the next header (no line may start the next header).
        case text
        /// `Literal[...]` or an `Enum`: exactly one of the values.
        case choice([String])
        /// `int`.
        case integer
        /// `float`.
        case number
        /// `bool`: True, False, true or false.
        case boolean
        /// `list`, `dict`, a `Codable` struct: compact JSON of the schema.
        case json(JSONSchema)
    }

    /// A field `name` whose value has shape `kind`.
    public init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }
}

extension OutputConstraint {
    /// The terminator of a free-text value in a ChatAdapter completion: the start of
    /// the next `\n\n[[ ## name ## ]]` header.
    public static let chatAdapterTextTerminator = "\n\n[["

    /// The automaton of a DSPy ChatAdapter completion for these output fields, in order.
    ///
    /// The completion is what DSPy 3.4's ChatAdapter writes in its demo assistant
    /// turns (reference §2.1), without the final newline:
    ///
    ///     [[ ## a ## ]]\n{a}\n\n[[ ## b ## ]]\n{b}\n\n[[ ## completed ## ]]
    ///
    /// Headers are forced; each value is constrained by its kind; a text value ends
    /// when the model starts the next header (`"\n\n[["`, after which the rest of the
    /// header is forced) or after `maxTextBytes` bytes. DSPy's `ChatAdapter.parse`
    /// reads every completion this automaton allows: it strips each section, so the
    /// values parse as written.
    ///
    /// - Parameters:
    ///   - fields: the signature's output fields, in declaration order.
    ///   - vocabulary: the model's vocabulary.
    ///   - maxTextBytes: the longest text value, in bytes.
    /// - Throws: ``ConstraintError`` when a field cannot be compiled or tokenized.
    public static func chatAdapterCompletion(
        fields: [ConstrainedField], vocabulary: ConstraintVocabulary, maxTextBytes: Int = 2048
    ) throws -> OutputConstraint {
        try OutputConstraint(
            segments: chatAdapterSegments(fields: fields, maxTextBytes: maxTextBytes), vocabulary: vocabulary)
    }

    /// The segments of ``chatAdapterCompletion(fields:vocabulary:maxTextBytes:)``.
    public static func chatAdapterSegments(fields: [ConstrainedField], maxTextBytes: Int = 2048)
        -> [ConstraintSegment]
    {
        var segments: [ConstraintSegment] = []
        for (i, field) in fields.enumerated() {
            segments.append(.literal((i == 0 ? "" : "\n\n") + "[[ ## \(field.name) ## ]]\n"))
            switch field.kind {
            case .text: segments.append(.freeText(until: chatAdapterTextTerminator, maxBytes: maxTextBytes))
            case .choice(let values): segments.append(.choice(values))
            case .integer: segments.append(.integer)
            case .number: segments.append(.number)
            case .boolean: segments.append(.boolean)
            case .json(let schema): segments.append(.json(schema))
            }
        }
        segments.append(.literal((fields.isEmpty ? "" : "\n\n") + "[[ ## completed ## ]]"))
        return segments
    }
}
