import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

@Suite("Greedy continuations from llama.cpp")
struct GreedyContinuationTests {
    /// Checks the golden tokens up to the first near-tie, or up to where llama.cpp built
    /// here leaves the golden path (it does so at gaps of 0.06–0.19 on this CPU), and all
    /// 48 tokens against llama.cpp built here.
    @Test("Greedy decoding reproduces llama.cpp's 48 tokens up to the first near-tie",
          .enabled(if: GoldenFiles.LocalLlamaCpp.isRecorded(for: .running),
                   "no llama.cpp fixture recorded at this CPU's level, \(KernelOrder.running)"))
    func greedyContinuations() async throws {
        try await expectGreedy(order: .detected)
    }

    @Test("Greedy decoding in the other level's order reproduces llama.cpp's 48 tokens of that level",
          .enabled(if: GoldenFiles.otherKernelOrders.contains { GoldenFiles.LocalLlamaCpp.isRecorded(for: $0) },
                   "no llama.cpp fixture recorded at another level this CPU can emulate (\(GoldenFiles.otherKernelOrders))"))
    func greedyContinuationsAtOtherLevels() async throws {
        for order in GoldenFiles.otherKernelOrders where GoldenFiles.LocalLlamaCpp.isRecorded(for: order) {
            try await expectGreedy(order: order)
        }
    }

    private func expectGreedy(order: KernelOrder) async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel, kernelOrder: order)
        let local = try GoldenFiles.LocalLlamaCpp.load(for: order.resolved)
        let fixture = GoldenFiles.LocalLlamaCpp.url(for: order.resolved).lastPathComponent
        for prompt in try GoldenFiles.greedyPrompts() {
            let localGreedy = try #require(local.greedy[prompt.id])
            let sequence = await engine.makeSequence()
            var logits = try #require(try await engine.evaluate(prompt.promptTokenIDs, in: sequence).logits.last)
            var generated: [Int32] = []
            var checked = 0
            var nearTie = false
            for (index, step) in prompt.greedy.steps.enumerated() {
                let next = Int32(topIndices(logits, 1)[0])
                generated.append(next)
                let margin = step.top5.count > 1 ? step.top5[0].logprob - step.top5[1].logprob : .infinity
                nearTie = nearTie || margin < GoldenFiles.nearTieLogProbMargin || index >= localGreedy.goldenAgreement
                if !nearTie {
                    #expect(next == step.id, "\(prompt.id): step \(index) gave \(next), llama.cpp \(step.id)")
                    checked += 1
                }
                logits = try #require(try await engine.evaluate([next], in: sequence).logits.last)
            }
            #expect(generated == localGreedy.tokenIDs, "\(prompt.id): greedy path differs from \(fixture)")
            print("[greedy] \(prompt.id): \(checked) of \(prompt.greedy.steps.count) golden tokens checked; "
                  + "48 compared with \(fixture) (kernel order \(engine.kernelOrder))")
            await engine.removeSequence(sequence)
        }
    }
}
