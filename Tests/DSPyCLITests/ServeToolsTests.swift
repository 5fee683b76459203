import DSPy
import DSPyEngine
import DSPyHTTP
import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyCLI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tools` and `tool_choice` on `dspyc serve`'s chat endpoint, over real HTTP on loopback.
@Suite("dspyc serve: tool calls constrained to the tools' schemas", .serialized)
struct ServeToolsTests {
    static var weather: [String: Any] { [
        "type": "object", "required": ["city", "days", "unit"],
        "properties": [
            "city": ["type": "string", "maxLength": 40], "days": ["type": "integer"],
            "unit": ["enum": ["celsius", "fahrenheit"]],
        ],
    ] }
    static var search: [String: Any] { [
        "type": "object", "required": ["query", "limit", "exact"],
        "properties": [
            "query": ["type": "string", "maxLength": 60], "limit": ["type": "integer"], "exact": ["type": "boolean"],
            "tags": ["type": "array", "items": ["type": "integer"], "maxItems": 3],
        ],
    ] }
    static var tools: [[String: Any]] { [
        ["type": "function", "function": ["name": "get_weather", "description": "The weather forecast for a city", "parameters": weather]],
        ["type": "function", "function": ["name": "search", "description": "Search the web", "parameters": search]],
    ] }
    static var schemas: [String: [String: Any]] { ["get_weather": weather, "search": search] }

    /// `body` as JSON with its keys sorted. (Unsorted, a Swift dictionary's keys come out in an
    /// order that can change from one serialization to the next; the tool schemas' property
    /// order is part of the prompt, so two "identical" requests would differ.)
    static func json(_ body: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    }

    private func post(_ url: URL, _ body: [String: Any]) async throws -> (Int, [String: Any], String) {
        var request = URLRequest(url: url.appendingPathComponent("chat/completions"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try Self.json(body)
        let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, object, String(decoding: data, as: UTF8.self))
    }

    private func body(_ question: String, choice: Any?, seed: Int = 0, temperature: Double = 0) -> [String: Any] {
        var body: [String: Any] = [
            "messages": [["role": "user", "content": question]], "tools": Self.tools,
            "temperature": temperature, "seed": seed, "max_tokens": 200,
        ]
        if let choice { body["tool_choice"] = choice }
        return body
    }

    /// The first choice's message and finish reason.
    private func message(_ object: [String: Any]) throws -> ([String: Any], String?) {
        let choice = try #require((object["choices"] as? [[String: Any]])?.first)
        return (try #require(choice["message"] as? [String: Any]), choice["finish_reason"] as? String)
    }

    /// Checks a message is one call whose arguments parse and validate; returns its name and arguments.
    @discardableResult
    private func expectCall(_ message: [String: Any], finish: String?, _ context: String) throws -> (String, String) {
        #expect(message["content"] is NSNull, "\(context)")
        #expect(finish == "tool_calls", "\(context)")
        let calls = try #require(message["tool_calls"] as? [[String: Any]], "\(context)")
        #expect(calls.count == 1)
        let call = try #require(calls.first)
        #expect((call["id"] as? String)?.hasPrefix("call_") == true && call["type"] as? String == "function")
        let function = try #require(call["function"] as? [String: Any])
        let name = try #require(function["name"] as? String)
        let arguments = try #require(function["arguments"] as? String)
        let schema = try #require(Self.schemas[name], "unknown tool \(name): \(context)")
        #expect(RandomSchema.validates(try JSONValue.parse(arguments), schema), "\(name) \(arguments): \(context)")
        return (name, arguments)
    }

    @Test("A forced tool and required tools give calls whose arguments parse and validate against the tool's schema")
    func forcedAndRequired() async throws {
        try await ServeTests.withServer { base, _ in
            let forced: [String: Any] = ["type": "function", "function": ["name": "search"]]
            for seed in 0..<3 {
                let (status, object, raw) = try await post(base, body("What is the weather in Paris this week?", choice: forced,
                                                                       seed: seed, temperature: seed == 0 ? 0 : 0.9))
                #expect(status == 200, "\(raw)")
                let (name, _) = try expectCall(try message(object).0, finish: try message(object).1, raw)
                #expect(name == "search")
            }
            var names: Set<String> = []
            for seed in 0..<4 {
                let (status, object, raw) = try await post(base, body("What is the weather in Paris this week?", choice: "required",
                                                                       seed: seed, temperature: seed == 0 ? 0 : 1.0))
                #expect(status == 200, "\(raw)")
                let (message, finish) = try message(object)
                names.insert(try expectCall(message, finish: finish, raw).0)
            }
            #expect(names.isSubset(of: ["get_weather", "search"]) && !names.isEmpty)
        }
    }

    @Test("auto gives a valid call or a text answer; none gives text; history with tool turns is accepted")
    func autoNoneAndHistory() async throws {
        try await ServeTests.withServer { base, _ in
            for seed in 0..<3 {
                let (status, object, raw) = try await post(base, body("Search the web for swift actors.", choice: nil, seed: seed, temperature: 0.8))
                #expect(status == 200, "\(raw)")
                let (message, finish) = try message(object)
                if message["tool_calls"] != nil {
                    try expectCall(message, finish: finish, raw)
                } else {
                    #expect(message["content"] is String && finish != "tool_calls", "\(raw)")
                }
            }
            let (status, object, raw) = try await post(base, body("Say hello.", choice: "none"))
            #expect(status == 200, "\(raw)")
            let (text, finish) = try message(object)
            #expect(text["content"] is String && text["tool_calls"] == nil && finish != "tool_calls", "\(raw)")

            var history = body("And tomorrow?", choice: "auto")
            history["messages"] = [
                ["role": "user", "content": "Weather in Paris?"],
                ["role": "assistant", "content": NSNull(), "tool_calls": [[
                    "id": "call_1", "type": "function",
                    "function": ["name": "get_weather", "arguments": #"{"city": "Paris", "days": 1, "unit": "celsius"}"#],
                ]]],
                ["role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"],
                ["role": "user", "content": "And tomorrow?"],
            ]
            let (historyStatus, _, historyRaw) = try await post(base, history)
            #expect(historyStatus == 200, "\(historyRaw)")
        }
    }

    @Test("Bad tools get a 400 naming the field")
    func badTools() async throws {
        try await ServeTests.withServer { base, _ in
            var bad = body("Hi", choice: nil)
            bad["tools"] = [["type": "function", "function": ["name": "no spaces allowed"]]]
            let (status, _, raw) = try await post(base, bad)
            #expect(status == 400 && raw.contains("tools[0].function.name must be 1 to 64 letters"), "\(raw)")
            let (choiceStatus, _, choiceRaw) = try await post(base, body("Hi", choice: ["type": "function", "function": ["name": "nope"]]))
            #expect(choiceStatus == 400 && choiceRaw.contains("'tool_choice.function.name' 'nope' is not one of the 'tools'"))
        }
    }

    @Test("A streamed call sends its name, then argument deltas that add up to the unstreamed call's arguments")
    func streamedCall() async throws {
        try await ServeTests.withServer { base, _ in
            var request = body("Find recipes for pancakes.", choice: "required")
            let (_, object, raw) = try await post(base, request)
            let (message, finish) = try message(object)
            let (name, arguments) = try expectCall(message, finish: finish, raw)

            request["stream"] = true
            var urlRequest = URLRequest(url: base.appendingPathComponent("chat/completions"))
            urlRequest.httpMethod = "POST"
            urlRequest.httpBody = try Self.json(request)
            let (data, _) = try await URLSession(configuration: .ephemeral).data(for: urlRequest)
            let events = String(decoding: data, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.last == "data: [DONE]")
            var streamedName: String?
            var streamedArguments = ""
            var finishes: [String] = []
            for event in events.dropLast() {
                let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as? [String: Any])
                let choice = try #require((chunk["choices"] as? [[String: Any]])?.first)
                if let reason = choice["finish_reason"] as? String { finishes.append(reason) }
                for call in (choice["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] ?? [] {
                    let function = call["function"] as? [String: Any]
                    if let name = function?["name"] as? String { streamedName = name }
                    streamedArguments += function?["arguments"] as? String ?? ""
                }
            }
            #expect(finishes == ["tool_calls"], "\(events)")
            let streamedTool = try #require(streamedName, "no tool name streamed: \(events)")
            let schema = try #require(Self.schemas[streamedTool], "unknown tool \(streamedTool)")
            #expect(RandomSchema.validates(try JSONValue.parse(streamedArguments), schema), "\(streamedArguments)")
            #expect(streamedName == name && streamedArguments == arguments,
                    "unstreamed \(name) \(arguments), streamed \(streamedTool) \(streamedArguments)")
        }
    }
}
