import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// The strings of ``LlamaCppTokenizationCorpus`` with llama.cpp's ids.
private struct CorpusFile: Decodable {
    struct Case: Decodable, Sendable {
        var text: String
        var ids: [Int32]
        var noparse: [Int32]
        var detok: String?
    }

    var smollm2: [Case]
    var gemma3: [Case]
    var gemma3SpacePrefix: [Case]

    static let shared: CorpusFile? = try? JSONDecoder().decode(
        CorpusFile.self, from: Data(LlamaCppTokenizationCorpus.json.utf8))
}

/// `Tests/Fixtures/gemma3/tokenization.json`: 41 more strings, tokenized by llama.cpp
/// (llama-cpp-python 0.3.36) with the real Gemma 3 270M file.
private struct GemmaTokenizationFile: Decodable {
    var modelSHA256: String
    var gemma3: [CorpusFile.Case]
    enum CodingKeys: String, CodingKey {
        case modelSHA256 = "model_sha256"
        case gemma3
    }

    static func load() throws -> GemmaTokenizationFile {
        try JSONDecoder().decode(Self.self, from: Data(contentsOf: Fixtures.gemma3.appendingPathComponent("tokenization.json")))
    }
}

/// Gemma 3 270M's tokenizer, built from the file in the model cache (an error when it is missing).
private func gemmaTokenizer(addSpacePrefix: Bool = false) throws -> Tokenizer {
    var (vocabulary, _) = try GGUFTestMetadata.vocabulary(try Fixtures.requireGemmaModel())
    #expect(vocabulary.model == "llama")
    if addSpacePrefix { vocabulary.addSpacePrefix = true }
    return try Tokenizer(vocabulary: vocabulary)
}

@Suite("Tokenizer matches llama.cpp on a wider corpus")
struct TokenizerCorpusTests {
    @Test("160 SmolLM2 strings tokenize as llama.cpp does, with and without special parsing")
    func smolLM2() throws {
        let corpus = try #require(CorpusFile.shared)
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        for entry in corpus.smollm2 {
            #expect(tokenizer.encode(entry.text, parseSpecial: true) == entry.ids, "\(entry.text.debugDescription)")
            #expect(tokenizer.encode(entry.text, parseSpecial: false) == entry.noparse, "\(entry.text.debugDescription)")
            #expect(tokenizer.decode(entry.ids, renderSpecial: true) == entry.text)
        }
    }

    @Test("Gemma 3's SentencePiece vocabulary tokenizes and detokenizes 151 strings as llama.cpp does")
    func gemma3() throws {
        let corpus = try #require(CorpusFile.shared)
        let tokenizer = try gemmaTokenizer()
        #expect(corpus.gemma3.count == 151)
        for entry in corpus.gemma3 {
            #expect(tokenizer.encode(entry.text, parseSpecial: true, addSpecial: true) == entry.ids, "\(entry.text.debugDescription)")
            #expect(tokenizer.encode(entry.text, parseSpecial: false, addSpecial: false) == entry.noparse, "\(entry.text.debugDescription)")
            #expect(tokenizer.decode(entry.ids) == entry.detok)
        }
        #expect(tokenizer.isEndOfGeneration(1) && tokenizer.isEndOfGeneration(106))
    }

    @Test("Gemma 3 tokenizes 41 tricky strings (spaces, CR/LF, tabs, scripts, emoji, turn markers, control characters) as llama.cpp does")
    func gemma3TrickyStrings() throws {
        let file = try GemmaTokenizationFile.load()
        #expect(file.modelSHA256 == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818")
        #expect(file.gemma3.count == 41)
        let tokenizer = try gemmaTokenizer()
        var equal = 0
        for entry in file.gemma3 {
            let ids = tokenizer.encode(entry.text, parseSpecial: true, addSpecial: true)
            let noparse = tokenizer.encode(entry.text, parseSpecial: false, addSpecial: false)
            let detok = tokenizer.decode(entry.ids)
            #expect(ids == entry.ids, "\(entry.text.debugDescription): with specials")
            #expect(noparse == entry.noparse, "\(entry.text.debugDescription): without specials")
            #expect(detok == entry.detok, "\(entry.text.debugDescription): detokenized")
            if ids == entry.ids && noparse == entry.noparse && detok == entry.detok { equal += 1 }
        }
        print("[gemma3 tokenizer] \(equal) of \(file.gemma3.count) tricky strings equal llama.cpp's ids, noparse ids and text")
    }

    @Test("A SentencePiece vocabulary with a space prefix (Llama 2 style) encodes and decodes as llama.cpp does")
    func spacePrefix() throws {
        let corpus = try #require(CorpusFile.shared)
        let tokenizer = try gemmaTokenizer(addSpacePrefix: true)
        for entry in corpus.gemma3SpacePrefix {
            #expect(tokenizer.encode(entry.text, parseSpecial: true, addSpecial: true) == entry.ids, "\(entry.text.debugDescription)")
            #expect(tokenizer.encode(entry.text, parseSpecial: false, addSpecial: false) == entry.noparse, "\(entry.text.debugDescription)")
            #expect(tokenizer.decode(entry.ids) == entry.detok)
        }
        #expect(tokenizer.decode(tokenizer.encode("Hello world", addSpecial: false)) == "Hello world")
    }
}
