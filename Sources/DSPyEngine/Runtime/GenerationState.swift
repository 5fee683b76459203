/// The bookkeeping of one generation: sampler, constraint, detokenizer, stop strings.
///
/// ``nextStep(model:sequence:)`` decides the tokens to append next (one sampled
/// token, a forced span, or nothing when generation is over); the caller evaluates
/// them and stores the new logits.
struct GenerationState {
    let parameters: SamplingParameters
    let options: GenerationOptions
    let tokenizer: Tokenizer
    let maxTokens: Int
    let onText: (@Sendable (String) -> Void)?
    var logits: [Float]
    private var sampler: TokenSampler
    private var decoder: ConstrainedDecoder?
    private var stream: TokenTextStream
    private var generated: [Int32] = []
    private var finishReason = Generation.FinishReason.length
    private var logprobs: [TokenLogprobs] = []
    private var choiceScores: [ChoiceScore] = []
    private var finished = false

    init(
        prompt: [Int32], parameters: SamplingParameters, options: GenerationOptions, tokenizer: Tokenizer,
        logits: [Float], maxTokens: Int, onText: (@Sendable (String) -> Void)?
    ) {
        self.parameters = parameters
        self.options = options
        self.tokenizer = tokenizer
        self.logits = logits
        self.maxTokens = maxTokens
        self.onText = onText
        sampler = TokenSampler(parameters: parameters)
        // As llama-server does, the prompt's tokens count for the repetition penalties.
        if parameters.penaltyWindow > 0 {
            for token in prompt.suffix(parameters.penaltyWindow) { sampler.accept(token) }
        }
        decoder = options.constraint.map(ConstrainedDecoder.init)
        stream = TokenTextStream(tokenizer: tokenizer, parameters: parameters, renderSpecial: options.renderSpecial)
    }

    /// The tokens to evaluate next, or nil when generation is over.
    mutating func nextStep(model: TextModel, sequence: inout SequenceID) async throws -> [Int32]? {
        while !finished {
            guard generated.count < maxTokens else { return finish(.length) }
            if var decoder {
                if let choice = decoder.pendingChoice, let offsets = options.choiceScoring?[choice.segment] {
                    let (score, next) = try await model.scoreChoice(
                        values: choice.values, tokens: choice.tokens, segment: choice.segment, offsets: offsets,
                        firstLogits: logits, sequence: sequence, adapter: options.adapter)
                    let tokens = try decoder.acceptChoice(score.chosen)
                    self.decoder = decoder
                    choiceScores.append(score)
                    emit(tokens)
                    logits = next
                    continue  // already evaluated
                }
                let forced = decoder.forcedTokens()
                if !forced.isEmpty {
                    let span = Array(forced.prefix(maxTokens - generated.count))
                    for token in span { try decoder.accept(token) }
                    self.decoder = decoder
                    emit(span)
                    return finished ? nil : span
                }
                if decoder.isComplete { return finish(.stop) }
                var masked = logits
                decoder.apply(to: &masked)
                let token = sample(masked)
                try decoder.accept(token)
                self.decoder = decoder
                emit([token])
                return finished ? nil : [token]
            }
            let token = sample(logits)
            if tokenizer.isEndOfGeneration(token) { return finish(.stop) }
            emit([token])
            return finished ? nil : [token]
        }
        return nil
    }

    private mutating func sample(_ row: [Float]) -> Int32 {
        let token = sampler.sample(logits: row)
        sampler.accept(token)
        if parameters.logprobs > 0 {
            logprobs.append(TokenLogprobs(logits: logits, chosen: token, top: parameters.logprobs))
        }
        return token
    }

    /// Records tokens, streams their text, and ends on a stop string or `maxTokens`.
    private mutating func emit(_ tokens: [Int32]) {
        for token in tokens {
            generated.append(token)
            publish(stream.append(token))
            switch stream.finishReason {
            case .stopString?: return markFinished(.stop)
            case .maxTokens?: return markFinished(.length)
            default: break
            }
        }
        if let decoder, decoder.isComplete { _ = finish(.stop) }
    }

    private mutating func publish(_ text: String) {
        if !text.isEmpty { onText?(text) }
    }

    private mutating func markFinished(_ reason: Generation.FinishReason) {
        finished = true
        finishReason = reason
    }

    /// Ends generation, releasing any text held back for a possible stop string.
    private mutating func finish(_ reason: Generation.FinishReason) -> [Int32]? {
        guard !finished else { return nil }
        markFinished(reason)
        publish(stream.finish())
        return nil
    }

    private var matchedStop: String? {
        if case .stopString(let stop)? = stream.finishReason { return stop }
        return nil
    }

    func result(promptTokens: Int, cachedPromptTokens: Int, promptDuration: Duration, generationDuration: Duration)
        -> Generation
    {
        Generation(
            text: stream.text, tokens: generated, finishReason: finishReason, matchedStop: matchedStop,
            promptTokens: promptTokens, cachedPromptTokens: cachedPromptTokens, logprobs: logprobs,
            choiceScores: choiceScores, promptDuration: promptDuration, generationDuration: generationDuration)
    }
}
