import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A language model behind any OpenAI-compatible `/chat/completions` endpoint:
/// `dspyc serve`, llama.cpp's server, vLLM or a hosted API.
///
/// This is how a program outgrows one machine: point it at an existing serving
/// cluster and nothing else changes. The API key is sent as a bearer token and
/// never enters ``modelIdentifier``, cache keys or logs.
///
/// Structured output (``structuredOutput``) passes the adapter's ``OutputStructure`` on
/// where the server can enforce it: JSONAdapter requests as `response_format`
/// `json_schema`, and with ``StructuredOutput/gbnf`` also ChatAdapter requests as a GBNF
/// `grammar` (llama.cpp's server, llama-cpp-python's server). With ``choiceLogprobs`` set,
/// ChatAdapter choice fields are scored from the server's top log-probabilities
/// (``RemoteChoiceScores``), so calibrated choices work remotely.
///
/// Requests that fail in a way worth repeating (429, 5xx, a refused or broken
/// connection, a time-out) are retried with exponential back-off (``retryPolicy``),
/// and at most ``maxConcurrentRequests`` are in flight at once per instance (copies
/// share the limit), so a parallel `Evaluate` does not flood a server.
///
/// ```swift
/// let lm = OpenAICompatibleLM(model: "smollm2", baseURL: URL(string: "http://127.0.0.1:8080/v1")!,
///                             structuredOutput: .gbnf, choiceLogprobs: 10)
/// ```
public struct OpenAICompatibleLM: LanguageModel {
    /// What the client asks the server to enforce.
    public enum StructuredOutput: String, Sendable, Codable, CaseIterable {
        /// Nothing: the adapter parses whatever comes back.
        case none
        /// JSONAdapter requests carry `response_format: json_schema` (OpenAI, vLLM, llama.cpp).
        case jsonSchema = "json-schema"
        /// Also ChatAdapter requests carry a GBNF `grammar` (llama.cpp's and llama-cpp-python's servers only).
        case gbnf
    }

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
    /// What the server is asked to enforce (default ``StructuredOutput/jsonSchema``: every
    /// OpenAI-compatible server accepts it).
    public var structuredOutput: StructuredOutput
    /// `top_logprobs` for scoring ChatAdapter choices (`nil`: no log-probs requested).
    public var choiceLogprobs: Int?
    let limiter: ConcurrencyLimiter

    public init(model: String, baseURL: URL, apiKey: String? = nil,
                defaultParameters: SamplingParameters = SamplingParameters(), timeout: TimeInterval = 600,
                retryPolicy: RetryPolicy = RetryPolicy(), maxConcurrentRequests: Int = 8,
                structuredOutput: StructuredOutput = .jsonSchema, choiceLogprobs: Int? = nil) {
        self.model = model
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.defaultParameters = defaultParameters
        self.timeout = timeout
        self.retryPolicy = retryPolicy
        self.maxConcurrentRequests = max(1, maxConcurrentRequests)
        self.structuredOutput = structuredOutput
        self.choiceLogprobs = choiceLogprobs.map { max(1, $0) }
        self.limiter = ConcurrencyLimiter(limit: max(1, maxConcurrentRequests))
    }

    /// `openai/NAME@host[:port]`, plus how decoding differs from plain chat completions
    /// (a GBNF grammar, log-prob choice scoring), so differently decoded calls never share cache entries.
    public var modelIdentifier: String {
        var identifier = "openai/\(model)@\(Self.hostName(baseURL))"
        if structuredOutput == .gbnf { identifier += "+gbnf" }
        if structuredOutput == .none { identifier += "+unconstrained" }
        if let choiceLogprobs { identifier += "+logprobs=\(choiceLogprobs)" }
        return identifier
    }

    /// The host and port of `url` (the whole URL when it has no host).
    public static func hostName(_ url: URL) -> String {
        guard let host = url.host else { return url.absoluteString }
        return url.port.map { "\(host):\($0)" } ?? host
    }

    /// The typed body for `request` (`stream` set for streaming).
    public func body(for request: LMRequest, stream: Bool = false) -> OpenAIWire.ChatCompletionRequest {
        let parameters = defaultParameters.merged(with: request.parameters)
        var body = OpenAIWire.ChatCompletionRequest(
            model: model, messages: request.messages.map { .init(role: $0.role.rawValue, content: $0.content) })
        body.n = parameters.n
        body.temperature = parameters.temperature
        body.maxTokens = parameters.maxTokens
        body.topP = parameters.topP
        body.seed = parameters.seed
        body.stop = parameters.stop
        body.extra = parameters.extra
        if stream {
            body.stream = true
            body.streamOptions = .init(includeUsage: true)
        }
        if let structure = request.outputStructure {
            if structure.style == .jsonObject, structuredOutput != .none {
                body.responseFormat = .jsonSchema(structure.jsonSchema)
            }
            if structure.style == .chatHeaders, structuredOutput == .gbnf {
                body.grammar = GBNFGrammar.chatAdapter(structure)
            }
            if structure.style == .chatHeaders, let choiceLogprobs,
               structure.fields.contains(where: { ($0.choices?.count ?? 0) > 1 }) {
                body.logprobs = true
                body.topLogprobs = choiceLogprobs
            }
        }
        return body
    }

    /// The HTTP request for `body` (the key as a bearer token).
    func urlRequest(_ body: OpenAIWire.ChatCompletionRequest) throws -> URLRequest {
        var urlRequest = URLRequest(url: baseURL.appendingPathComponent("chat/completions"))
        urlRequest.httpMethod = "POST"
        urlRequest.timeoutInterval = timeout
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { urlRequest.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        urlRequest.httpBody = try JSONEncoder().encode(body)
        return urlRequest
    }

    public func complete(_ request: LMRequest) async throws -> LMResponse {
        let urlRequest = try urlRequest(body(for: request))
        let clock = ContinuousClock()
        let start = clock.now
        let (data, status) = try await limiter.run { [urlRequest, retryPolicy] in
            try await Self.send(urlRequest, retryPolicy: retryPolicy)
        }
        guard status == 200 else { throw Self.failure(urlRequest, status: status, body: data) }
        let decoded: OpenAIWire.ChatCompletionResponse
        do {
            decoded = try JSONDecoder().decode(OpenAIWire.ChatCompletionResponse.self, from: data)
        } catch {
            throw DSPyError.languageModel("\(urlRequest.url?.absoluteString ?? "") answered a body that is not a chat completion "
                + "(\(error)): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        let texts = decoded.choices.map { $0.message?.content ?? "" }
        return response(for: request, texts: texts, finishReasons: decoded.choices.map(\.finishReason),
                        logprobs: decoded.choices.first?.logprobs?.content ?? [], usage: decoded.usage,
                        model: decoded.model, latency: clock.now - start)
    }

    /// The response for completions `texts`, with choice scores from the first one's log-probs.
    func response(for request: LMRequest, texts: [String], finishReasons: [String?], logprobs: [OpenAIWire.TokenLogprob],
                  usage: OpenAIWire.Usage?, model answered: String?, latency: Duration) -> LMResponse {
        var texts = texts
        var metadata = JSONObject()
        if let structure = request.outputStructure, choiceLogprobs != nil, let first = texts.first, !logprobs.isEmpty {
            let (text, scores) = RemoteChoiceScores.apply(structure, text: first, tokens: logprobs)
            texts[0] = text
            if !scores.isEmpty { metadata["choice_scores"] = .array(scores) }
        }
        if request.outputStructure != nil {
            let body = body(for: request)
            if body.grammar != nil { metadata["constraint"] = "gbnf" }
            if body.responseFormat != nil { metadata["constraint"] = "response_format json_schema" }
        }
        let completions = zip(texts, finishReasons).map { LMCompletion(text: $0, finishReason: $1) }
        return LMResponse(
            completions: completions,
            usage: TokenUsage(promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0),
            latency: latency, model: answered ?? model, metadata: metadata)
    }

    /// The error for a non-200 answer, with the server's message.
    static func failure(_ request: URLRequest, status: Int, body: Data) -> DSPyError {
        let message = (try? JSONDecoder().decode(OpenAIWire.ErrorResponse.self, from: body))?.error?.message
            ?? String(decoding: body.prefix(300), as: UTF8.self)
        return DSPyError.languageModel("\(request.url?.absoluteString ?? "") answered \(status): \(message)")
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
