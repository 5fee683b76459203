import Foundation

/// Sampling settings of one LM call (DSPy's `lm.kwargs`).
///
/// Every field defaults to `nil` ("the model's default"), except ``n``.
/// All of them are part of the cache key; ``rolloutID`` exists only to make
/// otherwise identical requests distinct (DSPy's `rollout_id`), and models
/// must not send it to a provider.
public struct SamplingParameters: Sendable, Hashable, Codable {
    public var temperature: Double?
    public var maxTokens: Int?
    public var topP: Double?
    public var seed: Int?
    public var stop: [String]?
    /// How many completions to return (DSPy's `n`).
    public var n: Int
    public var rolloutID: Int?
    /// Other provider or engine options (`top_k`, `min_p`, `logprobs`...), by their wire names.
    public var extra: JSONObject

    public init(
        temperature: Double? = nil, maxTokens: Int? = nil, topP: Double? = nil, seed: Int? = nil,
        stop: [String]? = nil, n: Int = 1, rolloutID: Int? = nil, extra: JSONObject = JSONObject()
    ) {
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.topP = topP
        self.seed = seed
        self.stop = stop
        self.n = n
        self.rolloutID = rolloutID
        self.extra = extra
    }

    /// These parameters with every non-nil field of `overrides` applied on top.
    public func merged(with overrides: SamplingParameters) -> SamplingParameters {
        var p = self
        if let v = overrides.temperature { p.temperature = v }
        if let v = overrides.maxTokens { p.maxTokens = v }
        if let v = overrides.topP { p.topP = v }
        if let v = overrides.seed { p.seed = v }
        if let v = overrides.stop { p.stop = v }
        if overrides.n != 1 { p.n = overrides.n }
        if let v = overrides.rolloutID { p.rolloutID = v }
        for (k, v) in overrides.extra { p.extra[k] = v }
        return p
    }

    /// The parameters as DSPy's kwargs dictionary (wire names, only the set ones).
    public var jsonObject: JSONObject {
        var o = JSONObject()
        if let v = temperature { o["temperature"] = .double(v) }
        if let v = maxTokens { o["max_tokens"] = .int(v) }
        if let v = topP { o["top_p"] = .double(v) }
        if let v = seed { o["seed"] = .int(v) }
        if let v = stop { o["stop"] = .array(v.map(JSONValue.string)) }
        o["n"] = .int(n)
        if let v = rolloutID { o["rollout_id"] = .int(v) }
        for (k, v) in extra { o[k] = v }
        return o
    }
}

/// One request to a language model.
public struct LMRequest: Sendable, Hashable, Codable {
    public var messages: [ChatMessage]
    public var parameters: SamplingParameters
    /// The structure the adapter will parse; an engine may enforce it while decoding, a remote model ignores it.
    public var outputStructure: OutputStructure?

    public init(messages: [ChatMessage], parameters: SamplingParameters = SamplingParameters(),
                outputStructure: OutputStructure? = nil) {
        self.messages = messages
        self.parameters = parameters
        self.outputStructure = outputStructure
    }
}

/// Token counts of one call.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens served from a prefix/KV cache (not recomputed).
    public var cachedPromptTokens: Int

    public init(promptTokens: Int = 0, completionTokens: Int = 0, cachedPromptTokens: Int = 0) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
    }

    public var totalTokens: Int { promptTokens + completionTokens }

    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        TokenUsage(promptTokens: a.promptTokens + b.promptTokens,
                   completionTokens: a.completionTokens + b.completionTokens,
                   cachedPromptTokens: a.cachedPromptTokens + b.cachedPromptTokens)
    }
}

/// One generated completion.
public struct LMCompletion: Sendable, Hashable, Codable {
    public var text: String
    /// Why generation stopped (`stop`, `length`...), when known.
    public var finishReason: String?
    /// Engine-specific facts about the completion (e.g. per-choice scores), for logs.
    public var metadata: JSONObject

    public init(text: String, finishReason: String? = nil, metadata: JSONObject = JSONObject()) {
        self.text = text
        self.finishReason = finishReason
        self.metadata = metadata
    }
}

/// What a language model returns for one request.
public struct LMResponse: Sendable, Hashable, Codable {
    /// One completion per requested `n`.
    public var completions: [LMCompletion]
    public var usage: TokenUsage
    /// Wall time of the call.
    public var latency: Duration
    /// The model that answered (may differ from the requested identifier).
    public var model: String
    /// True when served from an ``LMCache``; usage is then zero.
    public var cacheHit: Bool
    /// What the model reports beyond text, for the request log: how decoding was
    /// constrained, choice scores, engine throughput (empty for most models).
    public var metadata: JSONObject

    public init(completions: [LMCompletion], usage: TokenUsage = TokenUsage(), latency: Duration = .zero,
                model: String = "", cacheHit: Bool = false, metadata: JSONObject = JSONObject()) {
        self.completions = completions
        self.usage = usage
        self.latency = latency
        self.model = model
        self.cacheHit = cacheHit
        self.metadata = metadata
    }
}

/// A chat language model: messages and sampling parameters in, completions out.
///
/// The framework talks to models only through this protocol: the embedded
/// engine, an OpenAI-compatible endpoint and the test fake all conform.
/// Implementations must be safe to call concurrently.
///
/// ```swift
/// let response = try await lm.complete(LMRequest(messages: [.user("Hi")]))
/// response.completions[0].text
/// ```
public protocol LanguageModel: Sendable {
    /// Identifies the model for cache keys and logs (e.g. `"smollm2-135m-instruct-q4_1@<sha>"`).
    var modelIdentifier: String { get }
    /// Parameters applied under every request's own (DSPy's `lm.kwargs`).
    var defaultParameters: SamplingParameters { get }
    /// Runs one request.
    func complete(_ request: LMRequest) async throws -> LMResponse

    /// Runs one request, handing the first completion's text to `onText` piece by piece as it is
    /// generated (the pieces concatenate to that completion's text), and returns the full response.
    ///
    /// The default calls ``complete(_:)`` and hands over the whole text at once, so every model
    /// can be streamed; the embedded engine streams while it decodes.
    func stream(_ request: LMRequest, onText: @escaping @Sendable (String) -> Void) async throws -> LMResponse
}

extension LanguageModel {
    public var defaultParameters: SamplingParameters { SamplingParameters() }

    public func stream(_ request: LMRequest, onText: @escaping @Sendable (String) -> Void) async throws -> LMResponse {
        let response = try await complete(request)
        if let text = response.completions.first?.text, !text.isEmpty { onText(text) }
        return response
    }
}
