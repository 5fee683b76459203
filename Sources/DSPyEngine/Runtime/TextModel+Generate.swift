import Foundation

extension TextModel {
    /// Generates a continuation of `prompt`.
    ///
    /// The prompt starts from the longest prefix the prefix cache holds; each step
    /// goes through the batch scheduler, so concurrent generations share passes.
    /// With a constraint, forced spans are appended without sampling, other steps
    /// are sampled from the masked logits, and choices may be decided by scoring
    /// whole values (see ``GenerationOptions``). Text is streamed to `onText` as
    /// complete UTF-8, holding back what might be the start of a stop string.
    ///
    /// Cancelling the calling task stops the generation before its next decoding step
    /// (a step already running in a batch finishes first); the sequence is freed and
    /// `CancellationError` is thrown. A server cancels the task of a client that went away.
    ///
    /// - Throws: `CancellationError` when cancelled, `EngineError.promptTooLong` when the prompt does not fit the
    ///   context, `.invalidArgument` for an empty prompt or bad parameters,
    ///   `ConstraintError` if the constraint cannot be met.
    public func generate(
        prompt: [Int32], parameters: SamplingParameters, options: GenerationOptions = GenerationOptions(),
        onText: (@Sendable (String) -> Void)? = nil
    ) async throws -> Generation {
        guard !prompt.isEmpty else { throw EngineError.invalidArgument("the prompt is empty") }
        do { try parameters.validate() } catch { throw EngineError.invalidArgument("\(error)") }
        let context = configuration.contextLength
        guard prompt.count < context else {
            throw EngineError.promptTooLong(tokens: prompt.count, cached: 0, contextLength: context)
        }
        let clock = ContinuousClock()
        let start = clock.now
        try Task.checkCancellation()
        let adapter = options.adapter
        var (sequence, cached) = await startSequence(for: prompt, adapter: adapter)
        do {
            // The whole prompt is one call, however much of it came from the prefix cache.
            let first = try await scheduler.evaluate(
                EvaluationRequest(
                    sequence: sequence, tokens: Array(prompt[cached...]), call: 0..<prompt.count, adapter: adapter))
            await remember(prompt, in: sequence, adapter: adapter)
            let promptEnd = clock.now
            var state = GenerationState(
                prompt: prompt, parameters: parameters, options: options, tokenizer: tokenizer,
                logits: Array(first.logits.last ?? []), maxTokens: min(parameters.maxTokens ?? .max, context - prompt.count),
                onText: onText)
            while let step = try await state.nextStep(model: self, sequence: &sequence) {
                try Task.checkCancellation()
                let evaluation = try await scheduler.evaluate(
                    EvaluationRequest(sequence: sequence, tokens: step, adapter: adapter))
                state.logits = Array(evaluation.logits.last ?? [])
            }
            await engine.removeSequence(sequence)
            return state.result(
                promptTokens: prompt.count, cachedPromptTokens: cached,
                promptDuration: promptEnd - start, generationDuration: clock.now - promptEnd)
        } catch {
            await engine.removeSequence(sequence)
            throw error
        }
    }

    /// Decides a pending choice by scoring each value's canonical tokens after the
    /// current sequence, then leaves the sequence holding the chosen value.
    ///
    /// Each value is evaluated with every row's logits and rewound, so the scores are
    /// exact sums of log-probabilities; the chosen value is evaluated once more to
    /// continue from it. Returns the score record and the logits after the value.
    func scoreChoice(
        values: [String], tokens: [[Int32]], segment: Int, offsets: [Double], firstLogits: [Float],
        sequence: SequenceID, adapter: AdapterID? = nil
    ) async throws -> (ChoiceScore, [Float]) {
        let base = try await engine.length(of: sequence)
        let firstLogProbabilities = Self.logSoftmax(firstLogits[...])
        var scores: [Double] = []
        for candidate in tokens {
            var total = Double(firstLogProbabilities[Int(candidate[0])])
            if candidate.count > 1 {
                let evaluation = try await scheduler.evaluate(
                    EvaluationRequest(
                        sequence: sequence, tokens: Array(candidate.dropLast()), logits: .all, adapter: adapter))
                for index in 1..<candidate.count {
                    total += Double(Self.logSoftmax(evaluation.logits[index - 1])[Int(candidate[index])])
                }
                try await engine.truncate(sequence, to: base)
            }
            scores.append(total)
        }
        let offsets = offsets.count == values.count ? offsets : [Double](repeating: 0, count: values.count)
        let calibrated = zip(scores, offsets).map { $0 - $1 }
        let chosen = calibrated.indices.max { calibrated[$0] < calibrated[$1] } ?? 0
        let evaluation = try await scheduler.evaluate(
            EvaluationRequest(sequence: sequence, tokens: tokens[chosen], adapter: adapter))
        let record = ChoiceScore(segment: segment, values: values, logprobs: scores, offsets: offsets, chosen: chosen)
        return (record, Array(evaluation.logits.last ?? []))
    }

    /// Log-softmax of one row of logits.
    static func logSoftmax(_ logits: ArraySlice<Float>) -> [Float] {
        let maximum = logits.max() ?? 0
        var sum: Float = 0
        for value in logits { sum += exp(value - maximum) }
        let shift = maximum + log(sum)
        return logits.map { $0 - shift }
    }
}
