/// XMLAdapter's parsing: DSPy 3.4.1's `XMLAdapter.parse`.
///
/// The completion is wrapped in `<dspy_root>…</dspy_root>` and read as XML.
/// Each output field takes the elements with its tag (an `<entry key="…">`
/// counts under its key): a leaf gives its stripped text, repeated tags give a
/// list, `<item>` children give a list and other children a dict, guided by
/// the field's JSON schema; the value is then parsed like any DSPy value
/// (`parse_value`, then pydantic). Missing fields take their defaults or throw
/// DSPy's "Expected to find output fields" error.
extension XMLAdapter {
    public func parse(_ signature: SignatureSpec, completion: String) throws -> JSONObject {
        let root: XMLElement
        do {
            root = try XMLReader.parse("<dspy_root>\(completion)</dspy_root>")
        } catch let error as XMLSyntaxError {
            throw DSPyError.adapterParse(
                adapter: name, response: completion, expected: signature.outputs.map(\.name), parsed: nil,
                message: "Failed to parse XML: \(error)")
        }
        let elements = Self.groupChildren(root)
        var fields = JSONObject()
        for field in signature.outputs {
            guard let found = elements[field.name] else { continue }
            let schema = field.type.jsonSchema
            let definitions = schema["$defs"]?.objectValue ?? JSONObject()
            var candidates = [schema]
            candidates += schema["anyOf"]?.arrayValue ?? []
            var lastValue = JSONValue.null
            var lastError = ""
            var parsed: JSONValue?
            for candidate in candidates {
                let value = Self.elementsToValue(found, schema: candidate, definitions: definitions)
                lastValue = value
                do {
                    parsed = try Self.parseValue(value, as: field.type)
                    break
                } catch {
                    lastError = "\(error)"
                }
            }
            guard let parsed else {
                throw DSPyError.adapterParse(
                    adapter: name, response: completion, expected: signature.outputs.map(\.name), parsed: nil,
                    message: "Failed to parse field \(Self.pydanticFieldRepr(field)) with value \(Self.pythonStr(lastValue)): \(lastError)")
            }
            fields[field.name] = parsed
        }
        return try completeOutputs(fields, signature: signature, completion: completion)
    }

    /// `parse_value`, falling back to pydantic validation of the raw value.
    static func parseValue(_ value: JSONValue, as type: FieldType) throws -> JSONValue {
        if type == .string {
            if case .string = value { return value }
            return .string(pythonStr(value))
        }
        do {
            return try FieldValueParsing.parse(value, as: type)
        } catch {
            return try FieldValueParsing.validate(value, as: type, top: true)
        }
    }

    /// Python's `str(value)`: strings verbatim, containers as their repr.
    static func pythonStr(_ value: JSONValue) -> String {
        switch value {
        case .array, .object: return value.pythonRepr
        default: return value.pythonStr
        }
    }

    /// `_group_children`: children by tag, `<entry key="k">` under `k`, in document order.
    static func groupChildren(_ element: XMLElement) -> [String: [XMLElement]] {
        var groups: [String: [XMLElement]] = [:]
        for child in element.children {
            let key = child.tag == "entry" ? (child.attribute("key") ?? child.tag) : child.tag
            groups[key, default: []].append(child)
        }
        return groups
    }

    /// `_group_children` with the order of first appearance kept (dict keys follow the document).
    static func orderedGroups(_ element: XMLElement) -> [(String, [XMLElement])] {
        var order: [String] = []
        var groups: [String: [XMLElement]] = [:]
        for child in element.children {
            let key = child.tag == "entry" ? (child.attribute("key") ?? child.tag) : child.tag
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(child)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }

    /// `_elements_to_value`: the raw value of elements under a JSON schema.
    static func elementsToValue(_ elements: [XMLElement], schema: JSONValue, definitions: JSONObject) -> JSONValue {
        guard let first = elements.first else { return .null }
        var schema = schema
        if let ref = schema["$ref"]?.stringValue, let definition = definitions[String(ref.split(separator: "/").last ?? "")] {
            schema = definition
        }
        if let choices = schema["anyOf"]?.arrayValue {
            let hasNull = choices.contains { $0.objectValue?.keys == ["type"] && $0["type"]?.stringValue == "null" }
            if hasNull && first.children.isEmpty && (first.text ?? "").trimmed.isEmpty { return .null }
            let nonNull = choices.filter { $0["type"]?.stringValue != "null" }
            if let firstChoice = nonNull.first {
                schema = firstChoice
                if !first.children.isEmpty {
                    schema = nonNull.first { $0["type"]?.stringValue != "string" } ?? schema
                }
            }
        }
        let type = schema["type"]?.stringValue
        if type == "array" {
            var elements = elements
            if elements.count == 1 && first.children.isEmpty {
                let text = (first.text ?? "").trimmed
                if text.isEmpty { return .array([]) }
                if text.hasPrefix("[") { return .string(text) }
            }
            if elements.count == 1, let items = groupChildren(first)["item"], !items.isEmpty { elements = items }
            let itemSchema = schema["items"] ?? .object(JSONObject())
            return .array(elements.map { elementsToValue([$0], schema: itemSchema, definitions: definitions) })
        }
        if type == "string" && !first.children.isEmpty {
            return .string((first.text ?? "") + first.children.map(\.serialized).joined())
        }
        let children = orderedGroups(first)
        if children.isEmpty {
            if type == "object" && (first.text ?? "").trimmed.isEmpty { return .object(JSONObject()) }
            let values = elements.map { JSONValue.string(($0.text ?? "").trimmed) }
            return values.count == 1 ? values[0] : .array(values)
        }
        let properties = schema["properties"]?.objectValue ?? JSONObject()
        let childSchema = schema["additionalProperties"].flatMap { $0.objectValue.map(JSONValue.object) } ?? .object(JSONObject())
        return .object(JSONObject(children.map { name, items in
            (name, elementsToValue(items, schema: properties[name] ?? childSchema, definitions: definitions))
        }))
    }

    /// Pydantic's `str(FieldInfo)` for an output field, as DSPy's error text shows it.
    ///
    /// The key order of `json_schema_extra` depends on how DSPy built the field;
    /// this follows a string signature's order, with a custom description first
    /// (as for fields declared with `desc=`). Validation metadata (`ge=`…) is not shown.
    static func pydanticFieldRepr(_ field: FieldSpec) -> String {
        let desc = "'desc': " + JSONValue.pythonStringRepr(field.description)
        let kind = "'__dspy_field_type': 'output'"
        let prefix = "'prefix': " + JSONValue.pythonStringRepr(field.prefix)
        var extra: [String]
        if field.description != "${\(field.name)}" {
            extra = [desc, kind, prefix]
        } else {
            extra = [kind]
            if let c = field.constraints, !c.isEmpty { extra.append("'constraints': " + JSONValue.pythonStringRepr(c)) }
            extra += [prefix, desc]
        }
        return "annotation=\(field.type.pythonName) required=True json_schema_extra={\(extra.joined(separator: ", "))}"
    }
}
