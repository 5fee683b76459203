import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// Speculative decoding (prompt lookup) must change how fast tokens come, never which.
@Suite("Speculative decoding")
struct SpeculativeDecodingTests {
    static let passage = """
        The committee met on Tuesday to review the budget for the new library. After a long \
        discussion, the members agreed to fund the reading room, the children's corner and the \
        archive, but postponed the decision on the café until the spring meeting.
        """

    /// A prompt whose answer copies most of itself: what prompt lookup is for.
    static func copyPrompt(_ model: TextModel) throws -> [Int32] {
        try model.encodeChat([.init(.user, "Repeat this text exactly, word for word:\n\n\(passage)")])
    }

    @Test("The drafter proposes what followed the most recent earlier occurrence of the longest matching suffix")
    func drafterFindsRepeats() {
        let drafter = PromptLookupDrafter(maxTokens: 3, longestNgram: 3, shortestNgram: 2)
        // "1 2 3 4 5 … 1 2 3" → after the suffix "1 2 3", "4 5" came before.
        #expect(drafter.propose(after: [1, 2, 3, 4, 5, 9, 1, 2, 3], limit: 10) == [4, 5, 9])
        // The limit caps the guess; a later occurrence beats an earlier one.
        #expect(drafter.propose(after: [7, 8, 1, 7, 8, 2, 7, 8], limit: 1) == [2])
        // A single repeated token is not enough with shortestNgram 2; nothing repeats: no guess.
        #expect(drafter.propose(after: [5, 6, 7, 5], limit: 4) == [])
        #expect(drafter.propose(after: [1, 2, 3], limit: 4) == [])
        #expect(PromptLookupDrafter(shortestNgram: 1).propose(after: [5, 6, 7, 5], limit: 2) == [6, 7])
    }

    @Test("Greedy free text is token for token the same with speculation, and most copied tokens are guessed")
    func greedyFreeTextUnchanged() async throws {
        let model = try TextModel(contentsOf: Fixtures.defaultModel, prefixCacheBudget: 0)
        let prompt = try Self.copyPrompt(model)
        let parameters = SamplingParameters(temperature: 0, maxTokens: 80)
        let plain = try await model.generate(
            prompt: prompt, parameters: parameters, options: GenerationOptions(drafter: .off))
        let fast = try await model.generate(prompt: prompt, parameters: parameters)
        #expect(fast.tokens == plain.tokens)
        #expect(fast.text == plain.text)
        #expect(plain.draftedTokens == 0)
        let unguessed = try await TextModel(contentsOf: Fixtures.defaultModel, prefixCacheBudget: 0, drafter: nil)
            .generate(prompt: prompt, parameters: parameters)
        #expect(unguessed.tokens == plain.tokens && unguessed.draftedTokens == 0)
        #expect(fast.acceptedDraftTokens > fast.tokens.count / 3,
                "accepted \(fast.acceptedDraftTokens) of \(fast.draftedTokens) guesses for \(fast.tokens.count) tokens: \(fast.text)")
        print("[speculation] copy task: \(fast.tokens.count) tokens, \(fast.acceptedDraftTokens) of \(fast.draftedTokens) guesses kept")
    }

    @Test("Sampling with a seed, penalties and log-probabilities gives the same tokens and log-probabilities")
    func sampledOutputUnchanged() async throws {
        let model = try TextModel(contentsOf: Fixtures.defaultModel, prefixCacheBudget: 0)
        let prompt = try Self.copyPrompt(model)
        var parameters = SamplingParameters(temperature: 0.7, seed: 42, maxTokens: 60, logprobs: 2)
        parameters.repetitionPenalty = 1.1
        for seed: UInt32 in [1, 42, 7_000] {
            parameters.seed = seed
            let plain = try await model.generate(
                prompt: prompt, parameters: parameters, options: GenerationOptions(drafter: .off))
            let fast = try await model.generate(prompt: prompt, parameters: parameters)
            #expect(fast.tokens == plain.tokens, "seed \(seed)")
            #expect(fast.logprobs == plain.logprobs, "seed \(seed)")
            #expect(fast.draftedTokens > 0, "seed \(seed)")
        }
    }

    @Test("A constrained ChatAdapter completion with free text and a scored choice is unchanged, and its text is guessed")
    func constrainedOutputUnchanged() async throws {
        let model = try TextModel(contentsOf: Fixtures.defaultModel, prefixCacheBudget: 0)
        let vocabulary = try await model.constraintVocabulary()
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("summary", .text), ConstrainedField("tone", .choice(["neutral", "angry"]))],
            vocabulary: vocabulary, maxTextBytes: 400)
        let prompt = try model.encodeChat([
            .init(.system, "Your output fields are: `summary`, `tone`. Quote the input in the summary."),
            .init(.user, "[[ ## text ## ]]\n\(Self.passage)\n\nRespond with `[[ ## summary ## ]]`, then `[[ ## tone ## ]]`."),
        ])
        let parameters = SamplingParameters(temperature: 0, maxTokens: 160)
        for scoring in [nil, [1: [0.0, 0.0]]] as [[Int: [Double]]?] {
            let plain = try await model.generate(
                prompt: prompt, parameters: parameters,
                options: GenerationOptions(constraint: constraint, choiceScoring: scoring, drafter: .off))
            let fast = try await model.generate(
                prompt: prompt, parameters: parameters, options: GenerationOptions(constraint: constraint, choiceScoring: scoring))
            #expect(fast.tokens == plain.tokens)
            #expect(fast.tokenOrigins == plain.tokenOrigins)
            #expect(fast.choiceScores == plain.choiceScores)
            #expect(fast.text.hasSuffix("[[ ## completed ## ]]"), "\(fast.text)")
            #expect(fast.draftedTokens > 0)
        }
    }

    @Test("Gemma 3's K-quant products stay exact below eight tokens a pass, so its output is unchanged too")
    func kQuantModelUnchanged() async throws {
        let model = try TextModel(contentsOf: try Fixtures.requireGemmaModel(), prefixCacheBudget: 0)
        #expect(model.engine.exactBatchTokens == 7)
        let prompt = model.tokenizer.encode("Repeat this text exactly:\n\n\(Self.passage)\n\nRepeat:\n\n")
        let parameters = SamplingParameters(temperature: 0, maxTokens: 60)
        let plain = try await model.generate(prompt: prompt, parameters: parameters, options: GenerationOptions(drafter: .off))
        let fast = try await model.generate(prompt: prompt, parameters: parameters)
        #expect(fast.tokens == plain.tokens)
        #expect(fast.acceptedDraftTokens > 0, "\(fast.text)")
    }

    @Test("The default model's Q4_1 and Q8_0 products are exact at any batch size, so attention's 64-token switch bounds a guess")
    func exactBatchLimits() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        #expect(engine.exactBatchTokens == AttentionPath.tiledThreshold - 1)
    }
}
