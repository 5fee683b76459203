import Foundation

extension EngineBenchmark {
    /// What speculative decoding buys on a task that copies its input.
    public struct SpeculationFigures: Sendable, Codable {
        /// Tokens per second generating without guesses.
        public var plainTokensPerSecond: Double
        /// Tokens per second with the default ``PromptLookupDrafter``.
        public var speculativeTokensPerSecond: Double
        /// Guessed tokens checked, and how many the model picked too.
        public var draftedTokens: Int
        public var acceptedDraftTokens: Int
        /// Tokens generated (the same with and without: speculation changes no token).
        public var generatedTokens: Int
    }

    /// A paragraph the copy task asks the model to repeat (plain English, about 110 tokens).
    static let copyPassage = """
        The committee met on Tuesday to review the budget for the new library. After a long \
        discussion, the members agreed to fund the reading room, the children's corner and the \
        archive, but postponed the decision on the café until the spring meeting. The treasurer \
        noted that the heating costs had doubled since last winter and asked for a separate report.
        """

    /// Greedy generation of up to `generatedTokens` tokens asked to repeat a paragraph, with
    /// and without speculative decoding (best of `repetitions` each, after a warm-up).
    ///
    /// Throws `EngineError.invalidArgument` if the two runs' tokens differ (they must not).
    func measureSpeculation(on model: TextModel) async throws -> SpeculationFigures {
        let request = "Repeat the following text exactly, word for word:\n\n\(Self.copyPassage)"
        let prompt = (try? model.encodeChat([.init(.user, request)])) ?? model.tokenizer.encode(request)
        let parameters = SamplingParameters(temperature: 0, maxTokens: generatedTokens)
        var results: [Generation] = []
        let plain = try await best {
            let generation = try await model.generate(
                prompt: prompt, parameters: parameters, options: GenerationOptions(adapter: adapter, drafter: .off))
            results.append(generation)
            return Double(generation.tokens.count) / generation.generationDuration.seconds
        }
        let speculative = try await best {
            let generation = try await model.generate(
                prompt: prompt, parameters: parameters, options: GenerationOptions(adapter: adapter))
            results.append(generation)
            return Double(generation.tokens.count) / generation.generationDuration.seconds
        }
        guard let first = results.first, let last = results.last, results.allSatisfy({ $0.tokens == first.tokens }) else {
            throw EngineError.invalidArgument("speculative decoding changed the generated tokens")
        }
        return SpeculationFigures(
            plainTokensPerSecond: plain, speculativeTokensPerSecond: speculative, draftedTokens: last.draftedTokens,
            acceptedDraftTokens: last.acceptedDraftTokens, generatedTokens: last.tokens.count)
    }
}
