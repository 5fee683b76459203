import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

@Suite("Log-probabilities match llama-server's")
struct LogprobsGoldenTests {
    private struct Greedy: Decodable {
        struct Prompt: Decodable {
            struct Step: Decodable {
                struct Alternative: Decodable {
                    var id: Int32
                    var logprob: Double
                }
                var id: Int32
                var logprob: Double
                var top5: [Alternative]
            }
            struct Generation: Decodable { var steps: [Step] }
            var id: String
            var greedy: Generation
        }
        var prompts: [Prompt]
    }

    @Test("The first step's chosen and top-5 log-probs come from the last-position logits",
        arguments: ["raw_capital", "raw_code", "chat_capital", "chat_colors_sys"])
    func firstStep(_ name: String) throws {
        let data = try Data(contentsOf: Fixtures.golden.appendingPathComponent("greedy48.json"))
        let prompt = try #require(try JSONDecoder().decode(Greedy.self, from: data).prompts.first { $0.id == name })
        let step = try #require(prompt.greedy.steps.first)
        let raw = try Data(contentsOf: Fixtures.golden.appendingPathComponent("logits/\(name).last.f32"))
        let logits = raw.withUnsafeBytes { bytes in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        #expect(logits.count == 49_152)

        var sampler = TokenSampler(parameters: .greedy)
        let token = sampler.sample(logits: logits)
        #expect(token == step.id)
        let result = TokenLogprobs(logits: logits, chosen: token, top: 5)
        #expect(abs(Double(result.chosen.logprob) - step.logprob) < 1e-3)
        #expect(result.top.map(\.token) == step.top5.map(\.id))
        for (ours, theirs) in zip(result.top, step.top5) {
            #expect(abs(Double(ours.logprob) - theirs.logprob) < 1e-3)
        }
    }
}
