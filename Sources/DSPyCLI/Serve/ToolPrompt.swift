import DSPy
import DSPyEngine

/// How a tool-enabled completion is laid out, for the prompt and for the decoder.
///
/// The engine's chat templates have no tool syntax, so tools are described in a system
/// preamble and the model answers in one JSON object, as llama.cpp's server does for
/// templates without native tool calls:
///
/// - a tool call: `{"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}`
/// - a text answer (`tool_choice: "auto"` only): `{"response": "Hello!"}`
///
/// Each possible answer starts with an *opening* — `{"tool_call": {"name": "get_weather",
/// "arguments": ` per tool, and `{"response": ` — after which its value follows a schema:
/// the tool's arguments then `}}`, or a JSON string then `}`. ``ToolCallDecoder`` first lets
/// the model choose among the openings, then constrains the rest to the chosen one.
struct ToolPrompt {
    /// What an opening leads to.
    enum Branch: Equatable {
        case call(ChatTool)
        case response
    }

    let tools: [ChatTool]
    let choice: ToolChoice
    /// The longest text answer, in characters.
    static let maximumResponseLength = 16_384

    /// The answers allowed by `choice`, each with its opening text.
    var branches: [(opening: String, branch: Branch)] {
        var offered: [ChatTool] = tools
        if case .function(let name) = choice { offered = tools.filter { $0.name == name } }
        var result: [(opening: String, branch: Branch)] = offered.map { tool in
            (opening: "{\"tool_call\": {\"name\": " + JSONValue.string(tool.name).pythonJSON() + ", \"arguments\": ",
             branch: Branch.call(tool))
        }
        if choice == .auto { result.append((opening: "{\"response\": ", branch: .response)) }
        return result
    }

    /// The segments after an opening: the arguments then `}}`, or the answer's JSON string then `}`.
    static func continuation(of branch: Branch) -> [ConstraintSegment] {
        switch branch {
        case .call(let tool): return [.json(tool.schema), .literal("}}")]
        case .response: return [.json(.string(maxLength: maximumResponseLength)), .literal("}")]
        }
    }

    /// The system preamble that lists the tools and the answer format `choice` allows.
    var preamble: String {
        let listed = JSONValue.array(tools.map(\.promptJSON)).pythonJSON(indent: 2)
        let call = #"{"tool_call": {"name": "<tool name>", "arguments": {<arguments following the tool's parameters schema>}}}"#
        var text = "You can call the following tools. Each is given with the JSON schema of its arguments:\n"
            + listed + "\n\n"
        switch choice {
        case .none:
            text += "Do not call a tool now: answer the user in plain text."
        case .auto:
            text += "Respond with exactly one JSON object: to call a tool,\n" + call
                + "\nor, to answer the user directly,\n{\"response\": \"<your answer>\"}"
        case .required:
            text += "Respond by calling one of the tools, with exactly one JSON object:\n" + call
        case .function(let name):
            text += "Respond by calling the tool \(JSONValue.string(name).pythonJSON()), with exactly one JSON object:\n" + call
        }
        return text + "\nA tool's result comes back as {\"tool_response\": {\"name\": …, \"content\": …}}."
    }

    /// `messages` with the preamble appended to the first system message (or placed in a
    /// new first system message).
    func render(_ messages: [DSPyEngine.ChatMessage]) -> [DSPyEngine.ChatMessage] {
        var result = messages
        if let first = result.first, first.role == .system {
            result[0].content = first.content + (first.content.isEmpty ? "" : "\n\n") + preamble
        } else {
            result.insert(.init(.system, preamble), at: 0)
        }
        return result
    }
}
