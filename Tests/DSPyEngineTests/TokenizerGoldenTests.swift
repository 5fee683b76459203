import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// The golden cases of `golden/tokenization.json`.
struct TokenizationCase: Decodable, Sendable, CustomTestStringConvertible {
    var id: String
    var text: String
    var parseSpecial: Bool
    var tokenIDs: [Int32]

    enum CodingKeys: String, CodingKey {
        case id, text
        case parseSpecial = "parse_special"
        case tokenIDs = "token_ids"
    }

    var testDescription: String { id }

    static func load() throws -> [TokenizationCase] {
        struct File: Decodable { var cases: [TokenizationCase] }
        let data = try Data(contentsOf: Fixtures.golden.appendingPathComponent("tokenization.json"))
        return try JSONDecoder().decode(File.self, from: data).cases
    }
}

/// The prompts of `golden/greedy48.json`.
struct GoldenPrompt: Decodable, Sendable, CustomTestStringConvertible {
    struct Message: Decodable, Sendable {
        var role: String
        var content: String
    }

    var id: String
    var kind: String
    var text: String?
    var messages: [Message]?
    var renderedPrompt: String?
    var promptTokenIDs: [Int32]

    enum CodingKeys: String, CodingKey {
        case id, kind, text, messages
        case renderedPrompt = "rendered_prompt"
        case promptTokenIDs = "prompt_token_ids"
    }

    var testDescription: String { id }

    static func load() throws -> [GoldenPrompt] {
        struct File: Decodable { var prompts: [GoldenPrompt] }
        let data = try Data(contentsOf: Fixtures.golden.appendingPathComponent("greedy48.json"))
        return try JSONDecoder().decode(File.self, from: data).prompts
    }
}

@Suite("Tokenizer matches llama.cpp on the default model")
struct TokenizerGoldenTests {
    @Test("Every golden string tokenizes to llama.cpp's ids", arguments: try TokenizationCase.load())
    func goldenStrings(_ golden: TokenizationCase) throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        let ids = tokenizer.encode(golden.text, parseSpecial: golden.parseSpecial, addSpecial: true)
        #expect(ids == golden.tokenIDs)
    }

    @Test("Every golden string detokenizes back to itself", arguments: try TokenizationCase.load())
    func goldenRoundTrip(_ golden: TokenizationCase) throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        #expect(tokenizer.decode(golden.tokenIDs, renderSpecial: true) == golden.text)
    }

    @Test("Control tokens are hidden from decoded text unless rendered")
    func controlTokensHidden() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        #expect(tokenizer.decode([1, 4093, 198, 26843, 2, 198]) == "user\nHi\n")
    }

    @Test("No BOS is added, as the model's metadata says")
    func noBOS() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        #expect(tokenizer.vocabulary.addBOS == false)
        #expect(tokenizer.encode("Hello", addSpecial: true) == tokenizer.encode("Hello", addSpecial: false))
        #expect(tokenizer.endOfGenerationIDs == [0, 2])
    }

    @Test("Every golden prompt tokenizes to llama.cpp's prompt ids", arguments: try GoldenPrompt.load())
    func goldenPrompts(_ prompt: GoldenPrompt) throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        let text = try #require(prompt.renderedPrompt ?? prompt.text)
        #expect(tokenizer.encode(text) == prompt.promptTokenIDs)
    }

    @Test("The 927-token DSPy prompt tokenizes to llama.cpp's prompt ids")
    func longPrompt() throws {
        struct Logits: Decodable {
            var promptTokenIDs: [Int32]
            enum CodingKeys: String, CodingKey { case promptTokenIDs = "prompt_token_ids" }
        }
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        let directory = Fixtures.golden.appendingPathComponent("logits")
        let text = try String(contentsOf: directory.appendingPathComponent("long_dspy_demos.prompt.txt"), encoding: .utf8)
        let data = try Data(contentsOf: directory.appendingPathComponent("long_dspy_demos.json"))
        let expected = try JSONDecoder().decode(Logits.self, from: data).promptTokenIDs
        let ids = tokenizer.encode(text)
        #expect(ids.count == expected.count)
        #expect(ids == expected)
        #expect(tokenizer.decode(ids, renderSpecial: true) == text)
    }

    @Test("Long prompts with unusual words round-trip through encode and decode")
    func longPromptsRoundTrip() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        let directory = Fixtures.golden.appendingPathComponent("logits")
        let text = try String(contentsOf: directory.appendingPathComponent("long_dspy_demos.prompt.txt"), encoding: .utf8)
        let variants = (0..<8).map { "\($0) " + text.replacingOccurrences(of: "the", with: "the\($0)") }
        for variant in variants {
            let ids = tokenizer.encode(variant)
            #expect(tokenizer.decode(ids, renderSpecial: true) == variant)
            #expect(ids.count > variant.utf8.count / 8, "\(ids.count) tokens for \(variant.utf8.count) bytes")
        }
    }
}

@Suite("Tokenizer errors")
struct TokenizerErrorTests {
    @Test("Unsupported tokenizer models and pre-tokenizers are named, not guessed")
    func unsupported() throws {
        var vocabulary = try DefaultModelTokenizer.get().tokenizer.vocabulary
        vocabulary.preTokenizer = "qwen35"
        #expect(throws: TokenizerError.unsupportedPreTokenizer("qwen35")) { try Tokenizer(vocabulary: vocabulary) }
        vocabulary.preTokenizer = ""
        #expect(throws: TokenizerError.unsupportedPreTokenizer("")) { try Tokenizer(vocabulary: vocabulary) }
        vocabulary.model = "bert"
        #expect(throws: TokenizerError.unsupportedModel("bert")) { try Tokenizer(vocabulary: vocabulary) }
        #expect(String(describing: TokenizerError.unsupportedPreTokenizer("qwen35")).contains("qwen2"))
    }

    @Test("An empty vocabulary or an out-of-range special id is rejected")
    func invalidVocabulary() {
        #expect(throws: TokenizerError.self) { try Tokenizer(vocabulary: .init(tokens: [], model: "gpt2", preTokenizer: "gpt2")) }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(vocabulary: .init(tokens: ["a"], model: "gpt2", preTokenizer: "gpt2", eosID: 5))
        }
    }
}
