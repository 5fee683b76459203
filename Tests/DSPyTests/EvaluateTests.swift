import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// A model that always fails.
final class FailingLM: LanguageModel, @unchecked Sendable {
    let modelIdentifier = "failing"
    func complete(_ request: LMRequest) async throws -> LMResponse { throw DSPyError.languageModel("boom") }
}

func qaExamples(_ pairs: [(String, String)]) -> [Example] {
    pairs.map { Example(["question": .string($0.0), "answer": .string($0.1)]).withInputs("question") }
}

/// A DummyLM answering `answer` by the question it finds in the final message.
func lookupLM(_ table: [(String, String)], field: String = "answer") -> DummyLM {
    DummyLM(lookup: table.map { ("[[ ## question ## ]]\n\($0.0)\n", DummyLM.Answer.fields([field: .string($0.1)])) })
}

@Suite("PythonRandom reproduces CPython's random module")
struct PythonRandomTests {
    @Test("random, getrandbits and randint match CPython 3 for seed 0")
    func basics() {
        var r = PythonRandom(seed: 0)
        #expect(r.random() == 0.8444218515250481)
        #expect(r.getrandbits(40) == 978_212_965_548)
        #expect(r.randint(1, 4) == 4)
        var big = PythonRandom(seed: 1 << 40 + 5)
        #expect(big.random() == 0.5043802970418443)
    }

    @Test("sample and shuffle match CPython, including the set-based sample path")
    func sampleShuffle() {
        var r = PythonRandom(seed: 0)
        #expect(r.sample(Array(0..<10), 3) == [6, 9, 0])
        var l = Array(0..<10)
        r.shuffle(&l)
        #expect(l == [1, 0, 9, 5, 6, 2, 3, 7, 8, 4])
        var s = PythonRandom(seed: 7)
        #expect(s.sample(Array(0..<200), 30) == [82, 38, 101, 166, 12, 18, 137, 24, 93, 149, 14, 129, 54, 9, 22, 111,
                                                  107, 17, 61, 23, 141, 108, 15, 144, 31, 57, 161, 160, 190, 177])
    }
}

@Suite("Metrics follow DSPy's normalize_text, EM and F1")
struct MetricTests {
    @Test("normalize_text drops case, ASCII punctuation and articles")
    func normalize() {
        #expect(normalizedForMetric("The  Answer, is: A cat!") == "answer is cat")
        #expect(normalizedForMetric("Positive.") == "positive")
    }

    @Test("token F1 is DSPy's f1_score")
    func f1() {
        #expect(tokenF1("the cat sat", "a cat sat down") == 2 * (1.0 * (2.0 / 3)) / (1 + 2.0 / 3))
        #expect(tokenF1("dog", "cat") == 0)
    }

    @Test("built-in metrics by name; unknown names list the known ones")
    func named() async throws {
        let ex = Example(["question": "q", "answer": "Paris"]).withInputs("question")
        #expect(try await Metric.named("exact-match")(ex, Prediction(["answer": "paris."])) == 1)
        #expect(try await Metric.named("contains")(ex, Prediction(["answer": "It is Paris, France"])) == 1)
        #expect(try await Metric.named("prefix")(ex, Prediction(["answer": "Paris, France"])) == 1)
        #expect(try await Metric.named("prefix")(ex, Prediction(["answer": "In Paris"])) == 0)
        #expect(throws: OptimizerError.unknownMetric("bleu", known: Metric.builtInNames)) { try Metric.named("bleu") }
    }
}

@Suite("Evaluate scores, rounds, counts failures and label distribution")
struct EvaluateTests {
    let dev = qaExamples([("q1", "a"), ("q2", "b"), ("q3", "c")])

    @Test("all correct gives 100.0, all wrong 0.0")
    func extremes() async throws {
        let program = try Predict("question -> answer")
        let right = lookupLM([("q1", "a"), ("q2", "b"), ("q3", "c")])
        let wrong = lookupLM([("q1", "x"), ("q2", "x"), ("q3", "x")])
        let evaluate = Evaluate(devset: dev, metric: .exactMatch())
        let r1 = try await DSPySettings.with(DSPySettings(lm: right)) { try await evaluate(program) }
        #expect(r1.score == 100.0)
        #expect(r1.summary == "Average Metric: 3.00 / 3 (100.0%)")
        #expect("\(r1)" == "EvaluationResult(score=100.0, results=<list of 3 results>)")
        let r0 = try await DSPySettings.with(DSPySettings(lm: wrong)) { try await evaluate(program) }
        #expect(r0.score == 0.0)
        #expect(r0.labelDistribution.map(\.label) == ["x"])
        #expect(r0.distributionLine.contains("every prediction is the same"))
    }

    @Test("the score is round(100 * sum / n, 2), failures count in the denominator")
    func roundingAndFailures() async throws {
        let program = try Predict("question -> answer")
        // q3 gets an unparseable answer twice (ChatAdapter, then JSON fallback): a program error.
        let lm = DummyLM(lookup: [
            ("[[ ## question ## ]]\nq1\n", .fields(["answer": "a"])),
            ("[[ ## question ## ]]\nq2\n", .fields(["answer": "b"])),
            ("", .text("garbage")),
        ])
        let evaluate = Evaluate(devset: dev, metric: .exactMatch(), maxConcurrency: 1, failureScore: 0)
        let r = try await DSPySettings.with(DSPySettings(lm: lm)) { try await evaluate(program) }
        #expect(r.score == 66.67)
        #expect(r.errorCount == 1)
        #expect(r.rows[2].error?.contains("failed to parse") == true)
        #expect(r.labelDistribution.first { $0.label == "<error>" }?.count == 1)
        #expect(r.table().contains("✗ error"))
    }

    @Test("reaching maxErrors cancels with DSPy's message")
    func maxErrors() async throws {
        let program = try Predict("question -> answer")
        let evaluate = Evaluate(devset: dev, metric: .exactMatch(), maxErrors: 2)
        await #expect {
            try await DSPySettings.with(DSPySettings(lm: FailingLM())) { try await evaluate(program) }
        } throws: { error in
            guard case OptimizerError.tooManyErrors(let count, _) = error else { return false }
            return count == 2 && "\(error)".hasPrefix("Execution cancelled due to errors or interruption")
        }
    }

    @Test("a metric that throws is an error for that example, with its name")
    func metricThrows() async throws {
        let program = try Predict("question -> answer")
        let lm = lookupLM([("q1", "a"), ("q2", "b"), ("q3", "c")])
        struct Bad: Error {}
        let metric = Metric("picky") { ex, _, _ in
            if ex["question"] == "q2" { throw Bad() }
            return 1
        }
        let r = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await Evaluate(devset: dev, metric: metric, failureScore: 0)(program)
        }
        #expect(r.errorCount == 1)
        #expect(r.rows[1].error?.hasPrefix("metric `picky` failed") == true)
        #expect(r.score == 66.67)
    }

    @Test("progress lines are written when not on a terminal")
    func progress() async throws {
        let program = try Predict("question -> answer")
        let lm = lookupLM([("q1", "a"), ("q2", "b"), ("q3", "c")])
        let lines = LockedLines()
        let evaluate = Evaluate(devset: dev, metric: .exactMatch(), displayProgress: true,
                                progressOutput: { lines.append($0) })
        _ = try await DSPySettings.with(DSPySettings(lm: lm)) { try await evaluate(program) }
        #expect(lines.all.last?.contains("Average Metric: 3.00 / 3 (100.0%)") == true)
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.withLock { lines.append(s) } }
    var all: [String] { lock.withLock { lines } }
}
