import DSPy
import DSPyTestSupport
import Foundation
import Testing

final class TwoStep: Program, @unchecked Sendable {
    let gen: ChainOfThought
    let summarize: Predict
    let extra: [Predict]

    init() {
        gen = try! ChainOfThought("question -> answer")
        summarize = try! Predict("answer -> summary")
        extra = [try! Predict("a -> b")]
    }

    private init(gen: ChainOfThought, summarize: Predict, extra: [Predict]) {
        self.gen = gen
        self.summarize = summarize
        self.extra = extra
    }

    func forward(_ inputs: JSONObject) async throws -> Prediction {
        let a = try await gen(inputs)
        return try await summarize(["answer": a["answer"] ?? ""])
    }

    func deepCopy() -> TwoStep { TwoStep(gen: gen.deepCopy(), summarize: summarize.deepCopy(), extra: extra.map { $0.deepCopy() }) }
}

@Suite("Modules form a tree of named predictors")
struct ModuleTests {
    @Test("Predictor names are DSPy-style paths")
    func names() {
        #expect(TwoStep().namedPredictors().map(\.name) == ["gen.predict", "summarize", "extra[0]"])
    }

    @Test("ChainOfThought prepends reasoning and parses it")
    func chainOfThought() async throws {
        let cot = try ChainOfThought("question -> answer")
        #expect(cot.predict.signature.outputs.map(\.name) == ["reasoning", "answer"])
        #expect(cot.predict.signature.outputs[0].prefix == "Reasoning:")
        let lm = DummyLM([["reasoning": "add", "answer": "4"]])
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await cot(["question": "2+2?"]) }
        #expect(p["reasoning"] == "add")
        #expect(p["answer"] == "4")
    }

    @Test("resetCopy clears demos on a copy only")
    func resetCopy() {
        let m = TwoStep()
        m.gen.predict.demos = [Example(["question": "q", "answer": "a"])]
        let copy = m.resetCopy()
        #expect(copy.gen.predict.demos.isEmpty)
        #expect(m.gen.predict.demos.count == 1)
        #expect(copy.gen.predict !== m.gen.predict)
    }

    @Test("save and load round-trip in DSPy's JSON shape")
    func saveLoad() throws {
        let m = TwoStep()
        m.gen.predict.demos = [Example(["question": "1+1?", "reasoning": "add", "answer": "2", "augmented": true])]
        m.summarize.signature = m.summarize.signature.withInstructions("Summarize.")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-\(UUID()).json")
        try m.save(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.hasPrefix("{\n  \"gen.predict\": {\n    \"traces\": [],\n    \"train\": [],\n    \"demos\": [\n      {\n        \"question\": \"1+1?\","))
        #expect(text.contains("\"fields\": [\n        {\n          \"prefix\": \"Question:\",\n          \"description\": \"${question}\"\n        },"))
        let fresh = TwoStep()
        try fresh.load(from: url)
        #expect(fresh.gen.predict.demos == m.gen.predict.demos)
        #expect(fresh.summarize.signature.instructions == "Summarize.")
    }

    @Test("Loading is all-or-nothing and names a missing predictor")
    func loadTransactional() throws {
        let m = TwoStep()
        var state = m.dumpState().objectValue!
        state["gen.predict"] = ["demos": [["question": "q", "answer": "a"]]]
        state["extra[0]"] = nil
        #expect(throws: DSPyError.state("no saved state for predictor 'extra[0]'")) { try m.loadState(.object(state)) }
        #expect(m.gen.predict.demos.isEmpty)
    }

    @Test("A DSPy-saved program loads (fields by position, predictors by path)")
    func loadsDSPyState() throws {
        let state: JSONValue = [
            "gen.predict": ["traces": [], "train": [], "demos": [["question": "1+1?", "answer": "2"]],
                "signature": ["instructions": "Do math.", "fields": [["prefix": "Q:", "description": "the question"]]], "lm": nil],
            "summarize": ["demos": []], "extra[0]": ["demos": []],
            "metadata": ["dependency_versions": ["python": "3.11", "dspy": "3.4.1"]],
        ]
        let m = TwoStep()
        try m.loadState(state)
        #expect(m.gen.predict.signature.instructions == "Do math.")
        #expect(m.gen.predict.signature.inputs[0].description == "the question")
        #expect(m.gen.predict.signature.inputs[0].prefix == "Q:")
        #expect(m.gen.predict.demos.count == 1)
    }

    @Test("majority picks the most common normalized answer, ties to the first")
    func majorityVote() {
        let completions: [JSONObject] = [["answer": "Paris"], ["answer": "London"], ["answer": "the paris!"], ["answer": "London"]]
        #expect(majority(completions)["answer"] == "Paris")
        #expect(majority(Prediction(completions: [["answer": "b"], ["answer": "a"]]))["answer"] == "b")
        #expect(normalizeText("The  Eiffel, Tower!") == "eiffel tower")
    }

    @Test("MultiChainComparison formats the attempts as DSPy does")
    func multiChain() async throws {
        let mcc = try MultiChainComparison(try SignatureSpec("question -> answer"), m: 2)
        let lm = DummyLM([["rationale": "both", "answer": "4"]])
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await mcc([["reasoning": "add two\nmore", "answer": "4"], ["rationale": "guess", "answer": "5"]], inputs: ["question": "2+2?"])
        }
        #expect(p["answer"] == "4")
        let user = lm.history[0].messages.last!.content
        #expect(user.contains("[[ ## reasoning_attempt_1 ## ]]\n«I'm trying to add two I'm not sure but my prediction is 4»"))
        #expect(lm.history[0].messages[0].content.contains("`reasoning_attempt_1` (str): ${reasoning attempt}"))
        await #expect(throws: DSPyError.self) { try await mcc([["answer": "1"]], inputs: ["question": "q"]) }
    }

    @Test("BestOfN returns the first attempt that reaches the threshold, each with its own rollout")
    func bestOfN() async throws {
        let lm = DummyLM([["answer": "bad"], ["answer": "good"], ["answer": "unused"]])
        let qa = try Predict("question -> answer")
        let best = BestOfN(qa, n: 3, threshold: 1.0) { _, p in p["answer"] == "good" ? 1 : 0 }
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await best(["question": "q"]) }
        #expect(p["answer"] == "good")
        #expect(lm.history.map(\.parameters.rolloutID) == [0, 1])
        #expect(lm.history.allSatisfy { $0.parameters.temperature == 1.0 })
    }

    @Test("Refine feeds advice back as a hint_ input")
    func refine() async throws {
        let lm = DummyLM([
            ["answer": "bad"],
            ["discussion": "wrong", "advice": ["self": "Say good."]],
            ["answer": "good"],
        ])
        let qa = try Predict("question -> answer")
        let refine = Refine(qa, n: 3, threshold: 1.0) { _, p in p["answer"] == "good" ? 1 : 0 }
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await refine(["question": "q"]) }
        #expect(p["answer"] == "good")
        #expect(lm.history.count == 3)
        #expect(lm.history[2].messages.last!.content.contains("[[ ## hint_ ## ]]\nSay good."))
        #expect(lm.history[2].messages[0].content.contains("`hint_` (str): A hint to the module from an earlier run"))
    }

    @Test("Parallel keeps order, tolerates some errors and cancels at max_errors")
    func parallel() async throws {
        let lm = DummyLM(lookup: [("ok", .fields(["answer": "fine"])), ("bad", .text("garbage"))])
        let qa = try Predict("question -> answer")
        let outcomes = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await Parallel(maxConcurrency: 2, maxErrors: 5)([(qa, ["question": "ok 1"]), (qa, ["question": "bad"]), (qa, ["question": "ok 2"])])
        }
        #expect(outcomes.map { $0.prediction?["answer"] } == ["fine", nil, "fine"], "\(outcomes)")
        await #expect(throws: DSPyError.module("Execution cancelled due to errors or interruption.")) {
            try await DSPySettings.with(DSPySettings(lm: lm)) {
                try await Parallel(maxConcurrency: 2, maxErrors: 1)([(qa, ["question": "bad"]), (qa, ["question": "ok"])])
            }
        }
    }
}

struct WithReasoning: Signature {
    @Input var question: String = ""
    @Output var reasoning: String
    @Output var answer: String
}

@Suite("Module misuse")
struct ModuleMisuseTests {
    @Test("ChainOfThought over a signature that already has `reasoning` fails clearly on first call")
    func duplicateReasoning() async throws {
        let cot = ChainOfThought(WithReasoning.self)
        await #expect(throws: DSPyError.invalidSignature("Duplicate field name 'reasoning' in signature.")) {
            try await DSPySettings.with(lm: DummyLM([JSONObject]())) { try await cot(["question": "q"]) }
        }
    }

    @Test("A predictor renders its prompt without any model")
    func renderWithoutModel() throws {
        let qa = try Predict("question -> answer")
        qa.demos = [["question": "1+1?", "answer": "2"]]
        let messages = qa.formatted(["question": "2+2?"])
        #expect(messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(messages[3].content.hasPrefix("[[ ## question ## ]]\n2+2?\n\nRespond with"))
        #expect(qa.formatted(["question": "2+2?"], adapter: JSONAdapter())[3].content.hasSuffix("Respond with a JSON object in the following order of fields: `answer`."))
    }
}
