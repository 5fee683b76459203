import DSPy
import DSPyEngine

/// A chat request's `messages` as the chat template renders them, tool turns included.
///
/// The engine's templates know system, user and assistant turns. A conversation that
/// used tools also has assistant turns carrying `tool_calls` (often with `content: null`)
/// and `tool` turns with a call's result; they are rendered in the JSON form the model
/// is asked to write (see ``ToolPrompt``):
///
/// - an assistant turn's calls, one per line, after its text:
///   `{"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}`;
/// - a `tool` turn, as a user turn:
///   `{"tool_response": {"name": "get_weather", "content": "18°C, sunny"}}` (the name found
///   from `tool_call_id` among the earlier calls; the id itself when it is unknown).
///
/// Cost: one pass over the messages; arguments are re-serialized when they parse as JSON.
enum ChatHistory {
    /// Decodes `messages`.
    ///
    /// - Throws: ``OpenAIRequestError`` naming the message and field at fault.
    static func decode(_ value: JSONValue?) throws(OpenAIRequestError) -> [DSPyEngine.ChatMessage] {
        guard case .array(let rawMessages)? = value, !rawMessages.isEmpty else {
            throw OpenAIRequestError(message: "'messages' must be a non-empty list of {role, content}")
        }
        var messages: [DSPyEngine.ChatMessage] = []
        var callNames: [String: String] = [:]
        for (index, raw) in rawMessages.enumerated() {
            guard case .object(let message) = raw else {
                throw OpenAIRequestError(message: "messages[\(index)] must be an object with role and content")
            }
            let content: String?
            switch message["content"] {
            case nil, .null?: content = nil
            case .string(let text)?: content = text
            default: throw OpenAIRequestError(message: "messages[\(index)].content must be a string")
            }
            switch message["role"]?.stringValue {
            case "system", "developer":
                messages.append(.init(.system, try required(content, index)))
            case "user":
                messages.append(.init(.user, try required(content, index)))
            case "assistant":
                let calls = try toolCalls(message["tool_calls"], index: index)
                for call in calls where call.id != nil { callNames[call.id ?? ""] = call.name }
                if calls.isEmpty {
                    messages.append(.init(.assistant, try required(content, index)))
                } else {
                    let lines = calls.map { call -> String in
                        let arguments = (try? JSONValue.parse(call.arguments)) ?? .string(call.arguments)
                        return JSONValue.object(["tool_call": ["name": .string(call.name), "arguments": arguments]]).pythonJSON()
                    }
                    messages.append(.init(.assistant, ((content.map { [$0] } ?? []) + lines).joined(separator: "\n")))
                }
            case "tool":
                let text = try required(content, index)
                var name = message["name"]?.stringValue
                if name == nil, let id = message["tool_call_id"]?.stringValue { name = callNames[id] ?? id }
                let response: JSONValue = ["name": .string(name ?? "tool"), "content": .string(text)]
                messages.append(.init(.user, JSONValue.object(["tool_response": response]).pythonJSON()))
            default:
                throw OpenAIRequestError(message: "messages[\(index)].role must be system, user, assistant or tool")
            }
        }
        return messages
    }

    /// A message's content, which only an assistant turn with tool calls may leave out.
    private static func required(_ content: String?, _ index: Int) throws(OpenAIRequestError) -> String {
        guard let content else { throw OpenAIRequestError(message: "messages[\(index)].content must be a string") }
        return content
    }

    /// An assistant turn's `tool_calls`: `[{id?, type: "function", function: {name, arguments}}]`.
    private static func toolCalls(_ value: JSONValue?, index: Int) throws(OpenAIRequestError)
        -> [(id: String?, name: String, arguments: String)]
    {
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            return try items.enumerated().map { position, item throws(OpenAIRequestError) -> (id: String?, name: String, arguments: String) in
                let path = "messages[\(index)].tool_calls[\(position)]"
                guard case .object(let call) = item, case .object(let function)? = call["function"],
                      let name = function["name"]?.stringValue
                else { throw OpenAIRequestError(message: "\(path) must be {\"type\": \"function\", \"function\": {\"name\", \"arguments\"}}") }
                let arguments: String
                switch function["arguments"] {
                case nil, .null?: arguments = "{}"
                case .string(let text)?: arguments = text
                case let other?: arguments = other.pythonJSON()
                }
                return (id: call["id"]?.stringValue, name: name, arguments: arguments)
            }
        default:
            throw OpenAIRequestError(message: "messages[\(index)].tool_calls must be a list")
        }
    }
}
