/// The bookkeeping of one generation: sampler, constraint, detokenizer, stop strings.
///
/// ``nextStep(model:sequence:length:guessing:)`` decides the tokens to evaluate next (one sampled token,
/// perhaps followed by guessed ones, a forced span, or nothing when generation is over);
/// the caller evaluates them and hands the logits to ``absorb(_:stepTokens:)``.
///
/// Speculative decoding (with a ``PromptLookupDrafter``): a sampled token goes to the model
/// with the tokens the drafter guesses would follow it, and each guess's row of logits is
/// then sampled exactly as the next plain step would have been — same mask, same sampler
/// state, same random draw. A guess is kept while the sampled token equals it; the first
/// token that differs is already the right next token and is evaluated in the next step.
/// The output is therefore the plain one whenever each row's logits are (see
/// ``LanguageEngine/exactBatchTokens``), under any sampling parameters.
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
    private var origins: [Generation.TokenOrigin] = []
    private var finished = false
    /// The drafter and the most tokens one guess may hold (nil: no speculation).
    private let drafting: (drafter: PromptLookupDrafter, limit: Int)?
    /// Prompt and output so far, where the drafter looks for repeats.
    private var history: [Int32]
    /// The guesses riding on the step being evaluated.
    private var draft: [Int32] = []
    /// The most tokens the next guess may hold (adapts to how often guesses are kept).
    private var guessLength = 0
    /// Whether the current step may carry guesses.
    private var isGuessing = true
    /// A token sampled while checking guesses, to be evaluated next.
    private var pending: Int32?
    private var draftedTokens = 0
    private var acceptedDraftTokens = 0

    /// - Parameter drafter: the guesser (the request's, else the model's).
    /// - Parameter draftLimit: the most guessed tokens the engine can check exactly in one
    ///   pass (0: no speculation).
    init(
        prompt: [Int32], parameters: SamplingParameters, options: GenerationOptions, tokenizer: Tokenizer,
        logits: [Float], maxTokens: Int, drafter: PromptLookupDrafter?, draftLimit: Int,
        onText: (@Sendable (String) -> Void)?
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
        let limit = min(draftLimit, drafter?.maxTokens ?? 0)
        drafting = limit > 0 ? drafter.map { ($0, limit) } : nil
        guessLength = max(limit, 0)
        history = drafting == nil ? [] : prompt
    }

    /// Whether this generation may guess at all (a drafter within the engine's exact limit).
    var canGuess: Bool { drafting != nil }

    /// Whether the step being evaluated carries guesses (then every row's logits are needed).
    var isSpeculating: Bool { !draft.isEmpty }

    /// The tokens to evaluate next, or nil when generation is over. `length` is the number
    /// of positions of `sequence` that hold the prompt and the accepted output; `guessing`
    /// says whether a sampled token may carry guesses.
    mutating func nextStep(model: TextModel, sequence: SequenceID, length: Int, guessing: Bool) async throws -> [Int32]? {
        isGuessing = guessing
        while !finished {
            guard generated.count < maxTokens else { return finish(.length) }
            if let token = pending {
                pending = nil
                return withGuesses(after: token)
            }
            if var decoder {
                if let choice = decoder.pendingChoice, let offsets = options.choiceScoring?[choice.segment] {
                    let score = try await model.scoreChoice(
                        values: choice.values, tokens: choice.tokens, segment: choice.segment, offsets: offsets,
                        firstLogits: logits, sequence: sequence, length: length, adapter: options.adapter)
                    let tokens = try decoder.acceptChoice(score.chosen)
                    self.decoder = decoder
                    choiceScores.append(score)
                    emit(tokens, origin: .choice(choiceScores.count - 1))
                    if try finished || emitDeterminedEnd() { return nil }
                    return tokens  // evaluated like a forced span: what follows reads its logits
                }
                let forced = decoder.forcedTokens()
                if !forced.isEmpty {
                    let span = Array(forced.prefix(maxTokens - generated.count))
                    for token in span { try decoder.accept(token) }
                    self.decoder = decoder
                    emit(span, origin: .forced)
                    return finished ? nil : span
                }
                if decoder.isComplete { return finish(.stop) }
            }
            guard let token = try sampleFreely() else { return nil }
            return finished ? nil : withGuesses(after: token)
        }
        return nil
    }

    /// Takes the logits of the step just evaluated and returns how many of its tokens stay
    /// in the sequence (the caller drops the rest: guesses the model did not make).
    mutating func absorb(_ rows: OutputRows, stepTokens: Int) throws -> Int {
        let guesses = draft
        draft = []
        guard !guesses.isEmpty else {
            logits = Array(rows.last ?? [])
            return stepTokens
        }
        draftedTokens += guesses.count
        let kept = try check(guesses, rows: rows)
        acceptedDraftTokens += kept
        // The guess length follows the hit rate (Hugging Face transformers' heuristic for
        // assisted generation): two more after a full hit, one fewer after a miss.
        let limit = drafting?.limit ?? 0
        guessLength = kept == guesses.count ? min(limit, guessLength + 2) : max(1, guessLength - 1)
        return 1 + kept
    }

    /// Samples each guess's position as plain decoding would and returns how many guesses
    /// the model picked too, leaving ``logits`` at the row after the last one kept.
    private mutating func check(_ guesses: [Int32], rows: OutputRows) throws -> Int {
        for (index, guess) in guesses.enumerated() {
            logits = Array(rows[index])
            // A forced span, a scored choice or the end is the plain loop's to handle, from these logits.
            guard !finished, generated.count < maxTokens, isFreePosition() else { return index }
            guard let token = try sampleFreely() else { return index }
            guard token == guess else {
                pending = finished ? nil : token
                return index
            }
        }
        logits = Array(rows[guesses.count])
        return guesses.count
    }

    /// Emits the rest of the output when the constraint forces all of it up to the end (the
    /// `[[ ## completed ## ]]` after a last choice) and ends: nothing reads those tokens'
    /// logits or keys, so they are not evaluated. Returns whether it did.
    private mutating func emitDeterminedEnd() throws -> Bool {
        guard var probe = decoder else { return false }
        let tail = probe.forcedTokens()
        guard generated.count + tail.count <= maxTokens else { return false }
        for token in tail { try probe.accept(token) }
        guard probe.isComplete else { return false }
        decoder = probe
        emit(tail, origin: .forced)
        return true
    }

    /// Whether the next token is sampled (not forced, not a scored choice, not the end).
    private mutating func isFreePosition() -> Bool {
        guard var decoder else { return true }
        defer { self.decoder = decoder }
        return isFree(&decoder)
    }

    /// Whether `decoder` stands where plain decoding samples: no scored choice pending,
    /// nothing forced, not complete (the order ``nextStep(model:sequence:length:guessing:)`` checks).
    private func isFree(_ decoder: inout ConstrainedDecoder) -> Bool {
        if let choice = decoder.pendingChoice, options.choiceScoring?[choice.segment] != nil { return false }
        return decoder.forcedTokens().isEmpty && !decoder.isComplete
    }

    /// Samples the next token from ``logits`` (masked by the constraint), records and streams
    /// it; nil when it ends generation without being output (an end-of-generation token).
    private mutating func sampleFreely() throws -> Int32? {
        guard var decoder else {
            let token = sample(logits)
            if tokenizer.isEndOfGeneration(token) {
                _ = finish(.stop)
                return nil
            }
            emit([token], origin: sampledOrigin)
            return token
        }
        var masked = logits
        decoder.apply(to: &masked)
        let token = sample(masked)
        try decoder.accept(token)
        self.decoder = decoder
        emit([token], origin: sampledOrigin)
        return token
    }

    /// `[token]` followed by the drafter's guesses, as far as the constraint allows them.
    private mutating func withGuesses(after token: Int32) -> [Int32] {
        guard isGuessing, let (drafter, limit) = drafting else { return [token] }
        var guesses = drafter.propose(after: history, limit: min(limit, guessLength, maxTokens - generated.count - 1))
        if var probe = decoder {
            var kept = 0
            for guess in guesses {
                guard isFree(&probe), (try? probe.accept(guess)) != nil else { break }
                kept += 1
            }
            guesses.removeLast(guesses.count - kept)
        }
        draft = guesses
        return [token] + guesses
    }

    private mutating func sample(_ row: [Float]) -> Int32 {
        let token = sampler.sample(logits: row)
        sampler.accept(token)
        if parameters.logprobs > 0 {
            logprobs.append(TokenLogprobs(logits: logits, chosen: token, top: parameters.logprobs))
        }
        return token
    }

    /// The origin of the token just sampled (its log-probabilities are the last recorded, if any).
    private var sampledOrigin: Generation.TokenOrigin {
        .sampled(parameters.logprobs > 0 ? logprobs.count - 1 : nil)
    }

    /// Records tokens, streams their text, and ends on a stop string or `maxTokens`.
    private mutating func emit(_ tokens: [Int32], origin: Generation.TokenOrigin) {
        for token in tokens {
            generated.append(token)
            if drafting != nil { history.append(token) }
            origins.append(origin)
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
            choiceScores: choiceScores, tokenOrigins: origins, draftedTokens: draftedTokens,
            acceptedDraftTokens: acceptedDraftTokens, promptDuration: promptDuration,
            generationDuration: generationDuration)
    }
}
