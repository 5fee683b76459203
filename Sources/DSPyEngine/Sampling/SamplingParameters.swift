/// How to choose each next token, with llama.cpp's defaults.
///
/// The defaults are llama.cpp's `common_params_sampling` defaults, so an
/// unconfigured request samples as `llama-cli`/`llama-server` would: top-k 40,
/// top-p 0.95, min-p 0.05, temperature 0.8, no repetition penalty (window 64).
/// A temperature of 0 (see ``greedy``) always takes the most likely token.
///
/// ```swift
/// var parameters = SamplingParameters.greedy
/// parameters.maxTokens = 64
/// parameters.stop = ["\n\n"]
/// parameters.logprobs = 5
/// ```
public struct SamplingParameters: Sendable, Equatable, Hashable, Codable {
    /// Divides the logits before the final draw; `0` (or less) means greedy. Default 0.8.
    public var temperature: Float
    /// Keep only the `topK` most likely tokens; `0` or less disables it. Default 40.
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probabilities reach `topP`;
    /// `1` disables it. Default 0.95.
    public var topP: Float
    /// Drop tokens less likely than `minP` times the most likely one; `0` disables it.
    /// Default 0.05.
    public var minP: Float
    /// The fewest tokens top-p and min-p may leave (`0`: at least one). Default 0.
    public var minKeep: Int
    /// Divides positive (multiplies negative) logits of tokens seen in the penalty
    /// window; `1` disables it. Default 1.
    public var repetitionPenalty: Float
    /// Subtracted from a seen token's logit once per occurrence in the window. Default 0.
    public var frequencyPenalty: Float
    /// Subtracted from a seen token's logit once if it occurs in the window. Default 0.
    public var presencePenalty: Float
    /// How many of the most recent tokens the penalties look at; `0` disables
    /// penalties. Default 64.
    public var penaltyWindow: Int
    /// The random seed; the same seed, logits and parameters give the same tokens.
    /// `nil` (the default) draws a fresh seed.
    public var seed: UInt32?
    /// The most tokens to generate; `nil` (the default) means until an
    /// end-of-generation token, a stop string or the context is full.
    public var maxTokens: Int?
    /// Texts that end generation when produced; the stop text itself is not returned.
    public var stop: [String]
    /// How many most likely alternatives to report with each token's log-probability;
    /// `0` (the default) reports none and skips the computation.
    public var logprobs: Int

    /// Creates parameters; every argument defaults to llama.cpp's default.
    public init(
        temperature: Float = 0.8,
        topK: Int = 40,
        topP: Float = 0.95,
        minP: Float = 0.05,
        minKeep: Int = 0,
        repetitionPenalty: Float = 1,
        frequencyPenalty: Float = 0,
        presencePenalty: Float = 0,
        penaltyWindow: Int = 64,
        seed: UInt32? = nil,
        maxTokens: Int? = nil,
        stop: [String] = [],
        logprobs: Int = 0
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.minKeep = minKeep
        self.repetitionPenalty = repetitionPenalty
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.penaltyWindow = penaltyWindow
        self.seed = seed
        self.maxTokens = maxTokens
        self.stop = stop
        self.logprobs = logprobs
    }

    /// Always the most likely token (temperature 0), otherwise llama.cpp's defaults.
    public static let greedy = SamplingParameters(temperature: 0)

    /// Whether sampling is deterministic argmax.
    public var isGreedy: Bool { temperature <= 0 }

    /// Checks that every value is usable.
    ///
    /// - Throws: ``TokenizerError/invalidSamplingParameters(_:)`` naming the first bad field.
    public func validate() throws {
        func fail(_ detail: String) throws -> Never { throw TokenizerError.invalidSamplingParameters(detail) }
        if !temperature.isFinite { try fail("temperature must be finite, got \(temperature)") }
        if !(topP >= 0 && topP <= 1) { try fail("topP must be in 0...1, got \(topP)") }
        if !(minP >= 0 && minP <= 1) { try fail("minP must be in 0...1, got \(minP)") }
        if minKeep < 0 { try fail("minKeep must be at least 0, got \(minKeep)") }
        if !(repetitionPenalty > 0 && repetitionPenalty.isFinite) {
            try fail("repetitionPenalty must be positive, got \(repetitionPenalty)")
        }
        if !frequencyPenalty.isFinite || !presencePenalty.isFinite { try fail("penalties must be finite") }
        if penaltyWindow < 0 { try fail("penaltyWindow must be at least 0, got \(penaltyWindow)") }
        if let maxTokens, maxTokens < 0 { try fail("maxTokens must be at least 0, got \(maxTokens)") }
        if stop.contains(where: \.isEmpty) { try fail("stop strings must not be empty") }
        if logprobs < 0 { try fail("logprobs must be at least 0, got \(logprobs)") }
    }
}
