import DSPyEmbedded
import DSPyEngine
import DSPyHTTP
import Foundation
import Logging

/// The embedded engine behind OpenAI's `/v1/chat/completions` and `/v1/models`.
///
/// So DSPy itself, or any OpenAI client, can use dspyc's engine:
/// `dspy.LM("openai/smollm2", api_base="http://127.0.0.1:8080/v1", api_key="none")`.
/// Concurrent requests share forward passes through the model's batch scheduler.
/// Streaming (`"stream": true`) sends server-sent events as OpenAI does. A generation
/// runs in its request's task, so when ``HTTPServer`` cancels that task (the client went
/// away) the engine stops before its next decoding step. `GET /health` reports the
/// generations in flight and how many were cancelled.
struct OpenAIServer: Sendable {
    let model: TextModel
    let modelName: String
    let statistics = ServeStatistics()
    /// With `--dspy-structured`: the model that builds constraints for DSPy-shaped requests
    /// (``DSPyRequestStructure``) as `EmbeddedLM` does for its own; `nil` serves them unconstrained.
    let structured: EmbeddedLM?
    let logger: Logger
    /// The adapter every request is generated with (`serve --program`: a fine-tuned program's); `nil`: the base model.
    let adapter: AdapterID?

    init(model: TextModel, modelName: String, dspyStructured: Bool = false, logger: Logger = Logger(label: "dspyc.serve"),
         adapter: AdapterID? = nil) {
        self.adapter = adapter
        self.model = model
        self.modelName = modelName
        self.structured = dspyStructured ? EmbeddedLM(model: model, identifier: modelName) : nil
        self.logger = logger
    }

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        switch (request.method, request.path) {
        case ("GET", "/health"), ("GET", "/v1/health"):
            let counts = statistics.snapshot
            return .json(Self.encode([
                "status": "ok", "model": modelName, "generations_in_flight": counts.inFlight,
                "generations_completed": counts.completed, "generations_cancelled": counts.cancelled,
            ]))
        case ("GET", "/v1/models"), ("GET", "/models"):
            return .json(Self.encode([
                "object": "list",
                "data": [["id": modelName, "object": "model", "created": 0, "owned_by": "dspyc"]],
            ]))
        case ("POST", "/v1/chat/completions"), ("POST", "/chat/completions"):
            return await answer { try await chatCompletion(request.body) }
        case ("POST", "/v1/completions"), ("POST", "/completions"):
            return await answer { try await completion(request.body) }
        case ("POST", "/v1/embeddings"), ("POST", "/embeddings"):
            return await answer { try await embeddings(request.body) }
        default:
            return Self.error("no route for \(request.method) \(request.path)", status: 404)
        }
    }

    /// Runs an endpoint, turning a refused request into a 400 and anything else into a 500.
    private func answer(_ endpoint: () async throws -> HTTPResponse) async -> HTTPResponse {
        do {
            return try await endpoint()
        } catch let error as OpenAIRequestError {
            return Self.error(error.message, status: 400)
        } catch let error as ConstraintError {
            return Self.error("the output constraint cannot be met: \(error)", status: 400)
        } catch {
            return Self.error("\(error)", status: 500, type: "server_error")
        }
    }

    private func chatCompletion(_ body: Data) async throws -> HTTPResponse {
        let request = try OpenAIChatRequest.decode(body)
        let id = "chatcmpl-" + UUID().uuidString.lowercased()
        let created = Int(Date().timeIntervalSince1970)
        if request.toolChoice != .none { return try await toolCompletion(request, id: id, created: created) }
        let parameters = request.parameters
        var messages = request.messages
        if !request.tools.isEmpty { messages = ToolPrompt(tools: request.tools, choice: .none).render(messages) }
        let prompt = try model.encodeChat(messages)
        let options = try await chatOptions(request)
        let topLogprobs = request.logprobs ? request.topLogprobs : nil
        let includeUsage = request.includeUsage
        let name = modelName
        if request.stream {
            let model = self.model
            let streamParameters = parameters
            return HTTPResponse(headers: [("Content-Type", "text/event-stream")], body: .stream { writer in
                try writer.write(Self.chunk(id: id, created: created, model: name, content: "", finish: nil))
                let result = try await statistics.track {
                    try await model.generate(prompt: prompt, parameters: streamParameters, options: options) { piece in
                        // A failed write means the client is gone: this task is being cancelled,
                        // and generate stops at its next step.
                        try? writer.write(Self.chunk(id: id, created: created, model: name, content: piece, finish: nil))
                    }
                }
                try writer.write(Self.chunk(id: id, created: created, model: name, content: nil,
                                            finish: result.finishReason.rawValue))
                if includeUsage {
                    let usage = Self.usage(prompt: result.promptTokens, completion: result.tokens.count)
                    let event: [String: Any] = [
                        "id": id, "object": "chat.completion.chunk", "created": created, "model": name, "choices": [],
                        "usage": usage,
                    ]
                    try writer.write("data: " + String(decoding: Self.encode(event), as: UTF8.self) + "\n\n")
                }
                try writer.write("data: [DONE]\n\n")
            })
        }
        var choices: [[String: Any]] = []
        var promptTokens = 0
        var completionTokens = 0
        for index in 0..<request.choices {
            var choiceParameters = parameters
            if index > 0, let seed = parameters.seed { choiceParameters.seed = seed &+ UInt32(truncatingIfNeeded: index) }
            let result = try await statistics.track {
                try await model.generate(prompt: prompt, parameters: choiceParameters, options: options)
            }
            var choice: [String: Any] = [
                "index": index, "message": ["role": "assistant", "content": result.text],
                "finish_reason": result.finishReason.rawValue,
            ]
            if let topLogprobs { choice["logprobs"] = ["content": logprobsContent(result.logprobs, top: topLogprobs)] }
            choices.append(choice)
            promptTokens = result.promptTokens
            completionTokens += result.tokens.count
        }
        return .json(Self.encode([
            "id": id, "object": "chat.completion", "created": created, "model": name, "choices": choices,
            "usage": Self.usage(prompt: promptTokens, completion: completionTokens),
        ]))
    }

    /// OpenAI's `usage` object.
    static func usage(prompt: Int, completion: Int) -> [String: Any] {
        ["prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion]
    }

    /// The engine's constraint for a `response_format`: any JSON object, or JSON that
    /// follows the schema (enforced token by token, so the output always parses).
    ///
    /// - Throws: ``OpenAIRequestError`` when the schema uses what the decoder cannot enforce.
    func generationOptions(_ format: OpenAIChatRequest.ResponseFormat?) async throws -> GenerationOptions {
        guard let format else { return GenerationOptions(adapter: adapter) }
        let schema: JSONSchema
        switch format {
        case .jsonObject:
            schema = .dictionary(of: .any())
        case .jsonSchema(let text):
            do { schema = try JSONSchema(jsonSchema: text) } catch {
                throw OpenAIRequestError(message: "'response_format.json_schema.schema' cannot be enforced: \(error)")
            }
        }
        let constraint = try OutputConstraint(segments: [.json(schema)], vocabulary: try await model.constraintVocabulary())
        return GenerationOptions(constraint: constraint, adapter: adapter)
    }

    /// OpenAI's `logprobs.content`: each token's text, log-probability, UTF-8 bytes and
    /// its `top` most likely alternatives.
    func logprobsContent(_ steps: [TokenLogprobs], top: Int) -> [[String: Any]] {
        let tokenizer = model.tokenizer
        func entry(_ item: TokenLogprobs.Entry) -> [String: Any] {
            let bytes = tokenizer.pieceBytes(for: item.token)
            return ["token": String(decoding: bytes, as: UTF8.self), "logprob": Double(item.logprob), "bytes": bytes.map(Int.init)]
        }
        return steps.map { step in
            var item = entry(step.chosen)
            item["top_logprobs"] = step.top.prefix(top).map(entry)
            return item
        }
    }

    /// One server-sent event of a streamed completion.
    static func chunk(id: String, created: Int, model: String, content: String?, finish: String?) -> String {
        var delta: [String: Any] = [:]
        if let content { delta["content"] = content }
        if content == "" { delta["role"] = "assistant" }
        let choice: [String: Any] = ["index": 0, "delta": delta, "finish_reason": finish.map { $0 as Any } ?? NSNull()]
        let event: [String: Any] = [
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [choice],
        ]
        return "data: " + String(decoding: encode(event), as: UTF8.self) + "\n\n"
    }

    static func encode(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    static func error(_ message: String, status: Int, type: String = "invalid_request_error") -> HTTPResponse {
        .json(encode(["error": ["message": message, "type": type, "code": status]]), status: status)
    }
}

/// Counts of the generations a server runs, for `/health` (and tests).
final class ServeStatistics: @unchecked Sendable {
    struct Counts: Equatable {
        var inFlight = 0
        var completed = 0
        var cancelled = 0
    }

    private let lock = NSLock()
    private var counts = Counts()

    var snapshot: Counts { lock.withLock { counts } }

    /// Runs one generation, counting it in flight and then completed or cancelled.
    func track<Value>(_ generation: () async throws -> Value) async throws -> Value {
        lock.withLock { counts.inFlight += 1 }
        do {
            let value = try await generation()
            lock.withLock {
                counts.inFlight -= 1
                counts.completed += 1
            }
            return value
        } catch {
            lock.withLock {
                counts.inFlight -= 1
                if error is CancellationError { counts.cancelled += 1 }
            }
            throw error
        }
    }
}
