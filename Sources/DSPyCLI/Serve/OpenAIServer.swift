import DSPyEngine
import DSPyHTTP
import Foundation

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
            do {
                return try await chatCompletion(request.body)
            } catch let error as OpenAIRequestError {
                return Self.error(error.message, status: 400)
            } catch {
                return Self.error("\(error)", status: 500, type: "server_error")
            }
        default:
            return Self.error("no route for \(request.method) \(request.path)", status: 404)
        }
    }

    private func chatCompletion(_ body: Data) async throws -> HTTPResponse {
        let request = try OpenAIChatRequest.decode(body)
        let parameters = request.parameters
        let prompt = try model.encodeChat(request.messages)
        let id = "chatcmpl-" + UUID().uuidString.lowercased()
        let created = Int(Date().timeIntervalSince1970)
        let name = modelName
        if request.stream {
            let model = self.model
            let streamParameters = parameters
            return HTTPResponse(headers: [("Content-Type", "text/event-stream")], body: .stream { writer in
                try writer.write(Self.chunk(id: id, created: created, model: name, content: "", finish: nil))
                let result = try await statistics.track {
                    try await model.generate(prompt: prompt, parameters: streamParameters) { piece in
                        // A failed write means the client is gone: this task is being cancelled,
                        // and generate stops at its next step.
                        try? writer.write(Self.chunk(id: id, created: created, model: name, content: piece, finish: nil))
                    }
                }
                try writer.write(Self.chunk(id: id, created: created, model: name, content: nil,
                                            finish: result.finishReason.rawValue))
                try writer.write("data: [DONE]\n\n")
            })
        }
        var choices: [[String: Any]] = []
        var promptTokens = 0
        var completionTokens = 0
        for index in 0..<request.choices {
            var choiceParameters = parameters
            if index > 0, let seed = parameters.seed { choiceParameters.seed = seed &+ UInt32(truncatingIfNeeded: index) }
                let result = try await statistics.track { try await model.generate(prompt: prompt, parameters: choiceParameters) }
            choices.append([
                "index": index, "message": ["role": "assistant", "content": result.text],
                "finish_reason": result.finishReason.rawValue,
            ])
            promptTokens = result.promptTokens
            completionTokens += result.tokens.count
        }
        return .json(Self.encode([
            "id": id, "object": "chat.completion", "created": created, "model": name, "choices": choices,
            "usage": ["prompt_tokens": promptTokens, "completion_tokens": completionTokens,
                      "total_tokens": promptTokens + completionTokens],
        ]))
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
