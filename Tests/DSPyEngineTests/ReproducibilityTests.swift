import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// A request's result must not depend on how the engine scheduled it: cold or after a cached
/// prefix, alone or batched with other requests. (Compiles rely on it: the same compile must
/// give the same program with a cold or warm cache and at any `--concurrency`.)
@Suite("Results independent of prefix caching and batching")
struct ReproducibilityTests {
    /// A chat prompt of roughly `words` words whose first sentences are shared by every `variant`.
    static func prompt(_ tokenizer: Tokenizer, variant: Int, words: Int) -> [Int32] {
        let shared = "You classify the sentiment of short reviews. Answer with positive or negative. "
        let body = (0..<words).map { ["good", "film", "plot", "slow", "actors", "ending", "music", "long"][($0 * 7 + variant * 3) % 8] }
        return tokenizer.encode(
            "<|im_start|>system\n\(shared)<|im_end|>\n<|im_start|>user\nReview \(variant): \(body.joined(separator: " "))<|im_end|>\n<|im_start|>assistant\n",
            parseSpecial: true)
    }

    static let parameters = SamplingParameters(temperature: 0, maxTokens: 6, logprobs: 3)

    @Test("A prompt resumed after a cached prefix gives the bits of the whole prompt in one call")
    func resumedPromptEqualsWholeCall() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        let tokenizer = try Tokenizer(vocabulary: TokenizerVocabulary(metadata: engine.file.metadata))
        let prompt = Self.prompt(tokenizer, variant: 1, words: 70)
        try #require(prompt.count >= 100 && prompt.count < 512)

        let whole = await engine.makeSequence()
        let expected = try await engine.evaluate(prompt, in: whole).logits.last.map(Array.init)

        // 40 tokens first (as a shorter cached prompt would have left them), then the rest.
        let resumed = await engine.makeSequence()
        _ = try await engine.evaluate([EvaluationRequest(sequence: resumed, tokens: Array(prompt.prefix(40)), call: 0..<prompt.count)])
        let rest = try await engine.evaluate([EvaluationRequest(sequence: resumed, tokens: Array(prompt.dropFirst(40)), call: 0..<prompt.count)])
        #expect(rest[0].logits.last.map(Array.init)?.map(\.bitPattern) == expected?.map(\.bitPattern))

        // Without naming the call, the 40-token head would take the decoding path: different bits.
        // (This is what made cold and warm compiles differ; it shows the check above can fail.)
        let naive = await engine.makeSequence()
        _ = try await engine.evaluate(Array(prompt.prefix(40)), in: naive)
        let naiveRest = try await engine.evaluate(Array(prompt.dropFirst(40)), in: naive)
        #expect(naiveRest.logits.last.map(Array.init)?.map(\.bitPattern) != expected?.map(\.bitPattern))
    }

    @Test("A call that does not cover the new positions is refused")
    func callMustCoverTokens() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        let sequence = await engine.makeSequence()
        await #expect(throws: EngineError.self) {
            _ = try await engine.evaluate([EvaluationRequest(sequence: sequence, tokens: [1, 2, 3], call: 0..<2)])
        }
        #expect(try await engine.length(of: sequence) == 0)
    }

    @Test("Generations are the same with a warm prefix cache, batched, and with no cache at all")
    func generationsIgnoreCacheAndBatching() async throws {
        let cold = try TextModel(contentsOf: Fixtures.defaultModel, prefixCacheBudget: 0)
        let warm = try TextModel(contentsOf: Fixtures.defaultModel)
        let tokenizer = cold.tokenizer
        // Short (< 64 tokens: the decoding path) and long prompts sharing their head, so the
        // prefix cache meets entries computed on the other path.
        let prompts = [30, 70, 4, 90, 12, 70].enumerated().map { Self.prompt(tokenizer, variant: $0.offset, words: $0.element) }
        try #require(prompts.contains { $0.count < 64 } && prompts.contains { $0.count >= 64 })

        var expected: [Generation] = []
        for prompt in prompts { expected.append(try await cold.generate(prompt: prompt, parameters: Self.parameters)) }

        // One by one through the prefix cache, twice (the second round hits it everywhere).
        var reused = 0
        for _ in 0..<2 {
            for (prompt, reference) in zip(prompts, expected) {
                let result = try await warm.generate(prompt: prompt, parameters: Self.parameters)
                reused += result.cachedPromptTokens
                #expect(result.tokens == reference.tokens)
                #expect(result.logprobs == reference.logprobs, "prompt of \(prompt.count) tokens, \(result.cachedPromptTokens) cached")
            }
        }
        #expect(reused > 0, "the prefix cache was used")

        // All at once: batched passes, with the cache warm.
        let batched = try await withThrowingTaskGroup(of: (Int, Generation).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask { (index, try await warm.generate(prompt: prompt, parameters: Self.parameters)) }
            }
            var results = [Generation?](repeating: nil, count: prompts.count)
            for try await (index, result) in group { results[index] = result }
            return results
        }
        for (result, reference) in zip(batched, expected) {
            #expect(result?.tokens == reference.tokens)
            #expect(result?.logprobs == reference.logprobs)
        }
    }

    @Test("Eight concurrent generations decode in shared passes, not one after another")
    func concurrentGenerationsSharePasses() async throws {
        let model = try TextModel(contentsOf: Fixtures.defaultModel, prefixCacheBudget: 0)
        let parameters = SamplingParameters(temperature: 0, maxTokens: 24)
        let prompts = (0..<8).map { Self.prompt(model.tokenizer, variant: $0, words: 6) }
        let generated = try await withThrowingTaskGroup(of: Int.self) { group in
            for prompt in prompts { group.addTask { try await model.generate(prompt: prompt, parameters: parameters).tokens.count } }
            return try await group.reduce(0, +)
        }
        let passes = await model.scheduler.passes
        let requests = await model.scheduler.batchedRequests
        // A prompt, then a request per generated token: taken one by one, that many passes;
        // gathered, up to eight a pass.
        #expect(generated > 8 * 12 && requests >= generated)
        #expect(passes * 4 <= requests, "\(passes) passes for \(requests) requests")
    }
}
