import Foundation
import Testing

@testable import DSPyEngine

@Suite("Constrained integers, numbers and free text")
struct ConstraintPatternTests {
    let vocabulary: ConstraintVocabulary

    init() throws { vocabulary = try ConstraintFixtures.vocabulary() }

    @Test("Integer and float fields always parse, whatever the logits")
    func numbersParse() throws {
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("count", .integer), ConstrainedField("score", .number)],
            vocabulary: vocabulary)
        var shapes: Set<String> = []
        for seed in 0..<300 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed)
            #expect(decoder.hasEnded)
            let fields = ConstraintDriver.parseChatAdapter(decoder.text)
            let count = try #require(fields["count"], "seed \(seed)")
            let score = try #require(fields["score"], "seed \(seed)")
            #expect(ConstraintDriver.isInteger(count), "seed \(seed): \(String(reflecting: count))")
            #expect(ConstraintDriver.isNumber(score), "seed \(seed): \(String(reflecting: score))")
            if score.contains(".") { shapes.insert("fraction") }
            if score.lowercased().contains("e") { shapes.insert("exponent") }
            if count.hasPrefix("-") { shapes.insert("negative") }
        }
        #expect(shapes == ["fraction", "exponent", "negative"])
    }

    @Test("A token may run from the end of a number into the following separator")
    func tokenSpansValueAndSeparator() throws {
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("n", .integer), ConstrainedField("m", .integer)], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        for token in decoder.forcedTokens() { try decoder.accept(token) }
        try decoder.accept(try #require(ConstraintFixtures.id("4")))
        try decoder.accept(try #require(ConstraintFixtures.id("2")))
        var mask = TokenMask(count: vocabulary.count)
        decoder.allowedTokens(into: &mask)
        let newlines = try #require(ConstraintFixtures.id("\n\n"))
        #expect(mask.contains(newlines))
        #expect(!mask.contains(try #require(ConstraintFixtures.id("\n\n\n"))))
        #expect(!mask.contains(vocabulary.endOfText[0]))
        try decoder.accept(newlines)
        // The rest of the header is forced as the canonical tokens of what remains.
        #expect(decoder.forcedTokens() == vocabulary.encode("[[ ## m ## ]]\n"))
    }

    @Test("Free text never contains the terminator, and ends at the next header or its limit")
    func freeTextStopsAtTerminator() throws {
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("answer", .text), ConstrainedField("label", .choice(["yes", "no"]))],
            vocabulary: vocabulary, maxTextBytes: 120)
        var endedEarly = 0
        for seed in 0..<150 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed)
            #expect(decoder.hasEnded)
            let text = decoder.text
            let fields = ConstraintDriver.parseChatAdapter(text)
            let answer = try #require(fields["answer"], "seed \(seed)")
            #expect(["yes", "no"].contains(fields["label"] ?? ""), "seed \(seed): \(String(reflecting: text))")
            #expect(!answer.isEmpty)
            #expect(answer.utf8.count <= 120)
            // Only the two headers and the completion marker open sections.
            #expect(text.components(separatedBy: "\n\n[[").count == 3, "seed \(seed): \(String(reflecting: text))")
            if answer.utf8.count < 100 { endedEarly += 1 }
            let opensLine = answer.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("[[") }
            #expect(!opensLine, "seed \(seed): \(String(reflecting: answer))")
        }
        #expect(endedEarly > 0)
    }

    @Test("No line of free text starts with [[, so DSPy never reads a header inside a value")
    func freeTextNeverOpensAHeaderLine() throws {
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("answer", .text), ConstrainedField("b", .integer)], vocabulary: vocabulary)
        func decoder(after texts: [String]) throws -> ConstrainedDecoder {
            var decoder = ConstrainedDecoder(constraint)
            for token in decoder.forcedTokens() { try decoder.accept(token) }
            for text in texts { try decoder.accept(try #require(ConstraintFixtures.id(text), "no token \(text)")) }
            return decoder
        }
        for texts in [["[["], ["Hi", "\n", "[["], ["Hi", "\n", "[", "["], ["Hi", "\n", " ", "[["], ["Hi", "\n\n", " [["]] {
            var d = try decoder(after: Array(texts.dropLast()))
            #expect(throws: ConstraintError.self, "\(texts)") { try d.accept(try #require(ConstraintFixtures.id(texts.last!))) }
        }
        // Mid-line brackets are fine, and "\n\n[[" starts the next header.
        _ = try decoder(after: ["Hi", " [[", "x"])
        var d = try decoder(after: ["Hi", "\n\n", "[["])
        #expect(d.forcedTokens() == vocabulary.encode(" ## b ## ]]\n"))
    }

    @Test("At the limit only the terminator is allowed, and it is forced")
    func freeTextLimitForcesTerminator() throws {
        let constraint = try OutputConstraint(
            segments: [.freeText(until: "\n\n[[", maxBytes: 5), .literal("\n\n[[ ## completed ## ]]")],
            vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        try decoder.accept(try #require(ConstraintFixtures.id("Hello")))
        #expect(decoder.forcedTokens() == vocabulary.encode("\n\n[[ ## completed ## ]]"))
    }

    @Test("Masks near a length limit equal a check of every token one by one")
    func nearLimitMasksMatchBruteForce() throws {
        let constraint = try OutputConstraint(
            segments: [
                .freeText(until: "\n\n[[", maxBytes: 100), .literal("\n\n[[ ## x ## ]]\n"),
                .json(.array(of: .string(maxLength: 90), maxItems: 3)), .literal("\n"),
            ],
            vocabulary: vocabulary)
        let word = try #require(ConstraintFixtures.id("word"))
        let quote = try #require(ConstraintFixtures.id("\""))
        // Positions: free text at 4, 60, 92 and 97 bytes; the JSON string at 40, 85 characters.
        var checkpoints: [ConstrainedDecoder] = []
        var decoder = ConstrainedDecoder(constraint)
        for count in 1...24 {
            try decoder.accept(word)
            if [1, 15, 23, 24].contains(count) { checkpoints.append(decoder) }
        }
        for token in vocabulary.encode("\n\n[[") { try decoder.accept(token) }
        for token in decoder.forcedTokens() { try decoder.accept(token) }
        try decoder.accept(quote)
        for count in 1...85 {
            try decoder.accept(try #require(ConstraintFixtures.id("a")))
            if [40, 85].contains(count) { checkpoints.append(decoder) }
        }
        for var checkpoint in checkpoints {
            var mask = TokenMask(count: vocabulary.count)
            checkpoint.allowedTokens(into: &mask)
            var expected = TokenMask(count: vocabulary.count)
            for id in 0..<Int32(vocabulary.count) where !vocabulary.endOfText.contains(id) {
                var cursor = checkpoint.cursor
                if checkpoint.advance(&cursor, id) { expected.insert(id) }
            }
            #expect(mask == expected, "at \(checkpoint.text.utf8.count) bytes: \(mask.allowedCount) vs \(expected.allowedCount)")
        }
    }

    @Test("Free text starts with a non-space character and never contains special tokens")
    func freeTextStart() throws {
        let constraint = try OutputConstraint(
            segments: [.freeText(until: "\n\n[[", maxBytes: 100)], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        var mask = TokenMask(count: vocabulary.count)
        decoder.allowedTokens(into: &mask)
        #expect(!mask.contains(try #require(ConstraintFixtures.id(" the"))))
        #expect(!mask.contains(try #require(ConstraintFixtures.id("\n"))))
        #expect(mask.contains(try #require(ConstraintFixtures.id("the"))))
        #expect(!mask.contains(2) && !mask.contains(0) && !mask.contains(1))
        #expect(mask.allowedCount > 10000)  // about a third of GPT-2 tokens start with a letter
    }
}
