import Foundation
import Logging

extension TextModel {
    /// Generates a continuation of `prompt`.
    ///
    /// The prompt starts from the longest prefix the prefix cache holds; each step
    /// goes through the batch scheduler, so concurrent generations share passes.
    /// With a constraint, forced spans are appended without sampling, other steps
    /// are sampled from the masked logits, and choices may be decided by scoring
    /// whole values (see ``GenerationOptions``). While it is the only generation running,
    /// sampled steps carry the drafter's guesses, checked in the same pass (speculative
    /// decoding; same output); beside others, batching already fills each pass. Text is
    /// streamed to `onText` as complete UTF-8, holding back what might be the start of a
    /// stop string.
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
        let (sequence, cached) = await startSequence(for: prompt, adapter: adapter)
        await scheduler.begin()
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
                drafter: options.drafter ?? drafter, draftLimit: adapter == nil ? engine.exactBatchTokens - 1 : 0, onText: onText)
            // Positions holding accepted tokens; each step is placed there, dropping rejected guesses.
            var length = prompt.count
            while let step = try await state.nextStep(
                model: self, sequence: sequence, length: length, guessing: state.canGuess ? await scheduler.isAlone : false)
            {
                try Task.checkCancellation()
                let evaluation = try await scheduler.evaluate(
                    EvaluationRequest(
                        sequence: sequence, tokens: step, logits: state.isSpeculating ? .all : .last, adapter: adapter,
                        position: length))
                length += try state.absorb(evaluation.logits, stepTokens: step.count)
            }
            await scheduler.end()
            await engine.removeSequence(sequence)
            let result = state.result(
                promptTokens: prompt.count, cachedPromptTokens: cached,
                promptDuration: promptEnd - start, generationDuration: clock.now - promptEnd)
            logger.debug("generated", metadata: [
                "prompt_tokens": "\(result.promptTokens)", "cached_tokens": "\(result.cachedPromptTokens)",
                "tokens": "\(result.tokens.count)", "drafted": "\(result.draftedTokens)",
                "accepted": "\(result.acceptedDraftTokens)",
                "prompt_seconds": "\(String(format: "%.3f", result.promptDuration.seconds))",
                "generation_seconds": "\(String(format: "%.3f", result.generationDuration.seconds))",
            ])
            return result
        } catch {
            await scheduler.end()
            await engine.removeSequence(sequence)
            throw error
        }
    }

    /// Scores each value of a pending choice by its canonical tokens after the first `length`
    /// positions of `sequence` and picks the highest calibrated score.
    ///
    /// Each value is evaluated at `length` with every row's logits, so the scores are exact
    /// sums of log-probabilities (a one-token value costs no evaluation: `firstLogits`
    /// score it). What they leave past `length` is dropped by the next request placed there;
    /// the caller evaluates the chosen value only if anything reads what follows.
    func scoreChoice(
        values: [String], tokens: [[Int32]], segment: Int, offsets: [Double], firstLogits: [Float],
        sequence: SequenceID, length: Int, adapter: AdapterID? = nil
    ) async throws -> ChoiceScore {
        let firstLogProbabilities = Self.logSoftmax(firstLogits[...])
        var scores: [Double] = []
        for candidate in tokens {
            var total = Double(firstLogProbabilities[Int(candidate[0])])
            if candidate.count > 1 {
                let evaluation = try await scheduler.evaluate(
                    EvaluationRequest(
                        sequence: sequence, tokens: Array(candidate.dropLast()), logits: .all, adapter: adapter,
                        position: length))
                for index in 1..<candidate.count {
                    total += Double(Self.logSoftmax(evaluation.logits[index - 1])[Int(candidate[index])])
                }
            }
            scores.append(total)
        }
        let offsets = offsets.count == values.count ? offsets : [Double](repeating: 0, count: values.count)
        let calibrated = zip(scores, offsets).map { $0 - $1 }
        let chosen = calibrated.indices.max { calibrated[$0] < calibrated[$1] } ?? 0
        return ChoiceScore(segment: segment, values: values, logprobs: scores, offsets: offsets, chosen: chosen)
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
