/// One piece of a constrained output, matched in order by an ``OutputConstraint``.
///
/// Literals are forced as the tokenizer's canonical encoding of the whole string.
/// *Token-level* segments — ``choice(_:)`` and ``boolean`` — are emitted only as the
/// canonical tokenizations of their values: at each step only the next token of a
/// value still possible is allowed, and once one value remains the rest is forced.
/// *Byte-level* segments — ``integer``, ``number``, ``freeText(until:maxBytes:)`` and
/// ``json(_:)`` — allow any token whose bytes keep the text inside the pattern, and a
/// token may run from the end of such a value into the literal that follows (e.g.
/// `"42"` then `"\n\n[[ ## b ## ]]\n"`); the rest of the literal is then forced.
///
/// Byte-level segments are matched greedily: a byte that can continue the current
/// value is never taken as the start of the next segment.
public enum ConstraintSegment: Sendable, Equatable {
    /// Exactly this text, forced as its canonical tokenization.
    case literal(String)
    /// Exactly one of these values (non-empty, distinct), each emitted as its
    /// canonical tokenization. Use it for `Literal[...]` and `Enum` outputs.
    case choice([String])
    /// A signed decimal integer as DSPy parses an `int` field: `-?(0|[1-9][0-9]*)`,
    /// at most 18 digits so it always fits an `Int64`.
    case integer
    /// A decimal number as DSPy (Python `float`, JSON) parses a `float` field:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, at most 16 digits before and
    /// 16 after the point and 2 in the exponent (so the value is
    /// always finite: `JSONSerialization` rejects `1e400`).
    case number
    /// One of `True`, `False`, `true`, `false` — the spellings DSPy's bool parsing
    /// accepts and its prompts show (`must be True or False`).
    case boolean
    /// Any non-empty text that does not contain `terminator`, starting with a non-whitespace
    /// character other than the terminator's first, at most `maxBytes` bytes of valid UTF-8, with no control
    /// characters other than tab and newline (no CR), and no line starting with `[[`
    /// (after optional blanks: DSPy would read a header there). The segment ends when the
    /// terminator has been produced; the terminator then counts as the start of the
    /// next segment, which must be a literal that begins with it (if not, a literal
    /// equal to the terminator is inserted). Once `maxBytes` is reached, only the
    /// terminator is allowed.
    case freeText(until: String, maxBytes: Int)
    /// A JSON value of the schema, in compact `json.dumps` layout (`", "` and `": "`
    /// separators, no other whitespace), so it parses with `JSONSerialization` and
    /// with DSPy's `json_repair`.
    case json(JSONSchema)
}

/// The JSON-schema subset that ``ConstraintSegment/json(_:)`` can enforce.
///
/// Objects have all their properties required, in the declared order (DSPy renders
/// pydantic models in field order); free-form objects are ``dictionary(of:maxEntries:)``.
/// Arrays and dictionaries have an upper bound on their length so a looping model
/// still ends. ``init(jsonSchema:)`` reads the JSON schema DSPy puts in its prompts.
public indirect enum JSONSchema: Sendable, Equatable {
    /// A JSON string of at most `maxLength` characters of content (escapes counted
    /// as one); `\u` escapes for surrogates are not allowed.
    case string(maxLength: Int)
    /// A JSON integer (same pattern as ``ConstraintSegment/integer``).
    case integer
    /// A JSON number (same pattern as ``ConstraintSegment/number``).
    case number
    /// `true` or `false`.
    case boolean
    /// One of these strings, JSON-quoted (at most 64 values).
    case enumeration([String])
    /// An array of at most `maxItems` items.
    case array(of: JSONSchema, maxItems: Int)
    /// An object with exactly these properties, in this order.
    case object([JSONProperty])
    /// `null` or a value of the wrapped schema.
    case nullable(JSONSchema)
    /// An object with free string keys (at most 100 characters) and values of one
    /// schema, at most `maxEntries` entries: `dict[str, T]`.
    case dictionary(of: JSONSchema, maxEntries: Int)
    /// A value of one of these schemas, which must start with different characters
    /// (a string, a number, a boolean, an array, an object: `int | str`). Two
    /// alternatives that can start alike (two string kinds) are rejected.
    case oneOf([JSONSchema])

    /// A string of at most 1,000 characters.
    public static var string: JSONSchema { .string(maxLength: 1000) }

    /// Any JSON value nested at most `depth` arrays or objects deep: `Any`, and with
    /// ``dictionary(of:maxEntries:)`` `dict[str, Any]` (DSPy's ReAct tool arguments).
    public static func any(depth: Int = 2) -> JSONSchema {
        var alternatives: [JSONSchema] = [.string, .number, .boolean]
        if depth > 0 {
            alternatives += [.array(of: any(depth: depth - 1)), .dictionary(of: any(depth: depth - 1))]
        }
        return .nullable(.oneOf(alternatives))
    }

    /// A dictionary of at most 32 entries.
    public static func dictionary(of value: JSONSchema) -> JSONSchema {
        .dictionary(of: value, maxEntries: 32)
    }

    /// An array of at most 64 items.
    public static func array(of item: JSONSchema) -> JSONSchema {
        .array(of: item, maxItems: 64)
    }
}

/// A named property of a ``JSONSchema/object(_:)`` schema.
public struct JSONProperty: Sendable, Equatable {
    /// The key, written JSON-escaped.
    public var name: String
    /// The schema of the value.
    public var schema: JSONSchema

    /// A property `name` whose value follows `schema`.
    public init(_ name: String, _ schema: JSONSchema) {
        self.name = name
        self.schema = schema
    }
}
