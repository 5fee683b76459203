#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One stage of the sampler chain: adjusts logits or removes candidates.
///
/// Each stage does what the llama.cpp sampler of the same name does, so a chain
/// of them in llama.cpp's order (see ``TokenSampler``) reproduces its sampling.
public protocol CandidateFilter: Sendable {
    /// Applies the stage to `candidates`.
    func apply(to candidates: inout SamplingCandidates)
}

/// Penalizes tokens seen recently: repetition (divide positive logits, multiply
/// negative ones), frequency (per occurrence) and presence (once).
public struct RepetitionPenaltyFilter: CandidateFilter {
    /// How often each token occurs in the penalty window.
    public var counts: [Int32: Int]
    /// Divides positive and multiplies negative logits of seen tokens (1: off).
    public var repetition: Float
    /// Subtracted once per occurrence (0: off).
    public var frequency: Float
    /// Subtracted once if the token occurs at all (0: off).
    public var presence: Float

    /// Creates the filter for the given window counts and penalties.
    public init(counts: [Int32: Int], repetition: Float, frequency: Float = 0, presence: Float = 0) {
        self.counts = counts
        self.repetition = repetition
        self.frequency = frequency
        self.presence = presence
    }

    /// Whether the filter would change anything.
    public var isActive: Bool { !counts.isEmpty && (repetition != 1 || frequency != 0 || presence != 0) }

    public func apply(to candidates: inout SamplingCandidates) {
        guard isActive else { return }
        for index in candidates.items.indices {
            guard let count = counts[candidates.items[index].id], count > 0 else { continue }
            var logit = candidates.items[index].logit
            logit = logit <= 0 ? logit * repetition : logit / repetition
            logit -= Float(count) * frequency + presence
            candidates.items[index].logit = logit
        }
        candidates.isSorted = false
    }
}

/// Keeps the `k` most likely tokens (`k <= 0`: keeps all).
public struct TopKFilter: CandidateFilter {
    /// How many tokens to keep.
    public var k: Int
    /// Creates the filter.
    public init(k: Int) { self.k = k }

    public func apply(to candidates: inout SamplingCandidates) {
        guard k > 0 else { return }
        let keep = min(k, candidates.count)
        if candidates.isSorted {
            candidates.items.removeSubrange(keep...)
        } else {
            candidates.sortDescending(keeping: keep)
        }
    }
}

/// Keeps the most likely tokens until their probabilities add up to `p` (nucleus
/// sampling), and at least `minKeep`.
public struct TopPFilter: CandidateFilter {
    /// The probability mass to keep (1: off).
    public var p: Float
    /// The fewest tokens to keep.
    public var minKeep: Int
    /// Creates the filter.
    public init(p: Float, minKeep: Int = 0) {
        self.p = p
        self.minKeep = minKeep
    }

    public func apply(to candidates: inout SamplingCandidates) {
        guard p < 1, candidates.count > 0 else { return }
        if !candidates.isSorted { candidates.sortDescending() }
        let probabilities = candidates.probabilities()
        var cumulative: Float = 0
        var keep = candidates.count
        for (index, probability) in probabilities.enumerated() {
            cumulative += probability
            if cumulative >= p, index + 1 >= minKeep {
                keep = index + 1
                break
            }
        }
        candidates.items.removeSubrange(keep...)
    }
}

/// Drops tokens whose probability is below `p` times the most likely token's.
public struct MinPFilter: CandidateFilter {
    /// The smallest probability, relative to the best token's, to keep (0: off).
    public var p: Float
    /// The fewest tokens to keep.
    public var minKeep: Int
    /// Creates the filter.
    public init(p: Float, minKeep: Int = 0) {
        self.p = p
        self.minKeep = minKeep
    }

    public func apply(to candidates: inout SamplingCandidates) {
        guard p > 0, candidates.count > 0 else { return }
        if !candidates.isSorted {
            let maxLogit = candidates.items.reduce(-Float.greatestFiniteMagnitude) { max($0, $1.logit) }
            let threshold = maxLogit + logf(p)
            let kept = candidates.items.filter { $0.logit >= threshold }
            if !kept.isEmpty, kept.count >= minKeep {
                candidates.items = kept
                return
            }
            candidates.sortDescending()
        }
        let threshold = candidates.items[0].logit + logf(p)
        var keep = 1
        while keep < candidates.count, candidates.items[keep].logit >= threshold || keep < minKeep { keep += 1 }
        candidates.items.removeSubrange(keep...)
    }
}

/// Divides logits by the temperature; at 0 or below, leaves only the most likely
/// token with a finite logit (the others become `-inf`).
public struct TemperatureFilter: CandidateFilter {
    /// The divisor of the logits; 0 or less keeps only the best token.
    public var temperature: Float
    /// Creates the filter.
    public init(temperature: Float) { self.temperature = temperature }

    public func apply(to candidates: inout SamplingCandidates) {
        guard candidates.count > 0 else { return }
        if temperature <= 0 {
            var best = 0
            for index in 1..<candidates.count where candidates.items[index].logit > candidates.items[best].logit {
                best = index
            }
            for index in candidates.items.indices where index != best { candidates.items[index].logit = -.infinity }
            return
        }
        for index in candidates.items.indices { candidates.items[index].logit /= temperature }
    }
}
