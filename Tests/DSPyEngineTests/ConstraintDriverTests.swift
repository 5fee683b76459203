import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

// MARK: - Driving a decoder like a generation loop, with adversarial "logits"

/// A small seeded generator (SplitMix64), so every failure is reproducible by seed.
struct SeededGenerator: RandomNumberGenerator {
    private var base: SeededRandom
    init(seed: UInt64) { base = SeededRandom(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }
    mutating func next() -> UInt64 { base.next() }
}

enum ConstraintDriver {
    /// Tokens an adversarial model likes: format breakers, terminators, structure.
    static let temptations: [String] = [
        "```", "\n", "\n\n", " ", "[[", " ##", "]]", "]]\n", "0", "1", "9", "-", ".", "e", "E",
        "\"", "\",", ",", ", ", "}", "]", "{", "[", "null", "true", "false", "True", "n", "t",
        "\\", "\\n", "\\u", "Ġ", " the", "positive", "neg", "n", "\n\n[[", "{\"", "\":", ":",
    ]

    /// Runs `constraint` to the end. Each step appends the forced tokens (when
    /// `useForced`), otherwise picks a random allowed token — a third of the time one
    /// of the temptations if any is allowed, sometimes through random logits and
    /// ``ConstrainedDecoder/apply(to:)``.
    static func run(
        _ constraint: OutputConstraint, seed: UInt64, useForced: Bool = true, maxSteps: Int = 4000
    ) throws -> ConstrainedDecoder {
        var rng = SeededGenerator(seed: seed)
        var decoder = ConstrainedDecoder(constraint)
        var mask = TokenMask(count: constraint.vocabulary.count)
        let tempting = temptations.compactMap(ConstraintFixtures.id) + constraint.vocabulary.endOfText
        var steps = 0
        while !decoder.hasEnded, steps < maxSteps {
            steps += 1
            if useForced {
                let forced = decoder.forcedTokens()
                if !forced.isEmpty {
                    for token in forced { try decoder.accept(token) }
                    continue
                }
            }
            decoder.allowedTokens(into: &mask)
            let roll = Int.random(in: 0..<8, using: &rng)
            let token: Int32
            let allowedTempting = tempting.filter(mask.contains)
            if roll < 3, !allowedTempting.isEmpty {
                token = allowedTempting.randomElement(using: &rng)!
            } else if roll == 3 {
                var logits = (0..<constraint.vocabulary.count).map { _ in Float.random(in: -10...10, using: &rng) }
                decoder.apply(to: &logits)
                let best = logits.indices.max { logits[$0] < logits[$1] }!
                #expect(logits[best] > -.infinity, "no allowed token after apply")
                token = Int32(best)
            } else {
                let allowed = mask.allowedTokens
                #expect(!allowed.isEmpty, "nothing allowed after \(String(reflecting: decoder.text))")
                guard let pick = allowed.randomElement(using: &rng) else { break }
                token = pick
            }
            try decoder.accept(token)
        }
        return decoder
    }

    /// DSPy's `ChatAdapter.parse` sectioning: a line whose stripped text starts with
    /// `[[ ## name ## ]]` opens a section (the rest of the line belongs to it); each
    /// section's lines are joined with `\n` and stripped; the first occurrence wins.
    static func parseChatAdapter(_ text: String) -> [String: String] {
        let header = try! Regex(#"^\[\[ ## (\w+) ## \]\]"#)
        var sections: [(name: String?, lines: [String])] = [(nil, [])]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let stripped = line.trimmingCharacters(in: .whitespaces)
            if let match = stripped.prefixMatch(of: header), let name = match.output[1].substring {
                sections.append((String(name), [String(stripped[match.range.upperBound...])]))
            } else {
                sections[sections.count - 1].lines.append(String(line))
            }
        }
        var fields: [String: String] = [:]
        for section in sections {
            guard let name = section.name, fields[name] == nil else { continue }
            fields[name] = section.lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return fields
    }

    /// Whether `value` is a Python/JSON number literal DSPy reads as a float.
    static func isNumber(_ value: String) -> Bool {
        value.wholeMatch(of: try! Regex(#"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"#)) != nil
            && Double(value) != nil
    }

    /// Whether `value` is an integer literal that fits an `Int`.
    static func isInteger(_ value: String) -> Bool {
        value.wholeMatch(of: try! Regex(#"-?(0|[1-9][0-9]*)"#)) != nil && Int(value) != nil
    }
}

@Suite("Constraint driver")
struct ConstraintDriverTests {
    @Test("The ChatAdapter parser stand-in splits sections like DSPy")
    func parserMatchesDSPy() {
        let fields = ConstraintDriver.parseChatAdapter(
            "junk\n[[ ## a ## ]]\n  x\ny \n\n  [[ ## b ## ]] tail\n[[ ## a ## ]]\nlater\n[[ ## completed ## ]]")
        #expect(fields["a"] == "x\ny")
        #expect(fields["b"] == "tail")
        #expect(fields["completed"] == "")
    }

    @Test("Random logits pass through apply(to:) only on allowed tokens")
    func applyMasksLogits() throws {
        let vocabulary = try ConstraintFixtures.vocabulary()
        let constraint = try OutputConstraint(segments: [.integer, .literal("\n")], vocabulary: vocabulary)
        var decoder = ConstrainedDecoder(constraint)
        var rng = SeededGenerator(seed: 7)
        var logits = (0..<vocabulary.count).map { _ in Float.random(in: -1...1, using: &rng) }
        decoder.apply(to: &logits)
        var mask = TokenMask(count: vocabulary.count)
        decoder.allowedTokens(into: &mask)
        for (id, logit) in logits.enumerated() {
            #expect((logit > -.infinity) == mask.contains(Int32(id)))
        }
        // An integer starts with a digit or a minus sign: single-byte tokens here.
        let starts = mask.allowedTokens.map { String(decoding: vocabulary.tokenBytes[Int($0)], as: UTF8.self) }
        #expect(Set(starts).isSuperset(of: ["0", "1", "9", "-"]))
        #expect(starts.allSatisfy { $0.first.map { "-0123456789".contains($0) } ?? false })
    }
}
