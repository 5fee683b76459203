import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyStore
import DSPyUtilities
import Foundation

/// Compiles a program: baseline score, optimizer, compiled score, stored state.
///
/// The compiled state is cached in the store under a fingerprint of everything
/// that decides it (program structure and signatures, optimizer and settings,
/// seed, train and dev data, metric, model, decoding mode), so an identical
/// compile returns the stored result at once; LM calls are cached too, so an
/// interrupted compile that is run again replays the calls it already made.
struct CompileDriver {
    var spec: ProgramSpec
    var optimizer: String
    var settings: [String: String]
    var seed: Int
    var devLimit: Int?
    var concurrency: Int
    var structuredDecoding: Bool
    var modelOptions: ModelOptions
    /// `--endpoint` and its options: compile against a remote model (`nil` or without an endpoint: the engine).
    var remote: RemoteModelOptions? = nil
    /// An ad-hoc program's `--module` and `--instructions` (`nil` for a registered program),
    /// recorded with the compiled state so `run`, `eval` and `export` can find it.
    var adHocModule: String? = nil
    var adHocInstructions: String? = nil
    /// GEPA's reflection model, when not the task model.
    var reflection: ReflectionModel? = nil
    /// Limits on the optimizer phase (`--budget`); `nil` is unlimited.
    var budget: CompileBudget? = nil

    /// What this compile is compiled from, as stored with its result. Cost: one read of each data file.
    func compiledFrom() throws -> CompiledFrom {
        CompiledFrom(trainset: try DataFile(spec.trainset), devset: try DataFile(spec.devset), metric: spec.metric.name,
                     module: adHocModule, instructions: adHocInstructions)
    }

    /// The fingerprint of this compile, without loading the model (the GGUF directory is read
    /// and hashed: ``ModelFingerprint``).
    func fingerprint(from: CompiledFrom, modelURL: URL) throws -> String {
        try fingerprint(from: from, model: ModelFingerprint(contentsOf: modelURL))
    }

    /// The fingerprint of this compile on the model named `model`: the model enters by
    /// content (catalog SHA-256 or GGUF directory digest) and with the engine's numerics
    /// version, never by file name, so a renamed model keeps its compiles and a kernel change
    /// compiles afresh (the old record stays in the store under its old fingerprint, unused).
    func fingerprint(from: CompiledFrom, model: ModelFingerprint) throws -> String {
        try fingerprint(from: from, modelName: "\(model)")
    }

    /// The fingerprint of this compile on the model called `modelName`: an engine model's
    /// ``ModelFingerprint``, or a remote model's identifier (`openai/NAME@host:port`, with how
    /// it is decoded), since a server's weights cannot be hashed from here.
    func fingerprint(from: CompiledFrom, modelName model: String) throws -> String {
        let program = try spec.makeProgram()
        var parts: [String] = ["dspyc-compile-v2", spec.name, program.dumpState().pythonJSON(), optimizer]
        parts += settings.keys.sorted().map { "\($0)=\(settings[$0] ?? "")" }
        parts += ["seed=\(seed)", "dev=\(devLimit.map(String.init) ?? "all")", "metric=\(spec.metric.name)"]
        parts += ["train=" + from.trainset.sha256, "devset=" + from.devset.sha256]
        parts += ["model=\(model)", "structured=\(structuredDecoding)"]
        // Only when given, so compiles made without one keep their fingerprints.
        if let family = modelOptions.chatTemplateFamily { parts.append("chat-template=\(family.name)") }
        if let reflection { parts.append("reflection=\(reflection.name)@\(reflection.baseURL ?? "embedded")") }
        // A budgeted compile may stop early: it must never be reused as the unbudgeted (complete) one.
        if let budget { parts.append("budget=\(budget)") }
        // Fine-tuning: the training configuration the settings resolve to (the engine's defaults filled in).
        if let training = try trainingSettings() { parts.append("training=" + EmbeddedLM.trainingDescription(for: training)) }
        return SHA256.hash(parts.joined(separator: "\n")).hexString
    }

    /// Runs the compile (or returns the stored one), reporting phases on standard error.
    func run(force: Bool) async throws -> CompileSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let labelKeys = try spec.labelKeys()
        let trainset = try DatasetLoader.load(spec.trainset, inputKeys: spec.inputKeys, labelKeys: labelKeys)
        var devset = try DatasetLoader.load(spec.devset, inputKeys: spec.inputKeys, labelKeys: labelKeys)
        if let devLimit { devset = Array(devset.prefix(devLimit)) }
        let from = try compiledFrom()
        let key: String
        if let remote = try remote?.languageModel(model: modelOptions.model, structuredDecoding: structuredDecoding) {
            key = try fingerprint(from: from, modelName: remote.modelIdentifier)
        } else {
            key = try fingerprint(from: from, modelURL: try modelOptions.resolveModelURL())
        }
        let store = try Store.open()
        if !force, var stored = try await store.compiledProgram(fingerprint: key),
           case .string(let text)? = stored.metadata["summary"],
           var summary = try? JSONDecoder().decode(CompileSummary.self, from: Data(text.utf8)) {
            // Asking for this compile again makes it the latest one `run`, `eval` and `export` use;
            // a record saved before data were recorded gains its description.
            stored.metadata[CompiledFrom.metadataKey] = try from.metadataValue()
            stored.savedAt = Date()
            try await store.saveCompiledProgram(stored)
            summary.cached = true
            summary.wallSeconds = (clock.now - start).seconds
            return summary
        }
        // Validate the optimizer before spending any model time.
        _ = try makeOptimizer(embedder: NotYetLoadedEmbedder())
        let session = try ProgramSession.open(
            kind: .compile, program: spec.name, modelOptions: modelOptions, remote: remote,
            structuredDecoding: structuredDecoding, useCache: true)
        do {
            let summary = try await compile(
                session: session, trainset: trainset, devset: devset, fingerprint: key, from: from, start: start)
            var stored = summary.storeSummary
            stored["gold_labels"] = GoldLabels.summary(devset, keys: labelKeys)
            session.finish(status: .succeeded, summary: stored)
            return summary
        } catch {
            session.finish(status: .failed, summary: ["error": .string("\(error)")])
            throw error
        }
    }

    private func compile(
        session: ProgramSession, trainset: [Example], devset: [Example], fingerprint: String, from: CompiledFrom,
        start: ContinuousClock.Instant
    ) async throws -> CompileSummary {
        let clock = ContinuousClock()
        let program = try spec.makeProgram()
        let evaluate = Evaluate(
            devset: devset, metric: spec.metric, maxConcurrency: concurrency, maxErrors: nil, displayProgress: true,
            progressOutput: { Log.write($0) })
        Log.status("[1/3] baseline: \(spec.name) zero-shot on \(devset.count) dev examples")
        let baseline = try await session.with {
            try await CompileContext.phase(.baseline, candidate: "baseline") { try await evaluate(program) }
        }
        Log.status("[2/3] compile: optimizer \(optimizer) on \(trainset.count) training examples")
        let reflectionLM = try reflection?.languageModel(session: session, structuredDecoding: structuredDecoding,
                                                          threads: modelOptions.threads)
        let optimizer = try makeOptimizer(embedder: session.embedder, reflectionLM: reflectionLM)
        let trace = CompileTraceRecorder()
        let compiled = try await session.with {
            try await CompileTrace.recording(trace) {
                try await CompileContext.phase(.optimize) {
                    if let budget { return try await optimizer.compile(program, trainset: trainset, valset: nil, budget: budget) }
                    return try await optimizer.compile(program, trainset: trainset)
                }
            }
        }
        if let status = compiled.report.budget, status.stopped { Log.status("compile: \(status)") }
        Log.status("[3/3] evaluate: compiled program on \(devset.count) dev examples")
        let score = try await session.with {
            try await CompileContext.phase(.compiledEvaluation, candidate: CompileTraceWriter.chosenID(trace)) {
                try await evaluate(compiled.program)
            }
        }
        let adapters = try CompiledAdapters.blobs(of: compiled.program)
        try session.store.saveCandidates(CompileTraceWriter.records(
            runID: session.run.id, baselineProgram: program, baseline: baseline, compiled: compiled, score: score,
            recorder: trace), runID: session.run.id)
        try session.store.savePhaseWork(CompileTraceWriter.work(runID: session.run.id, recorder: trace), runID: session.run.id)
        let state = compiled.program.dumpState().pythonJSON(indent: 2)
        let totals = session.recorder.snapshot
        let summary = CompileSummary(
            program: spec.name, fingerprint: fingerprint, cached: false, runID: session.run.id,
            optimizer: self.optimizer, settings: settings, seed: seed, model: session.lm.modelIdentifier,
            baseline: ScoreSummary(baseline), compiled: ScoreSummary(score),
            demos: Dictionary(compiled.program.namedPredictors().map { ($0.name, $0.predictor.demos.count) },
                              uniquingKeysWith: { a, _ in a }),
            notes: compiled.report.notes,
            lmCalls: totals.calls, cacheHits: totals.cacheHits, promptTokens: totals.promptTokens,
            completionTokens: totals.completionTokens, cachedPromptTokens: totals.cachedPromptTokens,
            wallSeconds: (clock.now - start).seconds, budget: compiled.report.budget,
            training: adapters.blobs.isEmpty ? nil : FinetunedLM.artifacts(of: compiled.program)
                .reduce(into: [FinetuneArtifact]()) { seen, next in
                    if !seen.contains(where: { $0.digest == next.artifact.digest }) { seen.append(next.artifact) }
                }.map(TrainingSummary.init))
        let summaryText = String(decoding: try JSONEncoder().encode(summary), as: UTF8.self)
        var metadata: [String: StoredJSON] = [
            "summary": .string(summaryText), "optimizer": .string(self.optimizer),
            CompiledFrom.metadataKey: try from.metadataValue(),
            "stopped_by_budget": .bool(compiled.report.budget?.stopped ?? false)]
        if let map = adapters.metadata { metadata[CompiledAdapters.metadataKey] = map }
        try session.store.saveCompiledProgram(CompiledProgramRecord(
            fingerprint: fingerprint, program: spec.name, state: state,
            scores: ["baseline": baseline.score, "dev": score.score], metadata: metadata,
            runID: session.run.id), adapters: adapters.blobs)
        return summary
    }

    /// The chosen optimizer with its settings; `embedder` serves `knn`.
    func makeOptimizer(embedder: any Embedder, reflectionLM: (any LanguageModel)? = nil) throws -> any Optimizer {
        var choice = OptimizerChoice(optimizer, settings: settings)
        if choice.settings["seed"] == nil { choice.settings["seed"] = String(seed) }
        let reporter = TrainingProgressReporter()
        return try OptimizerRegistry.standard.make(choice, context: .init(
            metric: spec.metric, embedder: embedder, reflectionLM: reflectionLM, progress: { Log.status($0) },
            trainingProgress: { reporter.report($0) }))
    }

    /// The fine-tuning settings of a `finetune` or `better-together` compile, `nil` for other optimizers.
    func trainingSettings() throws -> FinetuneSettings? {
        let made = try makeOptimizer(embedder: NotYetLoadedEmbedder())
        if let finetune = made as? BootstrapFinetune { return finetune.settings }
        if let together = made as? BetterTogether, let finetune = together.optimizers["w"] as? BootstrapFinetune {
            return finetune.settings
        }
        return nil
    }
}

/// Stands in for the engine's embedder while settings are checked, before the model loads.
private struct NotYetLoadedEmbedder: Embedder {
    func embed(_ texts: [String]) async throws -> [[Float]] {
        throw OptimizerError.invalidArgument("the model is not loaded yet")
    }
}

extension ProgramSpec {
    /// The label fields: output fields of the program's predictors that the training data has.
    func labelKeys() throws -> [String] {
        let outputs = try makeProgram().namedPredictors().flatMap { $0.predictor.signature.outputs.map(\.name) }
        let first = try JSONL.load(trainset).first
        return outputs.filter { first?[$0] != nil }
    }
}

/// A dev-set score with its prediction-label distribution.
struct ScoreSummary: Codable {
    var score: Double
    var examples: Int
    var errors: Int
    var distribution: [String: Int]

    init(_ result: EvaluationResult) {
        score = result.score
        examples = result.rows.count
        errors = result.errorCount
        distribution = Dictionary(result.labelDistribution.map { ($0.label, $0.count) }, uniquingKeysWith: +)
    }
}

/// What `dspyc compile` prints (and returns with `--json`).
struct CompileSummary: Codable {
    var program: String
    var fingerprint: String
    var cached: Bool
    var runID: String
    var optimizer: String
    var settings: [String: String]
    /// The seed behind the optimizer's random choices (`--seed`); absent in summaries stored
    /// before it was recorded. `run` and `eval` rebuild a `knn` program with it.
    var seed: Int?
    var model: String
    var baseline: ScoreSummary
    var compiled: ScoreSummary
    var demos: [String: Int]
    /// What the optimizer reported (demo counts, calibration, choices it made); absent in
    /// summaries stored before it was recorded.
    var notes: [String]?
    var lmCalls: Int
    var cacheHits: Int
    var promptTokens: Int
    var completionTokens: Int
    var cachedPromptTokens: Int
    var wallSeconds: Double
    /// The optimizer phase's budget and what it spent (`--budget`); a stopped compile says
    /// `stopped by budget (calls): …` and holds the best program found before the limit.
    var budget: BudgetStatus? = nil
    /// The adapters fine-tuned (`finetune`, `better-together`): tokens, steps, wall time, final loss.
    var training: [TrainingSummary]? = nil

    var storeSummary: [String: StoredJSON] {
        ["baseline": .double(baseline.score), "dev": .double(compiled.score), "lm_calls": .int(lmCalls),
         "cache_hits": .int(cacheHits), "wall_seconds": .double(wallSeconds)]
    }

    /// The human-readable summary.
    var text: String {
        func distribution(_ s: ScoreSummary) -> String {
            let sorted = s.distribution.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            let shown = sorted.prefix(6).map { label, count in
                (label.count > 32 ? label.prefix(31) + "…" : label) + " \(count)"
            }
            let more = sorted.count > 6 ? ", +\(sorted.count - 6) other values" : ""
            return shown.joined(separator: ", ") + more
        }
        var lines = [
            cached ? "\(program): compiled program found in the cache (fingerprint \(fingerprint.prefix(12)))"
                : "\(program): compiled with \(optimizer)"
                    + (budget?.stopped == true ? " (stopped by its budget: the best program found so far)" : ""),
            String(format: "  baseline dev score  %6.2f%%  (%@)", baseline.score, distribution(baseline)),
            String(format: "  compiled dev score  %6.2f%%  (%@)", compiled.score, distribution(compiled)),
            "  demos               " + demos.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "),
            "  LM calls            \(lmCalls) (\(cacheHits) cache hits)",
            "  tokens              \(promptTokens) prompt (\(cachedPromptTokens) from the prefix cache), \(completionTokens) completion",
            String(format: "  wall time           %.2f s", wallSeconds),
            "  run                 \(runID)  (dspyc inspect --run \(runID.prefix(8)))",
        ]
        if let budget { lines.append("  budget              \(budget)") }
        for adapter in training ?? [] { lines.append("  training            " + adapter.text) }
        for note in notes ?? [] { lines.append("  note                \(note)") }
        if cached { lines.append("  (use --force to recompile)") }
        return lines.joined(separator: "\n")
    }
}
