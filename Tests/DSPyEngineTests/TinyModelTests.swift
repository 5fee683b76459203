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

    /// The fixtures were recorded by llama.cpp's AVX2 build (summary.json: the machine's CPU
    /// flags have no AVX-512), so the engine follows that build's float order
    /// (``KernelOrder/avx2``) on every CPU that can run it.
    static let fixtureOrder = KernelOrder.avx2

    /// Bound on |engine − llama.cpp| for each logit of the prompt's last position, and for
    /// llama.cpp's top-5 logits at each decoding step (one token through the per-token
    /// attention path and single-row products).
    ///
    /// In llama.cpp's AVX2 order (a CPU with AVX2) Q8_0 logits are bit-identical, F32 and
    /// Q4_K_M logits a few ulps away (seen: ≤ 2e-6; float sums still round differently somewhere).
    /// The scalar kernels (no AVX2) sum in other orders: logits have std ≈ 3 and top-2
    /// margins mostly above 0.1, so they are held to 0.1 (steps 0.3).
    static func bound(quant: String, step: Bool) -> Float {
        guard KernelPaths.hasAVX2 else { return step ? 0.3 : 0.1 }
        return quant == "q8_0" ? 0 : 1e-5
    }

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
        let engine = try LanguageEngine(contentsOf: url, threads: 2, kernelOrder: Self.fixtureOrder)
        #expect(engine.configuration.architecture == arch)
        for prompt in oracle.prompts {
            let label = "\(arch) \(quant) \(prompt.name)"
            let sequence = await engine.makeSequence()
            var logits = Array(try await engine.evaluate(prompt.ids, in: sequence).logits.last!)
            let differences = zip(logits, prompt.lastLogits.values).map { abs($0 - $1) }
            let maximum = differences.max() ?? 0
            let mean = differences.reduce(0, +) / Float(max(differences.count, 1))
            #expect(maximum <= Self.bound(quant: quant, step: false), "\(label): max |Δlogit| \(maximum)")

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
                #expect(stepDifference <= Self.bound(quant: quant, step: true), "\(label) step \(index): top-5 |Δlogit| \(stepDifference)")
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
            print("tiny \(label) (kernel order \(engine.kernelOrder)): prompt max |Δlogit| \(maximum), mean \(mean); steps max \(stepMaximum); "
                  + "greedy \(tokens == prompt.greedyIDs ? "equal" : "differs at near ties \(ties)")")
            print("tiny \(label): per-step top-5 |Δlogit| \(stepDifferences)")
            await engine.removeSequence(sequence)
        }
    }

    @Test("Each architecture's tokenizer gives llama.cpp's ids for the fixtures' chat and DSPy prompts",
          arguments: architectures)
    func tokenization(arch: String) throws {
        let oracle = try TinyModelFixtures.oracle(arch: arch, quant: "f32")
        let model = try TextModel(contentsOf: try TinyModelFixtures.modelFile(arch: arch, quant: "f32"), threads: 1)
        var checked = 0
        for prompt in oracle.prompts {
            guard let text = prompt.source?.rendered ?? prompt.source?.text else { continue }
            let ids = model.tokenizer.encode(text, parseSpecial: true, addSpecial: true)
            #expect(Array(ids.prefix(prompt.ids.count)) == prompt.ids, "\(arch) \(prompt.name)")
            checked += 1
        }
        #expect(checked == 2, "\(arch): prompts with a text source")
    }
}
