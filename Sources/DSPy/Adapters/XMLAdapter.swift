/// DSPy's XML adapter: every field wrapped in `<name>…</name>` tags.
///
/// Renders byte for byte what DSPy 3.4.1's `XMLAdapter.format` renders
/// (golden-tested against DSPy itself). It is ChatAdapter's layout with XML
/// sections: the same field descriptions and task description; the structure
/// shows `<name>\n{name}\n</name>` placeholders, and for list, dict and
/// struct outputs a nested skeleton (`<tags><item>...</item></tags>`); demo
/// answers write structured outputs as nested XML (`<item>`, `<entry key=…>`)
/// and escape `&` and `<` in `str` outputs; there is no completed marker. The
/// final user turn ends with "Respond with the corresponding output fields
/// wrapped in XML tags `<a>`, then `<b>`." plus the nested structure when any
/// output is nested.
///
/// Parsing (``parse(_:completion:)``) reads the completion as XML inside a
/// root element, as DSPy does with ElementTree; a malformed completion throws
/// expat's message, and like ChatAdapter the caller then retries through
/// ``JSONAdapter`` (``fallback``), which costs one more LM call.
public struct XMLAdapter: Adapter {
    /// Whether a parse failure retries the call through ``JSONAdapter`` (DSPy's default: true).
    public var useJSONAdapterFallback: Bool

    public init(useJSONAdapterFallback: Bool = true) {
        self.useJSONAdapterFallback = useJSONAdapterFallback
    }

    public var name: String { "XMLAdapter" }

    public var fallback: (any Adapter)? { useJSONAdapterFallback ? JSONAdapter() : nil }

    public func format(_ signature: SignatureSpec, demos: [Example], inputs: JSONObject) -> [ChatMessage] {
        AdapterText.messages(
            signature, demos: demos, inputs: inputs, system: systemMessage(signature),
            user: { sig, values, prefix, main in userMessageContent(sig, inputs: values, prefix: prefix, mainRequest: main) },
            assistant: { sig, values, missing in
                let pairs = sig.outputs.map { f in (f, values[f.name] ?? missing.map(JSONValue.string) ?? .null) }
                return fieldsWithValues(pairs)
            })
    }

    /// The system message alone (field descriptions, XML structure, task description).
    public func systemMessage(_ signature: SignatureSpec) -> String {
        AdapterText.fieldDescription(signature) + "\n" + fieldStructure(signature) + "\n"
            + AdapterText.taskDescription(signature)
    }

    func fieldStructure(_ signature: SignatureSpec) -> String {
        func structure(_ field: FieldSpec) -> String {
            if field.kind == .output && Self.usesNestedXML(field.type) { return Self.xmlSchema(field.name, field.type) }
            return fieldsWithValues([(field, .string(AdapterText.placeholder(field)))])
        }
        let groups = [signature.inputs, signature.outputs].map { $0.map(structure).joined(separator: "\n\n") }
        return (["All interactions will be structured in the following way, with the appropriate values filled in."]
            + groups).joined(separator: "\n\n")
    }

    /// The content of a user turn: the given inputs in tags, plus the reminder on the main request.
    public func userMessageContent(
        _ signature: SignatureSpec, inputs: JSONObject, prefix: String = "", mainRequest: Bool = false
    ) -> String {
        let present = signature.inputs.compactMap { f in inputs[f.name].map { (f, $0) } }
        var parts = [prefix, fieldsWithValues(present)]
        if mainRequest { parts.append(outputRequirements(signature)) }
        parts.append("")
        return parts.joined(separator: "\n\n").trimmed
    }

    /// The reminder that closes the final user turn.
    public func outputRequirements(_ signature: SignatureSpec) -> String {
        let tags = signature.outputs.map { "`<\($0.name)>`" }.joined(separator: ", then ")
        let schemas = signature.outputs.filter { Self.usesNestedXML($0.type) }.map { Self.xmlSchema($0.name, $0.type) }
        return "Respond with the corresponding output fields wrapped in XML tags \(tags)."
            + (schemas.isEmpty ? "" : " Use this nested XML structure: " + schemas.joined(separator: " "))
    }

    /// `format_field_with_value`: each field as `<name>\nvalue\n</name>` (nested XML for structured outputs).
    func fieldsWithValues(_ pairs: [(FieldSpec, JSONValue)]) -> String {
        pairs.map { field, value -> String in
            let isOutput = field.kind == .output
            if isOutput && Self.usesNestedXML(field.type) {
                switch value {
                case .array, .object: return Self.valueToXML(value, tag: field.name)
                default: break
                }
            }
            var formatted = FieldValueFormatting.format(value, for: field)
            if isOutput && field.type == .string {
                formatted = formatted.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            }
            return "<\(field.name)>\n\(formatted)\n</\(field.name)>"
        }.joined(separator: "\n\n").trimmed
    }

    public func outputStructure(for signature: SignatureSpec) -> OutputStructure {
        OutputStructure(style: .xmlTags, signature: signature)
    }

    // MARK: Nested XML

    /// `_uses_nested_xml`: lists (of anything but DSPy's own types), dicts and structs, optionally wrapped in Optional.
    static func usesNestedXML(_ type: FieldType) -> Bool {
        var type = type
        if case .optional(let inner) = type { type = inner }
        switch type {
        case .list(let item): return item != .history
        case .dict, .object: return true
        default: return false
        }
    }

    /// `_value_to_xml`: lists as `<item>`s, dicts as child tags (or `<entry key="…">` when the key is no name).
    static func valueToXML(_ value: JSONValue, tag: String, key: String? = nil) -> String {
        let attrs = key.map { " key=" + quoteAttribute($0) } ?? ""
        switch value {
        case .array(let items):
            let children = items.map { valueToXML($0, tag: "item") }.joined()
            return children.isEmpty ? "<\(tag)\(attrs) />" : "<\(tag)\(attrs)>\(children)</\(tag)>"
        case .object(let object):
            let children = object.map { name, child in
                isIdentifier(String(name.prefix(1)) + name.dropFirst().replacingOccurrences(of: "-", with: "_")
                    .replacingOccurrences(of: ".", with: "_"))
                    ? valueToXML(child, tag: name) : valueToXML(child, tag: "entry", key: name)
            }
            return "<\(tag)\(attrs)>\(children.joined())</\(tag)>"
        case .null:
            return "<\(tag)\(attrs) />"
        default:
            let text = value.pythonStr.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            return "<\(tag)\(attrs)>\(text)</\(tag)>"
        }
    }

    /// `_xml_schema`: the skeleton of a nested output (`<tags><item>...</item></tags>`).
    static func xmlSchema(_ tag: String, _ type: FieldType) -> String {
        let schema = type.jsonSchema
        return schemaToXML(tag, schema, definitions: schema["$defs"]?.objectValue ?? JSONObject(), seen: [])
    }

    static func schemaToXML(_ tag: String, _ schema: JSONValue, definitions: JSONObject, seen: Set<String>) -> String {
        if let ref = schema["$ref"]?.stringValue {
            let name = String(ref.split(separator: "/").last ?? "")
            guard !seen.contains(name), let definition = definitions[name] else { return "<\(tag)>...</\(tag)>" }
            return schemaToXML(tag, definition, definitions: definitions, seen: seen.union([name]))
        }
        if let choices = schema["anyOf"]?.arrayValue, let first = choices.first {
            let chosen = choices.first { $0["type"]?.stringValue != "null" } ?? first
            return schemaToXML(tag, chosen, definitions: definitions, seen: seen)
        }
        if schema["type"]?.stringValue == "array" {
            let item = schemaToXML("item", schema["items"] ?? .object(JSONObject()), definitions: definitions, seen: seen)
            return "<\(tag)>\(item)</\(tag)>"
        }
        let children = (schema["properties"]?.objectValue ?? JSONObject()).map { name, child in
            schemaToXML(name, child, definitions: definitions, seen: seen)
        }.joined()
        return children.isEmpty ? "<\(tag)>...</\(tag)>" : "<\(tag)>\(children)</\(tag)>"
    }

    /// Python's `str.isidentifier()`.
    static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    /// `xml.sax.saxutils.quoteattr`.
    static func quoteAttribute(_ s: String) -> String {
        var value = s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\n", with: "&#10;").replacingOccurrences(of: "\r", with: "&#13;")
            .replacingOccurrences(of: "\t", with: "&#9;")
        if value.contains("\"") {
            if value.contains("'") { value = value.replacingOccurrences(of: "\"", with: "&quot;") } else { return "'\(value)'" }
        }
        return "\"\(value)\""
    }
}
