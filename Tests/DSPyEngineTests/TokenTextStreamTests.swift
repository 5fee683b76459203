import Testing

@testable import DSPyEngine

@Suite("Token text stream")
struct TokenTextStreamTests {
    private func run(_ text: String, _ parameters: SamplingParameters, then extra: [Int32] = []) throws -> TokenTextStream {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        var stream = TokenTextStream(tokenizer: tokenizer, parameters: parameters)
        var emitted = ""
        for token in tokenizer.encode(text, parseSpecial: true) + extra where !stream.isFinished {
            emitted += stream.append(token)
        }
        #expect(emitted == stream.text)
        return stream
    }

    @Test("A stop string ends the text before it, even across tokens")
    func stopString() throws {
        let stream = try run("[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]\nmore", .init(stop: ["[[ ## completed"]))
        #expect(stream.text == "[[ ## sentiment ## ]]\npositive\n\n")
        #expect(stream.finishReason == .stopString("[[ ## completed"))
    }

    @Test("An end-of-generation token ends the text and is not part of it")
    func endOfGeneration() throws {
        let stream = try run("Paris.<|im_end|>ignored", .init(stop: ["Paris.\n"]))
        #expect(stream.text == "Paris.")
        #expect(stream.finishReason == .endOfGeneration(2))
        #expect(stream.tokenCount == 3)
    }

    @Test("The token that reaches maxTokens is included, then held text is released")
    func maxTokens() throws {
        let stream = try run("Call 555-1234", .init(maxTokens: 3, stop: ["5-"]))
        #expect(stream.text == "Call 5")
        #expect(stream.finishReason == .maxTokens)
    }

    @Test("Emoji split across tokens stream whole, and finishing releases held text")
    func emojiAndFinish() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        var stream = TokenTextStream(tokenizer: tokenizer, parameters: .init(stop: ["🎉!"]))
        var pieces: [String] = []
        for token in tokenizer.encode("I love 🦙 and 🎉") { pieces.append(stream.append(token)) }
        #expect(!pieces.contains { $0.contains("\u{FFFD}") })
        #expect(stream.text == "I love 🦙 and ")
        #expect(stream.finish() == "🎉")
        #expect(stream.text == "I love 🦙 and 🎉")
        #expect(stream.finishReason == .finishedByCaller)
    }

    @Test("maxTokens of zero finishes before any token")
    func zeroTokens() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        var stream = TokenTextStream(tokenizer: tokenizer, parameters: .init(maxTokens: 0))
        #expect(stream.isFinished)
        #expect(stream.append(504) == "")
    }
}
