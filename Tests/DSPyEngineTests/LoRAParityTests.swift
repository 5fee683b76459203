import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// The engine with LoRA adapters against llama.cpp with the same adapter files
/// (`Tests/Fixtures/lora`): the tiny models of all five architectures and SmolLM2-135M.
@Suite("LoRA adapters against llama.cpp")
struct LoRAParityTests {
    static let oracle = Result { try LoRAFixtures.oracle() }
    static let tinyCases: [Int] = {
        guard let cases = try? oracle.get().cases else { return [] }
        return cases.indices.filter { cases[$0].model.hasPrefix("tiny-") }
    }()

    /// |engine − llama.cpp| per logit: the base products follow llama.cpp's order and the
    /// adapter's float32 products add a few ulps (F32 tiny models); SmolLM2's Q4_1 products
    /// are exact, its adapter sums of 576–1,536 terms differ more. No AVX2: scalar orders.
    static func bound(tiny: Bool) -> Float {
        guard KernelPaths.hasAVX2 else { return 0.1 }
        return tiny ? 1e-4 : 2e-3
    }

    @Test("The regenerated adapter files are the ones llama.cpp ran with", arguments: tinyCases)
    func regeneratedAdapters(index: Int) throws {
        let fixture = try Self.oracle.get().cases[index]
        let url = try LoRAFixtures.adapterFile(for: fixture.model)
        #expect(try TinyModelFixtures.sha256(of: url) == fixture.adapterInfo.sha256, "\(url.lastPathComponent)")
    }

    @Test("With the same adapter, greedy tokens equal llama.cpp's and logits are close (tiny models)",
          arguments: tinyCases)
    func tinyModels(index: Int) async throws {
        try await check(Self.oracle.get().cases[index])
    }

    @Test("With the same adapter, SmolLM2-135M gives llama.cpp's greedy tokens and close logits")
    func defaultModel() async throws {
        let fixture = try #require(try Self.oracle.get().cases.first { !$0.model.hasPrefix("tiny-") })
        try #require(try TinyModelFixtures.sha256(of: LoRAFixtures.adapterFile(for: fixture.model)) == fixture.adapterInfo.sha256)
        try await check(fixture)
    }

    /// Evaluates each prompt with the adapter, then follows llama.cpp's greedy tokens one
    /// evaluation at a time: every step's argmax must be llama.cpp's token unless its top-2
    /// margin is within twice the step's logit difference (a near tie).
    private func check(_ fixture: LoRAFixtures.Case) async throws {
        let tiny = fixture.model.hasPrefix("tiny-")
        let adapterURL = try LoRAFixtures.adapterFile(for: fixture.model)
        let engine = try LanguageEngine(
            contentsOf: LoRAFixtures.modelFile(fixture.model), threads: 2, kernelOrder: TinyModelTests.fixtureOrder)
        let adapter = try LoRAAdapter(contentsOf: adapterURL, base: engine.file)
        #expect(adapter.pairs.values.allSatisfy { $0.rank == fixture.adapterInfo.rank })
        #expect(adapter.alpha == fixture.adapterInfo.alpha)
        let id = try await engine.loadAdapter(adapter, scale: fixture.loraScale)
        let bound = Self.bound(tiny: tiny)
        for prompt in fixture.prompts {
            let label = "\(fixture.model) ×\(fixture.loraScale) \(prompt.name)"
            let sequence = await engine.makeSequence()
            var logits = Array(try await engine.evaluate([EvaluationRequest(sequence: sequence, tokens: prompt.ids, adapter: id)])[0].logits.last!)
            let reference = prompt.lastLogits.values.map { Array(zip(0..., $0)) }
                ?? prompt.lastLogits.top20.map { (Int($0[0]), Float($0[1])) }
            let maximum = reference.map { abs(logits[$0.0] - $0.1) }.max() ?? 0
            #expect(maximum <= bound, "\(label): max |Δlogit| \(maximum)")
            var stepMaximum: Float = 0
            var tokens: [Int32] = []
            for (index, step) in prompt.greedySteps.enumerated() {
                let best = Int32(logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!)
                let difference = step.top5.map { abs(logits[Int($0[0])] - Float($0[1])) }.max() ?? 0
                stepMaximum = max(stepMaximum, difference)
                #expect(difference <= 3 * bound, "\(label) step \(index): top-5 |Δlogit| \(difference)")
                tokens.append(best)
                if best != step.id {
                    #expect(step.margin <= 2 * difference, "\(label) step \(index): engine \(best), llama.cpp \(step.id)")
                }
                if index + 1 < prompt.greedySteps.count {
                    logits = Array(try await engine.evaluate([EvaluationRequest(sequence: sequence, tokens: [step.id], adapter: id)])[0].logits.last!)
                }
            }
            #expect(prompt.greedyIDs != prompt.baseGreedyIDs, "\(label): the adapter should change the tokens")
            print("lora \(label): prompt max |Δlogit| \(maximum), steps max \(stepMaximum), greedy \(tokens == prompt.greedyIDs ? "equal" : "differs")")
            await engine.removeSequence(sequence)
        }
    }
}
