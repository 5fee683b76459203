import Foundation
import Testing

@testable import DSPyEngine

/// The hand-written Llama 3 and Qwen 2 word splits against the `tokenizer.json` regexes
/// themselves, as Python's `regex` module runs them (`Fixtures/pretokenizer_splits.json`,
/// made by `Fixtures/make_pretokenizer_fixtures.py`).
@Suite("Pre-tokenizer splits")
struct PreTokenizerSplitTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let text: String
        let llama3: [[Int]]
        let qwen2: [[Int]]
        var testDescription: String { text.debugDescription }
    }

    struct File: Decodable { let cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/pretokenizer_splits.json")
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else {
            return []
        }
        return file.cases
    }()

    @Test("The fixture is there and covers the corpus")
    func fixtureLoads() {
        #expect(Self.cases.count >= 20)
    }

    @Test("Llama 3 and Qwen 2 split each string where their regexes do", arguments: cases)
    func splits(_ c: Case) throws {
        let scalars = c.text.unicodeScalars.map(\.value)
        for (name, expected) in [("llama3", c.llama3), ("qwen2", c.qwen2)] {
            let words = try PreTokenizer.named(name).split(scalars).map { [$0.lowerBound, $0.upperBound] }
            #expect(words == expected, "\(name)")
        }
    }

    @Test("Qwen's names share one rule, in which every digit is a word")
    func qwenNames() throws {
        for name in ["qwen2", "deepseek-r1-qwen"] {
            #expect(try PreTokenizer.named(name) == .qwen2)
        }
        let words = PreTokenizer.qwen2.split("a 2024".unicodeScalars.map(\.value))
        #expect(words.count == 6)
    }
}
