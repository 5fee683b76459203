import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A language model behind any OpenAI-compatible `/chat/completions` endpoint:
/// `dspyc serve`, llama.cpp's server, vLLM or a hosted API.
///
/// This is how a program outgrows one machine: point it at an existing serving
/// cluster and nothing else changes. The API key is sent as a bearer token and
/// never enters ``modelIdentifier``, cache keys or logs. Output structures are
/// ignored (a remote model cannot be constrained); the ChatAdapter parses as usual.
///
/// Requests that fail in a way worth repeating (429, 5xx, a refused or broken
/// connection, a time-out) are retried with exponential back-off (``retryPolicy``),
/// and at most ``maxConcurrentRequests`` are in flight at once per instance (copies
/// share the limit), so a parallel `Evaluate` does not flood a server.
///
/// ```swift
/// let lm = OpenAICompatibleLM(model: "smollm2", baseURL: URL(string: "http://127.0.0.1:8080/v1")!)
/// ```
public struct OpenAICompatibleLM: LanguageModel {
    /// The model name sent in each request.
    public let model: String
    /// The API base, ending in `/v1` for most servers.
    public let baseURL: URL
    private let apiKey: String?
    public var defaultParameters: SamplingParameters
    /// Seconds before one attempt is abandoned (and, if attempts remain, retried).
    public var timeout: TimeInterval
    /// When to try a failed request again.
    public var retryPolicy: RetryPolicy
    /// Most requests in flight at once.
    public let maxConcurrentRequests: Int
    private let limiter: ConcurrencyLimiter

    public init(model: String, baseURL: URL, apiKey: String? = nil,
                defaultParameters: SamplingParameters = SamplingParameters(), timeout: TimeInterval = 600,
                retryPolicy: RetryPolicy = RetryPolicy(), maxConcurrentRequests: Int = 8) {
        self.model = model
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.defaultParameters = defaultParameters
        self.timeout = timeout
        self.retryPolicy = retryPolicy
        self.maxConcurrentRequests = max(1, maxConcurrentRequests)
        self.limiter = ConcurrencyLimiter(limit: max(1, maxConcurrentRequests))
    }

    public var modelIdentifier: String { "openai/\(model)@\(baseURL.host ?? baseURL.absoluteString)" }

    public func complete(_ request: LMRequest) async throws -> LMResponse {
        let parameters = defaultParameters.merged(with: request.parameters)
        var body: [String: Any] = [
            "model": model,
            "messages": request.messages.map { ["role": $0.role.rawValue, "content": $0.content] },
            "n": parameters.n,
        ]
        if let value = parameters.temperature { body["temperature"] = value }
        if let value = parameters.maxTokens { body["max_tokens"] = value }
        if let value = parameters.topP { body["top_p"] = value }
        if let value = parameters.seed { body["seed"] = value }
        if let value = parameters.stop { body["stop"] = value }
        var urlRequest = URLRequest(url: baseURL.appendingPathComponent("chat/completions"))
        urlRequest.httpMethod = "POST"
        urlRequest.timeoutInterval = timeout
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { urlRequest.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        urlRequest.httpBody = try JSONSerialization.data(withJSONObject: body)
        let clock = ContinuousClock()
        let start = clock.now
        let (data, status) = try await limiter.run { [urlRequest, retryPolicy] in
            try await Self.send(urlRequest, retryPolicy: retryPolicy)
        }
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard status == 200, let object, let choices = object["choices"] as? [[String: Any]] else {
            let message = ((object?["error"] as? [String: Any])?["message"] as? String)
                ?? String(decoding: data.prefix(300), as: UTF8.self)
            throw DSPyError.languageModel("\(urlRequest.url?.absoluteString ?? "") answered \(status): \(message)")
        }
        let completions = choices.map { choice -> LMCompletion in
            let text = (choice["message"] as? [String: Any])?["content"] as? String ?? ""
            return LMCompletion(text: text, finishReason: choice["finish_reason"] as? String)
        }
        let usage = object["usage"] as? [String: Any] ?? [:]
        return LMResponse(
            completions: completions,
            usage: TokenUsage(promptTokens: usage["prompt_tokens"] as? Int ?? 0,
                              completionTokens: usage["completion_tokens"] as? Int ?? 0),
            latency: clock.now - start, model: object["model"] as? String ?? model)
    }

    /// Sends `request`, retrying as `retryPolicy` says; returns the last answer's body and status.
    ///
    /// - Throws: `DSPyError.languageModel` when the server cannot be reached after the last
    ///   attempt, or `CancellationError` when the calling task is cancelled while waiting.
    static func send(_ request: URLRequest, retryPolicy: RetryPolicy) async throws -> (Data, Int) {
        var attempt = 1
        while true {
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                let http = response as? HTTPURLResponse
                let status = http?.statusCode ?? 0
                guard RetryPolicy.isRetryable(status: status), attempt < retryPolicy.maxAttempts else { return (data, status) }
                let wait = retryPolicy.delay(afterAttempt: attempt, retryAfter: http?.value(forHTTPHeaderField: "Retry-After"))
                try await Task.sleep(for: .seconds(wait))
            } catch let error as URLError {
                guard attempt < retryPolicy.maxAttempts, error.code != .cancelled else {
                    throw DSPyError.languageModel(
                        "cannot reach \(request.url?.absoluteString ?? "") after \(attempt) attempt(s): \(error.localizedDescription)")
                }
                try await Task.sleep(for: .seconds(retryPolicy.delay(afterAttempt: attempt)))
            }
            attempt += 1
        }
    }
}
