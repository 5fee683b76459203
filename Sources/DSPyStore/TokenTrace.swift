import Foundation

/// Where each token of a call's completion came from, as the request log keeps it:
/// forced by the constraint, taken with a scored choice, or sampled (with its
/// log-probability and the most likely alternatives), plus how much of the prompt
/// came from the engine's prefix cache.
///
/// Written by the in-process engine's language model for the first completion of a
/// call (`metadata["token_trace"]` of its response); `nil` for remote models and for
/// calls logged before token traces existed. Compact: one short object per generated
/// token, log-probabilities rounded to 1/1000.
///
/// ```swift
/// let trace = call.tokenTrace
/// let forced = trace?.tokens.filter { $0.origin == .forced }.count ?? 0
/// ```
public struct TokenTrace: Sendable, Equatable, Codable {
    /// How a token was decided.
    public enum Origin: String, Sendable, Equatable, Codable {
        /// The constraint allowed only this token.
        case forced = "f"
        /// Part of the value a scored choice took.
        case choice = "c"
        /// Sampled from the (masked) logits.
        case sampled = "s"
    }

    /// One generated token.
    public struct Token: Sendable, Equatable, Codable {
        /// The token's text (bytes that are not whole UTF-8 characters show as U+FFFD).
        public var text: String
        /// How it was decided.
        public var origin: Origin
        /// For a choice token: the index into ``TokenTrace/choices``.
        public var choice: Int?
        /// For a sampled token: its log-probability under the raw logits, when recorded.
        public var logprob: Double?
        /// For a sampled token: the most likely tokens and their log-probabilities, most likely first.
        public var top: [Alternative]?

        public init(text: String, origin: Origin, choice: Int? = nil, logprob: Double? = nil, top: [Alternative]? = nil) {
            self.text = text
            self.origin = origin
            self.choice = choice
            self.logprob = logprob
            self.top = top
        }

        enum CodingKeys: String, CodingKey {
            case text = "t", origin = "o", choice = "c", logprob = "lp", top
        }
    }

    /// A token the sampler could have taken instead.
    public struct Alternative: Sendable, Equatable, Codable {
        public var text: String
        public var logprob: Double

        public init(text: String, logprob: Double) {
            self.text = text
            self.logprob = logprob
        }

        enum CodingKeys: String, CodingKey { case text = "t", logprob = "lp" }
    }

    /// A choice decided by scoring each whole value.
    public struct Choice: Sendable, Equatable, Codable {
        /// The output field (`sentiment`).
        public var field: String
        /// The allowed values.
        public var values: [String]
        /// Each value's summed log-probability.
        public var logprobs: [Double]
        /// The calibration offsets subtracted (zeros when uncalibrated).
        public var offsets: [Double]
        /// The index of the value taken (the highest calibrated score).
        public var chosen: Int

        public init(field: String, values: [String], logprobs: [Double], offsets: [Double], chosen: Int) {
            self.field = field
            self.values = values
            self.logprobs = logprobs
            self.offsets = offsets
            self.chosen = chosen
        }

        /// `logprob − offset` per value: what the choice compared.
        public var calibrated: [Double] {
            logprobs.indices.map { logprobs[$0] - (offsets.indices.contains($0) ? offsets[$0] : 0) }
        }
    }

    /// Prompt tokens.
    public var promptTokens: Int
    /// Prompt tokens whose keys and values came from the prefix cache (the first ones).
    public var cachedPromptTokens: Int
    /// Per message, how many of its leading characters lie in the cached prefix of the
    /// rendered prompt, when that could be located (`nil` otherwise).
    public var cachedCharacters: [Int]?
    /// The completion's tokens, in order.
    public var tokens: [Token]
    /// The scored choices, in order.
    public var choices: [Choice]

    public init(
        promptTokens: Int, cachedPromptTokens: Int, cachedCharacters: [Int]? = nil, tokens: [Token], choices: [Choice] = []
    ) {
        self.promptTokens = promptTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.cachedCharacters = cachedCharacters
        self.tokens = tokens
        self.choices = choices
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens"
        case cachedPromptTokens = "cached_prompt_tokens"
        case cachedCharacters = "cached_chars"
        case tokens, choices
    }

    /// Tokens per origin.
    public func count(_ origin: Origin) -> Int { tokens.filter { $0.origin == origin }.count }
}
