import Foundation
import Testing

@testable import DSPyEngine

@Suite("ChatAdapter completion automaton")
struct ConstraintChatAdapterTests {
    let vocabulary: ConstraintVocabulary

    init() throws { vocabulary = try ConstraintFixtures.vocabulary() }

    @Test("The segments follow DSPy's assistant-turn format: headers, values, completed marker")
    func segmentsMatchDSPyFormat() {
        let segments = OutputConstraint.chatAdapterSegments(
            fields: [ConstrainedField("reasoning", .text), ConstrainedField("label", .choice(["a", "b"])),
                     ConstrainedField("confidence", .number)],
            maxTextBytes: 300)
        #expect(segments == [
            .literal("[[ ## reasoning ## ]]\n"), .freeText(until: "\n\n[[", maxBytes: 300),
            .literal("\n\n[[ ## label ## ]]\n"), .choice(["a", "b"]),
            .literal("\n\n[[ ## confidence ## ]]\n"), .number,
            .literal("\n\n[[ ## completed ## ]]"),
        ])
        #expect(OutputConstraint.chatAdapterSegments(fields: []) == [.literal("[[ ## completed ## ]]")])
    }

    @Test("Every field of a mixed signature parses the way DSPy parses it, whatever the logits")
    func mixedSignatureParses() throws {
        let fields = [
            ConstrainedField("reasoning", .text), ConstrainedField("sentiment", .choice(["positive", "negative"])),
            ConstrainedField("stars", .integer), ConstrainedField("confidence", .number),
            ConstrainedField("sarcastic", .boolean),
            ConstrainedField("keywords", .json(.array(of: .string(maxLength: 10), maxItems: 3))),
        ]
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: fields, vocabulary: vocabulary, maxTextBytes: 80)
        for seed in 0..<120 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed)
            let text = decoder.text
            #expect(decoder.hasEnded, "seed \(seed)")
            let parsed = ConstraintDriver.parseChatAdapter(text)
            #expect(Set(parsed.keys) == Set(fields.map(\.name) + ["completed"]), "seed \(seed): \(String(reflecting: text))")
            #expect(!(parsed["reasoning"] ?? "").isEmpty)
            #expect(["positive", "negative"].contains(parsed["sentiment"] ?? ""))
            #expect(ConstraintDriver.isInteger(parsed["stars"] ?? ""))
            #expect(ConstraintDriver.isNumber(parsed["confidence"] ?? ""))
            #expect(["True", "False", "true", "false"].contains(parsed["sarcastic"] ?? ""))
            let keywords = parsed["keywords"] ?? ""
            #expect(ConstraintJSONTests.problems(keywords, .array(of: .string(maxLength: 10), maxItems: 3)).isEmpty,
                    "seed \(seed): \(keywords)")
        }
    }

    @Test("Forced headers are the canonical tokenization of the header text")
    func forcedHeadersAreCanonical() throws {
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("sentiment", .choice(["positive", "negative"]))], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        let header = decoder.forcedTokens()
        #expect(header == vocabulary.encode("[[ ## sentiment ## ]]\n"))
        var mask = TokenMask(count: vocabulary.count)
        decoder.allowedTokens(into: &mask)
        #expect(mask.allowedTokens == [header[0]])
        for token in header { try decoder.accept(token) }
        try decoder.accept(vocabulary.encode("positive")[0])
        #expect(decoder.forcedTokens() == vocabulary.encode("\n\n[[ ## completed ## ]]"))
    }

    @Test("Decoders of one constraint share the masks of free-text states")
    func decodersShareMasks() throws {
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("answer", .text)], vocabulary: vocabulary)
        var mask = TokenMask(count: vocabulary.count)
        for _ in 0..<3 {
            var decoder = ConstrainedDecoder(constraint)
            for token in decoder.forcedTokens() { try decoder.accept(token) }
            decoder.allowedTokens(into: &mask)
            try decoder.accept(vocabulary.encode("Yes")[0])
            decoder.allowedTokens(into: &mask)
        }
        #expect(constraint.maskCache.count == 2)
    }

    @Test("End-of-text is refused before completion and is the only token after it")
    func endOfTextOnlyWhenComplete() throws {
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("n", .integer)], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        #expect(throws: ConstraintError.self) { try decoder.accept(vocabulary.endOfText[1]) }
        for token in decoder.forcedTokens() { try decoder.accept(token) }
        try decoder.accept(try #require(ConstraintFixtures.id("7")))
        let completeAfterValue = decoder.isComplete
        #expect(!completeAfterValue)
        #expect(decoder.forcedTokens().isEmpty)  // the number could go on
        try decoder.accept(try #require(ConstraintFixtures.id("\n\n")))
        for token in decoder.forcedTokens() { try decoder.accept(token) }
        let complete = decoder.isComplete
        #expect(complete)
        var mask = TokenMask(count: vocabulary.count)
        decoder.allowedTokens(into: &mask)
        #expect(mask.allowedTokens == vocabulary.endOfText)
        #expect(throws: ConstraintError.self) { try decoder.accept(try #require(ConstraintFixtures.id("7"))) }
        try decoder.accept(vocabulary.endOfText[1])
        #expect(decoder.hasEnded)
        #expect(decoder.text == "[[ ## n ## ]]\n7\n\n[[ ## completed ## ]]")
        #expect(throws: ConstraintError.alreadyComplete(token: 0)) { try decoder.accept(0) }
    }
}
