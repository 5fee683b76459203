import Foundation

/// Prompt and generation throughput of a model, measured like llama-bench's pp/tg.
public struct BenchmarkResult: Sendable, CustomStringConvertible {
    /// Tokens in the prompt that was prefilled.
    public var promptTokens: Int
    /// Seconds the prefill took.
    public var promptSeconds: Double
    /// Tokens generated one at a time after the prompt.
    public var generatedTokens: Int
    /// Seconds the generation took.
    public var generationSeconds: Double
    /// Kernel threads used.
    public var threads: Int

    /// Prefill throughput.
    public var promptTokensPerSecond: Double { Double(promptTokens) / promptSeconds }
    /// Decoding throughput.
    public var generationTokensPerSecond: Double { Double(generatedTokens) / generationSeconds }

    public var description: String {
        String(format: "pp%d: %.1f tok/s   tg%d: %.1f tok/s   (%d threads)",
               promptTokens, promptTokensPerSecond, generatedTokens, generationTokensPerSecond, threads)
    }
}

extension LanguageEngine {
    /// Times a `promptTokens`-token prefill and `generatedTokens` greedy decoding steps in a
    /// fresh sequence (removed afterwards). The prompt is a fixed pseudo-random token
    /// sequence, so runs are comparable. Used by `dspyc bench`.
    ///
    /// - Throws: `EngineError.promptTooLong` if the two counts exceed the context.
    public func benchmark(promptTokens: Int = 512, generatedTokens: Int = 128) throws -> BenchmarkResult {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let vocabulary = UInt64(configuration.vocabularySize)
        let prompt: [Int32] = (0..<promptTokens).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int32((state >> 33) % vocabulary)
        }
        let sequence = makeSequence()
        defer { removeSequence(sequence) }

        let clock = ContinuousClock()
        var logits: ArraySlice<Float> = []
        let promptTime = try clock.measure {
            logits = try evaluate(prompt, in: sequence).logits.last ?? []
        }
        let generationTime = try clock.measure {
            for _ in 0..<generatedTokens {
                let next = Int32(logits.indices.max(by: { logits[$0] < logits[$1] }).map { $0 - logits.startIndex } ?? 0)
                logits = try evaluate([next], in: sequence).logits.last ?? []
            }
        }
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        return BenchmarkResult(
            promptTokens: promptTokens, promptSeconds: seconds(promptTime),
            generatedTokens: generatedTokens, generationSeconds: seconds(generationTime), threads: threadCount)
    }
}
