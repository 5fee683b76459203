import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

@Suite("Sequences, batching and prefix reuse")
struct SequenceTests {
    static let capital: [Int32] = [504, 3575, 282, 4649, 314]
    static let other: [Int32] = [504, 1797, 1918, 553, 253, 2155, 282]

    static func maxDifference(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    @Test("Decoding several sequences in one batch matches decoding them one by one")
    func batchedDecodingMatchesSingle() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        let a = await engine.makeSequence(), b = await engine.makeSequence()
        _ = try await engine.evaluate(Self.capital, in: a)
        _ = try await engine.evaluate(Self.other, in: b)
        let a2 = try await engine.forkSequence(a), b2 = try await engine.forkSequence(b)

        let batched = try await engine.evaluate([
            EvaluationRequest(sequence: a, tokens: [7042]),
            EvaluationRequest(sequence: b, tokens: [2155]),
        ])
        let singleA = try await engine.evaluate([7042], in: a2)
        let singleB = try await engine.evaluate([2155], in: b2)
        #expect(Self.maxDifference(try #require(batched[0].logits.last), try #require(singleA.logits.last)) < 1e-4)
        #expect(Self.maxDifference(try #require(batched[1].logits.last), try #require(singleB.logits.last)) < 1e-4)
        #expect(batched[0].sequenceLength == 6 && batched[1].sequenceLength == 8)
    }

    @Test("A forked prefix continues exactly like recomputing the whole prompt")
    func forkedPrefixMatchesRecomputation() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        let whole = await engine.makeSequence()
        let full = try await engine.evaluate(Self.capital, in: whole)

        let prefix = await engine.makeSequence()
        _ = try await engine.evaluate(Array(Self.capital.prefix(3)), in: prefix)
        let fork = try await engine.forkSequence(prefix)
        let suffix = try await engine.evaluate(Array(Self.capital.suffix(2)), in: fork)
        #expect(Self.maxDifference(try #require(full.logits.last), try #require(suffix.logits.last)) < 1e-4)
        #expect(try await engine.length(of: prefix) == 3)
        #expect(try await engine.length(of: fork) == 5)
    }

    @Test("Truncating a sequence and evaluating again reproduces the logits")
    func truncateAndRecompute() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        let sequence = await engine.makeSequence()
        let first = try await engine.evaluate(Self.capital, in: sequence)
        try await engine.truncate(sequence, to: 4)
        let again = try await engine.evaluate([Self.capital[4]], in: sequence)
        #expect(Self.maxDifference(try #require(first.logits.last), try #require(again.logits.last)) < 1e-4)
    }

    @Test("All logits, chosen indices and hidden states come back with the right shapes")
    func outputSelections() async throws {
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel)
        let sequence = await engine.makeSequence()
        let all = try await engine.evaluate(Self.capital, in: sequence, logits: .all, hiddenStates: true)
        #expect(all.logits.count == 5 && all.logits.width == 49152)
        #expect(all.hiddenStates?.count == 5 && all.hiddenStates?.width == 576)
        let other = await engine.makeSequence()
        let some = try await engine.evaluate(Self.capital, in: other, logits: .indices([1, 4]))
        #expect(some.logits.indices == [1, 4])
        #expect(Self.maxDifference(try #require(some.logits.row(forToken: 1)), all.logits[1]) < 1e-4)
        let none = try await engine.evaluate([7042], in: other, logits: .none)
        #expect(none.logits.count == 0 && none.sequenceLength == 6)
    }
}
