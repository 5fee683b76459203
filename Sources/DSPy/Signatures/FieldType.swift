/// The type of a signature field, in DSPy's (Python's) terms.
///
/// It decides three things: the name shown in prompts (`list[str]`,
/// `Literal['a', 'b']`, `Union[int, NoneType]`), the output note that tells
/// the model what to produce, and how a completion is parsed back
/// (`validate(_:)`).
public indirect enum FieldType: Sendable, Hashable {
    case string
    case int
    case float
    case bool
    /// `typing.Any`.
    case any
    case list(FieldType)
    case dict(key: FieldType, value: FieldType)
    /// `Literal[...]` of strings, integers or Booleans.
    case literal([JSONValue])
    /// `Optional[T]`, rendered `Union[T, NoneType]`.
    case optional(FieldType)
    /// A union of several types (rarely useful; parsed by trying each).
    case union([FieldType])
    /// A structured (Codable) type with its JSON schema, shown by name.
    case object(name: String, schema: JSONValue)
    /// DSPy's `History`: earlier turns, rendered as user/assistant messages rather than as a field.
    case history

    /// The annotation name DSPy shows (`get_annotation_name`).
    public var pythonName: String {
        switch self {
        case .string: return "str"
        case .int: return "int"
        case .float: return "float"
        case .bool: return "bool"
        case .any: return "Any"
        case .list(let t): return "list[\(t.pythonName)]"
        case .dict(let k, let v): return "dict[\(k.pythonName), \(v.pythonName)]"
        case .literal(let values):
            return "Literal[" + values.map { v in
                if case .string(let s) = v { return FieldType.quotedLiteral(s) }
                return v.pythonStr
            }.joined(separator: ", ") + "]"
        case .optional(let t): return "Union[\(t.pythonName), NoneType]"
        case .union(let ts): return "Union[" + ts.map(\.pythonName).joined(separator: ", ") + "]"
        case .object(let name, _): return name
        case .history: return "History"
        }
    }

    /// DSPy's `_quoted_string_for_literal_type_annotation`.
    static func quotedLiteral(_ s: String) -> String {
        let single = s.contains("'"), double = s.contains("\"")
        if single && !double { return "\"\(s)\"" }
        if single && double { return "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'" }
        return "'\(s)'"
    }

    /// Pydantic's JSON schema for the type, keys ordered as DSPy shows them
    /// (`"type"` first, the rest sorted).
    public var jsonSchema: JSONValue {
        FieldType.typeFirst(rawSchema)
    }

    private var rawSchema: JSONValue {
        switch self {
        case .string: return ["type": "string"]
        case .int: return ["type": "integer"]
        case .float: return ["type": "number"]
        case .bool: return ["type": "boolean"]
        case .any: return .object(JSONObject())
        case .list(let t): return ["items": t.rawSchema, "type": "array"]
        case .dict(_, let v):
            if case .any = v { return ["additionalProperties": true, "type": "object"] }
            return ["additionalProperties": v.rawSchema, "type": "object"]
        case .literal(let values):
            var schema = JSONObject()
            if values.count == 1 { schema["const"] = values[0] } else { schema["enum"] = .array(values) }
            let kinds = Set(values.map { v -> String in
                switch v {
                case .string: return "string"
                case .bool: return "boolean"
                case .int: return "integer"
                default: return "null"
                }
            })
            if kinds.count == 1, let kind = kinds.first { schema["type"] = .string(kind) }
            return .object(schema)
        case .optional(let t): return ["anyOf": [t.rawSchema, ["type": "null"]]]
        case .union(let ts): return ["anyOf": .array(ts.map(\.rawSchema))]
        case .object(_, let schema): return schema
        case .history:
            return ["properties": ["messages": ["items": ["additionalProperties": true, "type": "object"], "title": "Messages", "type": "array"]],
                    "required": ["messages"], "title": "History", "type": "object"]
        }
    }

    static func typeFirst(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let o):
            let keys = o.keys.sorted { a, b in
                if (a == "type") != (b == "type") { return a == "type" }
                return a < b
            }
            return .object(JSONObject(keys.map { ($0, typeFirst(o[$0]!)) }))
        case .array(let a): return .array(a.map(typeFirst))
        default: return value
        }
    }

    /// The note appended to an output placeholder (`translate_field_type`), or
    /// `""` for types that get none (`str`).
    var outputNote: String {
        let desc: String
        switch self {
        case .string: return ""
        case .bool: desc = "must be True or False"
        case .int: desc = "must be a single int value"
        case .float: desc = "must be a single float value"
        case .literal(let values):
            desc = "must exactly match (no extra characters) one of: "
                + values.map(\.pythonStr).joined(separator: "; ")
        default: desc = "must adhere to the JSON schema: \(jsonSchema.pythonJSON())"
        }
        return String(repeating: " ", count: 8) + "# note: the value you produce \(desc)"
    }

    /// Whether `None` is an acceptable value (optional outputs may be omitted).
    public var allowsNull: Bool {
        switch self {
        case .optional, .any: return true
        case .union(let ts): return ts.contains { $0.allowsNull }
        case .literal(let vs): return vs.contains(.null)
        default: return false
        }
    }
}
