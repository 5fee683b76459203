/// What one generation produced, with its costs.
public struct Generation: Sendable {
    /// Why generation ended.
    public enum FinishReason: String, Sendable, Codable {
        /// An end-of-generation token, a stop string, or a complete constrained output.
        case stop
        /// `maxTokens` was reached or the context filled up.
        case length
    }

    /// The text (without a matched stop string).
    public var text: String
    /// The generated token ids (forced tokens included, end-of-generation excluded).
    public var tokens: [Int32]
    /// Why it ended.
    public var finishReason: FinishReason
    /// The stop string that ended it, if any.
    public var matchedStop: String?
    /// Prompt tokens.
    public var promptTokens: Int
    /// Prompt tokens whose keys and values came from the prefix cache.
    public var cachedPromptTokens: Int
    /// Per-token log-probabilities, when asked for (`logprobs > 0`).
    public var logprobs: [TokenLogprobs]
    /// Choices decided by scoring, in order.
    public var choiceScores: [ChoiceScore]
    /// Where each generated token came from, parallel to ``tokens``: forced by the
    /// constraint, taken as part of a scored choice, or sampled.
    public var tokenOrigins: [TokenOrigin] = []
    /// Tokens guessed by speculative decoding and checked (``GenerationOptions/drafter``).
    public var draftedTokens = 0
    /// Guessed tokens the model picked too (each saved one forward step).
    public var acceptedDraftTokens = 0
    /// Time to evaluate the prompt (to the first logits).
    public var promptDuration: Duration
    /// Time spent generating after the prompt.
    public var generationDuration: Duration

    /// Generated tokens per second after the prompt.
    public var generationTokensPerSecond: Double {
        let seconds = generationDuration.seconds
        return seconds > 0 ? Double(tokens.count) / seconds : 0
    }

    /// Prompt tokens computed (not cached) per second.
    public var promptTokensPerSecond: Double {
        let seconds = promptDuration.seconds
        return seconds > 0 ? Double(promptTokens - cachedPromptTokens) / seconds : 0
    }
}

extension Generation {
    /// Where one generated token came from.
    public enum TokenOrigin: Sendable, Equatable {
        /// Forced by the constraint (the only token it allowed: a header, a closing quote).
        case forced
        /// Part of the value a scored choice took: the index into ``Generation/choiceScores``.
        case choice(Int)
        /// Sampled (greedily or not) from the logits, masked by the constraint if any; the
        /// index into ``Generation/logprobs`` when log-probabilities were asked for.
        case sampled(Int?)
    }
}

/// How a choice was decided by scoring: each value's log-probability, the offset
/// subtracted from it, and the value taken.
public struct ChoiceScore: Sendable, Equatable, Codable {
    /// The constraint segment of the choice.
    public var segment: Int
    /// The allowed values.
    public var values: [String]
    /// Sum of the log-probabilities of each value's canonical tokens.
    public var logprobs: [Double]
    /// The calibration offsets subtracted (zeros when uncalibrated).
    public var offsets: [Double]
    /// Index of the value taken (the highest calibrated score).
    public var chosen: Int
}

/// Options of one generation beyond sampling.
public struct GenerationOptions: Sendable {
    /// A constraint the output must satisfy (structured decoding); nil for free text.
    public var constraint: OutputConstraint?
    /// When set, choice segments are decided by scoring each whole value instead of
    /// sampling token by token; the map gives per-segment offsets (calibration)
    /// subtracted from the values' log-probabilities, in value order.
    public var choiceScoring: [Int: [Double]]?
    /// Whether special-token text in the output is rendered (`<|im_end|>`).
    public var renderSpecial: Bool
    /// The LoRA adapter to generate with (``TextModel/loadAdapter(_:scale:)``); nil: the base model.
    public var adapter: AdapterID?
    /// Speculative decoding: tokens guessed from the prompt and output so far are checked in
    /// one batched pass and kept where the model picks them anyway, so the output is the
    /// same as without (see ``PromptLookupDrafter``). nil: the model's (``TextModel/drafter``);
    /// ``PromptLookupDrafter/off`` turns it off. It only runs where the engine's batched
    /// products round exactly as one-token decoding does (``LanguageEngine/exactBatchTokens``)
    /// and without an adapter.
    public var drafter: PromptLookupDrafter?

    public init(
        constraint: OutputConstraint? = nil, choiceScoring: [Int: [Double]]? = nil, renderSpecial: Bool = false,
        adapter: AdapterID? = nil, drafter: PromptLookupDrafter? = nil
    ) {
        self.constraint = constraint
        self.choiceScoring = choiceScoring
        self.renderSpecial = renderSpecial
        self.adapter = adapter
        self.drafter = drafter
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
