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

/// The OpenAI API surface of `dspyc serve` beyond plain chat, over real HTTP on loopback:
/// structured output, log-probs, usage in streams, completions and embeddings.
@Suite("dspyc serve: response_format, logprobs, completions, embeddings", .serialized)
struct ServeAPITests {
    private func withServer(_ body: (URL, TextModel) async throws -> Void) async throws {
        try await ServeTests.withServer(body)
    }

    /// POSTs a JSON body; returns the status and the parsed JSON object (or the raw text).
    private func post(_ url: URL, _ body: [String: Any]) async throws -> (Int, [String: Any], String) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? -1, object, String(decoding: data, as: UTF8.self))
    }

    private func content(_ object: [String: Any]) -> String? {
        ((object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
    }

    @Test("json_schema output parses and validates for 50 random schemas; json_object gives an object")
    func structuredOutput() async throws {
        try await withServer { base, _ in
            var random = ServeSeededRandom(seed: 20)
            for index in 0..<50 {
                let schema = RandomSchema.object(&random, depth: 0)
                let (status, object, raw) = try await post(base.appendingPathComponent("chat/completions"), [
                    "messages": [["role": "user", "content": "Describe a person as JSON."]],
                    "temperature": 0.7, "seed": index, "max_tokens": 400,
                    "response_format": ["type": "json_schema", "json_schema": ["name": "thing", "schema": schema]],
                ])
                #expect(status == 200, "schema \(index): \(raw)")
                let text = try #require(content(object), "schema \(index): \(raw)")
                let value = try JSONValue.parse(text)
                #expect(RandomSchema.validates(value, schema), "schema \(index) \(schema): \(text)")
            }
            let (status, object, raw) = try await post(base.appendingPathComponent("chat/completions"), [
                "messages": [["role": "user", "content": "Give me a JSON object with a name and an age."]],
                "temperature": 0, "max_tokens": 400, "response_format": ["type": "json_object"],
            ])
            #expect(status == 200, "\(raw)")
            let text = try #require(content(object))
            let finish = (object["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String
            // Cut off by max_tokens, JSON mode can only promise a prefix of an object (as OpenAI's does).
            #expect(text.hasPrefix("{"), "\(text)")
            if finish == "stop" {
                guard case .object = try JSONValue.parse(text) else {
                    Issue.record("json_object gave \(text)")
                    return
                }
            }
        }
    }

    @Test("logprobs and top_logprobs equal the engine's own for the same greedy generation")
    func logprobs() async throws {
        try await withServer { base, model in
            let (status, object, raw) = try await post(base.appendingPathComponent("chat/completions"), [
                "messages": [["role": "user", "content": "Name a colour."]], "temperature": 0, "max_tokens": 8,
                "logprobs": true, "top_logprobs": 3,
            ])
            #expect(status == 200, "\(raw)")
            let choice = try #require((object["choices"] as? [[String: Any]])?.first)
            let items = try #require((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])
            var parameters = DSPyEngine.SamplingParameters(temperature: 0, maxTokens: 8)
            parameters.logprobs = 3
            let direct = try await model.generate(
                prompt: try model.encodeChat([DSPyEngine.ChatMessage(.user, "Name a colour.")]), parameters: parameters)
            try #require(items.count == direct.logprobs.count)
            for (item, step) in zip(items, direct.logprobs) {
                let logprob = try #require(item["logprob"] as? Double)
                #expect(abs(logprob - Double(step.chosen.logprob)) < 1e-3)
                let top = try #require(item["top_logprobs"] as? [[String: Any]])
                #expect(top.count == 3)
                #expect(abs((top.first?["logprob"] as? Double ?? 0) - Double(step.top[0].logprob)) < 1e-3)
            }
            let texts = items.compactMap { $0["token"] as? String }.joined()
            #expect(texts == direct.text)
        }
    }

    @Test("stream_options.include_usage adds a last chunk with the token counts")
    func streamUsage() async throws {
        try await withServer { base, _ in
            var request = URLRequest(url: base.appendingPathComponent("chat/completions"))
            request.httpMethod = "POST"
            request.httpBody = Data(#"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":6,"temperature":0,"stream":true,"stream_options":{"include_usage":true}}"#.utf8)
            let (data, _) = try await URLSession(configuration: .ephemeral).data(for: request)
            let events = String(decoding: data, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.last == "data: [DONE]")
            let usageEvent = try #require(events.dropLast().last)
            let usage = try #require(
                (try JSONSerialization.jsonObject(with: Data(usageEvent.dropFirst(6).utf8)) as? [String: Any])?["usage"] as? [String: Any])
            #expect((usage["completion_tokens"] as? Int ?? 0) > 0 && (usage["prompt_tokens"] as? Int ?? 0) > 0)
        }
    }

    @Test("/v1/completions continues a raw prompt; /v1/embeddings gives the engine's vectors")
    func completionsAndEmbeddings() async throws {
        try await withServer { base, model in
            let (status, object, raw) = try await post(base.appendingPathComponent("completions"), [
                "prompt": "The capital of France is", "max_tokens": 5, "temperature": 0, "logprobs": 2,
            ])
            #expect(status == 200, "\(raw)")
            #expect(object["object"] as? String == "text_completion")
            let choice = try #require((object["choices"] as? [[String: Any]])?.first)
            let direct = try await model.generate(
                prompt: model.tokenizer.encode("The capital of France is", parseSpecial: true),
                parameters: DSPyEngine.SamplingParameters(temperature: 0, maxTokens: 5))
            #expect(choice["text"] as? String == direct.text)
            #expect(((choice["logprobs"] as? [String: Any])?["token_logprobs"] as? [Double])?.count == direct.tokens.count)

            let (embedStatus, embedded, embedRaw) = try await post(base.appendingPathComponent("embeddings"), [
                "input": ["a red apple", "a green pear"], "model": "smollm2-135m-instruct",
            ])
            #expect(embedStatus == 200, "\(embedRaw)")
            let data = try #require(embedded["data"] as? [[String: Any]])
            #expect(data.count == 2)
            let vector = try #require(data.first?["embedding"] as? [Double])
            let expected = try await model.embed("a red apple")
            #expect(vector.count == expected.count)
            #expect(zip(vector, expected).allSatisfy { abs($0 - Double($1)) < 1e-4 })

            let (badStatus, _, badRaw) = try await post(base.appendingPathComponent("embeddings"), ["input": [1, 2]])
            #expect(badStatus == 400 && badRaw.contains("input[0] must be a string"))
        }
    }
}

/// SplitMix64, for the random schemas (seeded: the same 50 schemas every run).
struct ServeSeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Small random JSON schemas of the kinds structured output meets, and a validator for them.
enum RandomSchema {
    static func value(_ random: inout ServeSeededRandom, depth: Int) -> [String: Any] {
        switch random.below(depth < 1 ? 7 : 5) {
        case 0: return ["type": "string", "maxLength": 1 + random.below(24)]
        case 1: return ["type": "integer"]
        case 2: return ["type": "number"]
        case 3: return ["type": "boolean"]
        case 4: return ["enum": ["red", "green", "blue", "other"].prefix(2 + random.below(3)).map { $0 }]
        case 5: return ["type": "array", "items": ["type": "integer"], "maxItems": 1 + random.below(4)]
        default: return object(&random, depth: depth + 1)
        }
    }

    static func object(_ random: inout ServeSeededRandom, depth: Int) -> [String: Any] {
        let names = ["name", "age", "score", "ok", "colour", "tags", "info", "city"]
        var properties: [String: Any] = [:]
        for name in names.prefix(1 + random.below(4)) { properties[name] = value(&random, depth: depth) }
        return ["type": "object", "properties": properties, "required": properties.keys.sorted()]
    }

    static func validates(_ value: JSONValue, _ schema: [String: Any]) -> Bool {
        if let choices = schema["enum"] as? [String] { return value.stringValue.map(choices.contains) ?? false }
        switch (schema["type"] as? String, value) {
        case ("string", .string(let text)): return text.count <= (schema["maxLength"] as? Int ?? .max)
        case ("integer", .int): return true
        case ("number", .int), ("number", .double): return true
        case ("boolean", .bool): return true
        case ("array", .array(let items)):
            guard let itemSchema = schema["items"] as? [String: Any] else { return false }
            return items.count <= (schema["maxItems"] as? Int ?? .max) && items.allSatisfy { validates($0, itemSchema) }
        case ("object", .object(let object)):
            guard let properties = schema["properties"] as? [String: [String: Any]] else { return false }
            return Set(object.map(\.key)) == Set(properties.keys)
                && properties.allSatisfy { key, sub in object[key].map { validates($0, sub) } ?? false }
        default:
            return false
        }
    }
}
