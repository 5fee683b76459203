import DSPy
import DSPyEngine
import Foundation
import Testing

@testable import DSPyCLI

private typealias EngineMessage = DSPyEngine.ChatMessage

/// `tools`, `tool_choice` and tool turns in chat requests, decoded without a server or a model.
@Suite("Decoding tools and tool turns in chat requests")
struct ChatToolsRequestTests {
    static let weather = #"{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}}}"#

    func decode(_ body: String) throws(OpenAIRequestError) -> OpenAIChatRequest {
        try OpenAIChatRequest.decode(Data(body.utf8))
    }

    func refusal(_ body: String) -> String? {
        do throws(OpenAIRequestError) { _ = try decode(body); return nil } catch { return error.message }
    }

    func body(tools: String, choice: String? = nil) -> String {
        #"{"messages": [{"role": "user", "content": "Hi"}], "tools": "# + tools
            + (choice.map { #", "tool_choice": "# + $0 } ?? "") + "}"
    }

    @Test("Tools decode with their enforceable argument schema; the choice defaults to auto")
    func tools() throws {
        let request = try decode(body(tools: "[\(Self.weather), {\"type\": \"function\", \"function\": {\"name\": \"now\"}}]"))
        #expect(request.toolChoice == .auto)
        #expect(request.tools.map(\.name) == ["get_weather", "now"])
        #expect(request.tools[0].schema == .object([JSONProperty("city", .string), JSONProperty("days", .integer)]))
        #expect(request.tools[1].schema == .object([]))
        #expect(request.tools[0].description == "Weather in a city")
        #expect(try decode(body(tools: "[\(Self.weather)]", choice: #""required""#)).toolChoice == .required)
        #expect(try decode(body(tools: "[\(Self.weather)]", choice: #""none""#)).toolChoice == .none)
        let forced = try decode(body(tools: "[\(Self.weather)]", choice: #"{"type": "function", "function": {"name": "get_weather"}}"#))
        #expect(forced.toolChoice == .function("get_weather"))
        #expect(try decode(#"{"messages": [{"role": "user", "content": "Hi"}]}"#).toolChoice == .none)
    }

    @Test("Bad tools and tool choices are refused with a message naming the field", arguments: [
        (#"{}"#, "'tools' must be a list of {\"type\": \"function\", \"function\": {...}}"),
        (#"[1]"#, "tools[0] must be an object"),
        (#"[{"type": "code", "function": {"name": "f"}}]"#, "tools[0].type must be 'function'"),
        (#"[{"type": "function"}]"#, "tools[0].function must be an object with a name"),
        (#"[{"type": "function", "function": {"name": "a b"}}]"#, "tools[0].function.name must be 1 to 64 letters, digits, '_' or '-'"),
        (#"[{"type": "function", "function": {"name": "f", "description": 3}}]"#, "tools[0].function.description must be a string"),
        (#"[{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}]"#, "tools[0].function.parameters must be an object schema (\"type\": \"object\")"),
        (#"[{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"x": {"type": "date"}}}}}]"#, "tools[0].function.parameters cannot be enforced: the output constraint is invalid at segment -1: JSON schema at $.x: type date is not supported"),
        (#"[{"type": "function", "function": {"name": "f"}}, {"type": "function", "function": {"name": "f"}}]"#, "tools[1].function.name 'f' is declared twice"),
    ])
    func badTools(tools: String, message: String) {
        let refused = refusal(body(tools: tools))
        #expect(refused?.hasPrefix(String(message.prefix(40))) == true, "\(refused ?? "accepted")")
        if !message.contains("cannot be enforced") { #expect(refused == message) }
    }

    @Test("Bad tool_choice values are refused with a message naming the field", arguments: [
        (#""sometimes""#, "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": …}}, got 'sometimes'"),
        (#"{"type": "function", "function": {"name": "other"}}"#, "'tool_choice.function.name' 'other' is not one of the 'tools'"),
        (#"{"type": "function"}"#, "'tool_choice' as an object must be {\"type\": \"function\", \"function\": {\"name\": …}}"),
        (#"7"#, "'tool_choice' must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": …}}"),
    ])
    func badChoices(choice: String, message: String) {
        #expect(refusal(body(tools: "[\(Self.weather)]", choice: choice)) == message)
    }

    @Test("required without tools, and tools with a JSON response_format, are refused")
    func conflicts() {
        #expect(refusal(#"{"messages": [{"role": "user", "content": "Hi"}], "tool_choice": "required"}"#)
            == "'tool_choice' is 'required' but 'tools' lists no tool")
        #expect(refusal(#"{"messages": [{"role": "user", "content": "Hi"}], "tools": [\#(Self.weather)], "response_format": {"type": "json_object"}}"#)
            == "'response_format' cannot be combined with 'tools' unless 'tool_choice' is 'none'")
    }

    @Test("Assistant tool calls and tool results in the history render as the JSON the model is asked to write")
    func history() throws {
        let request = try decode(#"""
            {"messages": [{"role": "user", "content": "Weather in Paris?"},
             {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
               "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
             {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"}]}
            """#)
        #expect(request.messages == [
            EngineMessage(.user, "Weather in Paris?"),
            EngineMessage(.assistant, #"{"tool_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}"#),
            EngineMessage(.user, #"{"tool_response": {"name": "get_weather", "content": "18C, sunny"}}"#),
        ])
        #expect(refusal(#"{"messages": [{"role": "assistant", "content": null}]}"#) == "messages[0].content must be a string")
        #expect(refusal(#"{"messages": [{"role": "tool"}]}"#) == "messages[0].content must be a string")
        #expect(refusal(#"{"messages": [{"role": "assistant", "tool_calls": [{"type": "function"}]}]}"#)
            == "messages[0].tool_calls[0] must be {\"type\": \"function\", \"function\": {\"name\", \"arguments\"}}")
    }

    @Test("The preamble lists the tools in the first system message; openings name each tool and the text answer")
    func prompt() throws {
        let request = try decode(body(tools: "[\(Self.weather)]"))
        let prompt = ToolPrompt(tools: request.tools, choice: .auto)
        let rendered = prompt.render([EngineMessage(.system, "Be brief."), EngineMessage(.user, "Hi")])
        #expect(rendered.count == 2 && rendered[0].content.hasPrefix("Be brief.\n\nYou can call the following tools."))
        #expect(rendered[0].content.contains(#""name": "get_weather""#))
        #expect(prompt.branches.map(\.opening) == [#"{"tool_call": {"name": "get_weather", "arguments": "#, #"{"response": "#])
        #expect(ToolPrompt(tools: request.tools, choice: .required).branches.count == 1)
        #expect(ToolPrompt(tools: request.tools, choice: .none).render([EngineMessage(.user, "Hi")]).first?.role == .system)
    }

    @Test("A JSON string prefix decodes as far as it is complete")
    func stringPrefix() {
        #expect(JSONStringPrefix.decode(#""Hel"#) == "Hel")
        #expect(JSONStringPrefix.decode(#""a\nb\"c\u00e9" tail"#) == "a\nb\"cé")
        #expect(JSONStringPrefix.decode(#""ab\"#) == "ab")
        #expect(JSONStringPrefix.decode(#""ab\u00"#) == "ab")
        #expect(JSONStringPrefix.decode("nope") == "")
    }
}
