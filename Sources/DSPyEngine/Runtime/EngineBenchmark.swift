import Foundation

/// Speed figures of the engine, measured like llama-bench, for `dspyc bench`.
///
/// Every figure is the best of `repetitions` runs after a warm-up, on random
/// token ids (the speed of a forward pass does not depend on which tokens). With
/// `measuresPeak`, the CPU's int8 peak (``Int8Peak``) is measured first on the model's
/// threads, and pp and tg are also reported as fractions of it: tokens/s × the int8
/// multiply-adds of a token (``TokenArithmetic``) ÷ the peak.
public struct EngineBenchmark: Sendable {
    /// The measured figures.
    public struct Report: Sendable, Codable {
        /// Prompt processing: tokens per second evaluating a prompt of `promptTokens`.
        public var promptTokensPerSecond: Double
        /// Text generation: tokens per second decoding one token at a time.
        public var generationTokensPerSecond: Double
        /// Total tokens per second decoding `batchSequences` sequences together.
        public var batchedTokensPerSecond: Double
        /// Prefill time of a prompt whose first `prefixTokens` are cached, over the uncached time.
        public var cachedPrefillRatio: Double
        /// Greedy generation of a copy task with and without speculative decoding (nil when not measured).
        public var speculation: SpeculationFigures?
        /// Peak resident memory of the process, in bytes (0 when unknown).
        public var peakResidentBytes: Int
        /// The CPU's int8 multiply-add peak on the model's threads (nil when not measured).
        public var int8Peak: Int8Peak?
        /// Int8 multiply-adds per prompt token: every layer's matrices and a share of the
        /// output projection (see ``TokenArithmetic``; attention's float work not included).
        public var promptMultiplyAddsPerToken: Double
        /// Int8 multiply-adds per decoded token: every layer's matrices and the output projection.
        public var generationMultiplyAddsPerToken: Double
        /// Attention's float multiply-adds per prompt token, left out of the fractions.
        public var promptAttentionMultiplyAddsPerToken: Double
        /// pp's share of the int8 peak: promptTokensPerSecond × promptMultiplyAddsPerToken ÷ peak.
        public var promptPeakFraction: Double?
        /// tg's share of the int8 peak (one token a pass: bound by per-pass costs and memory).
        public var generationPeakFraction: Double?
        public var promptTokens: Int
        public var generatedTokens: Int
        public var batchSequences: Int
        public var prefixTokens: Int
        public var threads: Int
    }

    public var promptTokens = 512
    public var generatedTokens = 128
    public var batchSequences = 8
    public var prefixTokens = 400
    public var repetitions = 3
    /// A loaded LoRA adapter every measurement runs with (nil: the base model).
    public var adapter: AdapterID?
    /// Whether to measure the int8 peak (best of `repetitions` runs of `peakSeconds` per vector path).
    public var measuresPeak = true
    public var peakSeconds = 0.2
    /// Whether to measure speculative decoding on a copy task (``SpeculationFigures``).
    public var measuresSpeculation = true

    public init() {}

    /// Runs every measurement on `model`, reporting each phase to `progress`.
    public func run(on model: TextModel, progress: @Sendable (String) -> Void = { _ in }) async throws -> Report {
        let engine = model.engine
        var random = SystemRandomNumberGenerator()
        let vocabulary = Int32(model.configuration.vocabularySize)
        func tokens(_ count: Int) -> [Int32] { (0..<count).map { _ in Int32.random(in: 1000..<vocabulary, using: &random) } }
        let clock = ContinuousClock()
        var peak: Int8Peak?
        if measuresPeak {
            progress("int8 peak: \(Int8Peak.Path.available.map(\.rawValue).joined(separator: ", ")) on \(engine.threadCount) threads")
            peak = await engine.measureInt8Peak(seconds: peakSeconds, repetitions: repetitions)
        }

        progress("pp\(promptTokens): prompt processing")
        let prompt = tokens(promptTokens)
        let pp = try await best {
            let sequence = await engine.makeSequence()
            let start = clock.now
            _ = try await engine.evaluate([EvaluationRequest(sequence: sequence, tokens: prompt, adapter: adapter)])
            let elapsed = clock.now - start
            await engine.removeSequence(sequence)
            return Double(promptTokens) / elapsed.seconds
        }

        progress("tg\(generatedTokens): generation")
        let tg = try await best {
            let sequence = await engine.makeSequence()
            let steps = tokens(generatedTokens)
            let start = clock.now
            for token in steps { _ = try await engine.evaluate([EvaluationRequest(sequence: sequence, tokens: [token], adapter: adapter)]) }
            let elapsed = clock.now - start
            await engine.removeSequence(sequence)
            return Double(generatedTokens) / elapsed.seconds
        }

        progress("batched: \(batchSequences) sequences decoding together")
        let batched = try await best {
            var sequences: [SequenceID] = []
            for _ in 0..<batchSequences { sequences.append(await engine.makeSequence()) }
            let start = clock.now
            for _ in 0..<generatedTokens {
                let requests = sequences.map { EvaluationRequest(sequence: $0, tokens: tokens(1), adapter: adapter) }
                _ = try await engine.evaluate(requests)
            }
            let elapsed = clock.now - start
            for sequence in sequences { await engine.removeSequence(sequence) }
            return Double(batchSequences * generatedTokens) / elapsed.seconds
        }

        progress("prefix cache: \(prefixTokens) cached tokens of \(prefixTokens + 16)")
        let shared = tokens(prefixTokens)
        let options = GenerationOptions(adapter: adapter)
        let ratio = try await bestRatio {
            let uncached = try await model.generate(
                prompt: tokens(prefixTokens + 16), parameters: .init(temperature: 0, maxTokens: 1), options: options)
            _ = try await model.generate(prompt: shared + tokens(16), parameters: .init(temperature: 0, maxTokens: 1), options: options)
            let cached = try await model.generate(
                prompt: shared + tokens(16), parameters: .init(temperature: 0, maxTokens: 1), options: options)
            return cached.promptDuration.seconds / uncached.promptDuration.seconds
        }

        var speculation: SpeculationFigures?
        if measuresSpeculation {
            progress("speculation: a copy task with and without prompt-lookup guesses")
            speculation = try await measureSpeculation(on: model)
        }

        let work = await engine.tokenArithmetic()
        let promptWork = work.promptMultiplyAddsPerToken(promptTokens: promptTokens)
        return Report(
            promptTokensPerSecond: pp, generationTokensPerSecond: tg, batchedTokensPerSecond: batched,
            cachedPrefillRatio: ratio, speculation: speculation, peakResidentBytes: Self.peakResidentBytes(), int8Peak: peak,
            promptMultiplyAddsPerToken: promptWork, generationMultiplyAddsPerToken: work.generationMultiplyAddsPerToken,
            promptAttentionMultiplyAddsPerToken: work.attentionMultiplyAdds(promptTokens: promptTokens),
            promptPeakFraction: peak?.fraction(tokensPerSecond: pp, multiplyAddsPerToken: promptWork),
            generationPeakFraction: peak?.fraction(tokensPerSecond: tg, multiplyAddsPerToken: work.generationMultiplyAddsPerToken),
            promptTokens: promptTokens, generatedTokens: generatedTokens, batchSequences: batchSequences,
            prefixTokens: prefixTokens, threads: engine.threadCount)
    }

    func best(_ body: () async throws -> Double) async throws -> Double {
        _ = try await body()
        var result = 0.0
        for _ in 0..<repetitions { result = max(result, try await body()) }
        return result
    }

    private func bestRatio(_ body: () async throws -> Double) async throws -> Double {
        var result = Double.infinity
        for _ in 0..<repetitions { result = min(result, try await body()) }
        return result
    }

    /// The process's peak resident set size (`VmHWM` on Linux), in bytes.
    public static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return digits * 1024
        }
        return 0
    }
}
