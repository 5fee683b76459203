import DSPy
import DSPyEngine
import DSPyHTTP
import Foundation

/// `/v1/chat/completions` with `tools` and a `tool_choice` other than `none`.
///
/// The tools are listed in a system preamble (``ToolPrompt``) and the completion is decoded
/// by ``ToolCallDecoder``. A call comes back as OpenAI's `message.tool_calls` (`content`
/// null, `finish_reason` `tool_calls`); a text answer (`auto`) as `content`. Streamed, a call
/// is a `tool_calls` delta with its id and name, then deltas of its `arguments`; an answer is
/// `content` deltas.
extension OpenAIServer {
    func toolCompletion(_ request: OpenAIChatRequest, id: String, created: Int) async throws -> HTTPResponse {
        let toolPrompt = ToolPrompt(tools: request.tools, choice: request.toolChoice)
        let prompt = try model.encodeChat(toolPrompt.render(request.messages))
        let decoder = ToolCallDecoder(model: model, prompt: toolPrompt, adapter: adapter)
        let name = modelName
        let topLogprobs = request.logprobs ? request.topLogprobs : nil
        if request.stream {
            let parameters = request.parameters
            let includeUsage = request.includeUsage
            let callID = Self.toolCallID()
            return HTTPResponse(headers: [("Content-Type", "text/event-stream")], body: .stream { writer in
                try writer.write(Self.chunk(id: id, created: created, model: name, content: "", finish: nil))
                let result = try await statistics.track {
                    try await decoder.generate(prompt: prompt, parameters: parameters) { event in
                        let delta: [String: Any]
                        switch event {
                        case .callStarted(let tool):
                            delta = ["tool_calls": [[
                                "index": 0, "id": callID, "type": "function", "function": ["name": tool, "arguments": ""],
                            ]]]
                        case .arguments(let piece):
                            delta = ["tool_calls": [["index": 0, "function": ["arguments": piece]]]]
                        case .text(let piece):
                            delta = ["content": piece]
                        }
                        // A failed write means the client is gone: the task is being cancelled.
                        try? writer.write(Self.event(id: id, created: created, model: name, delta: delta, finish: nil))
                    }
                }
                try writer.write(Self.event(id: id, created: created, model: name, delta: [:], finish: result.finishReason))
                if includeUsage {
                    let usage = Self.usage(prompt: result.promptTokens, completion: result.completionTokens)
                    try writer.write("data: " + String(decoding: Self.encode([
                        "id": id, "object": "chat.completion.chunk", "created": created, "model": name, "choices": [],
                        "usage": usage,
                    ]), as: UTF8.self) + "\n\n")
                }
                try writer.write("data: [DONE]\n\n")
            })
        }
        var choices: [[String: Any]] = []
        var completionTokens = 0
        var promptTokens = prompt.count
        for index in 0..<request.choices {
            var parameters = request.parameters
            if index > 0, let seed = parameters.seed { parameters.seed = seed &+ UInt32(truncatingIfNeeded: 2 * index) }
            let result = try await statistics.track { try await decoder.generate(prompt: prompt, parameters: parameters) }
            var message: [String: Any] = ["role": "assistant"]
            switch result.outcome {
            case .call(let tool, let arguments):
                message["content"] = NSNull()
                message["tool_calls"] = [[
                    "id": Self.toolCallID(), "type": "function", "function": ["name": tool, "arguments": arguments],
                ]]
            case .text(let text):
                message["content"] = text
            }
            var choice: [String: Any] = ["index": index, "message": message, "finish_reason": result.finishReason]
            if let topLogprobs { choice["logprobs"] = ["content": logprobsContent(result.logprobs, top: topLogprobs)] }
            choices.append(choice)
            completionTokens += result.completionTokens
            promptTokens = result.promptTokens
        }
        return .json(Self.encode([
            "id": id, "object": "chat.completion", "created": created, "model": name, "choices": choices,
            "usage": Self.usage(prompt: promptTokens, completion: completionTokens),
        ]))
    }

    /// A fresh tool call id (`call_` and 24 hex digits).
    static func toolCallID() -> String {
        "call_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
    }

    /// One server-sent event of a streamed completion with this `delta`.
    static func event(id: String, created: Int, model: String, delta: [String: Any], finish: String?) -> String {
        let choice: [String: Any] = ["index": 0, "delta": delta, "finish_reason": finish.map { $0 as Any } ?? NSNull()]
        let event: [String: Any] = [
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [choice],
        ]
        return "data: " + String(decoding: encode(event), as: UTF8.self) + "\n\n"
    }
}
