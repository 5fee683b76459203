import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// Answers the task correctly only when the system message carries the instruction
/// "Answer correctly"; proposes that instruction when asked for one.
final class InstructionSensitiveLM: LanguageModel, @unchecked Sendable {
    let modelIdentifier = "instruction-sensitive"
    let answers: [String: String]
    private let lock = NSLock()
    private var calls: [LMRequest] = []

    init(answers: [String: String]) { self.answers = answers }

    var history: [LMRequest] { lock.withLock { calls } }

    func complete(_ request: LMRequest) async throws -> LMResponse {
        lock.withLock { calls.append(request) }
        let system = request.messages.first?.content ?? ""
        let last = request.messages.last?.content ?? ""
        let text: String
        if last.contains("[[ ## basic_instruction ## ]]"), system.contains("proposed_prefix_for_output_field") {
            text = "[[ ## proposed_instruction ## ]]\nAnswer correctly.\n\n[[ ## proposed_prefix_for_output_field ## ]]\nAnswer:"
        } else if last.contains("[[ ## attempted_instructions ## ]]") {
            text = "[[ ## proposed_instruction ## ]]\nAnswer the question.\n\n[[ ## proposed_prefix_for_output_field ## ]]\nAnswer:"
        } else if system.contains("`observations`"), last.contains("[[ ## examples ## ]]") {
            text = "[[ ## observations ## ]]\nShort questions with short answers."
        } else if last.contains("[[ ## observations ## ]]") {
            text = "[[ ## summary ## ]]\nA question answering dataset."
        } else if last.contains("[[ ## tip ## ]]") {
            text = "[[ ## proposed_instruction ## ]]\nAnswer correctly."
        } else {
            let question = answers.keys.sorted().last { last.contains("[[ ## question ## ]]\n\($0)\n") }
            let right = system.contains("Answer correctly")
            text = "[[ ## answer ## ]]\n\(right ? question.flatMap { answers[$0] } ?? "?" : "wrong")\n\n[[ ## completed ## ]]"
        }
        return LMResponse(completions: Array(repeating: LMCompletion(text: text), count: max(1, request.parameters.n)))
    }
}

/// A bag-of-words embedder over a fixed vocabulary.
struct WordCountEmbedder: Embedder {
    let vocabulary = ["good", "bad", "day", "food", "news", "song"]
    func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { t in vocabulary.map { w in Float(t.components(separatedBy: w).count - 1) } }
    }
}

@Suite("Random search, KNN, Ensemble, COPRO, MIPRO and the registry")
struct OptimizerSearchTests {
    let train = qaExamples((0..<8).map { ("q\($0)", "a\($0)") })
    let table = Dictionary(uniqueKeysWithValues: (0..<8).map { ("q\($0)", "a\($0)") })

    @Test("random search tries seeds -3…N-1 with DSPy's sizes and keeps the first best")
    func randomSearchCandidates() async throws {
        let search = BootstrapFewShotWithRandomSearch(metric: .exactMatch(), maxBootstrappedDemos: 4, maxLabeledDemos: 4,
                                                      numCandidatePrograms: 3, mode: .dspy)
        #expect(search.candidateSeeds == [-3, -2, -1, 0, 1, 2])
        let lm = lookupLM((0..<8).map { ("q\($0)", "a\($0)") })
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await search.compile(SimpleModule("question -> answer"), trainset: train)
        }
        #expect(compiled.report.candidates.map(\.label) == [
            "seed -3 (zero-shot)", "seed -2 (labeled)", "seed -1 (bootstrap)",
            "seed 0 (bootstrap 4)", "seed 1 (bootstrap 2)", "seed 2 (bootstrap 1)",
        ])
        #expect(compiled.candidates.count == 6)
        #expect(compiled.report.bestScore == 100.0)
        // Every candidate scores 100, so the first (zero-shot) wins, as in DSPy.
        #expect(compiled.program.predictors()[0].demos.isEmpty)
    }

    @Test("a restrict matching no seed is an error mentioning restrict")
    func restrict() async throws {
        let search = BootstrapFewShotWithRandomSearch(metric: .exactMatch(), numCandidatePrograms: 2, restrict: [99])
        await #expect {
            try await search.compile(SimpleModule("question -> answer"), trainset: train)
        } throws: { "\($0)".contains("restrict") }
    }

    @Test("random search picks the candidate that raises the score")
    func randomSearchImproves() async throws {
        // The model answers right only when a demo shows the same question (follow_examples), so labeled demos win.
        let lm = DummyLM([DummyLM.Answer](repeating: .fields(["answer": "wrong"]), count: 500), followExamples: true)
        let search = BootstrapFewShotWithRandomSearch(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 8,
                                                      numCandidatePrograms: 1)
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await search.compile(SimpleModule("question -> answer"), trainset: train)
        }
        #expect(compiled.report.candidates[0].score == 0)
        #expect(compiled.report.bestScore == 100)
        #expect(compiled.program.predictors()[0].demos.count == 8)
    }

    @Test("KNN picks the nearest examples by the embedder and bootstraps on them per call")
    func knn() async throws {
        let optimizer = KNNFewShot(k: 2, embedder: WordCountEmbedder(),
                                   bootstrap: BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 2))
        let compiled = try await optimizer.compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
        let knn = try #require(compiled.program as? KNNProgram)
        let near = try await knn.neighbours(of: ["text": "bad food"])
        #expect(near.first?["text"] == "bad food")
        #expect(near.allSatisfy { $0["sentiment"] == "negative" })
        let lm = sentimentLM()
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await compiled.program(["text": "bad weather"]) }
        #expect(p["sentiment"] == "negative")
        #expect(lm.history.last!.messages.count == 6)  // system + 2 demo turns + final question
    }

    @Test("Ensemble without choice scores reduces by majority; size draws members with the seed")
    func ensemble() async throws {
        func member(_ answer: String) -> SimpleModule {
            let m = SimpleModule("question -> answer")
            m.predictor.lm = DummyLM(lookup: [("", .fields(["answer": .string(answer)]))])
            return m
        }
        let all = try Ensemble().combine([member("a"), member("b"), member("a")])
        #expect(try await all(["question": "q"])["answer"] == "a")
        #expect(all.namedPredictors().map(\.name) == ["programs[0].predictor", "programs[1].predictor", "programs[2].predictor"])
        #expect(throws: OptimizerError.self) { try Ensemble(size: 5).combine([member("a")]) }
    }

    @Test("COPRO: breadth 1 is an error; the proposed instruction that scores best is kept")
    func copro() async throws {
        await #expect(throws: OptimizerError.self) {
            try await COPRO(metric: .exactMatch(), breadth: 1).compile(SimpleModule("question -> answer"), trainset: train)
        }
        let lm = InstructionSensitiveLM(answers: table)
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await COPRO(metric: .exactMatch(), breadth: 3, depth: 2).compile(SimpleModule("question -> answer"), trainset: train)
        }
        #expect(compiled.program.predictors()[0].signature.instructions == "Answer correctly.")
        #expect(compiled.report.bestScore == 100)
        #expect(compiled.report.candidates.first?.score == 0)
        #expect(compiled.report.lmCalls == lm.history.count)
    }

    @Test("MIPRO proposes instructions from a data summary and finds the best combination, deterministically")
    func mipro() async throws {
        func run() async throws -> CompiledProgram {
            let lm = InstructionSensitiveLM(answers: table)
            let optimizer = MIPRO(metric: .exactMatch(), maxBootstrappedDemos: 1, maxLabeledDemos: 2,
                                  numInstructionCandidates: 2, numFewshotSets: 4, numTrials: 6, seed: 1)
            return try await DSPySettings.with(DSPySettings(lm: lm)) {
                try await optimizer.compile(SimpleModule("question -> answer"), trainset: train)
            }
        }
        let a = try await run()
        #expect(a.program.predictors()[0].signature.instructions == "Answer correctly.")
        #expect(a.report.bestScore == 100)
        #expect(a.report.candidates.first?.label.hasPrefix("default") == true)
        let b = try await run()
        #expect(a.program.dumpState() == b.program.dumpState())
        #expect(a.report.candidates.map(\.label) == b.report.candidates.map(\.label))
    }

    @Test("random search is deterministic for a seed")
    func randomSearchDeterminism() async throws {
        func run(_ seed: Int) async throws -> JSONValue {
            let search = BootstrapFewShotWithRandomSearch(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 4,
                                                          numCandidatePrograms: 3, seed: seed, restrict: [0, 1, 2])
            return try await DSPySettings.with(DSPySettings(lm: sentimentLM())) {
                try await search.compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
            }.program.dumpState()
        }
        #expect(try await run(4) == run(4))
    }
}

final class DeclaringProgram: Program, DeclaresOptimizer, @unchecked Sendable {
    static let defaultOptimizer = OptimizerChoice("bootstrap", settings: ["max_bootstrapped_demos": "2", "mode": "dspy"])
    let predictor = try! Predict("question -> answer")
    func forward(_ inputs: JSONObject) async throws -> Prediction { try await predictor(inputs) }
    func deepCopy() -> DeclaringProgram { DeclaringProgram() }
}

@Suite("The optimizer registry")
struct OptimizerRegistryTests {
    let registry = OptimizerRegistry.standard
    let context = OptimizerRegistry.Context(metric: .exactMatch())

    @Test("the standard names")
    func names() {
        #expect(registry.names == ["labeled", "bootstrap", "random-search", "knn", "copro", "mipro", "ensemble", "gepa", "simba", "finetune", "better-together"])
    }

    @Test("an unknown name lists the known ones")
    func unknownName() {
        #expect(throws: OptimizerError.unknownOptimizer("nonesuch", known: registry.names)) {
            try registry.make(OptimizerChoice("nonesuch"), context: context)
        }
        let message = "\(OptimizerError.unknownOptimizer("nonesuch", known: registry.names))"
        #expect(message == "unknown optimizer 'nonesuch'; known optimizers: labeled, bootstrap, random-search, knn, copro, mipro, ensemble, gepa, simba, finetune, better-together")
    }

    @Test("settings parse from strings in any case style; unknown and malformed ones are errors")
    func settings() throws {
        let b = try registry.make(OptimizerChoice("bootstrap", settings: ["max-bootstrapped-demos": "2", "maxLabeledDemos": "3", "mode": "dspy"]),
                                  context: context)
        let bootstrap = try #require(b as? BootstrapFewShot)
        #expect(bootstrap.maxBootstrappedDemos == 2 && bootstrap.maxLabeledDemos == 3 && bootstrap.mode == .dspy)
        #expect {
            try registry.make(OptimizerChoice("labeled", settings: ["kk": "2"]), context: context)
        } throws: { error in
            guard case OptimizerError.unknownSetting("labeled", "kk", let known) = error else { return false }
            return known == ["k", "sample", "mode", "seed", "label_field"]
        }
        #expect(throws: OptimizerError.invalidSetting(optimizer: "bootstrap", key: "max_rounds", value: "two", expected: "an integer")) {
            try registry.make(OptimizerChoice("bootstrap", settings: ["max_rounds": "two"]), context: context)
        }
        #expect(throws: OptimizerError.invalidArgument("optimizer 'copro' needs a metric")) {
            try registry.make(OptimizerChoice("copro"), context: .init())
        }
        #expect(throws: OptimizerError.invalidArgument("optimizer 'knn' needs an embedder")) {
            try registry.make(OptimizerChoice("knn"), context: context)
        }
        let m = try #require(try registry.make(OptimizerChoice("mipro", settings: ["auto": "medium"]), context: context) as? MIPRO)
        #expect(m.numInstructionCandidates == 6 && m.numFewshotSets == 12 && m.numTrials == 18)
    }

    @Test("a program's declared optimizer is the default, and --set overrides its settings")
    func declared() throws {
        let o = try #require(try registry.make(for: DeclaringProgram(), settings: ["max_labeled_demos": "1"], context: context) as? BootstrapFewShot)
        #expect(o.maxBootstrappedDemos == 2 && o.maxLabeledDemos == 1 && o.mode == .dspy)
        let plain = try registry.make(for: SimpleModule("a -> b"), context: context)
        #expect(plain.name == "bootstrap")
    }
}
