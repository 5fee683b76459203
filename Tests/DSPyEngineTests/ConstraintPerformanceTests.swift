import Foundation
import Testing

@testable import DSPyEngine

/// Masks of every kind of constraint state on the real 49,152-token vocabulary: each must
/// allow something, and walks over random completions must end. The cost per step is
/// printed for information, never asserted (timings belong to `dspyc bench`); run in release
/// for meaningful numbers: `swift test -c release -Xswiftc -enable-testing --filter ConstraintPerformance`.
@Suite("Constraint masks on the real vocabulary")
struct ConstraintPerformanceTests {
    let vocabulary: ConstraintVocabulary

    init() throws { vocabulary = try ConstraintFixtures.vocabulary() }

    /// Mean cost of `allowedTokens(into:)` over `repeats` runs, each on a decoder from
    /// `make` over a fresh constraint (so the shared mask cache is empty), then again.
    func measure(_ label: String, repeats: Int = 20, make: () throws -> ConstrainedDecoder) rethrows {
        var mask = TokenMask(count: vocabulary.count)
        var fresh: Duration = .zero, cached: Duration = .zero
        var allowed = 0
        let clock = ContinuousClock()
        for _ in 0..<repeats {
            var decoder = try make()
            fresh += clock.measure { decoder.allowedTokens(into: &mask) }
            cached += clock.measure { decoder.allowedTokens(into: &mask) }
            allowed = mask.allowedCount
        }
        func us(_ d: Duration) -> String {
            let micros = Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6
            return String(format: "%8.1f µs", micros / Double(repeats))
        }
        print("mask cost  \(label.padding(toLength: 34, withPad: " ", startingAt: 0)) first \(us(fresh))  again \(us(cached))  allowed \(allowed)")
        #expect(allowed > 0, "\(label): the mask allows no token")
    }

    @Test("Every kind of constraint state allows at least one token, fresh and from the mask cache")
    func maskCost() throws {
        let fields = [
            ConstrainedField("answer", .text), ConstrainedField("label", .choice(["positive", "negative", "neutral"])),
            ConstrainedField("n", .integer), ConstrainedField("x", .number),
            ConstrainedField("json", .json(.object([JSONProperty("name", .string), JSONProperty("tags", .array(of: .string))]))),
        ]
        func at(_ steps: [String], forceAtEnd: Bool = true) throws -> ConstrainedDecoder {
            let constraint = try OutputConstraint.chatAdapterCompletion(fields: fields, vocabulary: vocabulary)
            var decoder = ConstrainedDecoder(constraint)
            for text in steps {
                for token in decoder.forcedTokens() { try decoder.accept(token) }
                if text == "<choice>" { try decoder.acceptChoice(0); continue }
                for token in vocabulary.encode(text) { try decoder.accept(token) }
            }
            if forceAtEnd { for token in decoder.forcedTokens() { try decoder.accept(token) } }
            return decoder
        }
        let clock = ContinuousClock()
        let build = clock.measure { _ = try? ConstraintFixtures.loadDefaultVocabulary() }
        print("vocabulary + trie build (with a second trie for the stand-in encoder): \(build)")
        try measure("literal (forced header)") { try at([], forceAtEnd: false) }
        try measure("free text, first byte") { try at([]) }
        try measure("free text, mid-sentence") { try at(["The movie was"]) }
        try measure("free text, after \"\\n\\n\"") { try at(["The movie was\n\n"]) }
        try measure("choice, first token") { try at(["Fine.\n\n[["]) }
        try measure("integer, first byte") { try at(["Fine.\n\n[[", "<choice>"]) }
        try measure("integer, after digits") { try at(["Fine.\n\n[[", "<choice>", "12"]) }
        try measure("number, after point") { try at(["Fine.\n\n[[", "<choice>", "12\n\n", "3."]) }
        try measure("JSON string content") { try at(["Fine.\n\n[[", "<choice>", "12\n\n", "3.5\n\n", "Bo"]) }
        try measure("JSON after array item") { try at(["Fine.\n\n[[", "<choice>", "12\n\n", "3.5\n\n", "Bob\",", "\"a\""]) }

        var logits = [Float](repeating: 0, count: vocabulary.count)
        var decoder = try at(["The movie was"])
        let apply = clock.measure { for _ in 0..<100 { decoder.apply(to: &logits) } }
        print("apply(to:) on 49,152 logits (cached mask): \(apply / 100) per step")
        var forced = Duration.zero
        for _ in 0..<20 {
            var fresh = ConstrainedDecoder(try OutputConstraint.chatAdapterCompletion(fields: fields, vocabulary: vocabulary))
            forced += clock.measure { _ = fresh.forcedTokens() }
        }
        print("forcedTokens() for the first header (fresh decoder): \(forced / 20)")
    }

    @Test("Random walks through a four-field completion always reach its end")
    func costPerStepOverCompletions() throws {
        let fields = [
            ConstrainedField("reasoning", .text), ConstrainedField("label", .choice(["positive", "negative"])),
            ConstrainedField("stars", .integer),
            ConstrainedField("tags", .json(.array(of: .string(maxLength: 12), maxItems: 4))),
        ]
        let constraint = try OutputConstraint.chatAdapterCompletion(fields: fields, vocabulary: vocabulary, maxTextBytes: 300)
        let clock = ContinuousClock()
        var mask = TokenMask(count: vocabulary.count)
        var total = Duration.zero, worst = Duration.zero
        var steps = 0, forcedTokens = 0, completions = 0
        for seed in 0..<20 as Range<UInt64> {
            var rng = SeededGenerator(seed: seed)
            var decoder = ConstrainedDecoder(constraint)
            var stepsHere = 0
            while !decoder.hasEnded, stepsHere < 5_000 {
                stepsHere += 1
                var forced: [Int32] = []
                let cost = clock.measure {
                    forced = decoder.forcedTokens()
                    if forced.isEmpty { decoder.allowedTokens(into: &mask) }
                }
                total += cost
                worst = max(worst, cost)
                steps += 1
                if !forced.isEmpty {
                    forcedTokens += forced.count
                    for token in forced { try decoder.accept(token) }
                    continue
                }
                let allowed = mask.allowedTokens
                // Mostly random tokens, sometimes the start of the next header.
                let newline = ConstraintFixtures.id("\n\n").flatMap { mask.contains($0) ? $0 : nil }
                let token = (Int.random(in: 0..<6, using: &rng) == 0 ? newline : nil) ?? allowed.randomElement(using: &rng)!
                try decoder.accept(token)
            }
            #expect(decoder.hasEnded, "seed \(seed): no end after \(stepsHere) steps")
            if decoder.hasEnded { completions += 1 }
        }
        #expect(completions == 20)
        #expect(forcedTokens > 20 * 4, "every completion forces its headers: \(forcedTokens) forced tokens")
        print("per step over \(completions) completions: \(steps) steps (\(forcedTokens) forced tokens), mean \(total / steps), worst \(worst) (the first free-text and JSON-string walks)")
    }
}
