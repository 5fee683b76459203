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

@Suite("dspyc serve: the engine behind an OpenAI-compatible API, over real HTTP", .serialized)
struct ServeTests {
    // No prefix cache: the direct run must take the arithmetic path the served one took.
    static let model = Result { try TextModel(contentsOf: Fixtures.defaultModel, threads: 1, prefixCacheBudget: 0) }

    /// Runs `body` against an OpenAI server for ``model`` on a free loopback port (its `/v1` URL).
    static func withServer(dspyStructured: Bool = false, _ body: (URL, TextModel) async throws -> Void) async throws {
        let model = try Self.model.get()
        let api = OpenAIServer(model: model, modelName: "smollm2-135m-instruct", dspyStructured: dspyStructured)
        let server = HTTPServer(port: 0) { await api.handle($0) }
        let port = try await server.start()
        do {
            try await body(URL(string: "http://127.0.0.1:\(port)/v1")!, model)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private func withServer(_ body: (URL, TextModel) async throws -> Void) async throws {
        try await Self.withServer(body)
    }

    @Test("OpenAICompatibleLM gets the same greedy text from the server as the engine gives directly")
    func clientAgainstServer() async throws {
        try await withServer { base, model in
            let lm = OpenAICompatibleLM(model: "smollm2-135m-instruct", baseURL: base, apiKey: "secret-key")
            let messages: [DSPy.ChatMessage] = [.user("Name three colours.")]
            let response = try await lm.complete(LMRequest(messages: messages, parameters: .init(temperature: 0, maxTokens: 24)))
            let direct = try await model.generate(
                prompt: try model.encodeChat([DSPyEngine.ChatMessage(.user, "Name three colours.")]),
                parameters: .init(temperature: 0, maxTokens: 24))
            #expect(response.completions.first?.text == direct.text)
            #expect(response.usage.completionTokens == direct.tokens.count)
            #expect(!lm.modelIdentifier.contains("secret"))
        }
    }

    @Test("A Predict program runs on the served model through the client")
    func predictOverHTTP() async throws {
        try await withServer { base, _ in
            let lm = OpenAICompatibleLM(model: "smollm2-135m-instruct", baseURL: base,
                                        defaultParameters: .init(temperature: 0, maxTokens: 64))
            let predict = try Predict("question -> answer")
            let log = MemoryCallLog()
            // Over HTTP nothing constrains the 135M model's format: the call either parses
            // or fails with the ChatAdapter's parse error, and both are fine here. What must
            // hold is that the program's prompt went to the server and its reply came back.
            let outcome: Result<Prediction, Error>
            do {
                outcome = .success(try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) {
                    try await predict(["question": "What is the capital of France?"])
                })
            } catch { outcome = .failure(error) }
            let record = try #require(log.records.first)
            #expect(record.request.messages.first?.content.contains("Your input fields are:") == true)
            #expect(record.request.messages.last?.content.contains("What is the capital of France?") == true)
            #expect(record.completions.first?.isEmpty == false, "the server's completion reached the client")
            switch outcome {
            case .success(let prediction):
                #expect(prediction["answer"] != nil)
            case .failure(let error):
                guard case DSPyError.adapterParse = error else {
                    Issue.record("expected a prediction or a parse error, got \(error)")
                    return
                }
            }
        }
    }

    @Test("/v1/models lists the model; streaming sends server-sent events; bad requests get OpenAI errors")
    func routes() async throws {
        try await withServer { base, _ in
            let (models, _) = try await URLSession.shared.data(from: base.appendingPathComponent("models"))
            #expect(String(decoding: models, as: UTF8.self).contains("\"id\":\"smollm2-135m-instruct\""))

            var stream = URLRequest(url: base.appendingPathComponent("chat/completions"))
            stream.httpMethod = "POST"
            stream.httpBody = Data(#"{"messages":[{"role":"user","content":"Hi"}],"max_tokens":8,"temperature":0,"stream":true}"#.utf8)
            let (events, _) = try await URLSession.shared.data(for: stream)
            let text = String(decoding: events, as: UTF8.self)
            #expect(text.hasPrefix("data: {"))
            #expect(text.contains("\"object\":\"chat.completion.chunk\""))
            #expect(text.hasSuffix("data: [DONE]\n\n"))

            var bad = URLRequest(url: base.appendingPathComponent("chat/completions"))
            bad.httpMethod = "POST"
            bad.httpBody = Data(#"{"messages":[{"role":"wizard","content":"Hi"}]}"#.utf8)
            let (body, response) = try await URLSession.shared.data(for: bad)
            #expect((response as? HTTPURLResponse)?.statusCode == 400)
            #expect(String(decoding: body, as: UTF8.self).contains("messages[0].role must be system, user, assistant or tool"))
        }
    }
}
