import DSPy
import DSPyEngine
import Foundation

/// The framework's `LanguageModel` over the in-process engine.
///
/// Messages are rendered with the model's chat template. When the adapter hands
/// over an ``OutputStructure`` (ChatAdapter headers) and ``structuredDecoding`` is
/// on, the completion is generated under a constraint: headers forced, each value
/// restricted by its type (choices, numbers, Booleans, JSON), so a small model
/// cannot break DSPy's format. The prompt is DSPy's either way.
///
/// Choices are decided by scoring whole values (each value's log-probability,
/// minus calibration offsets when the structure carries them) when
/// ``ChoiceMode/score`` applies; sampled token by token otherwise.
///
/// ```swift
/// let lm = try EmbeddedLM(model: TextModel(contentsOf: url))
/// let answer = try await Predict("question -> answer").call(["question": "2+2?"], lm: lm)
/// ```
public struct EmbeddedLM: LanguageModel {
    /// How choice fields are decided under structured decoding.
    public enum ChoiceMode: String, Sendable, Codable {
        /// Score each whole value when sampling is greedy (temperature 0); sample otherwise.
        case automatic
        /// Always score whole values (calibrated when offsets are given).
        case score
        /// Always sample token by token under the mask.
        case sample
    }

    /// The loaded model.
    public let model: TextModel
    /// The model named by content (``DSPyEngine/ModelFingerprint``: the catalog's SHA-256 or a
    /// digest of the GGUF directory, plus the engine's numerics version), plus how prompts or
    /// decoding differ from the default (a chat template override, unconstrained decoding, a
    /// choice mode): requests rendered or decoded differently must not share cache entries
    /// (the cache key includes this). Renaming or moving the file does not change it.
    public var modelIdentifier: String {
        var identifier = baseIdentifier
        if !structuredDecoding { identifier += "+unconstrained" }
        if choiceMode != .automatic { identifier += "+choices=\(choiceMode)" }
        // A fine-tuned model's answers are its own: never served for the base model or another adapter.
        if let adapter { identifier += "+lora=\(adapter.digest.prefix(16))" }
        return identifier
    }
    private let baseIdentifier: String
    public var defaultParameters: DSPy.SamplingParameters
    /// Generate under the adapter's output structure (on by default).
    public var structuredDecoding: Bool
    /// How choices are decided.
    public var choiceMode: ChoiceMode
    let constraints = ConstraintCache()
    /// Where fine-tuning checkpoints go (``finetune(_:settings:progress:)``); `nil` trains without.
    public var checkpointDirectory: URL?
    /// The adapter every request is generated with (set by ``applying(_:)``); `nil` is the base model.
    public internal(set) var adapter: LoadedEmbeddedAdapter?

    /// - Parameters:
    ///   - model: a loaded model.
    ///   - identifier: names the model in cache keys and logs (default: the model's
    ///     ``DSPyEngine/TextModel/fingerprint``).
    ///   - defaultParameters: applied under each request's own; defaults to greedy decoding
    ///     with at most 512 new tokens (deterministic, so calls cache well).
    public init(
        model: TextModel, identifier: String? = nil,
        defaultParameters: DSPy.SamplingParameters = DSPy.SamplingParameters(temperature: 0, maxTokens: 512),
        structuredDecoding: Bool = true, choiceMode: ChoiceMode = .automatic
    ) {
        self.model = model
        var base = identifier ?? model.fingerprint.description
        if let family = model.chatTemplateOverride { base += "+chat-template=\(family.name)" }
        baseIdentifier = base
        self.defaultParameters = defaultParameters
        self.structuredDecoding = structuredDecoding
        self.choiceMode = choiceMode
    }

    public func complete(_ request: LMRequest) async throws -> LMResponse {
        try await respond(request, onText: nil)
    }

    /// Decodes like ``complete(_:)``, handing the first completion's text to `onText` as the engine
    /// produces it (complete UTF-8, stop strings held back), so the pieces concatenate to its text.
    public func stream(_ request: LMRequest, onText: @escaping @Sendable (String) -> Void) async throws -> LMResponse {
        try await respond(request, onText: onText)
    }

    private func respond(_ request: LMRequest, onText: (@Sendable (String) -> Void)?) async throws -> LMResponse {
        let clock = ContinuousClock()
        let start = clock.now
        let parameters = defaultParameters.merged(with: request.parameters)
        let prompt = try model.encodeChat(request.messages.map {
            DSPyEngine.ChatMessage(role: DSPyEngine.ChatMessage.Role(rawValue: $0.role.rawValue) ?? .user, content: $0.content)
        })
        let plan = try await constraintPlan(for: request.outputStructure, greedy: (parameters.temperature ?? 0) <= 0)
        var options = plan.options
        options.adapter = adapter?.id
        var completions: [LMCompletion] = []
        var usage = TokenUsage()
        var metadata = JSONObject()
        for index in 0..<max(1, parameters.n) {
            var engineParameters = Self.engineParameters(parameters)
            if index > 0, let seed = engineParameters.seed { engineParameters.seed = seed &+ UInt32(index) }
            let generation = try await model.generate(
                prompt: prompt, parameters: engineParameters, options: options, onText: index == 0 ? onText : nil)
            completions.append(LMCompletion(text: generation.text, finishReason: generation.finishReason.rawValue))
            usage = usage + TokenUsage(
                promptTokens: generation.promptTokens, completionTokens: generation.tokens.count,
                cachedPromptTokens: generation.cachedPromptTokens)
            if index == 0 {
                metadata["generation_tokens_per_second"] = .double(generation.generationTokensPerSecond)
                if !generation.choiceScores.isEmpty {
                    metadata["choice_scores"] = .array(generation.choiceScores.map { plan.describe($0) })
                }
                metadata["token_trace"] = Self.tokenTrace(
                    generation, prompt: prompt, messages: request.messages.map(\.content), tokenizer: model.tokenizer,
                    plan: plan)
            }
        }
        if let description = plan.description { metadata["constraint"] = .string(description) }
        return LMResponse(
            completions: completions, usage: usage, latency: clock.now - start, model: modelIdentifier,
            metadata: metadata)
    }

    /// DSPy's sampling parameters in the engine's terms (unset ones keep llama.cpp's defaults).
    static func engineParameters(_ parameters: DSPy.SamplingParameters) -> DSPyEngine.SamplingParameters {
        var result = DSPyEngine.SamplingParameters(temperature: Float(parameters.temperature ?? 0))
        if let topP = parameters.topP { result.topP = Float(topP) }
        if let seed = parameters.seed { result.seed = UInt32(truncatingIfNeeded: seed) }
        result.maxTokens = parameters.maxTokens
        result.stop = parameters.stop ?? []
        if let topK = parameters.extra["top_k"]?.intValue { result.topK = topK }
        if let minP = parameters.extra["min_p"]?.doubleValue { result.minP = Float(minP) }
        if let penalty = parameters.extra["repeat_penalty"]?.doubleValue { result.repetitionPenalty = Float(penalty) }
        // Sampled tokens' log-probabilities feed the request log's token trace.
        result.logprobs = max(parameters.extra["logprobs"]?.intValue ?? 0, tokenTraceAlternatives)
        return result
    }
}
