import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// Mutated JSON Lines files through ``JSONL/parse(_:file:inputKeys:)-(Data,_,_)``.
///
/// Two kinds of case. Harmless rewrites (CRLF endings, a UTF-8 byte-order
/// mark, blank and whitespace-only lines) must give exactly the examples of
/// the clean file. Hostile mutations (byte flips, NUL, invalid UTF-8, foreign
/// byte-order marks, very long lines) must give examples or a
/// ``DSPyError/dataset(file:line:message:)`` naming the file and a line that exists.
@Suite("Fuzzing JSONL datasets")
struct FuzzJSONLTests {
    static let seeds: [[String]] = [
        [#"{"question": "What is the capital of France?", "answer": "Paris"}"#, #"{"question": "2+2?", "answer": "4"}"#],
        [#"{"text": "I loved it", "label": "positive", "score": 0.9}"#, #"{"text": "meh", "label": "negative", "tags": []}"#,
         #"{"text": "ünïcödé 😀", "label": "positive", "meta": {"n": 1, "ok": true}}"#],
        [#"{"a": null}"#],
    ]

    static let snippets = ["\n", "\r\n", "\r", "\n\n", "   \n", "\u{FEFF}", "{", "}", "\"", ",", ":", #"\ud800"#, "[1]", "null"]

    /// The clean file of a seed: LF endings, no mark, no blank lines.
    static func clean(_ lines: [String]) -> [UInt8] { Array((lines.joined(separator: "\n") + "\n").utf8) }

    /// The same lines rewritten harmlessly: CRLF or LF per line, maybe a BOM, maybe blank lines between.
    static func harmless(_ lines: [String], _ random: inout SeededRandom) -> [UInt8] {
        var bytes: [UInt8] = random.oneIn(2) ? [0xEF, 0xBB, 0xBF] : []
        for line in lines {
            for _ in 0..<random.below(3) { bytes += Array(random.pick(["", " ", "\t", "  \r"]).utf8) + [0x0A] }
            bytes += Array(line.utf8) + (random.oneIn(2) ? [0x0D, 0x0A] : [0x0A])
        }
        if random.oneIn(2) { bytes.removeLast() }
        return bytes
    }

    /// A hostile file: byte mutations, a foreign byte-order mark, or a very long line.
    static func hostile(_ lines: [String], _ random: inout SeededRandom) -> [UInt8] {
        switch random.below(16) {
        case 0, 1: return random.pick([[0xFF, 0xFE], [0xFE, 0xFF], [0xFF, 0xFE, 0, 0], [0, 0, 0xFE, 0xFF]]) + clean(lines)
        case 2:
            let long = String(repeating: random.pick(["x", "é", "\\n", "😀"]), count: random.within(10_000...200_000))
            return clean(lines) + Array(#"{"long": ""#.utf8) + Array(long.utf8) + (random.oneIn(2) ? [0x22, 0x7D] : [])
        default: return FuzzMutation.mutate(clean(lines), snippets: snippets, random: &random, most: 6)
        }
    }

    @Test("Harmless rewrites load the same examples; hostile files load or are refused naming file and line")
    func fuzzJSONL() throws {
        var random = SeededRandom(seed: 0x5EED_0002)
        let total = 2_000
        var same = 0, accepted = 0, refused = 0
        for index in 0..<total {
            let lines = random.pick(Self.seeds)
            if index % 4 == 0 {
                let expected = try JSONL.parse(Data(Self.clean(lines)), file: "clean.jsonl")
                let rewritten = Self.harmless(lines, &random)
                #expect(try JSONL.parse(Data(rewritten), file: "f.jsonl") == expected, "case \(index)")
                same += 1
                continue
            }
            let bytes = Self.hostile(lines, &random)
            let lineCount = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
            do {
                let examples = try JSONL.parse(Data(bytes), file: "f.jsonl")
                #expect(examples.count <= lineCount, "case \(index)")
                accepted += 1
            } catch DSPyError.dataset(let file, let line, let message) {
                #expect(file == "f.jsonl" && !message.isEmpty, "case \(index)")
                #expect((0...lineCount).contains(line), "case \(index): line \(line) of \(lineCount)")
                refused += 1
            } catch {
                Issue.record("case \(index): unexpected error \(type(of: error)): \(error)")
            }
        }
        print("FuzzJSONL: \(total) cases, \(same) harmless rewrites loaded identically, \(accepted) hostile files loaded, "
            + "\(refused) refused with DSPyError.dataset")
        #expect(same + accepted + refused == total)
        #expect(refused > 0 && accepted > 0)
    }
}
