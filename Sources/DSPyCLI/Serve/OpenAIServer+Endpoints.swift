import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyHTTP
import Foundation

/// `/v1/completions` (a raw prompt, no chat template) and `/v1/embeddings`.
extension OpenAIServer {
    /// The most texts one `/v1/embeddings` request may embed.
    static let maximumEmbeddingInputs = 256

    /// `POST /v1/completions`: `prompt` (a string, or a list holding one) continued as is.
    ///
    /// Takes the chat endpoint's sampling fields (`temperature`, `top_p`, `seed`, `stop`,
    /// `max_tokens`, `n`, `response_format`); `logprobs` is the legacy integer (0–5), answered
    /// in the legacy shape (`tokens`, `token_logprobs`, `top_logprobs`). No streaming here.
    func completion(_ body: Data) async throws -> HTTPResponse {
        var fields = try OpenAIChatRequest.object(body)
        let prompt: String
        switch fields["prompt"] {
        case .string(let text)?: prompt = text
        case .array(let items)? where items.count == 1 && items[0].stringValue != nil: prompt = items[0].stringValue ?? ""
        default: throw OpenAIRequestError(message: "'prompt' must be a string (or a list of one string)")
        }
        var logprobs = 0
        if let value = fields["logprobs"], !value.isNull {
            guard let count = value.intValue, (0...5).contains(count) else {
                throw OpenAIRequestError(message: "'logprobs' must be an integer from 0 to 5 on /v1/completions")
            }
            logprobs = count
        }
        if fields["stream"]?.boolValue == true {
            throw OpenAIRequestError(message: "streaming is not supported on /v1/completions; use /v1/chat/completions")
        }
        fields["prompt"] = nil
        fields["logprobs"] = nil
        fields["messages"] = .array([.object(["role": "user", "content": ""])])
        var request = try OpenAIChatRequest.decode(fields: fields)
        if logprobs > 0 { request.parameters.logprobs = logprobs }
        let tokens = model.tokenizer.encode(prompt, parseSpecial: true)
        guard !tokens.isEmpty else { throw OpenAIRequestError(message: "'prompt' is empty") }
        let options = try await generationOptions(request.responseFormat)
        var choices: [[String: Any]] = []
        var completionTokens = 0
        for index in 0..<request.choices {
            var parameters = request.parameters
            if index > 0, let seed = parameters.seed { parameters.seed = seed &+ UInt32(truncatingIfNeeded: index) }
            let result = try await statistics.track {
                try await model.generate(prompt: tokens, parameters: parameters, options: options)
            }
            completionTokens += result.tokens.count
            var choice: [String: Any] = ["index": index, "text": result.text, "finish_reason": result.finishReason.rawValue]
            choice["logprobs"] = logprobs > 0 ? legacyLogprobs(result.logprobs, top: logprobs) : NSNull()
            choices.append(choice)
        }
        return .json(Self.encode([
            "id": "cmpl-" + UUID().uuidString.lowercased(), "object": "text_completion",
            "created": Int(Date().timeIntervalSince1970), "model": modelName, "choices": choices,
            "usage": Self.usage(prompt: tokens.count, completion: completionTokens),
        ]))
    }

    /// `POST /v1/embeddings`: `input` (a string or a list of strings) as mean-pooled,
    /// L2-normalized final hidden states, one vector per text, in order.
    func embeddings(_ body: Data) async throws -> HTTPResponse {
        let fields = try OpenAIChatRequest.object(body)
        let inputs: [String]
        switch fields["input"] {
        case .string(let text)?: inputs = [text]
        case .array(let items)? where !items.isEmpty:
            inputs = try items.enumerated().map { index, item throws(OpenAIRequestError) in
                guard let text = item.stringValue else { throw OpenAIRequestError(message: "input[\(index)] must be a string") }
                return text
            }
        default: throw OpenAIRequestError(message: "'input' must be a string or a non-empty list of strings")
        }
        guard inputs.count <= Self.maximumEmbeddingInputs else {
            throw OpenAIRequestError(message: "'input' may hold at most \(Self.maximumEmbeddingInputs) texts, got \(inputs.count)")
        }
        if let format = fields["encoding_format"]?.stringValue, format != "float" {
            throw OpenAIRequestError(message: "'encoding_format' must be 'float', got '\(format)'")
        }
        let vectors = try await EngineEmbedder(model: model).embed(inputs)
        let promptTokens = inputs.reduce(0) { $0 + model.tokenizer.encode($1, parseSpecial: false).count }
        let data: [[String: Any]] = vectors.enumerated().map { index, vector in
            ["object": "embedding", "index": index, "embedding": vector.map(Double.init)]
        }
        return .json(Self.encode([
            "object": "list", "data": data, "model": modelName,
            "usage": ["prompt_tokens": promptTokens, "total_tokens": promptTokens],
        ]))
    }

    /// The legacy completions `logprobs` object.
    private func legacyLogprobs(_ steps: [TokenLogprobs], top: Int) -> [String: Any] {
        let tokenizer = model.tokenizer
        func text(_ id: Int32) -> String { String(decoding: tokenizer.pieceBytes(for: id), as: UTF8.self) }
        return [
            "tokens": steps.map { text($0.chosen.token) },
            "token_logprobs": steps.map { Double($0.chosen.logprob) },
            "top_logprobs": steps.map { step in
                Dictionary(step.top.prefix(top).map { (text($0.token), Double($0.logprob)) }, uniquingKeysWith: max)
            },
        ]
    }
}
