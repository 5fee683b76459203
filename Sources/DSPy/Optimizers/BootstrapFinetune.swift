import Foundation
import Logging

/// Weights fine-tuned on the program's own successful runs: DSPy's `BootstrapFinetune`
/// (`dspy/teleprompt/bootstrap_finetune.py`, DSPy 3.4.1; the algorithm is DSPy's, this is a
/// re-implementation).
///
/// 1. The teacher (default: the student as given, demos included) runs over the whole
///    trainset with its trace recorded; with a metric, only runs whose score is non-zero
///    (truthy) are kept.
/// 2. Every call in a kept trace becomes one training row, rendered exactly as the adapter
///    renders it at inference — system, demo turns, user, and the assistant answer ending with
///    `\n\n[[ ## completed ## ]]\n` (ChatAdapter's `format_finetune_data`; like DSPy, other
///    adapters are refused). Rows are in trainset order, then trace order, and are shuffled
///    with Python's `random.Random(0)` (``PythonRandom``), so they are DSPy's rows in DSPy's
///    order for the same answers.
/// 3. `multitask` (the default) trains one adapter per distinct model, on every predictor's
///    rows; otherwise one per predictor, on the trace entries at that predictor's position
///    (DSPy matches by position, and so does this).
/// 4. Each predictor's model becomes the fine-tuned one (``FinetunedLM``), which carries the
///    artifact a compiled program stores.
///
/// Deliberate differences: a predictor without its own model uses the ambient one (DSPy
/// requires `set_lm`); jobs run one after another (the engine uses every core for one), so
/// there is no `num_threads` limit on their count; a run that throws is counted and skipped.
///
/// Cost: one teacher run per training example (cached calls are free), then training.
public struct BootstrapFinetune: Optimizer {
    public var metric: Metric?
    /// One adapter per model (DSPy's `multitask=True`), or one per predictor.
    public var multitask: Bool
    public var settings: FinetuneSettings
    /// Train without the predictors' demos in the prompts, and drop them from the result.
    public var excludeDemos: Bool
    /// A compiled teacher to collect traces with; `nil` uses the student.
    public var teacher: (any Program)?
    /// Teacher runs at once.
    public var maxConcurrency: Int
    /// Receives every training step.
    public var progress: (@Sendable (FinetuneProgress) -> Void)?
    /// Receives a line as the teacher runs start and as training starts.
    public var status: (@Sendable (String) -> Void)?

    public init(
        metric: Metric? = nil, multitask: Bool = true, settings: FinetuneSettings = FinetuneSettings(),
        excludeDemos: Bool = false, teacher: (any Program)? = nil, maxConcurrency: Int = 8,
        progress: (@Sendable (FinetuneProgress) -> Void)? = nil, status: (@Sendable (String) -> Void)? = nil
    ) {
        self.status = status
        self.metric = metric
        self.multitask = multitask
        self.settings = settings
        self.excludeDemos = excludeDemos
        self.teacher = teacher
        self.maxConcurrency = max(1, maxConcurrency)
        self.progress = progress
    }

    public var name: String { "finetune" }

    /// One teacher run kept for training: its example's position and its trace.
    public struct TraceData: Sendable {
        public var exampleIndex: Int
        public var steps: [TraceStep]
        public var score: Double?
    }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        let clock = ContinuousClock()
        let start = clock.now
        guard !trainset.isEmpty else { throw OptimizerError.invalidArgument("finetune needs a non-empty trainset") }
        let student = program.deepCopy()
        let teacher = (self.teacher ?? student).deepCopy()
        let ((traced, tuned), calls, hits) = try await CallCounter.counting { () -> (([TraceData], Int), [FinetunedLM]) in
            status?("finetune: running the teacher on \(trainset.count) training examples")
            let traced = try await CompileContext.phase(.bootstrap) { try await traces(teacher, trainset: trainset) }
            status?("finetune: kept \(traced.0.count) of \(trainset.count) teacher runs"
                + (metric == nil ? "" : " that passed the metric"))
            return (traced, try await train(student, traces: traced.0))
        }
        let (kept, errors) = traced
        var report = CompileReport(optimizer: name)
        report.lmCalls = calls
        report.cacheHits = hits
        report.seed = settings.seed
        report.errors = errors
        report.notes = ["Kept \(kept.count) of \(trainset.count) teacher runs"
            + (metric == nil ? "" : " that passed the metric") + (errors > 0 ? " (\(errors) raised)" : "")]
        for model in tuned { report.notes.append(Self.describe(model.artifact)) }
        report.recordDemos(of: student)
        report.elapsed = clock.now - start
        return CompiledProgram(program: student, report: report)
    }

    /// A one-line account of a training run.
    static func describe(_ artifact: FinetuneArtifact) -> String {
        let i = artifact.info
        return "Fine-tuned adapter \(artifact.digest.prefix(12)) (rank \(i.rank), alpha \(pythonFloatText(i.alpha))) on "
            + "\(i.rows) rows: \(i.steps) steps, \(i.tokens) tokens, "
            + (i.finalLoss.map { "final loss " + String(format: "%.4f", $0) } ?? "no loss")
            + String(format: ", %.1f s", i.wallSeconds)
    }

    /// Runs `teacher` on every training example, keeping the traces that pass the metric.
    /// Returns them in trainset order, and how many runs threw.
    func traces(_ teacher: any Program, trainset: [Example]) async throws -> ([TraceData], Int) {
        let metric = self.metric
        let slots = ResultSlots<TraceData>(count: trainset.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, example) in trainset.enumerated() {
                if index >= maxConcurrency { try await group.next() }
                group.addTask {
                    do {
                        let copy = teacher.deepCopy()
                        let inputs = try example.inputs().fields
                        let (prediction, steps) = try await TraceRecorder.capture { try await copy.forward(inputs) }
                        var score: Double?
                        if let metric { score = try await metric(example, prediction, trace: steps) }
                        _ = slots.set(index, TraceData(exampleIndex: index, steps: steps, score: score), failed: false)
                    } catch let error as CancellationError {
                        throw error
                    } catch {
                        OptimizerLog.logger.debug("finetune: teacher run failed", metadata: [
                            "example": "\(index)", "error": "\(error)"])
                    }
                }
            }
            try await group.waitForAll()
        }
        let runs = slots.values
        let kept = runs.compactMap { $0 }.filter { data in metric == nil || (data.score ?? 0) != 0 }
        return (kept, runs.filter { $0 == nil }.count)
    }

    /// The rows for one training job: every trace entry (`predictorIndex == nil`) or those at
    /// one position, in trace order, shuffled with `random.Random(0)` as DSPy shuffles them.
    ///
    /// - Throws: ``OptimizerError/invalidArgument(_:)`` when a predictor's adapter is not ChatAdapter.
    public static func rows(from traces: [TraceData], predictorIndex: Int?, excludeDemos: Bool) throws -> [FinetuneRow] {
        var rows: [FinetuneRow] = []
        for item in traces {
            for (position, step) in item.steps.enumerated() where predictorIndex == nil || predictorIndex == position {
                rows.append(try row(for: step, excludeDemos: excludeDemos))
            }
        }
        var random = PythonRandom(seed: 0)
        random.shuffle(&rows)
        return rows
    }

    /// One predictor call as a chat row: the messages the adapter sends for it, then its answer.
    public static func row(for step: TraceStep, excludeDemos: Bool) throws -> FinetuneRow {
        let predictor = step.predictor
        let adapter = predictor.adapter ?? DSPySettings.current.adapter ?? ChatAdapter()
        guard let chat = adapter as? ChatAdapter else {
            throw OptimizerError.invalidArgument(
                "finetune renders training rows as ChatAdapter does (as DSPy's BootstrapFinetune); "
                    + "predictor '\(predictor.path ?? predictor.signature.signatureString)' uses \(adapter.name)")
        }
        let signature = predictor.signature
        var messages = chat.format(signature, demos: excludeDemos ? [] : predictor.demos, inputs: step.inputs)
        messages.append(.assistant(chat.assistantMessageContent(signature, outputs: step.prediction.fields)))
        return FinetuneRow(messages: messages)
    }

    /// Trains one adapter per job and gives each predictor its fine-tuned model; each job is
    /// recorded as ``PhaseWork`` in the training phase (its calls, if any, are tagged `training`).
    private func train(_ student: any Program, traces: [TraceData]) async throws -> [FinetunedLM] {
        let ambient = DSPySettings.current.lm
        var done: [String: FinetunedLM] = [:]
        var order: [FinetunedLM] = []
        for (index, (name, predictor)) in student.namedPredictors().enumerated() {
            guard let lm = predictor.lm ?? ambient else { throw DSPyError.noLanguageModel }
            guard let found = FinetunedLM.trainer(behind: lm) else {
                throw OptimizerError.invalidArgument(
                    "finetune needs a model that can be fine-tuned (the embedded engine); predictor '\(name)' uses \(lm.modelIdentifier)")
            }
            let (trainer, cache) = (found.trainer, found.cache)
            let key = trainer.modelIdentifier + (multitask ? "" : "#\(index)")
            if done[key] == nil {
                let rows = try Self.rows(from: traces, predictorIndex: multitask ? nil : index, excludeDemos: excludeDemos)
                guard !rows.isEmpty else {
                    throw OptimizerError.invalidArgument(
                        "finetune has no training rows for '\(name)': no teacher run passed the metric")
                }
                OptimizerLog.logger.debug("finetune: training", metadata: ["rows": "\(rows.count)", "model": "\(key)"])
                let (startedAt, clock) = (Date(), ContinuousClock())
                let begun = clock.now
                var tuned = try await CompileContext.phase(.training, candidate: "finetune") {
                    try await trainer.finetune(rows, settings: settings, progress: progress)
                }
                CompileTrace.work(.training(tuned.artifact, candidate: "finetune", startedAt: startedAt,
                                            wallSeconds: (clock.now - begun).seconds))
                if let cache { tuned = tuned.cached(cache) }
                done[key] = tuned
                order.append(tuned)
            }
            predictor.lm = done[key]
            if excludeDemos { predictor.demos = [] }
        }
        record(student, order)
        return order
    }

    /// Records the fine-tuned program as a compile candidate, each predictor's `lm` naming its adapter.
    private func record(_ student: any Program, _ tuned: [FinetunedLM]) {
        guard CompileTrace.recorder != nil else { return }
        let label = tuned.map { "adapter \($0.artifact.digest.prefix(12))" }.joined(separator: ", ")
        CompileTrace.candidate("finetune", label: label, program: student)
        let state = Self.stateWithAdapters(student)
        CompileTrace.recorder?.update("finetune") {
            $0.state = state
            $0.chosen = true
            $0.decision = "the fine-tuned program"
        }
    }

    /// `program`'s state with each fine-tuned predictor's `lm` entry naming its adapter (digest,
    /// shape, training), as compile candidates record it.
    static func stateWithAdapters(_ program: any Program) -> JSONValue {
        var state = program.dumpState()
        let found = FinetunedLM.artifacts(of: program)
        guard !found.isEmpty else { return state }
        if program is Predict, let artifact = found.first?.artifact, case .object(var entry) = state {
            entry["lm"] = adapterState(artifact)
            state = .object(entry)
        } else if case .object(var object) = state {
            for (name, artifact) in found {
                guard case .object(var entry)? = object[name] else { continue }
                entry["lm"] = adapterState(artifact)
                object[name] = .object(entry)
            }
            state = .object(object)
        }
        return state
    }

    /// An adapter as a predictor's `lm` entry in a recorded state.
    static func adapterState(_ artifact: FinetuneArtifact) -> JSONValue {
        let i = artifact.info
        return ["model": .string(i.baseModel), "adapter": [
            "digest": .string(artifact.digest), "format": .string(artifact.format), "bytes": .int(artifact.data.count),
            "rank": .int(i.rank), "alpha": .double(i.alpha), "targets": .array(i.targets.map(JSONValue.string)),
            "rows": .int(i.rows), "steps": .int(i.steps), "tokens": .int(i.tokens),
            "final_loss": i.finalLoss.map(JSONValue.double) ?? .null,
        ]]
    }
}
