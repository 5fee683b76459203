import DSPyTestSupport
import Foundation
import Testing

@testable import DSPy

/// Every optimizer tags its calls with compile phases and records its candidates with one
/// chosen (COPRO, GEPA, SIMBA, KNN and Ensemble here; bootstrap, random search and MIPRO in
/// ``CompilePhaseTests``). Scripted models, a few dozen calls each.
@Suite("Compile phases and candidates of COPRO, GEPA, SIMBA, KNN and Ensemble")
struct OptimizerPhaseTests {
    static let qa = qaExamples((0..<6).map { ("q\($0)", "a\($0)") })
    static let table = Dictionary(uniqueKeysWithValues: (0..<6).map { ("q\($0)", "a\($0)") })
    static let sentiment: [Example] = (0..<8).map { i in
        Example(["text": .string(i % 2 == 0 ? "good day \(i)" : "bad day \(i)"),
                 "sentiment": .string(i % 2 == 0 ? "positive" : "negative")]).withInputs("text")
    }

    /// One candidate is chosen, with a reason, and its state is the compiled program's.
    func expectOneChosen(_ candidates: [CandidateTrace], _ compiled: CompiledProgram, sameState: Bool = true) throws {
        #expect(candidates.filter(\.chosen).count == 1, "\(candidates.map(\.id))")
        let chosen = try #require(candidates.first { $0.chosen })
        #expect(chosen.decision?.isEmpty == false)
        if sameState { #expect(chosen.state == compiled.program.dumpState(), "\(chosen.id)") }
    }

    @Test("COPRO: proposals in 'proposal', each instruction scored as a candidate, the best chosen")
    func copro() async throws {
        let (compiled, calls, candidates) = try await traced(InstructionSensitiveLM(answers: Self.table)) {
            try await COPRO(metric: .exactMatch(), breadth: 3, depth: 2).compile(SimpleModule("question -> answer"), trainset: Self.qa)
        }
        #expect(Set(calls.compactMap(\.phase)) == ["proposal", "candidate-eval"])
        #expect(calls.filter { $0.phase == "candidate-eval" }.allSatisfy { $0.candidate != nil })
        #expect(candidates.count == compiled.report.candidates.count)
        #expect(candidates.allSatisfy { $0.scores.first?.split == "train" && $0.scores.first?.examples == 6 })
        try expectOneChosen(candidates, compiled)
        #expect(candidates.first { $0.chosen }?.scores.first?.score == compiled.report.bestScore)
    }

    @Test("GEPA: the seed and every accepted child are candidates scored on val; reflection is 'proposal'")
    func gepa() async throws {
        let task = GEPATaskLM()
        let gepa = GEPA(metric: .exactMatch(), budget: .maxMetricCalls(40), reflectionLM: GEPAReflectionLM(["LEVEL2 text."]))
        let (compiled, calls, candidates) = try await traced(task) {
            try await gepa.compile(SimpleModule("text -> sentiment"), trainset: Array(Self.sentiment.prefix(4)),
                                   valset: Array(Self.sentiment.suffix(4)))
        }
        #expect(Set(calls.compactMap(\.phase)).isSubset(of: ["candidate-eval", "proposal"]))
        #expect(calls.allSatisfy { $0.phase != nil })
        #expect(calls.filter { $0.candidate == "#0" }.count >= 4)
        #expect(candidates.first?.id == "#0" && candidates.first?.label == "#0 (seed)")
        #expect(candidates.count >= 2, "\(candidates.map(\.label))")
        #expect(candidates.allSatisfy { $0.scores.first?.split == "val" && $0.scores.first?.examples == 4 })
        try expectOneChosen(candidates, compiled)
    }

    @Test("SIMBA: trajectories in 'bootstrap', rules in 'proposal', step candidates on minibatches, finalists on train")
    func simba() async throws {
        let simba = SIMBA(metric: .exactMatch(field: "sentiment"), bsize: 4, numCandidates: 2, maxSteps: 2, maxDemos: 2,
                          seed: 3, maxConcurrency: 2)
        let (compiled, calls, candidates) = try await traced(SIMBAScriptLM()) {
            try await simba.compile(try Predict("text -> sentiment"), trainset: Self.sentiment)
        }
        #expect(Set(calls.compactMap(\.phase)).isSubset(of: ["bootstrap", "proposal", "candidate-eval"]))
        #expect(calls.contains { $0.phase == "bootstrap" } && calls.contains { $0.phase == "candidate-eval" })
        #expect(candidates.contains { $0.scores.first?.split == "minibatch" && $0.round == 1 })
        let finalists = candidates.filter { $0.scores.first?.split == "train" }
        #expect(finalists.contains { $0.id == "baseline" })
        try expectOneChosen(candidates, compiled)
        #expect(finalists.contains { $0.chosen })
    }

    @Test("KNN records its one candidate; Ensemble chooses the vote of the searched members")
    func knnAndEnsemble() async throws {
        let knn = KNNFewShot(k: 2, embedder: WordCountEmbedder(),
                             bootstrap: BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 2))
        let (knnCompiled, knnCalls, knnCandidates) = try await traced(sentimentLM()) {
            try await knn.compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
        }
        #expect(knnCalls.isEmpty, "knn embeds at compile time; it calls the model per example later")
        #expect(knnCandidates.map(\.id) == ["knn k=2"])
        try expectOneChosen(knnCandidates, knnCompiled)

        let search = BootstrapFewShotWithRandomSearch(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 4,
                                                      numCandidatePrograms: 2, seed: 3)
        let (compiled, _, candidates) = try await traced(sentimentLM()) {
            try await Ensemble(size: 2, search: search).compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
        }
        #expect(candidates.last?.id == "ensemble")
        #expect(candidates.filter { $0.id.hasPrefix("seed ") }.count == search.candidateSeeds.count)
        try expectOneChosen(candidates, compiled)
        #expect(candidates.first { $0.chosen }?.id == "ensemble")
    }
}
