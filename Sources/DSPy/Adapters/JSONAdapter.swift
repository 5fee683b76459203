/// DSPy's JSON adapter: inputs as `[[ ## name ## ]]` sections, outputs as one JSON object.
///
/// Renders what DSPy 3.4.1's `JSONAdapter.format` renders (golden-tested):
/// the same field descriptions, an input structure, a JSON skeleton of the
/// outputs with their type notes, and the reminder "Respond with a JSON
/// object in the following order of fields: …". Demo answers are
/// `json.dumps(indent=2)`. Parsing reads the completion leniently (like
/// `json_repair`), falling back to its outermost balanced `{…}`.
public struct JSONAdapter: Adapter {
    public init() {}

    public var name: String { "JSONAdapter" }

    public func format(_ signature: SignatureSpec, demos: [Example], inputs: JSONObject) -> [ChatMessage] {
        AdapterText.messages(
            signature, demos: demos, inputs: inputs, system: systemMessage(signature),
            user: { sig, values, prefix, main in
                AdapterText.userContent(sig, inputs: values, prefix: prefix, reminder: main ? outputRequirements(sig) : nil)
            },
            assistant: { sig, values, missing in assistantMessageContent(sig, outputs: values, missing: missing) })
    }

    /// The system message alone.
    public func systemMessage(_ signature: SignatureSpec) -> String {
        let inputs = signature.inputs.map { "[[ ## \($0.name) ## ]]\n\(AdapterText.placeholder($0))" }
            .joined(separator: "\n\n").trimmed
        let skeleton = JSONValue.object(JSONObject(signature.outputs.map { ($0.name, .string(AdapterText.placeholder($0))) }))
            .pythonJSON(indent: 2)
        let structure = [
            "All interactions will be structured in the following way, with the appropriate values filled in.",
            "Inputs will have the following structure:", inputs,
            "Outputs will be a JSON object with the following fields.", skeleton,
        ].joined(separator: "\n\n").trimmed
        return AdapterText.fieldDescription(signature) + "\n" + structure + "\n" + AdapterText.taskDescription(signature)
    }

    /// The reminder closing the final user turn.
    public func outputRequirements(_ signature: SignatureSpec) -> String {
        "Respond with a JSON object in the following order of fields: "
            + signature.outputs.map { "`\($0.name)`\(AdapterText.reminderType($0))" }.joined(separator: ", then ") + "."
    }

    func assistantMessageContent(_ signature: SignatureSpec, outputs: JSONObject, missing: String?) -> String {
        JSONValue.object(JSONObject(signature.outputs.map { f in
            (f.name, outputs[f.name] ?? missing.map(JSONValue.string) ?? .null)
        })).pythonJSON(indent: 2)
    }

    public func parse(_ signature: SignatureSpec, completion: String) throws -> JSONObject {
        var text = completion
        var parsed = JSONValue.parseLenient(text)
        if parsed?.objectValue == nil, let inner = JSONAdapter.outermostObject(in: completion) {
            text = inner
            parsed = JSONValue.parseLenient(inner)
        }
        guard let object = parsed?.objectValue else {
            throw DSPyError.adapterParse(
                adapter: name, response: text, expected: signature.outputs.map(\.name), parsed: nil,
                message: "LM response cannot be serialized to a JSON object.")
        }
        var fields = JSONObject()
        for field in signature.outputs {
            guard let value = object[field.name] else { continue }
            do {
                fields[field.name] = try FieldValueParsing.parse(value, as: field.type)
            } catch {
                throw DSPyError.adapterParse(
                    adapter: name, response: text, expected: signature.outputs.map(\.name),
                    parsed: fields.keys, message: "Failed to parse field \(field.name): \(error)")
            }
        }
        return try completeOutputs(fields, signature: signature, completion: text)
    }

    /// The first balanced `{…}` in `text`, respecting JSON strings.
    static func outermostObject(in text: String) -> String? {
        let chars = Array(text)
        guard let start = chars.firstIndex(of: "{") else { return nil }
        var depth = 0
        var inString = false, escaped = false
        for i in start..<chars.count {
            let c = chars[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                continue
            }
            if c == "\"" { inString = true } else if c == "{" { depth += 1 } else if c == "}" {
                depth -= 1
                if depth == 0 { return String(chars[start...i]) }
            }
        }
        return nil
    }

    public func outputStructure(for signature: SignatureSpec) -> OutputStructure {
        OutputStructure(style: .jsonObject, signature: signature)
    }
}
