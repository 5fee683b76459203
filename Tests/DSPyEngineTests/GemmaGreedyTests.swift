import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// `Tests/Fixtures/gemma3/greedy.json`: eight prompts on Gemma 3 270M with llama.cpp's
/// (llama-cpp-python 0.3.36, flash attention, batches of 512, no weight repacking)
/// prompt ids and 64 greedy tokens.
struct GemmaGreedyFile: Decodable {
    struct Message: Decodable {
        var role: String
        var content: String
    }

    struct Step: Decodable {
        var id: Int32
        var margin: Double
    }

    struct LastLogits: Decodable {
        var top10: [[Double]]
    }

    struct RepackOn: Decodable {
        var greedyIDs: [Int32]
        enum CodingKeys: String, CodingKey { case greedyIDs = "greedy_ids" }
    }

    struct Prompt: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var messages: [Message]?
        var rendered: String
        var promptIDs: [Int32]
        var greedyIDs: [Int32]
        var steps: [Step]
        var lastLogits: LastLogits
        var repackOn: RepackOn
        enum CodingKeys: String, CodingKey {
            case name, messages, rendered, steps
            case promptIDs = "prompt_ids"
            case greedyIDs = "greedy_ids"
            case lastLogits = "last_logits"
            case repackOn = "repack_on"
        }
        var testDescription: String { name }
    }

    var prompts: [Prompt]

    static func load() throws -> [Prompt] {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: Fixtures.gemma3.appendingPathComponent("greedy.json")))
            .prompts
    }
}

extension GemmaGreedyFile.Message: Sendable {}
extension GemmaGreedyFile.Step: Sendable {}
extension GemmaGreedyFile.LastLogits: Sendable {}
extension GemmaGreedyFile.RepackOn: Sendable {}

/// Gemma 3 270M against llama.cpp: prompts (chat template and tokenizer) and greedy decoding.
@Suite("Gemma 3 270M matches llama.cpp", .serialized)
struct GemmaGreedyTests {
    /// llama.cpp evaluated prompts in batches of this many tokens (`n_batch`).
    static let batch = 512

    /// Prompts whose greedy path still leaves llama.cpp's (at top-2 margins of 0.03–0.28):
    /// with every weight type multiplied as llama.cpp does, the last-position logits
    /// still differ by 0.24–1.48 (the 822-token prompt, past the 512 window, most).
    /// Their first token is checked strictly; remove a name once its path is equal.
    /// The 822-token prompt runs past the 512-token sliding window, where llama.cpp splits the
    /// cached keys and values into chunks the engine does not reproduce (issue #15).
    static let knownDivergent: Set<String> = ["dspy_12_demos"]
    static let divergence = "past the sliding window llama.cpp's split-KV attention sums in another order (issue #15)"

    @Test("Eight prompts render with the Gemma template and tokenize to llama.cpp's ids",
        arguments: try GemmaGreedyFile.load())
    func prompts(_ prompt: GemmaGreedyFile.Prompt) throws {
        let (vocabulary, template) = try GGUFTestMetadata.vocabulary(try Fixtures.requireGemmaModel())
        #expect(template == nil, "gemma3-270m is the base model and carries no chat template")
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        if let messages = prompt.messages {
            let chat = try messages.map { ChatMessage(role: try #require(ChatMessage.Role(rawValue: $0.role)), content: $0.content) }
            #expect(ChatTemplate(family: .gemma).render(chat) == prompt.rendered)
        }
        #expect(tokenizer.encode(prompt.rendered, parseSpecial: true, addSpecial: true) == prompt.promptIDs)
    }

    @Test("Greedy decoding gives llama.cpp's 64 tokens on eight prompts (two DSPy ChatAdapter prompts among them)",
        arguments: try GemmaGreedyFile.load())
    func greedy(_ prompt: GemmaGreedyFile.Prompt) async throws {
        let engine = try LanguageEngine(contentsOf: try Fixtures.requireGemmaModel())
        let sequence = await engine.makeSequence()
        var logits: [Float] = []
        var start = 0
        while start < prompt.promptIDs.count {
            let chunk = Array(prompt.promptIDs[start..<min(start + Self.batch, prompt.promptIDs.count)])
            logits = Array(try #require(try await engine.evaluate(chunk, in: sequence).logits.last))
            start += chunk.count
        }
        // The last prompt position: llama.cpp's top 10 and how far our logits are from them.
        let expectedTop = prompt.lastLogits.top10.map { Int($0[0]) }
        let worst = prompt.lastLogits.top10.map { abs(Double(logits[Int($0[0])]) - $0[1]) }.max() ?? 0
        #expect(topIndices(logits, 1) == [expectedTop[0]], "\(prompt.name): first token")

        var generated: [Int32] = []
        for _ in prompt.greedyIDs.indices {
            let next = Int32(topIndices(logits, 1)[0])
            generated.append(next)
            logits = Array(try #require(try await engine.evaluate([next], in: sequence).logits.last))
        }
        await engine.removeSequence(sequence)
        let agreement = zip(generated, prompt.greedyIDs).prefix { $0 == $1 }.count
        let margin = agreement < prompt.steps.count ? String(format: "%.3f", prompt.steps[agreement].margin) : "-"
        print("[gemma3 greedy] \(prompt.name): \(agreement)/\(prompt.greedyIDs.count) tokens equal llama.cpp's "
            + "(first difference's top-2 margin \(margin)); last-position top-10 logits max |diff| "
            + String(format: "%.4f", worst) + (generated == prompt.repackOn.greedyIDs ? "; equals llama.cpp with repacking" : ""))
        if Self.knownDivergent.contains(prompt.name) {
            withKnownIssue(Comment(rawValue: Self.divergence), isIntermittent: true) {
                #expect(generated == prompt.greedyIDs, "\(prompt.name): leaves llama.cpp's greedy path at token \(agreement)")
            }
        } else {
            #expect(generated == prompt.greedyIDs, "\(prompt.name): leaves llama.cpp's greedy path at token \(agreement)")
        }
    }
}
