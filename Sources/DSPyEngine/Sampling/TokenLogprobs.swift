#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The log-probability of a chosen token and of the most likely alternatives.
///
/// Computed from the raw logits (before penalties, filters and temperature) as a
/// full-vocabulary log-softmax, which is what llama-server reports as
/// `completion_probabilities` and what OpenAI-style `logprobs` mean.
public struct TokenLogprobs: Sendable, Equatable {
    /// One token with its log-probability.
    public struct Entry: Sendable, Equatable {
        /// The token id.
        public var token: Int32
        /// Its natural-log probability.
        public var logprob: Float
        /// Creates an entry.
        public init(token: Int32, logprob: Float) {
            self.token = token
            self.logprob = logprob
        }
    }

    /// The chosen token.
    public var chosen: Entry
    /// The `count` most likely tokens, most likely first (ties by lower id).
    public var top: [Entry]

    /// Computes the log-probabilities for `chosen` and the `top` most likely tokens.
    ///
    /// `log p(i) = logit(i) - max - log(sum(exp(logit - max)))`, summed in double
    /// precision. Costs one pass over the logits plus `O(n log top)`.
    public init(logits: UnsafeBufferPointer<Float>, chosen: Int32, top count: Int) {
        var maxLogit = -Float.infinity
        for logit in logits { maxLogit = max(maxLogit, logit) }
        var sum = 0.0
        for logit in logits { sum += Double(expf(logit - maxLogit)) }
        let logNormalizer = Float(log(sum))
        func logprob(_ id: Int32) -> Float {
            guard id >= 0, Int(id) < logits.count else { return -.infinity }
            return logits[Int(id)] - maxLogit - logNormalizer
        }
        self.chosen = Entry(token: chosen, logprob: logprob(chosen))
        top = Self.best(count, of: logits).map { Entry(token: $0.id, logprob: $0.logit - maxLogit - logNormalizer) }
    }

    /// The `count` highest logits, highest first (ties by lower id), by insertion
    /// into a short sorted list: one pass when `count` is small.
    static func best(_ count: Int, of logits: UnsafeBufferPointer<Float>) -> [SamplingCandidates.Candidate] {
        guard count > 0 else { return [] }
        if count > 64 {
            var candidates = SamplingCandidates(logits: logits)
            candidates.sortDescending(keeping: count)
            return candidates.items
        }
        var kept: [SamplingCandidates.Candidate] = []
        kept.reserveCapacity(count + 1)
        var floor = -Float.infinity
        for index in 0..<logits.count {
            let logit = logits[index]
            guard kept.count < count || logit > floor else { continue }
            var position = kept.count
            while position > 0, kept[position - 1].logit < logit { position -= 1 }
            kept.insert(.init(id: Int32(index), logit: logit), at: position)
            if kept.count > count { kept.removeLast() }
            if kept.count == count { floor = kept[count - 1].logit }
        }
        return kept
    }

    /// Computes the log-probabilities for `chosen` and the `top` most likely tokens.
    public init(logits: [Float], chosen: Int32, top count: Int) {
        self = logits.withUnsafeBufferPointer { TokenLogprobs(logits: $0, chosen: chosen, top: count) }
    }
}
