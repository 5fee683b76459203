/// What a completion must look like, for engines that decode under constraints.
///
/// The prompt stays DSPy's; this describes the answer the adapter will parse:
/// the ordered output fields, each with its type, allowed choices and the
/// exact header text, plus the closing marker. An engine-backed model may
/// force the headers and restrict values (choices, numbers, Booleans, JSON
/// for structured types); a remote model ignores it.
///
/// For ``Style/chatHeaders`` a conforming completion is
/// `"[[ ## a ## ]]\n<a>\n\n[[ ## b ## ]]\n<b>\n\n[[ ## completed ## ]]"`; for
/// ``Style/jsonObject`` it is a JSON object with ``jsonSchema``; for
/// ``Style/xmlTags`` it is `"<a>\n<a>\n</a>\n\n<b>\n<b>\n</b>"` (XML-escaped values).
public struct OutputStructure: Sendable, Hashable, Codable {
    public enum Style: String, Sendable, Hashable, Codable {
        /// `[[ ## name ## ]]` sections (ChatAdapter).
        case chatHeaders
        /// One JSON object (JSONAdapter).
        case jsonObject
        /// `<name>` … `</name>` elements (XMLAdapter).
        case xmlTags
    }

    /// One output field.
    public struct Field: Sendable, Hashable, Codable {
        public var name: String
        public var type: FieldType
        /// The section header that opens the field (`[[ ## name ## ]]`), for ``Style/chatHeaders``.
        public var header: String
        /// For Literal (and Swift enum) types: the exact texts that parse, in order.
        public var choices: [String]?
        /// The field's JSON schema (pydantic's, as rendered in the prompt).
        public var jsonSchema: JSONValue
        /// Calibration offsets per choice (see ``FieldSpec/choiceOffsets``), when learned.
        public var choiceOffsets: [String: Double]?
    }

    public var style: Style
    public var fields: [Field]
    /// The text that ends a ChatAdapter completion (`[[ ## completed ## ]]`), `nil` for JSON.
    public var completionMarker: String?
    /// For ``Style/jsonObject``: the schema of the whole object (properties in order, all required).
    public var jsonSchema: JSONValue

    public init(style: Style, signature: SignatureSpec) {
        self.style = style
        self.fields = signature.outputs.map { f in
            var choices: [String]? = nil
            if case .literal(let values) = f.type { choices = values.map(\.pythonStr) }
            if case .bool = f.type { choices = ["True", "False"] }
            let header = style == .xmlTags ? "<\(f.name)>" : "[[ ## \(f.name) ## ]]"
            return Field(name: f.name, type: f.type, header: header, choices: choices,
                         jsonSchema: f.type.jsonSchema, choiceOffsets: f.choiceOffsets)
        }
        self.completionMarker = style == .chatHeaders ? "[[ ## completed ## ]]" : nil
        var properties = JSONObject()
        for f in fields { properties[f.name] = f.jsonSchema }
        self.jsonSchema = [
            "type": "object", "properties": .object(properties),
            "required": .array(fields.map { .string($0.name) }), "additionalProperties": false,
        ]
    }

    /// The text an engine should emit before the value of field `index`:
    /// the header (after a blank line for every field but the first) and a newline.
    /// For ``Style/jsonObject`` it is the key with its quote and colon.
    public func prefix(forFieldAt index: Int) -> String {
        let field = fields[index]
        switch style {
        case .chatHeaders: return (index == 0 ? "" : "\n\n") + field.header + "\n"
        case .jsonObject: return (index == 0 ? "{\n  " : ",\n  ") + JSONValue.pythonJSONString(field.name) + ": "
        case .xmlTags: return (index == 0 ? "" : "\n</\(fields[index - 1].name)>\n\n") + field.header + "\n"
        }
    }

    /// The text that closes a completion after the last value.
    public var terminator: String {
        switch style {
        case .chatHeaders: return "\n\n" + (completionMarker ?? "")
        case .jsonObject: return "\n}"
        case .xmlTags: return fields.last.map { "\n</\($0.name)>" } ?? ""
        }
    }

    /// The canonical completion for `values`: what a model that follows the
    /// format perfectly emits, and what the adapter parses back to `values`.
    public func render(_ values: JSONObject) -> String {
        var out = ""
        for (i, field) in fields.enumerated() {
            out += prefix(forFieldAt: i)
            let value = values[field.name] ?? .null
            switch style {
            case .chatHeaders: out += value.pythonStr
            case .jsonObject: out += value.pythonJSON()
            case .xmlTags:
                switch value {
                case .array, .object: out += value.pythonJSON()
                default: out += XMLElement.escape(value.pythonStr, attribute: false)
                }
            }
        }
        return out + terminator
    }
}

