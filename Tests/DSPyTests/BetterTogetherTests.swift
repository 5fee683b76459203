@testable import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// An optimizer for tests: records its trainset, valset and the ambient model, and sets the
/// program's instructions to `instruction`.
final class StepRecorder: Optimizer, @unchecked Sendable {
    let name: String
    let instruction: String
    let log: StepLog

    init(_ name: String, instruction: String, log: StepLog) {
        self.name = name
        self.instruction = instruction
        self.log = log
    }

    func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        log.append((name, trainset.compactMap { $0["index"]?.intValue }, valset?.compactMap { $0["index"]?.intValue } ?? [],
                    DSPySettings.current.lm?.modelIdentifier ?? ""))
        let copy = program.resetCopy()
        for p in copy.predictors() { p.signature = p.signature.withInstructions(instruction) }
        return CompiledProgram(program: copy, report: CompileReport(optimizer: name))
    }
}

final class StepLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(step: String, train: [Int], val: [Int], ambient: String)] = []
    func append(_ entry: (String, [Int], [Int], String)) { lock.withLock { entries.append(entry) } }
    var all: [(step: String, train: [Int], val: [Int], ambient: String)] { lock.withLock { entries } }
}

/// Answers the right sentiment when the system message says `mode=right`, else "positive".
struct ModeLM: LanguageModel {
    var modelIdentifier: String { "mode-lm" }
    func complete(_ request: LMRequest) async throws -> LMResponse {
        let right = request.messages.first?.content.contains("mode=right") == true
        let text = request.messages.last?.content ?? ""
        let answer = right && text.contains("[[ ## text ## ]]\nbad") ? "negative" : "positive"
        return LMResponse(completions: [LMCompletion(text: "[[ ## sentiment ## ]]\n\(answer)\n\n[[ ## completed ## ]]")])
    }
}

@Suite("BetterTogether: steps in strategy order, a held-out valset, the best candidate")
struct BetterTogetherTests {
    /// Twenty examples; the first two (held out) are one positive and one negative.
    static let trainset: [Example] = (0..<20).map { i in
        Example(["index": .int(i), "text": .string(i % 2 == 0 ? "good \(i)" : "bad \(i)"),
                 "sentiment": .string(i % 2 == 0 ? "positive" : "negative")]).withInputs("text")
    }

    static let metric = Metric("sentiment") { example, prediction, _ in example["sentiment"] == prediction["sentiment"] ? 1 : 0 }

    static func optimizer(_ log: StepLog, ratio: Double = 0.1, lastStep: String = "mode=wrong") -> BetterTogether {
        var together = BetterTogether(
            metric: metric, prompt: StepRecorder("p", instruction: "mode=right", log: log),
            weights: StepRecorder("w", instruction: "mode=right", log: log), valsetRatio: ratio)
        // The second prompt step makes the program worse.
        together.optimizers["p2"] = StepRecorder("p2", instruction: lastStep, log: log)
        together.strategy = "p -> w -> p2"
        return together
    }

    @Test("p, w, p2 run in order on the trainset shuffled by Random(0) before each step; the first 10% is the valset")
    func stepOrderAndSplit() async throws {
        let log = StepLog()
        let compiled = try await DSPySettings.with(DSPySettings(lm: ModeLM())) {
            try await Self.optimizer(log).compile(SimpleModule("text -> sentiment"), trainset: Self.trainset)
        }
        // CPython: r = random.Random(0); t = list(range(2, 20)); r.shuffle(t) three times.
        let expected = [
            [13, 11, 2, 18, 4, 17, 12, 5, 7, 19, 16, 8, 9, 10, 6, 3, 15, 14],
            [13, 10, 15, 3, 12, 18, 2, 9, 7, 5, 17, 16, 6, 8, 11, 19, 4, 14],
            [12, 8, 3, 18, 17, 15, 5, 9, 16, 2, 10, 14, 19, 6, 13, 7, 4, 11],
        ]
        #expect(log.all.map(\.step) == ["p", "w", "p2"])
        #expect(log.all.map(\.train) == expected)
        #expect(log.all.allSatisfy { $0.val == [0, 1] })
        // original 50, p 100, p -> w 100 (a tie: the earlier wins), p -> w -> p2 50.
        #expect(compiled.report.candidates.map(\.label) == ["original", "p", "p -> w", "p -> w -> p2"])
        #expect(compiled.report.candidates.map(\.score) == [50, 100, 100, 50])
        #expect(compiled.report.bestScore == 100)
        #expect(compiled.candidates.first?.label == "p")
        #expect(compiled.report.notes.last == "Chose 'p'")
        #expect(compiled.program.predictors().first?.signature.instructions == "mode=right")
    }

    @Test("Without a valset (valset_ratio 0) the last program is returned, and a given valset is used as it is")
    func noValset() async throws {
        let log = StepLog()
        let last = try await DSPySettings.with(DSPySettings(lm: ModeLM())) {
            try await Self.optimizer(log, ratio: 0).compile(SimpleModule("text -> sentiment"), trainset: Self.trainset)
        }
        #expect(last.program.predictors().first?.signature.instructions == "mode=wrong")
        #expect(log.all.first?.train.count == 20)
        let given = StepLog()
        _ = try await DSPySettings.with(DSPySettings(lm: ModeLM())) {
            try await Self.optimizer(given).compile(
                SimpleModule("text -> sentiment"), trainset: Self.trainset, valset: Array(Self.trainset.suffix(3)))
        }
        #expect(given.all.first?.val == [17, 18, 19])
        #expect(given.all.first?.train.count == 20)
    }

    @Test("A step that throws ends the sequence and the best program so far is returned; a bad strategy is an error")
    func failures() async throws {
        struct Failing: Optimizer {
            var name: String { "w" }
            func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
                throw OptimizerError.invalidArgument("no trainer")
            }
        }
        let log = StepLog()
        var together = Self.optimizer(log)
        together.optimizers["w"] = Failing()
        let compiled = try await DSPySettings.with(DSPySettings(lm: ModeLM())) {
            try await together.compile(SimpleModule("text -> sentiment"), trainset: Self.trainset)
        }
        #expect(log.all.map(\.step) == ["p"])
        #expect(compiled.report.notes.contains("[p -> w] failed, stopping with the best program so far: no trainer"))
        #expect(compiled.report.bestScore == 100)
        together.strategy = "p -> x"
        #expect(throws: OptimizerError.self) { try together.steps() }
    }

    @Test("The registry builds finetune and better-together from settings and rejects bad ones")
    func registry() throws {
        let made = try OptimizerRegistry.standard.make(
            OptimizerChoice("finetune", settings: ["rank": "8", "alpha": "16", "epochs": "2", "learning_rate": "0.001",
                                                   "targets": "attn_q, attn_v", "seed": "5"]),
            context: .init(metric: .exactMatch()))
        let finetune = try #require(made as? BootstrapFinetune)
        #expect(finetune.settings == FinetuneSettings(rank: 8, alpha: 16, targets: ["attn_q", "attn_v"], epochs: 2,
                                                      learningRate: 0.001, seed: 5))
        let together = try #require(try OptimizerRegistry.standard.make(
            OptimizerChoice("better-together", settings: ["p": "random-search", "rank": "4"]),
            context: .init(metric: .exactMatch())) as? BetterTogether)
        #expect(together.optimizers["p"] is BootstrapFewShotWithRandomSearch)
        #expect((together.optimizers["w"] as? BootstrapFinetune)?.settings.rank == 4)
        #expect(together.strategy == "p -> w -> p")
        #expect(throws: OptimizerError.self) {
            try OptimizerRegistry.standard.make(OptimizerChoice("finetune", settings: ["rank": "0"]), context: .init())
        }
    }
}
