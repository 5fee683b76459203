@testable import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// A task model whose accuracy depends on the instruction: `LEVEL2` answers every text right,
/// `LEVEL1` says "positive", anything else "negative". Counts its calls.
final class GEPATaskLM: LanguageModel, @unchecked Sendable {
    let modelIdentifier = "gepa-task"
    private let lock = NSLock()
    private var count = 0
    var calls: Int { lock.withLock { count } }

    func complete(_ request: LMRequest) async throws -> LMResponse {
        lock.withLock { count += 1 }
        let system = request.messages.first?.content ?? ""
        let user = request.messages.last?.content ?? ""
        let positive = user.contains("good")
        let label = system.contains("LEVEL2") ? (positive ? "positive" : "negative")
            : system.contains("LEVEL1") ? "positive" : "negative"
        return LMResponse(completions: [LMCompletion(text: "[[ ## sentiment ## ]]\n\(label)\n\n[[ ## completed ## ]]")])
    }
}

/// A reflection model that proposes from a script (cycled), or by a hash of its prompt; records prompts.
final class GEPAReflectionLM: LanguageModel, @unchecked Sendable {
    let modelIdentifier = "gepa-reflection"
    let proposals: [String]
    let byPrompt: Bool
    private let lock = NSLock()
    private var prompts: [[ChatMessage]] = []
    var received: [[ChatMessage]] { lock.withLock { prompts } }

    init(_ proposals: [String], byPrompt: Bool = false) {
        self.proposals = proposals
        self.byPrompt = byPrompt
    }

    func complete(_ request: LMRequest) async throws -> LMResponse {
        let index: Int = lock.withLock {
            prompts.append(request.messages)
            if byPrompt { return request.messages.map(\.content).joined().unicodeScalars.reduce(0) { ($0 &* 31 &+ Int($1.value)) & 0xFFFF } }
            return prompts.count - 1
        }
        let text = proposals[index % proposals.count]
        return LMResponse(completions: [LMCompletion(text: "{\"new_instruction\": \"\(text)\"}")])
    }
}

private let gepaData: [Example] = (0..<12).map { i in
    Example(["text": .string(i % 2 == 0 ? "good day \(i)" : "bad day \(i)"),
             "sentiment": .string(i % 2 == 0 ? "positive" : "negative")]).withInputs("text")
}

private func compileGEPA(_ gepa: GEPA, task: GEPATaskLM) async throws -> CompiledProgram {
    try await DSPySettings.with(DSPySettings(lm: task)) {
        try await gepa.compile(SimpleModule("text -> sentiment"), trainset: Array(gepaData.prefix(6)), valset: Array(gepaData.suffix(6)))
    }
}

@Suite("GEPA")
struct GEPATests {
    @Test("The reflection prompt is byte-equal to DSPy 3.4.1's for fixed reflective datasets")
    func reflectionPromptMatchesDSPy() throws {
        let cases = try GoldenFixtures.cases("gepa_reflection.json")
        #expect(cases.count == 2)
        for c in cases {
            let records = c["records"]?.arrayValue ?? []
            let messages = GEPAReflection.messages(currentInstruction: c["instruction"]?.stringValue ?? "", records: records)
            let expected = c["messages"]?.arrayValue ?? []
            #expect(messages.count == expected.count)
            for (m, e) in zip(messages, expected) {
                #expect(m.role.rawValue == e["role"]?.stringValue)
                #expect(m.content == e["content"]?.stringValue, "case \(c["name"]?.stringValue ?? "?")")
            }
        }
    }

    @Test("The proposer sends DSPy's prompt and strips the new instruction")
    func proposerParses() async throws {
        let c = try GoldenFixtures.named("gepa_reflection.json", "sentiment-two-records")
        let lm = GEPAReflectionLM(["  Say the label.  "])
        let text = try await GEPAReflection.propose(
            currentInstruction: c["instruction"]?.stringValue ?? "", records: c["records"]?.arrayValue ?? [], lm: lm)
        #expect(text == c["new_instruction"]?.stringValue)
        #expect(lm.received.first?.last?.content == c["messages"]?.arrayValue?.last?["content"]?.stringValue)
    }

    @Test("auto budgets equal DSPy's auto_budget")
    func autoBudgets() throws {
        let text = try String(contentsOf: GoldenFixtures.directory.appendingPathComponent("gepa_reflection.json"), encoding: .utf8)
        let budgets = try JSONValue.parse(text)["budgets"]?.arrayValue ?? []
        #expect(budgets.count == 15)
        for b in budgets {
            let level = try #require(GEPABudget(rawValue: b["auto"]?.stringValue ?? ""))
            let calls = level.metricCalls(predictors: b["predictors"]?.intValue ?? -1, valsetSize: b["valset"]?.intValue ?? -1)
            #expect(calls == b["calls"]?.intValue)
        }
    }

    @Test("The Pareto frontier keeps candidates best on some example and drops dominated ones")
    func paretoFrontier() {
        var state = GEPAState(seed: ["a"], valScores: [1, 0, 0, 0.5])
        state.add(instructions: ["b"], parents: [0], valScores: [0, 1, 0, 0.5])
        state.add(instructions: ["c"], parents: [0], valScores: [0, 0, 0, 0.2])
        #expect(state.fronts == [[0], [1], [0, 1, 2], [0, 1]])
        #expect(Set(state.dominators().survivors) == [0, 1])
        var rng = PythonRandom(seed: 3)
        var picked: [Int: Int] = [:]
        for _ in 0..<300 { picked[state.selectParent(&rng), default: 0] += 1 }
        #expect(picked[2] == nil)
        #expect((picked[0] ?? 0) > 100 && (picked[1] ?? 0) > 100)
        #expect(state.bestIndex == 0)
        #expect(state.ancestors(of: 2) == [0])
    }

    @Test("Minibatches cover every train id once per epoch, padded with the least used")
    func minibatches() {
        var sampler = GEPABatchSampler(minibatchSize: 3, trainCount: 7)
        var rng = PythonRandom(seed: 0)
        let epoch = (0..<3).flatMap { sampler.ids(iteration: $0, rng: &rng) }
        #expect(epoch.count == 9)
        #expect(Set(epoch) == Set(0..<7))
        let next = (3..<6).flatMap { sampler.ids(iteration: $0, rng: &rng) }
        #expect(Set(next) == Set(0..<7))
    }

    @Test("A child better on the minibatch is kept and wins; a worse one never is")
    func acceptanceRule() async throws {
        let task = GEPATaskLM()
        let better = try await compileGEPA(
            GEPA(metric: .exactMatch(), budget: .maxMetricCalls(60), reflectionLM: GEPAReflectionLM(["LEVEL2 text."]),
                 useMerge: false), task: task)
        #expect(better.program.namedPredictors()[0].predictor.signature.instructions == "LEVEL2 text.")
        #expect(better.report.bestScore == 100)
        #expect(better.report.candidates.count == 2)

        let worse = try await compileGEPA(
            GEPA(metric: .exactMatch(), budget: .maxMetricCalls(60), reflectionLM: GEPAReflectionLM(["Say negative."]),
                 useMerge: false), task: GEPATaskLM())
        #expect(worse.report.candidates.count == 1)
        #expect(worse.program.namedPredictors()[0].predictor.signature.instructions
                == SimpleModule("text -> sentiment").predictor.signature.instructions)
    }

    @Test("Program runs never exceed max_metric_calls, whatever the limit")
    func budgetNeverExceeded() async throws {
        for limit in [6, 7, 9, 10, 13, 20, 33, 50] {
            let task = GEPATaskLM()
            let reflection = GEPAReflectionLM(["LEVEL1 a.", "Other.", "LEVEL2 b.", "LEVEL1 c."], byPrompt: true)
            _ = try await compileGEPA(GEPA(metric: .exactMatch(), budget: .maxMetricCalls(limit), reflectionLM: reflection), task: task)
            #expect(task.calls <= limit, "limit \(limit)")
            #expect(task.calls >= min(limit, 6), "limit \(limit)")
        }
        await #expect(throws: OptimizerError.self) {
            _ = try await compileGEPA(GEPA(metric: .exactMatch(), budget: .maxMetricCalls(5)), task: GEPATaskLM())
        }
    }

    @Test("The same seed gives the same candidates; feedback metrics reach the reflection model")
    func reproducible() async throws {
        func run(_ seed: Int) async throws -> ([String], [[ChatMessage]]) {
            let reflection = GEPAReflectionLM(["LEVEL1 a.", "Other.", "LEVEL2 b."], byPrompt: true)
            let metric = Metric("em-feedback") { example, prediction, _, predictor in
                let right = example["sentiment"] == prediction["sentiment"]
                return ScoreWithFeedback(score: right ? 1 : 0, feedback: right ? nil : "Wrong for \(predictor ?? "?").")
            }
            let compiled = try await compileGEPA(
                GEPA(metric: metric, budget: .maxMetricCalls(80), reflectionLM: reflection, seed: seed), task: GEPATaskLM())
            return (compiled.report.candidates.map { "\($0.label) \($0.score)" } + compiled.report.instructions.map(\.text),
                    reflection.received)
        }
        let (a, promptsA) = try await run(7)
        let (b, promptsB) = try await run(7)
        #expect(a == b)
        #expect(promptsA == promptsB)
        let user = promptsA.first?.last?.content ?? ""
        #expect(user.contains("Wrong for predictor.") || user.contains("This trajectory got a score of 1.0."))
    }

    @Test("The registry builds gepa from settings and rejects two budgets")
    func registry() throws {
        let context = OptimizerRegistry.Context(metric: .exactMatch())
        let g = try #require(try OptimizerRegistry.standard.make(
            OptimizerChoice("gepa", settings: ["max_metric_calls": "40", "use_merge": "false"]), context: context) as? GEPA)
        #expect(g.budget == .maxMetricCalls(40))
        #expect(!g.useMerge)
        #expect(throws: OptimizerError.self) {
            try OptimizerRegistry.standard.make(OptimizerChoice("gepa", settings: ["auto": "light", "max_metric_calls": "4"]), context: context)
        }
        #expect(throws: OptimizerError.self) {
            try OptimizerRegistry.standard.make(OptimizerChoice("gepa", settings: ["auto": "huge"]), context: context)
        }
    }
}
