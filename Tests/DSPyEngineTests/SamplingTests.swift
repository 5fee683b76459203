import Foundation
import Testing

@testable import DSPyEngine

/// Deterministic pseudo-random logits for tests.
private func randomLogits(count: Int, seed: UInt32) -> [Float] {
    var generator = MersenneTwister(seed: seed)
    return (0..<count).map { _ in Float(generator.nextUnitDouble() * 10 - 5) }
}

@Suite("Sampling")
struct SamplingTests {
    @Test("The Mersenne Twister reproduces std::mt19937's reference output")
    func mersenneTwister() {
        var generator = MersenneTwister(seed: 5489)
        var value: UInt32 = 0
        for _ in 0..<10_000 { value = generator.next32() }
        #expect(value == 4_123_659_995)
    }

    @Test("The same seed gives the same tokens; another seed gives others")
    func determinismBySeed() {
        let rows = (0..<32).map { randomLogits(count: 500, seed: UInt32($0)) }
        func run(seed: UInt32) -> [Int32] {
            var sampler = TokenSampler(parameters: .init(temperature: 1.5, topK: 0, topP: 1, minP: 0, seed: seed))
            return rows.map { row in
                let token = sampler.sample(logits: row)
                sampler.accept(token)
                return token
            }
        }
        #expect(run(seed: 7) == run(seed: 7))
        #expect(run(seed: 7) != run(seed: 8))
    }

    @Test("Top-k of 1 equals greedy, and greedy is the argmax")
    func topKOneIsGreedy() {
        for seed in 0..<20 {
            let row = randomLogits(count: 1000, seed: UInt32(seed))
            let argmax = Int32(row.indices.max { row[$0] < row[$1] }!)
            var topOne = TokenSampler(parameters: .init(temperature: 1.0, topK: 1, seed: UInt32(seed)))
            var greedy = TokenSampler(parameters: .greedy)
            #expect(topOne.sample(logits: row) == argmax)
            #expect(greedy.sample(logits: row) == argmax)
        }
    }

    @Test("Softmax probabilities sum to one and follow the logits")
    func probabilitiesSum() {
        let row = randomLogits(count: 2000, seed: 3)
        let probabilities = row.withUnsafeBufferPointer { SamplingCandidates(logits: $0).probabilities() }
        let sum = probabilities.reduce(0, +)
        #expect(abs(sum - 1) < 1e-4)
        let best = row.indices.max { row[$0] < row[$1] }!
        #expect(probabilities.indices.max { probabilities[$0] < probabilities[$1] }! == best)
    }

    @Test("Draws follow the distribution")
    func drawsFollowDistribution() {
        let row: [Float] = [log(0.5), log(0.3), log(0.2)]
        var sampler = TokenSampler(parameters: .init(temperature: 1, topK: 0, topP: 1, minP: 0, seed: 1))
        var counts = [0, 0, 0]
        for _ in 0..<20_000 { counts[Int(sampler.sample(logits: row))] += 1 }
        #expect(abs(Double(counts[0]) / 20_000 - 0.5) < 0.02)
        #expect(abs(Double(counts[1]) / 20_000 - 0.3) < 0.02)
        #expect(abs(Double(counts[2]) / 20_000 - 0.2) < 0.02)
    }

    @Test("Top-p keeps the smallest nucleus that reaches p")
    func topP() {
        var candidates = SamplingCandidates(items: [
            .init(id: 0, logit: log(0.1)), .init(id: 1, logit: log(0.5)), .init(id: 2, logit: log(0.3)),
            .init(id: 3, logit: log(0.1)),
        ])
        TopPFilter(p: 0.75).apply(to: &candidates)
        #expect(candidates.items.map(\.id) == [1, 2])
        #expect(candidates.isSorted)
    }

    @Test("Min-p drops tokens far less likely than the best")
    func minP() {
        var candidates = SamplingCandidates(items: [
            .init(id: 0, logit: log(0.04)), .init(id: 1, logit: log(0.6)), .init(id: 2, logit: log(0.36)),
        ])
        MinPFilter(p: 0.1).apply(to: &candidates)
        #expect(candidates.items.map(\.id) == [1, 2])
    }

    @Test("Top-k keeps the k best, sorted")
    func topK() {
        let row = randomLogits(count: 5000, seed: 11)
        var candidates = row.withUnsafeBufferPointer { SamplingCandidates(logits: $0) }
        TopKFilter(k: 40).apply(to: &candidates)
        let expected = row.indices.sorted { row[$0] > row[$1] }.prefix(40).map { Int32($0) }
        #expect(candidates.items.map(\.id) == expected)
    }

    @Test("The repetition penalty steers greedy away from recent tokens")
    func repetitionPenalty() {
        let row: [Float] = [2.0, 1.9, -1.0]
        var sampler = TokenSampler(parameters: .init(temperature: 0, repetitionPenalty: 1.5))
        #expect(sampler.sample(logits: row) == 0)
        sampler.accept(0)
        #expect(sampler.sample(logits: row) == 1)
        var window = TokenSampler(parameters: .init(temperature: 0, repetitionPenalty: 1.5, penaltyWindow: 1))
        window.accept(0)
        window.accept(2)
        #expect(window.sample(logits: row) == 0)
    }

    @Test("Log-probabilities are the log-softmax of the raw logits")
    func logprobs() {
        let row: [Float] = [1, 2, 3, 0.5]
        let normalizer = log(exp(1.0) + exp(2.0) + exp(3.0) + exp(0.5))
        let result = TokenLogprobs(logits: row, chosen: 1, top: 2)
        #expect(abs(Double(result.chosen.logprob) - (2 - normalizer)) < 1e-5)
        #expect(result.top.map(\.token) == [2, 1])
        #expect(abs(Double(result.top[0].logprob) - (3 - normalizer)) < 1e-5)
        let total = row.indices.map { exp(Double(TokenLogprobs(logits: row, chosen: Int32($0), top: 0).chosen.logprob)) }
            .reduce(0, +)
        #expect(abs(total - 1) < 1e-5)
    }

    @Test("Invalid parameters are rejected with the field named")
    func validation() {
        #expect(throws: TokenizerError.self) { try SamplingParameters(topP: 1.5).validate() }
        #expect(throws: TokenizerError.invalidSamplingParameters("stop strings must not be empty")) {
            try SamplingParameters(stop: [""]).validate()
        }
        #expect(throws: Never.self) { try SamplingParameters().validate() }
    }
}

@Suite("Stop strings")
struct StopStringTests {
    @Test("A stop string split across pieces is found and not emitted")
    func acrossPieces() {
        var matcher = StopStringMatcher(stops: ["[[ ## completed ## ]]"])
        #expect(matcher.append("positive\n\n[[ ## comp") == "positive\n\n")
        #expect(!matcher.isStopped)
        #expect(matcher.append("leted ## ]] trailing") == "")
        #expect(matcher.isStopped)
        #expect(matcher.matchedStop == "[[ ## completed ## ]]")
        #expect(matcher.append("more") == "")
    }

    @Test("Text that only looked like a stop string is released")
    func falseStart() {
        var matcher = StopStringMatcher(stops: ["\n\n"])
        #expect(matcher.append("a\n") == "a")
        #expect(matcher.append("b") == "\nb")
        #expect(matcher.append("\n") == "")
        #expect(matcher.finish() == "\n")
    }

    @Test("The earliest of several stop strings wins")
    func earliest() {
        var matcher = StopStringMatcher(stops: ["END", "x"])
        #expect(matcher.append("abcx ENDy") == "abc")
        #expect(matcher.matchedStop == "x")
    }
}

@Suite("Greedy argmax")
struct ArgmaxTests {
    @Test("The vectorized argmax finds the first largest value at any position and length")
    func argmax() {
        for count in [1, 2, 15, 16, 17, 33, 49_152] {
            for target in Set([0, count / 2, count - 1]) {
                var row = [Float](repeating: -3, count: count)
                row[target] = 7
                if target + 1 < count { row[count - 1] = 7 }  // a later tie must not win
                let found = row.withUnsafeBufferPointer { TokenSampler.argmax($0) }
                #expect(found == target, "count \(count), target \(target)")
            }
        }
        let infinite: [Float] = [-.infinity, -.infinity, -.infinity]
        #expect(infinite.withUnsafeBufferPointer { TokenSampler.argmax($0) } == 0)
    }
}
