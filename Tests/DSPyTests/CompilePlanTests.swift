import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyTestSupport
import Foundation
import Testing

/// Counts one token per character of every message: additive over messages, like a chat template's
/// special tokens make a real tokenizer.
private struct CharacterCounter: PromptTokenCounter {
    func promptTokens(_ messages: [DSPy.ChatMessage]) throws -> Int { messages.reduce(0) { $0 + $1.content.count } }
    func textTokens(_ text: String) throws -> Int { text.count }
}

/// The default model's own tokenizer and chat template.
private struct ModelCounter: PromptTokenCounter {
    let model: TextModel
    func promptTokens(_ messages: [DSPy.ChatMessage]) throws -> Int {
        try model.encodeChat(messages.map {
            DSPyEngine.ChatMessage(role: DSPyEngine.ChatMessage.Role(rawValue: $0.role.rawValue) ?? .user, content: $0.content)
        }).count
    }
    func textTokens(_ text: String) throws -> Int { model.tokenizer.encode(text, parseSpecial: false, addSpecial: false).count }
}

/// What a call log saw: the calls, and their prompts counted with `counter`.
private func spent(_ log: MemoryCallLog, _ counter: some PromptTokenCounter) throws -> (calls: Int, tokens: Int) {
    (log.records.count, try log.records.reduce(0) { $0 + (try counter.promptTokens($1.request.messages)) })
}

private func within(_ value: Int, _ figure: PlanFigure) -> Bool { figure.low <= value && value <= figure.high }

@Suite("Compile plans: no LM call, and the real run inside the planned figures")
struct CompilePlanTests {
    let train = qaExamples((0..<8).map { ("q\($0)", "a\($0)") })
    let context = PlanContext(counter: CharacterCounter(), maxTokens: 64, reportsChoiceScores: false)

    @Test("planning bootstrap, labeled and random search makes no LM call")
    func noCalls() async throws {
        let lm = lookupLM((0..<8).map { ("q\($0)", "a\($0)") })
        let log = MemoryCallLog()
        let optimizers: [any Optimizer] = [
            BootstrapFewShot(metric: .exactMatch()), LabeledFewShot(k: 4),
            BootstrapFewShotWithRandomSearch(metric: .exactMatch(), numCandidatePrograms: 2),
        ]
        try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) {
            for optimizer in optimizers {
                let plan = try #require(try optimizer.planIfSupported(SimpleModule("question -> answer"), trainset: train,
                                                                     valset: nil, context: context))
                #expect(!plan.phases.isEmpty)
            }
        }
        #expect(lm.callCount == 0)
        #expect(log.records.isEmpty)
    }

    @Test("an optimizer without a planner says so instead of guessing")
    func unplanned() throws {
        let copro = COPRO(metric: .exactMatch())
        #expect(try copro.planIfSupported(SimpleModule("question -> answer"), trainset: train, valset: nil, context: context) == nil)
        let plan = try CompilePlan.make(SimpleModule("question -> answer"), optimizer: copro, trainset: train, devset: train,
                                        context: context)
        #expect(plan.phases.map(\.name) == ["baseline evaluation"])
        #expect(plan.unplanned?.hasPrefix("optimizer 'copro' has no planner") == true)
    }

    @Test("a labeled compile's evaluation is planned exactly: calls and prompt tokens equal the run's")
    func labeledExact() async throws {
        let program = SimpleModule("question -> answer")
        let labeled = LabeledFewShot(k: 3)
        let plan = try #require(try labeled.planIfSupported(program, trainset: train, valset: nil, context: context))
        let phase = try PromptPlanner(program, context: context).evaluation(
            "compiled evaluation", devset: train, exact: plan.exactResult, maxDemos: plan.maxResultDemos, demoPool: train)
        #expect(phase.calls.isExact && phase.promptTokens.isExact)
        let log = MemoryCallLog()
        let compiled = try await labeled.compile(program, trainset: train)
        _ = try await DSPySettings.with(DSPySettings(lm: lookupLM((0..<8).map { ("q\($0)", "a\($0)") }), callLog: log)) {
            try await Evaluate(devset: train, metric: .exactMatch())(compiled.program)
        }
        let actual = try spent(log, CharacterCounter())
        #expect(actual.calls == phase.calls.high)
        #expect(actual.tokens == phase.promptTokens.high)
    }

    @Test("stratified bootstrap with calibration stays inside its plan, phase ranges summed")
    func bootstrapWithinPlan() async throws {
        let program = SimpleModule("text -> sentiment: Literal['positive', 'negative']")
        let bootstrap = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 4, maxLabeledDemos: 4)
        let plan = try #require(try bootstrap.planIfSupported(program, trainset: sentimentTrain, valset: nil, context: context))
        #expect(plan.phases.map(\.name) == ["teacher calibration", "bootstrap (teacher runs)", "student calibration"])
        let log = MemoryCallLog()
        _ = try await DSPySettings.with(DSPySettings(lm: sentimentLM(), callLog: log)) {
            try await bootstrap.compile(program, trainset: sentimentTrain)
        }
        let total = CompilePlan(optimizer: "bootstrap", phases: plan.phases)
        let actual = try spent(log, CharacterCounter())
        #expect(within(actual.calls, total.calls), "\(actual) vs \(total.calls)")
        #expect(within(actual.tokens, total.promptTokens), "\(actual) vs \(total.promptTokens)")
    }

    @Test("random search stays inside its plan")
    func randomSearchWithinPlan() async throws {
        let program = SimpleModule("question -> answer")
        let search = BootstrapFewShotWithRandomSearch(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 4,
                                                      numCandidatePrograms: 2)
        let plan = try #require(try search.planIfSupported(program, trainset: train, valset: nil, context: context))
        let log = MemoryCallLog()
        let lm = DummyLM([DummyLM.Answer](repeating: .fields(["answer": "wrong"]), count: 500), followExamples: true)
        _ = try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) { try await search.compile(program, trainset: train) }
        let total = CompilePlan(optimizer: "random-search", phases: plan.phases)
        let actual = try spent(log, CharacterCounter())
        #expect(within(actual.calls, total.calls), "\(actual) vs \(total.calls)")
        #expect(within(actual.tokens, total.promptTokens), "\(actual) vs \(total.promptTokens)")
    }

    @Test("with the default model, exact figures equal the engine's prompt tokens and the compile stays in range")
    func realModel() async throws {
        let model = try RealModel.model()
        let lm = try RealModel.lm()
        let context = PlanContext(counter: ModelCounter(model: model), maxTokens: lm.defaultParameters.maxTokens ?? 512)
        let program = SimpleModule("text -> sentiment: Literal['positive', 'negative']")
        let planner = try PromptPlanner(program, context: context)
        let baseline = try planner.exactRuns("baseline", sentimentTrain, demos: [], note: "")
        let (_, baselineUsage) = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await UsageTracker.measure {
                try await Evaluate(devset: sentimentTrain, metric: .exactMatch(), maxConcurrency: 2)(program)
            }
        }
        #expect(baselineUsage.promptTokens == baseline.promptTokens.high, "the engine counts what the plan counted")

        let bootstrap = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 2, maxConcurrency: 2)
        let plan = try #require(try bootstrap.planIfSupported(program, trainset: sentimentTrain, valset: nil, context: context))
        let teacherCalibration = try #require(plan.phases.first)
        #expect(teacherCalibration.name == "teacher calibration" && teacherCalibration.promptTokens.isExact)
        let log = MemoryCallLog()
        let (_, usage) = try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) {
            try await UsageTracker.measure { try await bootstrap.compile(program, trainset: sentimentTrain) }
        }
        let total = CompilePlan(optimizer: "bootstrap", phases: plan.phases)
        #expect(within(log.records.count, total.calls), "\(log.records.count) calls vs \(total.calls)")
        #expect(within(usage.promptTokens, total.promptTokens), "\(usage.promptTokens) tokens vs \(total.promptTokens)")
        // The teacher's calibration runs first, once per example: the first calls are exactly that phase.
        let firstCalls = log.records.prefix(sentimentTrain.count).reduce(0) { $0 + $1.usage.promptTokens }
        #expect(firstCalls == teacherCalibration.promptTokens.high)
    }
}
