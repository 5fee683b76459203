@testable import DSPy
import DSPyHTTP
import Foundation
import Testing

/// `OpenAICompatibleLM`'s typed request bodies, streaming and log-prob choice scoring,
/// against a local server that records what it was sent and answers scripted bodies.
@Suite("OpenAI client: typed bodies, streaming and choice scores over HTTP", .serialized)
struct OpenAIClientWireTests {
    /// Records request bodies and headers; answers each request with the next scripted response.
    final class ScriptedServer: @unchecked Sendable {
        private let lock = NSLock()
        private var script: [HTTPResponse]
        private(set) var bodies: [[String: Any]] = []
        private(set) var authorizations: [String?] = []

        init(_ script: [HTTPResponse]) { self.script = script }

        func handle(_ request: HTTPRequest) -> HTTPResponse {
            lock.withLock {
                bodies.append((try? JSONSerialization.jsonObject(with: request.body) as? [String: Any]) ?? [:])
                authorizations.append(request.headers["authorization"])
                return script.isEmpty ? .text("no more answers", status: 500) : script.removeFirst()
            }
        }
    }

    private func withServer(_ server: ScriptedServer, _ body: (URL) async throws -> Void) async throws {
        let http = HTTPServer(port: 0) { server.handle($0) }
        let port = try await http.start()
        do { try await body(URL(string: "http://127.0.0.1:\(port)/v1")!) } catch {
            await http.stop()
            throw error
        }
        await http.stop()
    }

    static func completion(_ text: String, logprobs: String? = nil) throws -> HTTPResponse {
        let quoted = String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
        let lp = logprobs.map { #","logprobs":{"content":\#($0)}"# } ?? ""
        return .json(Data(#"{"model":"served","choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted)},"finish_reason":"stop"\#(lp)}],"usage":{"prompt_tokens":7,"completion_tokens":3}}"#.utf8))
    }

    static func events(_ payloads: [String]) -> HTTPResponse {
        HTTPResponse(headers: [("Content-Type", "text/event-stream")], body: .stream { writer in
            for payload in payloads { try writer.write("data: \(payload)\n\n") }
            try writer.write("data: [DONE]\n\n")
        })
    }

    static let sentiment = Result { try SignatureSpec("text -> sentiment: Literal['positive', 'negative']") }

    @Test("A JSONAdapter request carries response_format json_schema with the output schema; sampling fields and extras pass through")
    func jsonSchemaBody() async throws {
        let server = ScriptedServer([try Self.completion(#"{"sentiment": "positive"}"#)])
        try await withServer(server) { base in
            let lm = OpenAICompatibleLM(model: "m", baseURL: base, apiKey: "sk-test")
            let structure = OutputStructure(style: .jsonObject, signature: try Self.sentiment.get())
            let request = LMRequest(messages: [.system("s"), .user("u")],
                                    parameters: .init(temperature: 0, maxTokens: 9, stop: ["X"], extra: ["top_k": 5]),
                                    outputStructure: structure)
            _ = try await lm.complete(request)
            let body = try #require(server.bodies.first)
            #expect(body["model"] as? String == "m")
            #expect(body["max_tokens"] as? Int == 9 && body["top_k"] as? Int == 5 && body["stop"] as? [String] == ["X"])
            #expect((body["messages"] as? [[String: Any]])?.map { $0["role"] as? String } == ["system", "user"])
            let format = try #require(body["response_format"] as? [String: Any])
            #expect(format["type"] as? String == "json_schema")
            let schema = try #require((format["json_schema"] as? [String: Any])?["schema"] as? [String: Any])
            #expect(schema["required"] as? [String] == ["sentiment"])
            #expect(body["grammar"] == nil && body["logprobs"] == nil && body["stream"] == nil)
            #expect(server.authorizations.first == "Bearer sk-test")
        }
    }

    @Test("In gbnf mode a ChatAdapter request carries a grammar with its headers and choices; with choiceLogprobs, logprobs and top_logprobs")
    func grammarBody() async throws {
        let server = ScriptedServer([try Self.completion("[[ ## sentiment ## ]]\nnegative\n\n[[ ## completed ## ]]")])
        try await withServer(server) { base in
            let lm = OpenAICompatibleLM(model: "m", baseURL: base, structuredOutput: .gbnf, choiceLogprobs: 5)
            let structure = OutputStructure(style: .chatHeaders, signature: try Self.sentiment.get())
            _ = try await lm.complete(LMRequest(messages: [.user("u")], outputStructure: structure))
            let body = try #require(server.bodies.first)
            let grammar = try #require(body["grammar"] as? String)
            #expect(grammar.contains(#""[[ ## sentiment ## ]]\n""#) && grammar.contains(#""positive" | "negative""#))
            #expect(body["logprobs"] as? Bool == true && body["top_logprobs"] as? Int == 5)
            #expect(body["response_format"] == nil)
            #expect(lm.modelIdentifier.hasSuffix("+gbnf+logprobs=5"))
        }
    }

    @Test("Choice scores come from the returned top log-probs, and calibration offsets can overturn the generated choice")
    func choiceScoresFromLogprobs() async throws {
        let tokens = #"[{"token":"[[ ## sentiment ## ]]\n","logprob":-0.01,"top_logprobs":[]},{"token":"neg","logprob":-0.4,"top_logprobs":[{"token":"neg","logprob":-0.4},{"token":"pos","logprob":-1.2}]},{"token":"ative","logprob":-0.05,"top_logprobs":[]},{"token":"\n\n[[ ## completed ## ]]","logprob":-0.1,"top_logprobs":[]}]"#
        let text = "[[ ## sentiment ## ]]\nnegative\n\n[[ ## completed ## ]]"
        let server = ScriptedServer([try Self.completion(text, logprobs: tokens), try Self.completion(text, logprobs: tokens)])
        try await withServer(server) { base in
            let lm = OpenAICompatibleLM(model: "m", baseURL: base, choiceLogprobs: 5)
            let signature = try Self.sentiment.get()
            let plain = try await lm.complete(LMRequest(messages: [.user("u")],
                                                        outputStructure: OutputStructure(style: .chatHeaders, signature: signature)))
            let scores = Prediction.choiceScores(fromMetadata: plain.metadata)["sentiment"]
            #expect(abs((scores?["negative"] ?? 0) - -0.4) < 1e-9, "scored at the token that tells it from positive")
            #expect(abs((scores?["positive"] ?? 0) - -1.2) < 1e-9)
            #expect(plain.completions.first?.text == text)

            let calibrated = signature.withChoiceOffsets("sentiment", ["positive": -0.5, "negative": 0.5])
            let shifted = try await lm.complete(LMRequest(messages: [.user("u")],
                                                          outputStructure: OutputStructure(style: .chatHeaders, signature: calibrated)))
            #expect(shifted.completions.first?.text == "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]")
        }
    }

    @Test("A streamed completion arrives as deltas that concatenate to the text, with the usage of the last event")
    func streaming() async throws {
        let chunks = ["Hel", "lo, ", "world"].map { #"{"model":"served","choices":[{"index":0,"delta":{"content":"\#($0)"}}]}"# }
            + [#"{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
               #"{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":3}}"#]
        let server = ScriptedServer([.text("busy", status: 503), Self.events(chunks)])
        try await withServer(server) { base in
            let lm = OpenAICompatibleLM(model: "m", baseURL: base, retryPolicy: RetryPolicy(maxAttempts: 3, baseDelay: 0.01))
            let pieces = PieceCollector()
            let response = try await lm.stream(LMRequest(messages: [.user("u")])) { pieces.add($0) }
            #expect(pieces.all == ["Hel", "lo, ", "world"])
            #expect(response.completions.first?.text == "Hello, world")
            #expect(response.completions.first?.finishReason == "stop")
            #expect(response.usage.completionTokens == 3)
            #expect(server.bodies.count == 2, "the 503 before any event was retried")
            #expect(server.bodies.last?["stream"] as? Bool == true)
        }
    }

    @Test("A streamed error answer reports the server's message; a malformed event names itself")
    func streamingErrors() async throws {
        let server = ScriptedServer([.json(Data(#"{"error":{"message":"bad model"}}"#.utf8), status: 400), Self.events(["not json"])])
        try await withServer(server) { base in
            let lm = OpenAICompatibleLM(model: "m", baseURL: base, retryPolicy: .none)
            do {
                for try await _ in try lm.deltas(LMRequest(messages: [.user("u")])) {}
                Issue.record("a 400 answer should fail")
            } catch {
                #expect("\(error)".contains("answered 400: bad model"))
            }
            do {
                for try await _ in try lm.deltas(LMRequest(messages: [.user("u")])) {}
                Issue.record("a malformed event should fail")
            } catch {
                #expect("\(error)".contains("not a chat completion chunk"))
            }
        }
    }
}

/// Collects streamed pieces from any thread.
final class PieceCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var pieces: [String] = []
    func add(_ piece: String) { lock.withLock { pieces.append(piece) } }
    var all: [String] { lock.withLock { pieces } }
}
