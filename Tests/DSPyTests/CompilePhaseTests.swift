import Foundation
import Testing

@testable import DSPy

@Suite("Compile phases and the compile trace")
struct CompilePhaseTests {
    @Test("Bootstrap tags teacher calls 'bootstrap' and calibration calls with their candidate, and records its decision")
    func bootstrapPhases() async throws {
        for demosHelp in [false, true] {
            let (compiled, calls, candidates) = try await traced(DemoSensitiveScoringLM(informativeWithDemos: demosHelp)) {
                try await BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 2)
                    .compile(SimpleModule("text -> sentiment: Literal['positive', 'negative']"), trainset: sentimentTrain)
            }
            #expect(!calls.isEmpty)
            #expect(Set(calls.map(\.phase)) == ["bootstrap", "calibration"])
            #expect(calls.contains { $0.phase == "bootstrap" && $0.candidate == nil })
            #expect(Set(calls.filter { $0.phase == "calibration" }.map(\.candidate)) == [nil, "demos", "zero-shot"])
            #expect(candidates.map(\.id) == ["demos", "zero-shot"])
            let chosen = try #require(candidates.first { $0.chosen })
            #expect(chosen.id == (demosHelp ? "demos" : "zero-shot"))
            #expect(candidates.filter(\.chosen).count == 1)
            #expect(chosen.decision?.contains("held-out training accuracy") == true)
            #expect(candidates.allSatisfy { $0.scores.first?.split == "held-out train" && $0.scores.first?.examples == 6 })
            #expect(candidates.allSatisfy { $0.decision != nil })
            // The chosen candidate's recorded state is the compiled program's.
            #expect(chosen.state == compiled.program.dumpState())
        }
    }

    @Test("Random search scores every seed as a candidate in 'candidate-eval' and chooses the first best")
    func randomSearchCandidates() async throws {
        let search = BootstrapFewShotWithRandomSearch(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 4,
                                                      numCandidatePrograms: 2, seed: 3)
        let (compiled, calls, candidates) = try await traced(sentimentLM()) {
            try await search.compile(SimpleModule("text -> sentiment"), trainset: sentimentTrain)
        }
        #expect(candidates.map(\.id) == search.candidateSeeds.map { "seed \($0)" })
        #expect(candidates.allSatisfy { $0.scores.count == 1 && $0.scores[0].split == "train" && $0.scores[0].examples == 8 })
        #expect(candidates.map { $0.scores[0].score } == compiled.report.candidates.map(\.score))
        let chosen = try #require(candidates.first { $0.chosen })
        #expect(chosen.scores[0].score == compiled.report.bestScore)
        #expect(!candidates.prefix { !$0.chosen }.contains { $0.scores[0].score >= chosen.scores[0].score })
        let evaluations = calls.filter { $0.phase == "candidate-eval" }
        #expect(evaluations.count == 8 * candidates.count)
        #expect(Set(evaluations.compactMap(\.candidate)) == Set(candidates.map(\.id)))
        #expect(calls.allSatisfy { $0.phase != nil })
    }

    @Test("MIPRO tags proposals, bootstrapping and trials, and records each scored choice with its split")
    func miproPhases() async throws {
        let table = Dictionary(uniqueKeysWithValues: (0..<8).map { ("q\($0)", "a\($0)") })
        let optimizer = MIPRO(metric: .exactMatch(), maxBootstrappedDemos: 1, maxLabeledDemos: 2,
                              numInstructionCandidates: 2, numFewshotSets: 4, numTrials: 6, seed: 1)
        let (compiled, calls, candidates) = try await traced(InstructionSensitiveLM(answers: table)) {
            try await optimizer.compile(SimpleModule("question -> answer"), trainset: qaExamples((0..<8).map { ("q\($0)", "a\($0)") }))
        }
        let phases = Set(calls.compactMap(\.phase))
        #expect(phases.isSuperset(of: ["proposal", "candidate-eval"]))
        #expect(calls.filter { $0.phase == "proposal" }.allSatisfy { $0.candidate == nil })
        #expect(candidates.first?.round == 0)
        #expect(candidates.filter(\.chosen).count == 1)
        let chosen = try #require(candidates.first { $0.chosen })
        #expect(chosen.scores.last?.score == compiled.report.bestScore)
        #expect(chosen.decision?.contains("highest full validation score") == true)
        #expect(candidates.allSatisfy { !$0.scores.isEmpty })
    }

    @Test("Calls outside any phase carry none, and a nested phase keeps the enclosing candidate")
    func outsideAndNested() async throws {
        let log = MemoryCallLog()
        let program = SimpleModule("text -> sentiment")
        try await DSPySettings.with(DSPySettings(lm: sentimentLM(), callLog: log)) {
            _ = try await program.forward(["text": "good"])
            try await CompileContext.phase(.candidateEvaluation, candidate: "c1") {
                try await CompileContext.phase(.calibration) { _ = try await program.forward(["text": "bad"]) }
            }
        }
        #expect(log.records.map(\.phase) == [nil, "calibration"])
        #expect(log.records.map(\.candidate) == [nil, "c1"])
        #expect(CompileContext.currentPhase == nil)
    }

    @Test("Without a recorder, recording candidates does nothing")
    func noRecorder() {
        CompileTrace.candidate("x", program: SimpleModule("a -> b"))
        CompileTrace.score("x", split: "val", score: 1, examples: 1)
        CompileTrace.choose("x", reason: "none")
        #expect(CompileTrace.recorder == nil)
    }
}
