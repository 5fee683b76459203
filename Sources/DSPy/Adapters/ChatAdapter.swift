/// DSPy's default adapter: fields as `[[ ## name ## ]]` sections.
///
/// Renders byte for byte what DSPy 3.4.1's `ChatAdapter.format` renders
/// (golden-tested against DSPy itself): a system message with the field
/// descriptions, the section structure with type notes and the task
/// description; demos as user/assistant turns (incomplete demos first, with
/// `Not supplied for this particular example. ` placeholders); and the final
/// user turn with the output-format reminder.
///
/// Parsing keeps the first occurrence of each output header, parses values
/// by type, ignores `[[ ## completed ## ]]` and unknown headers, and throws
/// DSPy's `AdapterParseError` text when outputs are missing. On a parse
/// failure the caller may retry with ``fallback`` (a ``JSONAdapter``), which
/// costs one more LM call and is recorded in the prediction.
public struct ChatAdapter: Adapter {
    /// Whether a parse failure retries the call through ``JSONAdapter`` (DSPy's default: true).
    public var useJSONAdapterFallback: Bool

    public init(useJSONAdapterFallback: Bool = true) {
        self.useJSONAdapterFallback = useJSONAdapterFallback
    }

    public var name: String { "ChatAdapter" }

    public var fallback: (any Adapter)? { useJSONAdapterFallback ? JSONAdapter() : nil }

    public func format(_ signature: SignatureSpec, demos: [Example], inputs: JSONObject) -> [ChatMessage] {
        AdapterText.messages(
            signature, demos: demos, inputs: inputs, system: systemMessage(signature),
            user: { sig, values, prefix, main in userMessageContent(sig, inputs: values, prefix: prefix, mainRequest: main) },
            assistant: { sig, values, missing in assistantMessageContent(sig, outputs: values, missing: missing) })
    }

    /// The system message alone (DSPy's `format_system_message`).
    public func systemMessage(_ signature: SignatureSpec) -> String {
        AdapterText.fieldDescription(signature) + "\n" + fieldStructure(signature) + "\n"
            + AdapterText.taskDescription(signature)
    }

    func fieldStructure(_ signature: SignatureSpec) -> String {
        let parts = [
            "All interactions will be structured in the following way, with the appropriate values filled in.",
            placeholders(signature.inputs),
            placeholders(signature.outputs),
            "[[ ## completed ## ]]\n",
        ]
        return parts.joined(separator: "\n\n").trimmed
    }

    private func placeholders(_ fields: [FieldSpec]) -> String {
        fields.map { "[[ ## \($0.name) ## ]]\n\(AdapterText.placeholder($0))" }.joined(separator: "\n\n").trimmed
    }

    /// The content of a user turn: the given inputs as sections, plus the reminder on the main request.
    public func userMessageContent(
        _ signature: SignatureSpec, inputs: JSONObject, prefix: String = "", mainRequest: Bool = false
    ) -> String {
        AdapterText.userContent(signature, inputs: inputs, prefix: prefix,
                                reminder: mainRequest ? outputRequirements(signature) : nil)
    }

    /// The reminder that closes the final user turn.
    public func outputRequirements(_ signature: SignatureSpec) -> String {
        "Respond with the corresponding output fields, starting with the field "
            + signature.outputs.map { "`[[ ## \($0.name) ## ]]`\(AdapterText.reminderType($0))" }
            .joined(separator: ", then ")
            + ", and then ending with the marker for `[[ ## completed ## ]]`."
    }

    /// The content of an assistant turn for the given outputs.
    public func assistantMessageContent(
        _ signature: SignatureSpec, outputs: JSONObject, missing: String? = nil
    ) -> String {
        let pairs = signature.outputs.map { f in (f, outputs[f.name] ?? missing.map(JSONValue.string) ?? .null) }
        return AdapterText.headerBlocks(pairs) + "\n\n[[ ## completed ## ]]\n"
    }

    public func parse(_ signature: SignatureSpec, completion: String) throws -> JSONObject {
        var sections: [(header: String?, lines: [String])] = [(nil, [])]
        for line in ChatAdapter.splitLines(completion) {
            let stripped = line.trimmed
            if let (header, rest) = ChatAdapter.matchHeader(stripped) {
                let remaining = String(rest).trimmed
                sections.append((header, remaining.isEmpty ? [] : [remaining]))
            } else {
                sections[sections.count - 1].lines.append(line)
            }
        }
        var fields = JSONObject()
        for (header, lines) in sections {
            guard let header, !fields.contains(header), let field = signature.outputs.first(where: { $0.name == header })
            else { continue }
            let value = lines.joined(separator: "\n").trimmed
            do {
                fields[header] = try FieldValueParsing.parse(value, as: field.type)
            } catch {
                throw DSPyError.adapterParse(
                    adapter: name, response: completion, expected: signature.outputs.map(\.name), parsed: nil,
                    message: "Failed to parse field \(header) with value \(value) from the LM response. Error message: \(error)")
            }
        }
        return try completeOutputs(fields, signature: signature, completion: completion)
    }

    /// Matches `[[ ## word ## ]]` at the start of `line`; returns the name and the rest of the line.
    static func matchHeader(_ line: String) -> (String, Substring)? {
        guard line.hasPrefix("[[ ## ") else { return nil }
        let afterOpen = line.dropFirst(6)
        guard let close = afterOpen.range(of: " ## ]]") else { return nil }
        let name = afterOpen[..<close.lowerBound]
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        return (String(name), afterOpen[close.upperBound...])
    }

    /// Python's `str.splitlines()` for the common line breaks.
    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for ch in text {
            if ch == "\n" || ch == "\r\n" || ch == "\r" { lines.append(current); current = "" } else { current.append(ch) }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    public func outputStructure(for signature: SignatureSpec) -> OutputStructure {
        OutputStructure(style: .chatHeaders, signature: signature)
    }
}
