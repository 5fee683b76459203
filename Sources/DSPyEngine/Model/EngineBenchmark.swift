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
    /// Process CPU seconds spent in the prefill (all threads; compare runs on a busy machine).
    public var promptCPUSeconds: Double
    /// Process CPU seconds spent generating.
    public var generationCPUSeconds: Double
    /// Sequences decoded together in the batched measurement (0 if skipped).
    public var batchSequences: Int = 0
    /// Tokens per second over all sequences when decoding `batchSequences` at once.
    public var batchedTokensPerSecond: Double = 0

    /// Prefill throughput.
    public var promptTokensPerSecond: Double { Double(promptTokens) / promptSeconds }
    /// Decoding throughput.
    public var generationTokensPerSecond: Double { Double(generatedTokens) / generationSeconds }

    public var description: String {
        String(format: "pp%d: %.1f tok/s   tg%d: %.1f tok/s   (%d threads; %.0f / %.0f tokens per CPU-second)",
               promptTokens, promptTokensPerSecond, generatedTokens, generationTokensPerSecond, threads,
               Double(promptTokens) / promptCPUSeconds, Double(generatedTokens) / generationCPUSeconds)
            + (batchSequences > 0 ? String(format: "   batched x%d: %.1f tok/s", batchSequences, batchedTokensPerSecond) : "")
    }
}

extension LanguageEngine {
    /// Times a `promptTokens`-token prefill and `generatedTokens` greedy decoding steps in a
    /// fresh sequence (removed afterwards). The prompt is a fixed pseudo-random token
    /// sequence, so runs are comparable. Used by `dspyc bench`.
    ///
    /// - Throws: `EngineError.promptTooLong` if the two counts exceed the context.
    ///
    /// With `batchSequences` > 0 it also decodes that many sequences together (each after a
    /// 32-token prompt, 32 steps) and reports the combined tokens per second.
    public func benchmark(promptTokens: Int = 512, generatedTokens: Int = 128, batchSequences: Int = 8) throws -> BenchmarkResult {
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
        let cpuStart = Self.processCPUSeconds()
        let promptTime = try clock.measure {
            logits = try evaluate(prompt, in: sequence).logits.last ?? []
        }
        let cpuMiddle = Self.processCPUSeconds()
        let generationTime = try clock.measure {
            for _ in 0..<generatedTokens {
                let next = Int32(logits.indices.max(by: { logits[$0] < logits[$1] }).map { $0 - logits.startIndex } ?? 0)
                logits = try evaluate([next], in: sequence).logits.last ?? []
            }
        }
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let cpuEnd = Self.processCPUSeconds()
        var result = BenchmarkResult(
            promptTokens: promptTokens, promptSeconds: seconds(promptTime),
            generatedTokens: generatedTokens, generationSeconds: seconds(generationTime), threads: threadCount,
            promptCPUSeconds: cpuMiddle - cpuStart, generationCPUSeconds: cpuEnd - cpuMiddle)
        if batchSequences > 0 {
            let sequences = (0..<batchSequences).map { _ in makeSequence() }
            defer { sequences.forEach(removeSequence) }
            var next = [Int32](repeating: 0, count: batchSequences)
            for (i, s) in sequences.enumerated() {
                let row = try evaluate(Array(prompt.prefix(32).dropFirst(i)), in: s).logits.last ?? []
                next[i] = Int32(row.indices.max(by: { row[$0] < row[$1] }).map { $0 - row.startIndex } ?? 0)
            }
            let steps = 32
            let batchTime = try clock.measure {
                for _ in 0..<steps {
                    let outputs = try evaluate(zip(sequences, next).map { EvaluationRequest(sequence: $0, tokens: [$1]) })
                    for (i, output) in outputs.enumerated() {
                        let row = output.logits.last ?? []
                        next[i] = Int32(row.indices.max(by: { row[$0] < row[$1] }).map { $0 - row.startIndex } ?? 0)
                    }
                }
            }
            result.batchSequences = batchSequences
            result.batchedTokensPerSecond = Double(steps * batchSequences) / seconds(batchTime)
        }
        return result
    }

    private static func processCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
