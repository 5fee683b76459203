@testable import DSPy
import DSPyTestSupport
import DSPyUtilities
import Foundation
import Testing

/// A fine-tunable model for tests: answers as `base` does, records every training job, and
/// returns a model named after the job's adapter that answers as `tuned` does.
final class FakeFineTunableLM: FineTunableLM, @unchecked Sendable {
    let base: any LanguageModel
    let tuned: any LanguageModel
    private let lock = NSLock()
    private var recordedJobs: [(rows: [FinetuneRow], settings: FinetuneSettings)] = []

    init(base: any LanguageModel, tuned: (any LanguageModel)? = nil) {
        self.base = base
        self.tuned = tuned ?? base
    }

    var jobs: [(rows: [FinetuneRow], settings: FinetuneSettings)] { lock.withLock { recordedJobs } }
    var modelIdentifier: String { "fake-base" }

    func complete(_ request: LMRequest) async throws -> LMResponse { try await base.complete(request) }

    func finetune(
        _ rows: [FinetuneRow], settings: FinetuneSettings, progress: (@Sendable (FinetuneProgress) -> Void)?
    ) async throws -> FinetunedLM {
        let job = lock.withLock { () -> Int in
            recordedJobs.append((rows, settings))
            return recordedJobs.count
        }
        progress?(FinetuneProgress(step: 1, totalSteps: 1, loss: 0.5, tokensPerSecond: 10, elapsedSeconds: 0.1))
        let data = Array("adapter \(job) on \(rows.count) rows".utf8)
        let info = FinetuneInfo(baseModel: modelIdentifier, rank: settings.rank ?? 8, alpha: settings.alpha ?? 16,
                                targets: settings.targets ?? ["attn_q"], epochs: settings.epochs ?? 1,
                                learningRate: settings.learningRate ?? 1e-4, rows: rows.count, steps: 1,
                                tokens: rows.count, finalLoss: 0.5, wallSeconds: 0.1)
        return try await applying(FinetuneArtifact(data: data, digest: SHA256.hash(data).hexString, format: "fake", info: info))
    }

    func applying(_ artifact: FinetuneArtifact) async throws -> FinetunedLM {
        FinetunedLM(model: Renamed(inner: tuned, modelIdentifier: "fake-base+lora=\(artifact.digest.prefix(12))"),
                    artifact: artifact, source: self)
    }

    func trainingDescription(for settings: FinetuneSettings) -> String { "fake r=\(settings.rank ?? 8)" }

    /// `inner` under another identifier.
    struct Renamed: LanguageModel {
        let inner: any LanguageModel
        let modelIdentifier: String
        func complete(_ request: LMRequest) async throws -> LMResponse { try await inner.complete(request) }
    }
}

/// DSPy's fixture program: one predictor with one labeled demo.
final class FinetuneClassify: Program, @unchecked Sendable {
    let classify: Predict
    init() {
        classify = try! Predict("text -> sentiment")
        classify.demos = [Example(["text": "great stuff", "sentiment": "positive"])]
    }
    private init(classify: Predict) { self.classify = classify }
    func forward(_ inputs: JSONObject) async throws -> Prediction { try await classify(inputs) }
    func deepCopy() -> FinetuneClassify { FinetuneClassify(classify: classify.deepCopy()) }
}

/// DSPy's fixture program with two predictors: classify, then explain.
final class FinetuneExplain: Program, @unchecked Sendable {
    let classify: Predict
    let explain: Predict
    init() {
        classify = try! Predict("text -> sentiment")
        explain = try! Predict("text, sentiment -> reason")
    }
    private init(classify: Predict, explain: Predict) { (self.classify, self.explain) = (classify, explain) }
    func forward(_ inputs: JSONObject) async throws -> Prediction {
        let sentiment = try await classify(inputs)["sentiment"] ?? .null
        let reason = try await explain(["text": inputs["text"] ?? .null, "sentiment": sentiment])["reason"] ?? .null
        return Prediction(["sentiment": sentiment, "reason": reason])
    }
    func deepCopy() -> FinetuneExplain { FinetuneExplain(classify: classify.deepCopy(), explain: explain.deepCopy()) }
}

@Suite("BootstrapFinetune: DSPy's training rows, the fine-tuned models swapped in")
struct BootstrapFinetuneTests {
    /// The fixture written by DSPy 3.4.1 (`Fixtures/make_finetune_fixtures.py`).
    static func fixture() throws -> JSONValue {
        try JSONValue.parse(String(contentsOf: GoldenFixtures.directory.appendingPathComponent("finetune_rows.json"), encoding: .utf8))
    }

    static func trainset(_ fixture: JSONValue) -> [Example] {
        (fixture["train"]?.arrayValue ?? []).compactMap(\.objectValue).map { Example($0).withInputs("text") }
    }

    /// The fixture's DummyLM answers, first match of the final message wins (as DSPy's dict mode).
    static func answers() -> DummyLM {
        DummyLM(lookup: [
            ("[[ ## sentiment ## ]]\npositive", .fields(["reason": "it says good"])),
            ("[[ ## sentiment ## ]]\nnegative", .fields(["reason": "it says bad"])),
            ("[[ ## text ## ]]\nbad song", .fields(["sentiment": "positive"])),
            ("[[ ## text ## ]]\ngood", .fields(["sentiment": "positive"])),
            ("[[ ## text ## ]]\nbad", .fields(["sentiment": "negative"])),
        ])
    }

    static let metric = Metric("sentiment") { example, prediction, _ in example["sentiment"] == prediction["sentiment"] ? 1 : 0 }

    static func expectedRows(_ fixture: JSONValue, _ name: String) -> [[ChatMessage]] {
        (fixture["cases"]?[name]?.arrayValue ?? []).map { row in
            (row.arrayValue ?? []).map { m in
                ChatMessage(role: ChatMessage.Role(rawValue: m["role"]?.stringValue ?? "") ?? .user,
                            content: m["content"]?.stringValue ?? "")
            }
        }
    }

    @Test("Rows equal DSPy 3.4.1's: runs that fail the metric dropped, rendered as ChatAdapter, Random(0) order")
    func rowsMatchDSPy() async throws {
        let fixture = try Self.fixture()
        let lm = FakeFineTunableLM(base: Self.answers())
        let optimizer = BootstrapFinetune(metric: Self.metric, settings: FinetuneSettings(rank: 4, seed: 3), maxConcurrency: 3)
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await optimizer.compile(FinetuneClassify(), trainset: Self.trainset(fixture))
        }
        let expected = Self.expectedRows(fixture, "single")
        #expect(expected.count == 7)
        #expect(lm.jobs.count == 1)
        #expect(lm.jobs.first?.rows.map(\.messages) == expected)
        #expect(lm.jobs.first?.settings == FinetuneSettings(rank: 4, seed: 3))
        #expect(expected.allSatisfy { $0.last?.content.hasSuffix("\n\n[[ ## completed ## ]]\n") == true })
        let tuned = try #require(compiled.program.predictors().first?.lm as? FinetunedLM)
        #expect(tuned.modelIdentifier.hasPrefix("fake-base+lora="))
        #expect(compiled.program.predictors().first?.demos.count == 1)
        #expect(compiled.report.notes.first == "Kept 7 of 8 teacher runs that passed the metric")
    }

    @Test("A row is what the predictor sends at inference plus its answer")
    func rowEqualsInferencePrompt() async throws {
        let lm = FakeFineTunableLM(base: Self.answers())
        let program = FinetuneClassify()
        let (prediction, steps) = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await TraceRecorder.capture { try await program(["text": "good day"]) }
        }
        let sent = try #require((lm.base as? DummyLM)?.history.last?.messages)
        let row = try BootstrapFinetune.row(for: try #require(steps.first), excludeDemos: false)
        #expect(Array(row.messages.dropLast()) == sent)
        #expect(row.messages.last == ChatMessage.assistant("[[ ## sentiment ## ]]\n\(prediction["sentiment"]?.stringValue ?? "")\n\n[[ ## completed ## ]]\n"))
    }

    @Test("Two predictors: one multitask job on every call, or per predictor the calls at its trace position")
    func twoPredictors() async throws {
        let fixture = try Self.fixture()
        let multitask = FakeFineTunableLM(base: Self.answers())
        let compiled = try await DSPySettings.with(DSPySettings(lm: multitask)) {
            try await BootstrapFinetune(metric: Self.metric).compile(FinetuneExplain(), trainset: Self.trainset(fixture))
        }
        #expect(multitask.jobs.map { $0.rows.map(\.messages) } == [Self.expectedRows(fixture, "two_multitask")])
        let digests = compiled.program.predictors().compactMap { ($0.lm as? FinetunedLM)?.artifact.digest }
        #expect(digests.count == 2 && Set(digests).count == 1)

        let separate = FakeFineTunableLM(base: Self.answers())
        let perPredictor = try await DSPySettings.with(DSPySettings(lm: separate)) {
            try await BootstrapFinetune(metric: Self.metric, multitask: false).compile(FinetuneExplain(), trainset: Self.trainset(fixture))
        }
        #expect(separate.jobs.count == 2)
        #expect(separate.jobs.last?.rows.map(\.messages) == Self.expectedRows(fixture, "two_predictor_1"))
        #expect(Set(FinetunedLM.artifacts(of: perPredictor.program).map(\.artifact.digest)).count == 2)
    }

    @Test("Each training job is recorded as training-phase work: time, tokens, steps, rows, final loss and adapter")
    func trainingRecordedAsPhaseWork() async throws {
        let fixture = try Self.fixture()
        let lm = FakeFineTunableLM(base: Self.answers())
        let recorder = CompileTraceRecorder()
        let before = Date()
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await CompileTrace.recording(recorder) {
                try await BootstrapFinetune(metric: Self.metric, settings: FinetuneSettings(rank: 4, alpha: 8))
                    .compile(FinetuneClassify(), trainset: Self.trainset(fixture))
            }
        }
        let artifact = try #require((compiled.program.predictors().first?.lm as? FinetunedLM)?.artifact)
        let work = try #require(recorder.work.first)
        #expect(recorder.work.count == 1)
        #expect(work.phase == .training && work.candidate == "finetune")
        #expect(work.startedAt >= before && work.wallSeconds >= 0)
        #expect(work.rows == 7 && work.tokens == 7 && work.steps == 1 && work.finalLoss == 0.5)
        #expect(work.adapter == PhaseWork.Adapter(digest: artifact.digest, rank: 4, alpha: 8))
        let candidate = try #require(recorder.candidates.first { $0.id == "finetune" })
        #expect(candidate.state["classify"]?["lm"]?["adapter"]?["digest"]?.stringValue == artifact.digest)
    }

    @Test("A model that cannot be fine-tuned, or no run passing the metric, is a clear error")
    func errors() async throws {
        let fixture = try Self.fixture()
        await #expect(throws: OptimizerError.invalidArgument(
            "finetune needs a model that can be fine-tuned (the embedded engine); predictor 'classify' uses dummy")) {
            try await DSPySettings.with(DSPySettings(lm: Self.answers())) {
                try await BootstrapFinetune(metric: Self.metric).compile(FinetuneClassify(), trainset: Self.trainset(fixture))
            }
        }
        let never = Metric("never") { _, _, _ in 0 }
        await #expect(throws: OptimizerError.invalidArgument(
            "finetune has no training rows for 'classify': no teacher run passed the metric")) {
            try await DSPySettings.with(DSPySettings(lm: FakeFineTunableLM(base: Self.answers()))) {
                try await BootstrapFinetune(metric: never).compile(FinetuneClassify(), trainset: Self.trainset(fixture))
            }
        }
    }

    @Test("Fine-tuning through a cache keeps the cache, keyed by the fine-tuned model's own identifier")
    func cachedTrainer() async throws {
        let fixture = try Self.fixture()
        let trainer = FakeFineTunableLM(base: Self.answers())
        let cache = MemoryLMCache()
        let compiled = try await DSPySettings.with(DSPySettings(lm: CachedLanguageModel(trainer, cache: cache))) {
            try await BootstrapFinetune(metric: Self.metric).compile(FinetuneClassify(), trainset: Self.trainset(fixture))
        }
        let tuned = try #require(compiled.program.predictors().first?.lm as? FinetunedLM)
        #expect(tuned.model is CachedLanguageModel)
        #expect(tuned.modelIdentifier != trainer.modelIdentifier)
        #expect(FinetunedLM.trainer(behind: tuned)?.trainer.modelIdentifier == "fake-base")
    }
}
