import DSPy
import DSPyTestSupport
import Testing

/// Mutated JSON and Python literals through ``JSONValue/parse(_:)`` and ``JSONValue/parseLenient(_:)``.
///
/// Each case is a valid seed changed by byte mutations, surrogate escapes,
/// deep nesting or huge numbers. It passes when strict parsing returns a value
/// that survives a round trip through ``JSONValue/pythonJSON(indent:)``, or
/// throws ``DSPyError/invalidJSON(offset:message:)`` with a message and an
/// offset inside the text; the lenient parse must return without trapping.
@Suite("Fuzzing the JSON and Python-literal parser")
struct FuzzJSONParserTests {
    static let seeds: [String] = [
        #"{"question": "What is 2+2?", "answer": 4, "tags": ["math", "easy"], "score": 0.5, "ok": true, "none": null}"#,
        #"[1, -2, 3.25, 1e10, -0.0, 1E-5, "é\n\t\"q\"", "\u00e9\ud83d\ude00", {}, []]"#,
        #"{"nested": {"a": [{"b": [null, false]}]}, "empty": "", "esc": "\\\/\b\f\r"}"#,
        "{'k': [1, 'two', None, True], 'tuple': (1, 2,), 'trail': [3,],}",
        "['a', 'b', \"c\"]",
        #""just a string""#, "42", "-17.5e+3", "NaN", "-Infinity", "[Infinity]",
    ]

    static let snippets: [String] = [
        #"\ud800"#, #"\udc00"#, #"\ud800\u0041"#, #"\udbff\udfff"#, #"\ud83d"#, #"\u"#, #"\u12"#, #"\uZZZZ"#, #"\u+041"#,
        "\\", "\"", "'", "[", "]", "{", "}", ",", ":", "(", ")",
        "99999999999999999999", "-9223372036854775809", "9223372036854775807", "1e999", "-1e-999", "1e99999999999999999999",
        "0.", "01", "-", "+1", ".5", "1e", "NaN", "Infinity", "-Infinity", "True", "None", "nul", "\t", "\n", "\u{00}",
    ]

    enum Outcome { case accepted, refused }

    /// Parses `text` strictly and checks the outcome; records an issue for anything else.
    static func check(_ text: String, case index: Int) -> Outcome {
        _ = JSONValue.parseLenient(text)
        do {
            let value = try JSONValue.parse(text)
            // A correct result reads back to itself once written out.
            let written = value.pythonJSON()
            do {
                let again = try JSONValue.parse(written)
                #expect(again.pythonJSON() == written, "case \(index): \(text.debugDescription.prefix(200))")
            } catch {
                Issue.record("case \(index): the written form of an accepted value does not parse: \(error)")
            }
            return .accepted
        } catch DSPyError.invalidJSON(let offset, let message) {
            #expect(!message.isEmpty)
            #expect((0...text.utf8.count).contains(offset), "case \(index): offset \(offset) outside the text")
            return .refused
        } catch {
            Issue.record("case \(index): unexpected error \(type(of: error)): \(error)")
            return .refused
        }
    }

    /// One structured hostile input: deep nesting, a huge number or a string of escapes.
    static func structured(_ random: inout SeededRandom) -> String {
        switch random.below(10) {
        case 0...2:
            let depth = random.pick([1, 100, 511, 512, 513, 600, 5_000, 50_000])
            let (open, close) = random.pick([("[", "]"), ("{\"k\":", "}"), ("(", ")"), ("[{\"a\":[", "]}]")])
            let balanced = random.oneIn(2)
            return String(repeating: open, count: depth) + "0" + (balanced ? String(repeating: close, count: depth) : "")
        case 3...5:
            let digits = String((0..<random.within(1...400)).map { _ in Character(String(random.below(10))) })
            let sign = random.oneIn(2) ? "-" : ""
            let tail = random.pick(["", ".5", "e308", "e309", "e-400", "E+99999", ".0e1"])
            return "[" + sign + digits + tail + "]"
        case 6...8:
            let pieces = (0..<random.within(1...12)).map { _ in random.pick(snippets.prefix(9).map { $0 } + ["A", "é", "\\n"]) }
            return "\"" + pieces.joined() + "\""
        default:
            return "{\"" + String(repeating: "x", count: random.within(1...200_000)) + "\": 1}"
        }
    }

    @Test("Mutated JSON never traps: each case parses and round-trips, or is refused with an offset")
    func fuzzParser() {
        var random = SeededRandom(seed: 0x5EED_0001)
        let total = 3_000
        var accepted = 0, refused = 0
        for index in 0..<total {
            let text: String
            if index % 5 == 4 {
                text = Self.structured(&random)
            } else {
                let seed = Array(random.pick(Self.seeds).utf8)
                text = String(decoding: FuzzMutation.mutate(seed, snippets: Self.snippets, random: &random, most: 3), as: UTF8.self)
            }
            switch Self.check(text, case: index) {
            case .accepted: accepted += 1
            case .refused: refused += 1
            }
        }
        print("FuzzJSONParser: \(total) cases, \(accepted) accepted, \(refused) refused with DSPyError.invalidJSON")
        #expect(accepted + refused == total)
        #expect(accepted > 0 && refused > 0)
    }
}
