#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chooses the next token from a row of logits, as llama.cpp's default sampler chain does.
///
/// The chain is llama.cpp's `common_sampler` default order: penalties → top-k →
/// top-p → min-p → temperature → a seeded draw from the remaining distribution
/// (`dist`). The draw uses ``MersenneTwister`` seeded with ``SamplingParameters/seed``,
/// so equal seeds give equal tokens. With temperature 0 the result is the argmax
/// of the (penalized) logits; this path skips the filters but still advances the
/// generator by one draw, as llama.cpp does.
///
/// A sampler is a value with state (the generator and the recent-token window for
/// penalties); use one per generated sequence and call ``accept(_:)`` with every
/// token that enters the sequence (llama-server also accepts the prompt tokens).
///
/// ```swift
/// var sampler = TokenSampler(parameters: .init(temperature: 0.7, seed: 42))
/// let token = sampler.sample(logits: logits)
/// sampler.accept(token)
/// ```
public struct TokenSampler: Sendable {
    /// The parameters this sampler was built with.
    public let parameters: SamplingParameters
    /// The seed actually used (``SamplingParameters/seed`` or a fresh one).
    public let seed: UInt32
    private var generator: MersenneTwister
    private var recent: [Int32] = []
    private var recentStart = 0
    private var counts: [Int32: Int] = [:]

    /// Creates a sampler for `parameters` (seeding from the system generator when
    /// the parameters give no seed).
    public init(parameters: SamplingParameters) {
        self.parameters = parameters
        var system = SystemRandomNumberGenerator()
        seed = parameters.seed ?? UInt32.random(in: .min ... .max, using: &system)
        generator = MersenneTwister(seed: seed)
    }

    /// Records a token of the sequence for the repetition penalties.
    public mutating func accept(_ token: Int32) {
        let window = parameters.penaltyWindow
        guard window > 0 else { return }
        if recent.count - recentStart >= window {
            let dropped = recent[recentStart]
            recentStart += 1
            if let count = counts[dropped] { counts[dropped] = count > 1 ? count - 1 : nil }
            if recentStart > 4096 {
                recent.removeFirst(recentStart)
                recentStart = 0
            }
        }
        recent.append(token)
        counts[token, default: 0] += 1
    }

    /// Forgets accepted tokens and restarts the generator from the seed.
    public mutating func reset() {
        recent.removeAll()
        recentStart = 0
        counts.removeAll()
        generator = MersenneTwister(seed: seed)
    }

    /// The filters in llama.cpp's order for the current state.
    public var chain: [any CandidateFilter] {
        var filters: [any CandidateFilter] = []
        let penalty = RepetitionPenaltyFilter(
            counts: counts, repetition: parameters.repetitionPenalty,
            frequency: parameters.frequencyPenalty, presence: parameters.presencePenalty)
        if parameters.penaltyWindow > 0, penalty.isActive { filters.append(penalty) }
        filters.append(TopKFilter(k: parameters.topK))
        filters.append(TopPFilter(p: parameters.topP, minKeep: parameters.minKeep))
        filters.append(MinPFilter(p: parameters.minP, minKeep: parameters.minKeep))
        filters.append(TemperatureFilter(temperature: parameters.temperature))
        return filters
    }

    /// Chooses a token from `logits` (one value per vocabulary entry).
    public mutating func sample(logits: [Float]) -> Int32 {
        logits.withUnsafeBufferPointer { sample(logits: $0) }
    }

    /// Chooses a token from `logits` (one value per vocabulary entry).
    public mutating func sample(logits: UnsafeBufferPointer<Float>) -> Int32 {
        guard !logits.isEmpty else { return -1 }
        if parameters.isGreedy {
            _ = generator.nextUnitDouble()  // llama.cpp's dist stage still draws once.
            return greedyToken(logits)
        }
        var candidates = SamplingCandidates(logits: logits)
        for filter in chain { filter.apply(to: &candidates) }
        return draw(from: candidates)
    }

    private func greedyToken(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        let penalty = RepetitionPenaltyFilter(
            counts: counts, repetition: parameters.repetitionPenalty,
            frequency: parameters.frequencyPenalty, presence: parameters.presencePenalty)
        var best = 0
        var bestLogit = -Float.infinity
        if parameters.penaltyWindow > 0, penalty.isActive {
            var candidates = SamplingCandidates(
                items: counts.keys.sorted().compactMap { id in
                    Int(id) < logits.count && id >= 0 ? .init(id: id, logit: logits[Int(id)]) : nil
                })
            penalty.apply(to: &candidates)
            var adjusted: [Int32: Float] = [:]
            for item in candidates.items { adjusted[item.id] = item.logit }
            for index in 0..<logits.count {
                let logit = adjusted[Int32(index)] ?? logits[index]
                if logit > bestLogit || index == 0 {
                    best = index
                    bestLogit = logit
                }
            }
            return Int32(best)
        }
        return Int32(Self.argmax(logits))
    }

    /// The index of the first largest value: a SIMD pass for the maximum, then a
    /// scan for its first position (about 3× faster than one scalar pass).
    static func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
        let count = values.count
        guard count > 0, let base = values.baseAddress else { return 0 }
        var maximum = -Float.infinity
        var index = 0
        if count >= 8 {
            // SIMD8 with a masked replace compiles to packed compares; `pointwiseMax`
            // and SIMD16 measured several times slower than a scalar loop.
            var lanes = SIMD8<Float>(repeating: -.infinity)
            let raw = UnsafeRawPointer(base)
            while index + 8 <= count {
                let chunk = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
                lanes.replace(with: chunk, where: chunk .> lanes)
                index += 8
            }
            maximum = lanes.max()
        }
        while index < count {
            maximum = max(maximum, values[index])
            index += 1
        }
        for position in 0..<count where values[position] == maximum { return position }
        // Only NaNs: fall back to a scalar comparison scan.
        var best = 0
        for position in 1..<count where values[position] > values[best] { best = position }
        return best
    }

    /// llama.cpp's `dist`: softmax in the current order, one uniform draw, and the
    /// first token whose running (unnormalized) probability mass reaches it.
    private mutating func draw(from candidates: SamplingCandidates) -> Int32 {
        let items = candidates.items
        guard items.count > 1 else { return items.first?.id ?? -1 }
        let maxLogit = candidates.isSorted ? items[0].logit : items.reduce(-Float.infinity) { max($0, $1.logit) }
        var weights = [Float](repeating: 0, count: items.count)
        var total = 0.0
        for index in items.indices {
            let weight = expf(items[index].logit - maxLogit)
            weights[index] = weight
            total += Double(weight)
        }
        let target = total * generator.nextUnitDouble()
        var running = 0.0
        for index in items.indices {
            running += Double(weights[index])
            if running >= target { return items[index].id }
        }
        return items[items.count - 1].id
    }
}
