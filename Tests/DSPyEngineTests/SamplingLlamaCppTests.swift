import Testing

@testable import DSPyEngine

/// Token choices made by llama.cpp's own sampler chain (penalties → top-k → top-p →
/// min-p → temp-ext → dist, via llama-cpp-cffi 0.4.42) on the logits rows below,
/// with `llama_sampler_accept` after every pick. Equal picks mean the filters, the
/// softmax, the Mersenne Twister and the uniform draw all agree bit for bit.
@Suite("Sampling matches llama.cpp's sampler chain")
struct SamplingLlamaCppTests {
    /// 48 rows of 2,000 logits: `mt19937(2024)` outputs `x` as `Float(x / 2^32 * 12 - 6)`,
    /// with tokens 5, 17 and 99 raised by 8 so that penalties matter.
    static let rows: [[Float]] = {
        var generator = MersenneTwister(seed: 2024)
        return (0..<48).map { _ in
            var row = (0..<2000).map { _ in Float(Double(generator.next32()) / 4_294_967_296.0 * 12.0 - 6.0) }
            for token in [5, 17, 99] { row[token] += 8 }
            return row
        }
    }()

    static let expectations: [(SamplingParameters, [Int32])] = [
        (SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1.0, frequencyPenalty: 0.0, presencePenalty: 0.0, penaltyWindow: 64, seed: 42),
         [99, 1238, 99, 1456, 5, 17, 5, 99, 99, 5, 17, 17, 99, 1077, 336, 5, 99, 1116, 17, 5, 5, 5, 5, 99, 99, 5, 5, 5, 99, 17, 17, 17, 5, 99, 5, 1099, 17, 99, 99, 99, 17, 17, 99, 5, 17, 5, 99, 5]),
        (SamplingParameters(temperature: 1.2, topK: 40, topP: 0.9, minP: 0.0, repetitionPenalty: 1.3, frequencyPenalty: 0.0, presencePenalty: 0.0, penaltyWindow: 8, seed: 7),
         [17, 733, 266, 371, 5, 99, 99, 99, 5, 17, 1215, 1941, 287, 1984, 1805, 1735, 5, 1892, 1972, 17, 356, 5, 17, 99, 99, 1493, 168, 99, 17, 17, 5, 680, 17, 17, 967, 1734, 962, 99, 99, 1690, 17, 5, 99, 1448, 17, 5, 1772, 5]),
        (SamplingParameters(temperature: 0.5, topK: 100, topP: 1.0, minP: 0.1, repetitionPenalty: 1.1, frequencyPenalty: 0.0, presencePenalty: 0.0, penaltyWindow: 64, seed: 123456),
         [17, 676, 99, 1161, 5, 17, 99, 99, 99, 5, 17, 17, 783, 1271, 1432, 945, 5, 1892, 17, 5, 610, 5, 17, 99, 17, 5, 17, 99, 99, 17, 17, 5, 17, 99, 5, 1222, 17, 99, 99, 99, 17, 5, 99, 5, 17, 5, 99, 5]),
        (SamplingParameters(temperature: 1.0, topK: 5, topP: 0.8, minP: 0.05, repetitionPenalty: 1.0, frequencyPenalty: 0.0, presencePenalty: 0.0, penaltyWindow: 64, seed: 0),
         [99, 838, 99, 1945, 5, 17, 99, 99, 99, 5, 17, 17, 99, 1847, 1358, 5, 5, 1832, 17, 5, 1437, 5, 5, 99, 99, 5, 17, 99, 99, 5, 17, 5, 5, 99, 5, 598, 17, 99, 99, 99, 17, 17, 99, 5, 17, 5, 99, 5]),
        (SamplingParameters(temperature: 1.5, topK: 300, topP: 0.98, minP: 0.01, repetitionPenalty: 1.0, frequencyPenalty: 0.5, presencePenalty: 0.3, penaltyWindow: 16, seed: 99),
         [99, 462, 99, 101, 5, 17, 1798, 880, 99, 5, 99, 17, 1893, 1832, 1361, 4, 5, 30, 34, 384, 505, 5, 17, 99, 1935, 5, 5, 99, 99, 17, 17, 610, 17, 99, 5, 1015, 472, 99, 99, 587, 17, 5, 287, 793, 17, 5, 17, 5]),
        (SamplingParameters(temperature: 0.0, topK: 40, topP: 0.95, minP: 0.05, repetitionPenalty: 1.5, frequencyPenalty: 0.0, presencePenalty: 0.0, penaltyWindow: 4, seed: 9),
         [17, 510, 99, 1945, 5, 17, 5, 99, 99, 5, 17, 17, 416, 1847, 99, 5, 5, 1832, 17, 5, 1437, 5, 99, 99, 17, 5, 5, 99, 99, 17, 17, 5, 17, 99, 5, 1222, 17, 99, 99, 99, 5, 17, 99, 5, 17, 5, 99, 5]),

    ]

    @Test("Seeded sampling picks the same 48 tokens as llama.cpp for each configuration",
        arguments: 0..<6)
    func sameTokens(_ index: Int) {
        let (parameters, expected) = Self.expectations[index]
        var sampler = TokenSampler(parameters: parameters)
        var picks: [Int32] = []
        for row in Self.rows {
            let token = sampler.sample(logits: row)
            sampler.accept(token)
            picks.append(token)
        }
        #expect(picks == expected)
    }
}
