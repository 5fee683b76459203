import Foundation
import Testing

@testable import DSPyEngine

/// The engine on tiny random-weight models of every architecture against llama.cpp's
/// greedy tokens and last-position logits (`Tests/Fixtures/tiny-models`).
@Suite("Tiny models of each architecture")
struct TinyModelTests {
    static let architectures = ["llama", "qwen2", "qwen3", "gemma3", "phi3"]
    /// Every file `make_tiny_models.py` writes: F32, gguf-py's Q8_0, and Q4_K_M as llama.cpp's
    /// quantizer writes it (Q4_K, Q6_K and, for gemma3, Q5_0 and Q8_0 weights).
    static let files = architectures.flatMap { arch in ["f32", "q8_0", "q4_k_m"].map { (arch, $0) } }
    /// Quantizations whose matrix products the engine computes as llama.cpp's CPU backend
    /// does: F32, Q8_0×Q8_0, and for Q4_K_M Q4_K×Q8_K and Q6_K×Q8_K (gemma3 adds Q5_0×Q8_0
    /// and Q8_0×Q8_0).
    static let quantizations = ["f32", "q8_0", "q4_k_m"]
    static let cases = architectures.flatMap { arch in quantizations.map { (arch, $0) } }

    /// Bound on |engine − llama.cpp| for each logit of the prompt's last position (logits
    /// have std ≈ 3 and top-2 margins mostly above 0.1).
    ///
    /// llama.cpp's reference run used its AVX2 build; the engine's float dot products and
    /// attention follow the summation order of llama.cpp's AVX-512 build (the SmolLM2 goldens),
    /// so F32 sums differ in the last bits (seen: ≤ 0.006). Q8_0 prompts are bit-identical
    /// except gemma3's `short_chat` (0.065: its short prompt takes the per-token attention
    /// path, whose f16 rounding of Q-normed, pre-scaled queries amplifies the order difference).
    /// Q4_K_M prompts differ by ≤ 2e-6 (F32 output or norm sums), gemma3's `short_chat` 0.069
    /// for the same reason as in Q8_0.
    static let logitBound: Float = 0.1
    /// Bound on the difference of llama.cpp's top-5 logits at each decoding step. Steps run
    /// one token through the per-token attention path and single-row products, where the
    /// engine's order differs from llama.cpp's AVX2 build more (seen: F32 ≤ 0.011, Q8_0 ≤ 0.2,
    /// Q4_K_M ≤ 0.1).
    static let stepBound: Float = 0.3

    @Test("The regenerated model files are the ones llama.cpp ran on", arguments: files)
    func regeneratedFilesMatch(arch: String, quant: String) throws {
        let oracle = try TinyModelFixtures.oracle(arch: arch, quant: quant)
        let url = try TinyModelFixtures.modelFile(arch: arch, quant: quant)
        #expect(try TinyModelFixtures.sha256(of: url) == oracle.fileSHA256, "\(url.lastPathComponent)")
    }

    @Test("Greedy tokens equal llama.cpp's and logits are close", arguments: cases)
    func greedyAndLogits(arch: String, quant: String) async throws {
        let oracle = try TinyModelFixtures.oracle(arch: arch, quant: quant)
        let url = try TinyModelFixtures.modelFile(arch: arch, quant: quant)
        try #require(try TinyModelFixtures.sha256(of: url) == oracle.fileSHA256, "regenerated \(url.lastPathComponent) differs")
        let engine = try LanguageEngine(contentsOf: url, threads: 2)
        #expect(engine.configuration.architecture == arch)
        for prompt in oracle.prompts {
            let label = "\(arch) \(quant) \(prompt.name)"
            let sequence = await engine.makeSequence()
            var logits = Array(try await engine.evaluate(prompt.ids, in: sequence).logits.last!)
            let differences = zip(logits, prompt.lastLogits.values).map { abs($0 - $1) }
            let maximum = differences.max() ?? 0
            let mean = differences.reduce(0, +) / Float(max(differences.count, 1))
            #expect(maximum < Self.logitBound, "\(label): max |Δlogit| \(maximum)")

            // Greedy decoding on llama.cpp's path (each step is fed llama.cpp's token), one
            // evaluation per token as llama.cpp decoded them. Each step's argmax must be
            // llama.cpp's token, unless its top-2 margin is within twice the step's logit
            // difference (a near tie either engine may break either way).
            var stepMaximum: Float = 0
            var stepDifferences: [Float] = []
            var tokens: [Int32] = []
            var ties: [Int] = []
            for (index, step) in prompt.greedySteps.enumerated() {
                let best = Int32(logits.indices.max { logits[$0] < logits[$1] || (logits[$0] == logits[$1] && $0 > $1) }!)
                let stepDifference = step.top5.map { abs(logits[Int($0[0])] - Float($0[1])) }.max() ?? 0
                stepMaximum = max(stepMaximum, stepDifference)
                stepDifferences.append(stepDifference)
                #expect(stepDifference < Self.stepBound, "\(label) step \(index): top-5 |Δlogit| \(stepDifference)")
                tokens.append(best)
                if best != step.id {
                    ties.append(index)
                    #expect(step.margin <= 2 * stepDifference,
                            "\(label) step \(index): engine picks \(best), llama.cpp \(step.id) (margin \(step.margin))")
                }
                if index + 1 < prompt.greedySteps.count {
                    logits = Array(try await engine.evaluate([step.id], in: sequence).logits.last!)
                }
            }
            #expect(prompt.greedyIDs == prompt.greedySteps.map(\.id))
            print("tiny \(label): prompt max |Δlogit| \(maximum), mean \(mean); steps max \(stepMaximum); "
                  + "greedy \(tokens == prompt.greedyIDs ? "equal" : "differs at near ties \(ties)")")
            print("tiny \(label): per-step top-5 |Δlogit| \(stepDifferences)")
            await engine.removeSequence(sequence)
        }
    }
}
