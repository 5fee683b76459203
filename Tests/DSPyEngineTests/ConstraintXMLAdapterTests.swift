import Foundation
import Testing

@testable import DSPyEngine

@Suite("XMLAdapter completion automaton")
struct ConstraintXMLAdapterTests {
    let vocabulary: ConstraintVocabulary

    init() throws { vocabulary = try ConstraintFixtures.vocabulary() }

    @Test("The segments follow DSPy's XML assistant-turn format: forced tags around constrained values")
    func segmentsMatchDSPyFormat() {
        let segments = OutputConstraint.xmlAdapterSegments(
            fields: [ConstrainedField("reasoning", .text), ConstrainedField("label", .choice(["a", "b"])),
                     ConstrainedField("confidence", .number)],
            maxTextBytes: 300)
        #expect(segments == [
            .literal("<reasoning>\n"), .freeText(until: "<", maxBytes: 300),
            .literal("</reasoning>\n\n<label>\n"), .choice(["a", "b"]),
            .literal("\n</label>\n\n<confidence>\n"), .number,
            .literal("\n</confidence>"),
        ])
        #expect(OutputConstraint.xmlAdapterSegments(fields: []).isEmpty)
    }

    @Test("Whatever the logits, every field sits in its own tags with a value of its kind")
    func everyCompletionIsWellFormed() throws {
        let fields = [
            ConstrainedField("reasoning", .text), ConstrainedField("sentiment", .choice(["positive", "negative"])),
            ConstrainedField("stars", .integer), ConstrainedField("sarcastic", .boolean),
        ]
        let constraint = try OutputConstraint.xmlAdapterCompletion(fields: fields, vocabulary: vocabulary, maxTextBytes: 80)
        for seed in 0..<150 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed)
            let text = decoder.text
            #expect(decoder.hasEnded, "seed \(seed)")
            var values: [String: String] = [:]
            var rest = Substring(text)
            for field in fields {
                guard let open = rest.range(of: "<\(field.name)>"), let close = rest.range(of: "</\(field.name)>"),
                      open.upperBound <= close.lowerBound
                else { Issue.record("seed \(seed): \(field.name) missing in \(String(reflecting: text))"); break }
                values[field.name] = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
                rest = rest[close.upperBound...]
            }
            #expect(!(values["reasoning"] ?? "").isEmpty && !(values["reasoning"] ?? "<").contains("<"), "seed \(seed)")
            #expect(["positive", "negative"].contains(values["sentiment"] ?? ""), "seed \(seed)")
            #expect(ConstraintDriver.isInteger(values["stars"] ?? ""), "seed \(seed)")
            #expect(["True", "False", "true", "false"].contains(values["sarcastic"] ?? ""), "seed \(seed)")
            #expect(text.hasSuffix("\n</sarcastic>"))
        }
    }

    @Test("A text value is never empty: right after the opening tag neither a blank nor `<` may come")
    func textIsNotEmpty() throws {
        let constraint = try OutputConstraint.xmlAdapterCompletion(
            fields: [ConstrainedField("answer", .text)], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        let forced = decoder.forcedTokens()
        #expect(forced == vocabulary.encode("<answer>\n"))
        for token in forced { try decoder.accept(token) }
        var mask = TokenMask(count: constraint.vocabulary.count)
        decoder.allowedTokens(into: &mask)
        for text in ["<", "</", "\n", " "] {
            let id = try #require(ConstraintFixtures.id(text), "\(text) is a token")
            #expect(!mask.contains(id), "\(String(reflecting: text)) must not start the value")
        }
        #expect(mask.contains(try #require(ConstraintFixtures.id("Paris"))))
    }
}
