@testable import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// DSPy's `SimpleModule`: one predictor.
final class SimpleModule: Program, @unchecked Sendable {
    let predictor: Predict
    init(_ signature: String) { predictor = try! Predict(signature) }
    private init(predictor: Predict) { self.predictor = predictor }
    func forward(_ inputs: JSONObject) async throws -> Prediction { try await predictor(inputs) }
    func deepCopy() -> SimpleModule { SimpleModule(predictor: predictor.deepCopy()) }
}

/// Eight tweets; the first four are positive, so walking in order bootstraps only positives.
let sentimentTrain: [Example] = [
    ("good day", "positive"), ("good food", "positive"), ("good news", "positive"), ("good song", "positive"),
    ("bad day", "negative"), ("bad food", "negative"), ("bad news", "negative"), ("bad song", "negative"),
].map { Example(["text": .string($0.0), "sentiment": .string($0.1)]).withInputs("text") }

/// Answers sentiment correctly from the word in the final message.
func sentimentLM() -> DummyLM {
    DummyLM(lookup: [
        ("[[ ## text ## ]]\ngood", .fields(["sentiment": "positive"])),
        ("[[ ## text ## ]]\nbad", .fields(["sentiment": "negative"])),
    ])
}

@Suite("BootstrapFewShot and LabeledFewShot")
struct OptimizerBootstrapTests {
    let train = qaExamples((0..<8).map { ("q\($0)", "a\($0)") })

    @Test("DSPy mode: 8 examples, 2 bootstrapped + 4 max → 2 LM calls, demos q0, q1 (augmented), q2, q5")
    func dspyPinned() async throws {
        let lm = lookupLM((0..<8).map { ("q\($0)", "a\($0)") })
        let optimizer = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 4, mode: .dspy)
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await optimizer.compile(SimpleModule("question -> answer"), trainset: train)
        }
        #expect(lm.callCount == 2)
        #expect(compiled.report.lmCalls == 2)
        let demos = compiled.program.predictors()[0].demos
        #expect(demos.map { $0["question"]?.stringValue } == ["q0", "q1", "q2", "q5"])
        #expect(demos.map { $0["augmented"] } == [true, true, nil, nil])
        #expect(demos[0] == Example(["augmented": true, "question": "q0", "answer": "a0"]))
        #expect(compiled.report.demos.first! == ("predictor", 4, 2))
        // The teacher's prompts carried LabeledFewShot's Random(0) demos minus the example itself.
        let firstPrompt = lm.history[0].messages.map(\.content).joined()
        #expect(firstPrompt.contains("q6") && firstPrompt.contains("q7") && firstPrompt.contains("q3"))
        #expect(!firstPrompt.contains("[[ ## answer ## ]]\na0"))
    }

    @Test("DSPy mode: one example, follow_examples → 1 demo equal to it, compiled program reproduces the answer")
    func singleExample() async throws {
        let one = qaExamples([("What is the color of the sky?", "blue")])
        let lm = DummyLM([["answer": "blue"], ["answer": "Ring-ding-ding-ding-dingeringeding!"]], followExamples: true)
        let optimizer = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 1, maxLabeledDemos: 1, mode: .dspy)
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await optimizer.compile(SimpleModule("question -> answer"), trainset: one)
        }
        let demos = compiled.program.predictors()[0].demos
        #expect(demos.count == 1)
        #expect(demos[0]["question"] == one[0]["question"] && demos[0]["answer"] == "blue")
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await compiled.program(example: one[0]) }
        #expect(p["answer"] == "blue")
    }

    @Test("DSPy mode walks in order and keeps one label; the stratified default balances labels")
    func stratifiedBalances() async throws {
        let dspy = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 4, maxLabeledDemos: 4, mode: .dspy)
        let lm1 = sentimentLM()
        let a = try await DSPySettings.with(DSPySettings(lm: lm1)) {
            try await dspy.compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
        }
        #expect(Set(a.program.predictors()[0].demos.map { $0["sentiment"] }) == ["positive"])

        let stratified = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 4, maxLabeledDemos: 4, seed: 3)
        let lm2 = sentimentLM()
        let b = try await DSPySettings.with(DSPySettings(lm: lm2)) {
            try await stratified.compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
        }
        let demos = b.program.predictors()[0].demos
        #expect(demos.count == 4)
        #expect(demos.filter { $0["sentiment"] == "positive" }.count == 2)
        #expect(demos.filter { $0["augmented"] == true }.count == 4)
        // Interleaved: no two neighbours share a label.
        #expect(zip(demos, demos.dropFirst()).allSatisfy { $0["sentiment"] != $1["sentiment"] })
        #expect(b.report.lmCalls == 4)
    }

    @Test("stratified fill adds the labels a biased model could not bootstrap")
    func stratifiedFill() async throws {
        let biased = DummyLM(lookup: [("", .fields(["sentiment": "positive"]))])
        let optimizer = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 4, maxLabeledDemos: 4)
        let c = try await DSPySettings.with(DSPySettings(lm: biased)) {
            try await optimizer.compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
        }
        let demos = c.program.predictors()[0].demos
        #expect(demos.filter { $0["sentiment"] == "negative" }.count == 2)
        #expect(demos.filter { $0["sentiment"] == "positive" }.count == 2)
    }

    @Test("the same seed, data and model give the same compiled state")
    func determinism() async throws {
        func compile(seed: Int) async throws -> JSONValue {
            let optimizer = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 6, seed: seed)
            return try await DSPySettings.with(DSPySettings(lm: sentimentLM())) {
                try await optimizer.compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
            }.program.dumpState()
        }
        let first = try await compile(seed: 5)
        #expect(try await compile(seed: 5) == first)
        var others: Set<JSONValue> = []
        for s in 0..<4 { others.insert(try await compile(seed: s)) }
        #expect(others.count > 1)
    }

    @Test("a teacher that errors re-raises at maxErrors; below it, errors are counted")
    func maxErrors() async throws {
        let strict = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 1, maxLabeledDemos: 1, maxErrors: 1, mode: .dspy)
        await #expect(throws: DSPyError.languageModel("boom")) {
            try await DSPySettings.with(DSPySettings(lm: FailingLM())) {
                try await strict.compile(SimpleModule("question -> answer"), trainset: train)
            }
        }
        let lenient = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 1, maxLabeledDemos: 2, maxErrors: 100, mode: .dspy)
        let c = try await DSPySettings.with(DSPySettings(lm: FailingLM())) {
            try await lenient.compile(SimpleModule("question -> answer"), trainset: train)
        }
        #expect(c.report.errors == 8)
        #expect(c.program.predictors()[0].demos.count == 2)
    }

    @Test("a metric that throws counts as an error while bootstrapping")
    func metricThrows() async throws {
        struct Bad: Error {}
        let metric = Metric("throws") { _, _, _ in throw Bad() }
        let optimizer = BootstrapFewShot(metric: metric, maxBootstrappedDemos: 2, maxLabeledDemos: 2, maxErrors: 2, mode: .dspy)
        await #expect(throws: MetricError.self) {
            try await DSPySettings.with(DSPySettings(lm: lookupLM((0..<8).map { ("q\($0)", "a\($0)") }))) {
                try await optimizer.compile(SimpleModule("question -> answer"), trainset: train)
            }
        }
    }

    @Test("metricThreshold and later rounds at temperature 1.0 with rollout ids")
    func roundsAndThreshold() async throws {
        let lm = DummyLM(lookup: [("", .fields(["answer": "wrong"]))])
        let optimizer = BootstrapFewShot(metric: .exactMatch(), metricThreshold: 0.5, maxBootstrappedDemos: 1,
                                         maxLabeledDemos: 0, maxRounds: 3, mode: .dspy)
        _ = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await optimizer.compile(SimpleModule("question -> answer"), trainset: Array(train.prefix(1)))
        }
        #expect(lm.history.map(\.parameters.rolloutID) == [nil, 1, 2])
        #expect(lm.history.map(\.parameters.temperature) == [nil, 1.0, 1.0])
    }

    @Test("LabeledFewShot in DSPy mode shares one Random(0) across predictors; no LM calls")
    func labeled() async throws {
        let compiled = try await LabeledFewShot(k: 4, mode: .dspy).compile(TwoStep(), trainset: train)
        let names = compiled.program.namedPredictors()
        #expect(names[0].predictor.demos.map { $0["question"]?.stringValue } == ["q6", "q7", "q3", "q0"])
        #expect(names[1].predictor.demos.count == 4)
        #expect(names[1].predictor.demos != names[0].predictor.demos)
        #expect(compiled.report.lmCalls == 0)
    }
}

/// Reports biased choice scores as the embedded engine does: `positive` always wins unless calibrated.
final class BiasedScoringLM: LanguageModel, @unchecked Sendable {
    let modelIdentifier = "biased-scoring"
    func complete(_ request: LMRequest) async throws -> LMResponse {
        let last = request.messages.last?.content ?? ""
        let negative = last.contains("[[ ## text ## ]]\nbad") ? -0.7 : -1.2
        let metadata: JSONObject = ["choice_scores": [[
            "field": "sentiment", "values": ["positive", "negative"], "logprobs": [-0.5, .double(negative)],
            "offsets": [0.0, 0.0], "chosen": "positive",
        ]]]
        return LMResponse(completions: [LMCompletion(text: "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]")],
                          metadata: metadata)
    }
}

/// Scores choices the way BiasedScoringLM does, but only with demos in the prompt or only without.
final class DemoSensitiveScoringLM: LanguageModel, @unchecked Sendable {
    let modelIdentifier = "demo-sensitive-scoring"
    let informativeWithDemos: Bool
    init(informativeWithDemos: Bool) { self.informativeWithDemos = informativeWithDemos }

    func complete(_ request: LMRequest) async throws -> LMResponse {
        let hasDemos = request.messages.count > 2  // system + the input, plus a user/assistant pair per demo
        let bad = request.messages.last?.content.contains("[[ ## text ## ]]\nbad") ?? false
        let negative = hasDemos == informativeWithDemos ? (bad ? -0.7 : -1.2) : -1.0
        let metadata: JSONObject = ["choice_scores": [[
            "field": "sentiment", "values": ["positive", "negative"], "logprobs": [-0.5, .double(negative)],
            "offsets": [0.0, 0.0], "chosen": "positive",
        ]]]
        return LMResponse(completions: [LMCompletion(text: "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]")],
                          metadata: metadata)
    }
}

@Suite("Choice calibration")
struct ChoiceCalibrationTests {
    @Test("the stratified default keeps demos only if they beat calibrated zero-shot on held-out training examples")
    func comparesWithZeroShot() async throws {
        for demosHelp in [false, true] {
            let compiled = try await DSPySettings.with(DSPySettings(lm: DemoSensitiveScoringLM(informativeWithDemos: demosHelp))) {
                try await BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 2)
                    .compile(SimpleModule("text -> sentiment: Literal['positive', 'negative']"), trainset: sentimentTrain)
            }
            let predictor = try #require(compiled.program.predictors().first)
            #expect(predictor.demos.count == (demosHelp ? 2 : 0), "\(compiled.report.notes)")
            #expect(predictor.signature.outputs[0].choiceOffsets != nil)
            let verdict = try #require(compiled.report.notes.last)
            #expect(verdict.contains("calibrated on the 6 training examples not used as demos"), "\(verdict)")
            #expect(verdict.hasSuffix(demosHelp ? "keeping the demos" : "keeping zero-shot"), "\(verdict)")
        }
    }

    @Test("demos win only with more right answers and a higher gold log-probability")
    func demosMustWinOnBothMeasures() {
        func summary(_ correct: Int, _ meanLogProbability: Double) -> ChoiceCalibration.Summary {
            var s = ChoiceCalibration.Summary()
            s.correct = correct
            s.scored = 96
            s.goldLogProbability = meanLogProbability * 96
            return s
        }
        let zeroShot = summary(62, -0.607)
        #expect(BootstrapFewShot.demosWin(summary(70, -0.550), over: zeroShot))
        #expect(!BootstrapFewShot.demosWin(summary(66, -0.659), over: zeroShot))  // sentiment, seed 0
        #expect(!BootstrapFewShot.demosWin(summary(62, -0.550), over: zeroShot))  // a tie in accuracy
        #expect(!BootstrapFewShot.demosWin(summary(58, -0.600), over: zeroShot))
    }

    @Test("offsets learned from reported choice scores fix a one-label bias")
    func calibrates() async throws {
        let program = SimpleModule("text -> sentiment: Literal['positive', 'negative']")
        let notes = try await DSPySettings.with(DSPySettings(lm: BiasedScoringLM())) {
            try await ChoiceCalibration().calibrate(program, trainset: sentimentTrain)
        }
        #expect(notes.count == 1)
        #expect(notes[0].contains("training accuracy 4/8 → 8/8 (prior)"))
        let offsets = try #require(program.predictor.signature.outputs[0].choiceOffsets)
        // positive − offset(positive) < negative − offset(negative) for "bad" inputs only.
        #expect(-0.5 - offsets["positive"]! < -0.7 - offsets["negative"]!)
        #expect(-0.5 - offsets["positive"]! > -1.2 - offsets["negative"]!)
    }

    @Test("the label-prior objective predicts each label as often as the training set has it")
    func labelPriorObjective() {
        // Three choices; the model prefers choice 0 by 2 nats for everything, plus a weak signal.
        var data: [(logprobs: [Double], gold: Int)] = []
        for i in 0..<30 {
            let gold = i % 3
            var logprobs = [-1.0, -3.0, -3.0]
            logprobs[gold] += 0.5 + Double(i % 7) * 0.1
            if i % 5 == 0 { logprobs[(gold + 1) % 3] += 1.5 }  // some noise
            data.append((logprobs, gold))
        }
        let (offsets, before, after) = ChoiceCalibration.fit(data, choices: 3, objective: .labelPrior)
        var counts = [0, 0, 0]
        for d in data { counts[ChoiceCalibration.decide(d.logprobs, offsets: offsets)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10) <= 1 })
        #expect(after > before)
        #expect(abs(offsets.reduce(0, +)) < 1e-9)
    }

    @Test("for two choices the label prior is the threshold at the gold share's quantile")
    func twoChoiceQuantile() {
        // Differences 0…9; 3 of 10 examples are gold choice 0.
        let data: [(logprobs: [Double], gold: Int)] = (0..<10).map { i in ([Double(i), 0.0], i >= 7 ? 0 : 1) }
        let (offsets, _, after) = ChoiceCalibration.fit(data, choices: 2, objective: .labelPrior)
        let predictedFirst = data.filter { ChoiceCalibration.decide($0.logprobs, offsets: offsets) == 0 }.count
        #expect(predictedFirst == 3)
        #expect(after == 10)
    }

    @Test("the accuracy objective never scores below the uncalibrated training accuracy")
    func accuracyObjective() {
        let data: [(logprobs: [Double], gold: Int)] = (0..<12).map { i in
            let gold = (i * 7) % 3 == 0 ? 0 : 1
            return ([Double(i % 5), 2.0], gold)
        }
        let (_, before, after) = ChoiceCalibration.fit(data, choices: 2, objective: .accuracy)
        #expect(after >= before)
    }

    @Test("models without choice scores leave the program unchanged after one probe call")
    func noScores() async throws {
        let program = SimpleModule("text -> sentiment: Literal['positive', 'negative']")
        let lm = DummyLM(lookup: [("", .fields(["sentiment": "positive"]))])
        let notes = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await ChoiceCalibration().calibrate(program, trainset: sentimentTrain)
        }
        #expect(notes.isEmpty && lm.callCount == 1)
        #expect(program.predictor.signature.outputs[0].choiceOffsets == nil)
    }
}
