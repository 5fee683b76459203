import Testing

@testable import DSPyEngine

@Suite("Constrained choices")
struct ConstraintChoiceTests {
    let vocabulary: ConstraintVocabulary

    init() throws { vocabulary = try ConstraintFixtures.vocabulary() }

    @Test("A choice field only ever yields one of its values, whatever the logits")
    func choiceYieldsAllowedValue() throws {
        let values = ["positive", "negative", "neutral", "mixed feelings", "N/A"]
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("sentiment", .choice(values))], vocabulary: vocabulary)
        var seen: Set<String> = []
        for seed in 0..<300 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed, useForced: seed % 2 == 0)
            #expect(decoder.hasEnded)
            let fields = ConstraintDriver.parseChatAdapter(decoder.text)
            let value = try #require(fields["sentiment"], "seed \(seed): \(decoder.text)")
            #expect(values.contains(value), "seed \(seed): \(String(reflecting: decoder.text))")
            #expect(decoder.text.hasSuffix("\n\n[[ ## completed ## ]]"))
            seen.insert(value)
        }
        #expect(seen == Set(values))
    }

    @Test("Values sharing a prefix, or one a prefix of another, are all reachable and exact")
    func prefixSharingChoices() throws {
        let values = ["New York", "New Delhi", "Newark", "a", "ab", "abc def"]
        let constraint = try OutputConstraint(
            segments: [.choice(values), .literal("\n")], vocabulary: vocabulary)
        var seen: Set<String> = []
        for seed in 0..<400 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed, useForced: seed % 3 != 0)
            let text = decoder.text
            #expect(text.hasSuffix("\n"))
            let value = String(text.dropLast())
            #expect(values.contains(value), "seed \(seed): \(String(reflecting: text))")
            seen.insert(value)
        }
        #expect(seen == Set(values))
    }

    @Test("The first step allows only the first canonical tokens of the values")
    func firstStepAllowsFirstTokens() throws {
        let values = ["positive", "negative", "neutral"]
        let constraint = try OutputConstraint(segments: [.choice(values)], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        var mask = TokenMask(count: vocabulary.count)
        decoder.allowedTokens(into: &mask)
        let expected = Set(values.map { vocabulary.encode($0)[0] })
        #expect(Set(mask.allowedTokens) == expected)
        #expect(decoder.forcedTokens().isEmpty)
    }

    @Test("Once the prefix determines the value, the rest is forced as its canonical tokens")
    func restOfChoiceIsForced() throws {
        // With greedy tokens "neg" + ... the first token decides among values that
        // share no first token; force the rest of a two-token value.
        let values = ["negative outlook", "positive outlook"]
        let constraint = try OutputConstraint(
            segments: [.choice(values), .literal("\n\n[[ ## completed ## ]]")], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        let canonical = vocabulary.encode("negative outlook")
        #expect(canonical.count >= 2)
        try decoder.accept(canonical[0])
        let forced = decoder.forcedTokens()
        #expect(forced == Array(canonical.dropFirst()) + vocabulary.encode("\n\n[[ ## completed ## ]]"))
        for token in forced { try decoder.accept(token) }
        #expect(decoder.isComplete)
        #expect(decoder.text == "negative outlook\n\n[[ ## completed ## ]]")
    }

    @Test("A non-canonical split of a choice value is rejected")
    func nonCanonicalSplitRejected() throws {
        let constraint = try OutputConstraint(segments: [.choice(["negative", "positive"])], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        let n = try #require(ConstraintFixtures.id("n"))
        #expect(vocabulary.encode("negative") != [n])
        #expect(throws: ConstraintError.self) { try decoder.accept(n) }
        #expect(decoder.text.isEmpty)
    }

    @Test("The pending choice exposes each value's canonical tokens, and committing forces them")
    func pendingChoiceExposesTokenizations() throws {
        let values = ["positive", "negative"]
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("sentiment", .choice(values))], vocabulary: vocabulary)
        #expect(constraint.choiceTokenizations(segment: 1)?.map(\.tokens) == values.map(vocabulary.encode))
        #expect(constraint.choiceTokenizations(segment: 0) == nil)
        var decoder = ConstrainedDecoder(constraint)
        #expect(decoder.pendingChoice == nil)  // the header comes first
        for token in decoder.forcedTokens() { try decoder.accept(token) }
        let pending = try #require(decoder.pendingChoice)
        #expect(pending.segment == 1)
        #expect(pending.values == values)
        #expect(pending.tokens == values.map(vocabulary.encode))
        let chosen = try decoder.acceptChoice(1)
        #expect(chosen == vocabulary.encode("negative"))
        for token in decoder.forcedTokens() { try decoder.accept(token) }
        #expect(decoder.isComplete)
        #expect(ConstraintDriver.parseChatAdapter(decoder.text)["sentiment"] == "negative")
    }

    @Test("A boolean field yields True, False, true or false")
    func booleanValues() throws {
        let constraint = try OutputConstraint.chatAdapterCompletion(
            fields: [ConstrainedField("ok", .boolean)], vocabulary: vocabulary)
        var seen: Set<String> = []
        for seed in 0..<100 as Range<UInt64> {
            let decoder = try ConstraintDriver.run(constraint, seed: seed)
            let value = ConstraintDriver.parseChatAdapter(decoder.text)["ok"]
            #expect(["True", "False", "true", "false"].contains(value ?? ""), "seed \(seed)")
            seen.insert(value ?? "")
        }
        #expect(seen.count == 4)
    }

    @Test("Malformed choices are rejected with the segment and reason")
    func malformedChoices() {
        #expect(throws: ConstraintError.invalidConstraint(segment: 0, reason: "a choice needs at least one value")) {
            _ = try OutputConstraint(segments: [.choice([])], vocabulary: vocabulary)
        }
        #expect(throws: ConstraintError.invalidConstraint(segment: 1, reason: "duplicate choice values")) {
            _ = try OutputConstraint(segments: [.literal("x"), .choice(["a", "a"])], vocabulary: vocabulary)
        }
    }
}
