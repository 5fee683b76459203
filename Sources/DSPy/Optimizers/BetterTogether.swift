import Foundation
import Logging

/// Prompt and weight optimization in sequence: DSPy's `BetterTogether`
/// (`dspy/teleprompt/bettertogether.py`, DSPy 3.4.1, after Soylu et al., "Fine-Tuning and
/// Prompt Optimization: Two Great Steps that Work Better Together"; the algorithm is DSPy's,
/// this is a re-implementation).
///
/// The strategy names the steps, `"p -> w -> p"` by default: `p` is a prompt optimizer
/// (dspyc's default `bootstrap`, or `random-search` as in DSPy), `w` is ``BootstrapFinetune``.
/// With no valset, the first `valsetRatio` of the trainset (10 %, rounded down) is held out as
/// one. The program as given is scored on the valset, then before each step the trainset is
/// shuffled with `random.Random(seed)`, the step's optimizer compiles the current program,
/// models the optimizer dropped are restored, and the result is scored on the valset. The
/// best-scoring program is returned (earlier wins ties), or the last one without a valset. A
/// step that throws ends the sequence and the best program so far is returned, as in DSPy.
///
/// A deliberate difference: a prompt step after fine-tuning runs with the fine-tuned model as
/// the ambient one (when every predictor shares it), so its demos are bootstrapped and scored
/// on the model they will run on; DSPy's prompt optimizers drop the predictors' models and fall
/// back to the configured one.
///
/// Cost: the steps' costs plus one valset evaluation per step and one for the original.
public struct BetterTogether: Optimizer {
    public var metric: Metric
    /// The optimizers by strategy key (`p`, `w`).
    public var optimizers: [String: any Optimizer]
    /// Steps separated by `" -> "`.
    public var strategy: String
    /// The fraction of the trainset held out as a valset when none is given, in [0, 1).
    public var valsetRatio: Double
    public var shuffleTrainsetBetweenSteps: Bool
    public var seed: Int
    public var maxConcurrency: Int
    /// Receives a line as each step starts and as each program is scored (minutes apart).
    public var progress: (@Sendable (String) -> Void)?

    public init(
        metric: Metric, prompt: any Optimizer, weights: any Optimizer, strategy: String = "p -> w -> p",
        valsetRatio: Double = 0.1, shuffleTrainsetBetweenSteps: Bool = true, seed: Int = 0, maxConcurrency: Int = 8,
        progress: (@Sendable (String) -> Void)? = nil
    ) {
        self.progress = progress
        self.metric = metric
        self.optimizers = ["p": prompt, "w": weights]
        self.strategy = strategy
        self.valsetRatio = valsetRatio
        self.shuffleTrainsetBetweenSteps = shuffleTrainsetBetweenSteps
        self.seed = seed
        self.maxConcurrency = max(1, maxConcurrency)
    }

    public var name: String { "better-together" }

    /// The strategy's steps, checked against the known optimizers.
    public func steps() throws -> [String] {
        let steps = strategy.components(separatedBy: " -> ").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !strategy.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw OptimizerError.invalidArgument("better-together: the strategy is empty")
        }
        for step in steps where optimizers[step] == nil {
            throw OptimizerError.invalidArgument(
                "better-together: the strategy '\(strategy)' names '\(step)'; known steps: \(optimizers.keys.sorted().joined(separator: ", "))")
        }
        return steps
    }

    /// The trainset and valset the steps use: the given valset, or the first `valsetRatio`
    /// of the trainset held out (DSPy's `_prepare_trainset_and_valset`).
    public func split(_ trainset: [Example], valset: [Example]?) throws -> (train: [Example], val: [Example]?) {
        guard !trainset.isEmpty else { throw OptimizerError.invalidArgument("better-together needs a non-empty trainset") }
        guard valsetRatio >= 0, valsetRatio < 1 else {
            throw OptimizerError.invalidArgument("better-together: valset_ratio must be in [0, 1), got \(valsetRatio)")
        }
        if let valset, !valset.isEmpty { return (trainset, valset) }
        if valsetRatio == 0 { return (trainset, nil) }
        let held = Int(valsetRatio * Double(trainset.count))
        return (Array(trainset[held...]), Array(trainset[..<held]))
    }

    struct Candidate {
        var strategy: String
        var score: Double?
        var program: any Program
    }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        let clock = ContinuousClock()
        let start = clock.now
        let steps = try steps()
        var (train, val) = try split(trainset, valset: valset)
        var notes = ["Strategy '\(strategy)' on \(train.count) training examples, "
            + (val.map { "\($0.count) validation examples" + (valset?.isEmpty == false ? "" : " held out of the trainset") }
                ?? "no validation set")]
        var errors = 0
        let (candidates, calls, hits) = try await CallCounter.counting { () -> [Candidate] in
            var rng = PythonRandom(seed: seed)
            var student = program.deepCopy()
            var candidates = [Candidate(strategy: "", score: try await score(student, val, id: "original"), program: student.deepCopy())]
            for (index, step) in steps.enumerated() {
                let label = steps[...index].joined(separator: " -> ")
                do {
                    if shuffleTrainsetBetweenSteps { rng.shuffle(&train) }
                    let before = student.predictors().map(\.lm)
                    let ambient = Self.sharedFinetunedModel(of: student)
                    let optimizer = optimizers[step]!
                    progress?("better-together: step \(index + 1)/\(steps.count) '\(label)': \(optimizer.name) on \(train.count) examples")
                    let compiled = try await DSPySettings.with({ if let ambient { $0.lm = ambient } }) {
                        try await optimizer.compile(student, trainset: train, valset: val)
                    }
                    student = compiled.program
                    for (predictor, lm) in zip(student.predictors(), before) where predictor.lm == nil { predictor.lm = lm }
                    notes += compiled.report.notes.map { "[\(label)] " + $0 }
                    errors += compiled.report.errors
                    candidates.append(Candidate(strategy: label, score: try await score(student, val, id: label),
                                                program: student.deepCopy()))
                } catch let error as CancellationError {
                    throw error
                } catch {
                    notes.append("[\(label)] failed, stopping with the best program so far: \(error)")
                    errors += 1
                    break
                }
            }
            return candidates
        }
        let best = Self.best(candidates, hasValset: val?.isEmpty == false)
        let chosen = candidates[best]
        CompileTrace.choose(Self.candidateID(chosen.strategy),
                            reason: val == nil ? "the last program (no validation set)" : "highest validation score (earlier wins ties)")
        var report = CompileReport(optimizer: name)
        report.lmCalls = calls
        report.cacheHits = hits
        report.seed = seed
        report.errors = errors
        report.candidates = candidates.compactMap { c in
            c.score.map { CompileReport.Candidate(label: Self.candidateID(c.strategy), score: $0) }
        }
        report.bestScore = chosen.score
        report.notes = notes + ["Chose '\(Self.candidateID(chosen.strategy))'"]
        report.recordDemos(of: chosen.program)
        report.elapsed = clock.now - start
        let scored = candidates.enumerated().sorted { a, b in
            (a.element.score ?? -.infinity, -a.offset) > (b.element.score ?? -.infinity, -b.offset)
        }.map { ScoredProgram(label: Self.candidateID($0.element.strategy), score: $0.element.score ?? 0, subscores: [],
                              program: $0.element.program) }
        return CompiledProgram(program: chosen.program, report: report, candidates: scored)
    }

    /// The index of the program to return: the highest score, earlier winning ties; without a
    /// valset, the last one.
    static func best(_ candidates: [Candidate], hasValset: Bool) -> Int {
        guard hasValset else { return candidates.count - 1 }
        var best = 0
        for (i, c) in candidates.enumerated() where (c.score ?? -.infinity) > (candidates[best].score ?? -.infinity) { best = i }
        return best
    }

    static func candidateID(_ strategy: String) -> String { strategy.isEmpty ? "original" : strategy }

    /// The fine-tuned model every predictor of `program` uses, if they share one.
    static func sharedFinetunedModel(of program: any Program) -> FinetunedLM? {
        let models = program.predictors().map { $0.lm as? FinetunedLM }
        guard let first = models.first ?? nil,
              models.allSatisfy({ $0?.artifact.digest == first.artifact.digest }) else { return nil }
        return first
    }

    /// Records `program` as candidate `id` and scores it on the valset (`nil` without one).
    private func score(_ program: any Program, _ val: [Example]?, id: String) async throws -> Double? {
        CompileTrace.candidate(id, label: id == "original" ? "the program as given" : "after \(id)", program: program)
        if !FinetunedLM.artifacts(of: program).isEmpty {
            let state = BootstrapFinetune.stateWithAdapters(program)
            CompileTrace.recorder?.update(id) { $0.state = state }
        }
        guard let val, !val.isEmpty else { return nil }
        let evaluate = Evaluate(devset: val, metric: metric, maxConcurrency: maxConcurrency, maxErrors: nil)
        let result = try await CompileContext.phase(.candidateEvaluation, candidate: id) { try await evaluate(program) }
        CompileTrace.score(id, split: "val", score: result.score, examples: val.count)
        progress?("better-together: '\(id)' scores \(String(format: "%.2f", result.score)) on \(val.count) validation examples")
        return result.score
    }
}
