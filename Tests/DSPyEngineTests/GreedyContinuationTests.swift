import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

@Suite("Greedy continuations from llama.cpp", .enabled(if: GoldenFiles.modelAvailable))
struct GreedyContinuationTests {
    @Test("Greedy decoding reproduces llama.cpp's 48 tokens up to the first near-tie")
    func greedyContinuations() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        for prompt in try GoldenFiles.greedyPrompts() {
            let sequence = await engine.makeSequence()
            var logits = try #require(try await engine.evaluate(prompt.promptTokenIDs, in: sequence).logits.last)
            var generated: [Int32] = []
            var checked = 0
            for step in prompt.greedy.steps {
                let next = Int32(topIndices(logits, 1)[0])
                generated.append(next)
                let margin = step.top5.count > 1 ? step.top5[0].logprob - step.top5[1].logprob : .infinity
                if margin < GoldenFiles.nearTieLogProbMargin { break }
                #expect(next == step.id, "\(prompt.id): step \(checked) gave \(next), llama.cpp \(step.id)")
                if next != step.id { break }
                checked += 1
                logits = try #require(try await engine.evaluate([next], in: sequence).logits.last)
            }
            print("[greedy] \(prompt.id): \(checked) of \(prompt.greedy.steps.count) tokens equal to llama.cpp before the first near-tie or difference")
            await engine.removeSequence(sequence)
        }
    }
}
