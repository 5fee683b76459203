import DSPyTestSupport
import Testing

@testable import DSPy

/// The GBNF grammar sent to llama.cpp servers for ChatAdapter calls accepts exactly the
/// completions the adapter parses: checked with a small GBNF recognizer (`GBNFRecognizer`).
@Suite("GBNF grammars for ChatAdapter completions")
struct GBNFGrammarTests {
    static let signature = """
        question -> label: Literal['yes', 'no', 'it "depends"'], count: int, score: float, ok: bool, \
        tags: list[str], answer
        """

    static func grammar() throws -> (OutputStructure, GBNFRecognizer) {
        let structure = OutputStructure(style: .chatHeaders, signature: try SignatureSpec(signature))
        let text = try #require(GBNFGrammar.chatAdapter(structure))
        return (structure, try GBNFRecognizer(text))
    }

    @Test("The canonical completion is accepted; a wrong choice, a bad number, a missing header or marker is not")
    func acceptsCanonical() throws {
        let (structure, recognizer) = try Self.grammar()
        let values: JSONObject = ["label": "yes", "count": 3, "score": -1.5, "ok": true, "tags": ["a", "b"], "answer": "Fine [ok]."]
        let good = structure.render(values)
        #expect(recognizer.accepts(good), "\(good)")
        #expect(recognizer.accepts(good.replacingOccurrences(of: "\nyes\n", with: "\nit \"depends\"\n")))
        #expect(!recognizer.accepts(good.replacingOccurrences(of: "\nyes\n", with: "\nmaybe\n")))
        #expect(!recognizer.accepts(good.replacingOccurrences(of: "\n3\n", with: "\nthree\n")))
        #expect(!recognizer.accepts(good.replacingOccurrences(of: "\nTrue\n", with: "\ntrue\n")))
        #expect(!recognizer.accepts(good.replacingOccurrences(of: "[[ ## score ## ]]\n", with: "")))
        #expect(!recognizer.accepts(good.replacingOccurrences(of: "[[ ## completed ## ]]", with: "")))
        #expect(!recognizer.accepts(good.replacingOccurrences(of: "Fine [ok].", with: "Fine [[ ## x")), "text cannot open a header")
    }

    @Test("Grammars of other adapters' structures are nil; literals escape quotes, backslashes and control characters")
    func literalsAndStyles() throws {
        let spec = try SignatureSpec("q -> a")
        #expect(GBNFGrammar.chatAdapter(OutputStructure(style: .jsonObject, signature: spec)) == nil)
        #expect(GBNFGrammar.chatAdapter(OutputStructure(style: .xmlTags, signature: spec)) == nil)
        #expect(GBNFGrammar.literal("a\"b\\c\nd\u{1}") == #""a\"b\\c\nd\x01""#)
    }

    @Test("500 seeded random value sets render to completions the grammar accepts")
    func randomValues() throws {
        let (structure, recognizer) = try Self.grammar()
        var random = SeededRandom(seed: 20)
        let words = ["alpha", "be ta", "[x]", "q\"uote", "new\nline", "ü", "0.5", "{}", "a]b", "tab\t"]
        func word() -> String { words[random.below(words.count)] }
        for index in 0..<500 {
            let tags: [JSONValue] = (0..<random.below(4)).map { _ in .string(word()) }
            let values: JSONObject = [
                "label": .string(["yes", "no", "it \"depends\""][random.below(3)]),
                "count": .int(random.within(-1000...1000)),
                "score": .double(Double(random.within(-9999...9999)) / 100),
                "ok": .bool(random.below(2) == 0),
                "tags": .array(tags),
                "answer": .string((0..<random.within(1...6)).map { _ in word() }.joined(separator: " ")),
            ]
            let text = structure.render(values)
            #expect(recognizer.accepts(text), "case \(index): \(text)")
        }
    }
}
