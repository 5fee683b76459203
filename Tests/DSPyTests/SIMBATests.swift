@testable import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// A scripted task and prompt model for SIMBA. Sentiment answers are right when the
/// instructions hold `ADVICE` or the prompt has a demo; otherwise right only on odd rollout ids
/// (so sampled runs of one example disagree) and "negative" else. An OfferFeedback prompt gets
/// advice for `self`. Counts calls.
final class SIMBAScriptLM: LanguageModel, @unchecked Sendable {
    let modelIdentifier = "simba-script"
    private let lock = NSLock()
    private var count = 0
    private var rules = 0
    var calls: Int { lock.withLock { count } }
    var ruleCalls: Int { lock.withLock { rules } }

    func complete(_ request: LMRequest) async throws -> LMResponse {
        let system = request.messages.first?.content ?? ""
        if system.contains("module_advice") {
            lock.withLock { count += 1; rules += 1 }
            return LMResponse(completions: [LMCompletion(text:
                "[[ ## discussion ## ]]\nThe worse run ignored the words.\n\n[[ ## module_advice ## ]]\n"
                + "{\"self\": \"ADVICE: 'good' means positive.\"}\n\n[[ ## completed ## ]]")])
        }
        lock.withLock { count += 1 }
        let user = request.messages.last?.content ?? ""
        let truth = user.contains("good") ? "positive" : "negative"
        let informed = system.contains("ADVICE") || request.messages.count > 2
        let lucky = (request.parameters.rolloutID ?? 0) % 2 == 1
        let label = informed || lucky ? truth : "negative"
        return LMResponse(completions: [LMCompletion(text: "[[ ## sentiment ## ]]\n\(label)\n\n[[ ## completed ## ]]")])
    }
}

private let simbaData: [Example] = (0..<8).map { i in
    Example(["text": .string(i % 2 == 0 ? "good day \(i)" : "bad day \(i)"),
             "sentiment": .string(i % 2 == 0 ? "positive" : "negative")]).withInputs("text")
}

private func compileSIMBA(seed: Int, maxDemos: Int = 4) async throws -> (CompiledProgram, SIMBAScriptLM) {
    let lm = SIMBAScriptLM()
    let simba = SIMBA(metric: .exactMatch(field: "sentiment"), bsize: 4, numCandidates: 3, maxSteps: 2,
                      maxDemos: maxDemos, seed: seed, maxConcurrency: 2)
    let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
        try await simba.compile(try Predict("text -> sentiment"), trainset: simbaData)
    }
    return (compiled, lm)
}

private func fingerprint(_ program: any Program) -> String {
    program.namedPredictors().map { "\($0.name)|\($0.predictor.signature.instructions)|\($0.predictor.demos.map(\.description))" }
        .joined(separator: "\n")
}

@Suite("SIMBA")
struct SIMBATests {
    @Test("The same seed gives the same program, candidates and call count")
    func deterministic() async throws {
        let (a, lmA) = try await compileSIMBA(seed: 3)
        let (b, lmB) = try await compileSIMBA(seed: 3)
        #expect(fingerprint(a.program) == fingerprint(b.program))
        #expect(a.report.candidates.map(\.score) == b.report.candidates.map(\.score))
        #expect(lmA.calls == lmB.calls)
        #expect(a.report.lmCalls == lmA.calls)
    }

    @Test("The returned program is the best finalist on the trainset and beats the baseline here")
    func bestProgramReturned() async throws {
        let (compiled, _) = try await compileSIMBA(seed: 0)
        let baseline = try #require(compiled.candidates.first { $0.label == "baseline" })
        #expect(baseline.score == 50)
        #expect(compiled.candidates.first?.score == compiled.report.bestScore)
        #expect(compiled.candidates.allSatisfy { $0.score <= (compiled.report.bestScore ?? -1) })
        #expect((compiled.report.bestScore ?? 0) == 100)
        let evaluation = try await DSPySettings.with(DSPySettings(lm: SIMBAScriptLM())) {
            try await Evaluate(devset: simbaData, metric: .exactMatch(field: "sentiment"))(compiled.program)
        }
        #expect(evaluation.score == 100)
    }

    @Test("With max_demos 0 only rules are written: the instruction ends with the advice")
    func ruleStrategy() async throws {
        let (compiled, lm) = try await compileSIMBA(seed: 0, maxDemos: 0)
        #expect(lm.ruleCalls > 0)
        let predictor = try #require(compiled.program.namedPredictors().first?.predictor)
        #expect(predictor.demos.isEmpty)
        #expect(predictor.signature.instructions.hasSuffix("\n\nADVICE: 'good' means positive."))
        #expect(predictor.signature.instructions.hasPrefix("Given the fields `text`, produce the fields `sentiment`."))
    }

    @Test("append_a_demo adds the best run's calls as augmented demos, cutting long inputs")
    func demoStrategy() throws {
        let system = try DraftThenClassify()
        let bucket = feedbackBucket(good: 1, bad: 0, info: [[:], [:]])
        #expect(SIMBAStrategies.appendADemo(bucket: bucket, to: system, maxInputLength: 7, p10: 0))
        #expect(system.draft.demos == [Example(["augmented": true, "text": "A great\n\t\t... <TRUNCATED FOR BREVITY>",
                                                 "summary": "A great day."])])
        #expect(system.classify.demos.first?["sentiment"] == "positive")
        // `summary` is an input of classify, so it is cut too; outputs never are.
        #expect(system.classify.demos.first?["summary"] == "A great\n\t\t... <TRUNCATED FOR BREVITY>")
        let skipped = try DraftThenClassify()
        #expect(!SIMBAStrategies.appendADemo(bucket: bucket, to: skipped, maxInputLength: 100, p10: 1))
        #expect(skipped.draft.demos.isEmpty)
    }

    @Test("Pool sampling, choices and percentiles follow Python's random and NumPy")
    func samplingMatchesPython() {
        var pool = SIMBAPool(baseline: SIMBAScriptProgram())
        pool.register(SIMBAScriptProgram(), scores: [1, 0])
        pool.register(SIMBAScriptProgram(), scores: [1, 1])
        pool.register(SIMBAScriptProgram(), scores: [0.5])
        #expect(pool.topKPlusBaseline(2) == [2, 0])
        #expect(pool.topKPlusBaseline(3) == [2, 1, 0])
        var rng = PythonRandom(seed: 0)
        let cold = (0..<10).map { _ in pool.softmaxSample(&rng, pool.topKPlusBaseline(3), temperature: 0.2) }
        let warm = (0..<10).map { _ in pool.softmaxSample(&rng, pool.topKPlusBaseline(3), temperature: 2.0) }
        #expect(cold == Array(repeating: 2, count: 10))
        #expect(warm == [0, 1, 2, 0, 1, 2, 0, 0, 0, 0])
        var r = PythonRandom(seed: 0)
        #expect((0..<12).map { _ in r.choices([3, 5, 7], weights: [0.2, 0.5, 0.3]) } == [7, 7, 5, 5, 5, 5, 7, 5, 5, 5, 7, 5])
        let scores = [0.0, 1.0, 1.0, 0.5, 0.0, 1.0, 0.25]
        #expect(numpyPercentile(scores, 10) == 0.0 && numpyPercentile(scores, 90) == 1.0)
        #expect(numpyPercentile([0.3, 0.7], 90) == 0.6599999999999999)
    }

    @Test("A trainset smaller than bsize and a zero bsize are clear errors")
    func invalidArguments() async throws {
        await #expect(throws: OptimizerError.invalidArgument("SIMBA: trainset too small: 8 < bsize 32")) {
            try await SIMBA(metric: .exactMatch()).compile(try Predict("text -> sentiment"), trainset: simbaData)
        }
        #expect(throws: OptimizerError.invalidSetting(optimizer: "simba", key: "bsize", value: "0", expected: "a positive integer")) {
            try OptimizerRegistry.standard.make(OptimizerChoice("simba", settings: ["bsize": "0"]), context: .init(metric: .exactMatch()))
        }
    }
}

/// A placeholder program for pool tests.
final class SIMBAScriptProgram: Program, @unchecked Sendable {
    func deepCopy() -> SIMBAScriptProgram { SIMBAScriptProgram() }
    func forward(_ inputs: JSONObject) async throws -> Prediction { Prediction() }
}
