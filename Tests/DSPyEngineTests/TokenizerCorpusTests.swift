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

/// Where a Gemma 3 270M GGUF may be found: `$DSPYC_GEMMA_GGUF`, or the model cache.
private let gemmaModel: URL? = {
    let candidates = [
        ProcessInfo.processInfo.environment["DSPYC_GEMMA_GGUF"].map { URL(fileURLWithPath: $0) },
        Fixtures.dspycHome.appendingPathComponent("models/gemma-3-270m-q4_k_m.gguf"),
    ]
    return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0.path) }
}()

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

    @Test("Gemma 3's SentencePiece vocabulary tokenizes and detokenizes as llama.cpp does",
        .enabled(if: gemmaModel != nil, "needs a Gemma 3 270M GGUF ($DSPYC_GEMMA_GGUF or the model cache)"))
    func gemma3() throws {
        let corpus = try #require(CorpusFile.shared)
        let (vocabulary, _) = try GGUFTestMetadata.vocabulary(try #require(gemmaModel))
        #expect(vocabulary.model == "llama")
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        for entry in corpus.gemma3 {
            #expect(tokenizer.encode(entry.text, parseSpecial: true, addSpecial: true) == entry.ids, "\(entry.text.debugDescription)")
            #expect(tokenizer.encode(entry.text, parseSpecial: false, addSpecial: false) == entry.noparse, "\(entry.text.debugDescription)")
            #expect(tokenizer.decode(entry.ids) == entry.detok)
        }
        #expect(tokenizer.isEndOfGeneration(1) && tokenizer.isEndOfGeneration(106))
    }

    @Test("A SentencePiece vocabulary with a space prefix (Llama 2 style) encodes and decodes as llama.cpp does",
        .enabled(if: gemmaModel != nil, "needs a Gemma 3 270M GGUF ($DSPYC_GEMMA_GGUF or the model cache)"))
    func spacePrefix() throws {
        let corpus = try #require(CorpusFile.shared)
        var (vocabulary, _) = try GGUFTestMetadata.vocabulary(try #require(gemmaModel))
        vocabulary.addSpacePrefix = true
        let tokenizer = try Tokenizer(vocabulary: vocabulary)
        for entry in corpus.gemma3SpacePrefix {
            #expect(tokenizer.encode(entry.text, parseSpecial: true, addSpecial: true) == entry.ids, "\(entry.text.debugDescription)")
            #expect(tokenizer.encode(entry.text, parseSpecial: false, addSpecial: false) == entry.noparse, "\(entry.text.debugDescription)")
            #expect(tokenizer.decode(entry.ids) == entry.detok)
        }
        #expect(tokenizer.decode(tokenizer.encode("Hello world", addSpecial: false)) == "Hello world")
    }
}
