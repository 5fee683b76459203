import Testing

@testable import DSPyEngine

@Suite("Streaming detokenizer")
struct StreamingDetokenizerTests {
    private func stream(_ ids: [Int32], _ tokenizer: Tokenizer) -> [String] {
        var detokenizer = tokenizer.makeStreamingDetokenizer()
        var outputs = ids.map { detokenizer.append($0) }
        outputs.append(detokenizer.finish())
        return outputs
    }

    @Test("Emoji split across byte tokens come out whole")
    func emoji() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        let text = "I love 🦙 and 👍🏽! 🎉"
        let ids = tokenizer.encode(text, parseSpecial: false)
        let outputs = stream(ids, tokenizer)
        #expect(outputs.joined() == text)
        #expect(!outputs.contains { $0.contains("\u{FFFD}") })
        #expect(outputs[2] == " ")  // the token " \u{F0}\u{9F}": the space goes out, the rest waits
        #expect(outputs[3] == "")
        #expect(outputs[4] == "🦙")
    }

    @Test("CJK characters split across tokens come out whole")
    func cjk() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        let ids: [Int32] = [3546, 46494, 37366, 17097, 247, 126, 16736, 122]
        let outputs = stream(ids, tokenizer)
        #expect(outputs.joined() == "naïve café 東京")
        #expect(outputs[3] == " ")  // the space goes out, the first byte of 東 waits
        #expect(outputs[5] == "東")
        #expect(outputs[7] == "京")
    }

    @Test("Bytes that can never complete a character become U+FFFD at the end")
    func invalidTail() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        var detokenizer = tokenizer.makeStreamingDetokenizer()
        #expect(detokenizer.append(bytes: [0x41, 0xE6, 0x9D]) == "A")
        #expect(detokenizer.pendingByteCount == 2)
        #expect(detokenizer.finish() == "\u{FFFD}")
        #expect(detokenizer.append(bytes: [0xFF, 0x42]) == "\u{FFFD}B")
    }

    @Test("Control tokens stream only when rendering special tokens")
    func controlTokens() throws {
        let tokenizer = try DefaultModelTokenizer.get().tokenizer
        var plain = tokenizer.makeStreamingDetokenizer()
        #expect(plain.append(2) == "")
        var rendered = tokenizer.makeStreamingDetokenizer(renderSpecial: true)
        #expect(rendered.append(2) == "<|im_end|>")
    }
}
