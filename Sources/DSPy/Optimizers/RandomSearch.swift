import Foundation
import Logging

/// BootstrapFewShot over many seeds, keeping the best on a validation set:
/// DSPy's `BootstrapFewShotWithRandomSearch` (`BootstrapRS`).
///
/// Candidates are indexed by seed from −3 to ``numCandidatePrograms`` − 1:
///
/// | seed | candidate |
/// | --- | --- |
/// | −3 | zero-shot (reset copy) |
/// | −2 | ``LabeledFewShot`` with ``maxLabeledDemos`` |
/// | −1 | ``BootstrapFewShot`` on the trainset as given |
/// | s ≥ 0 | trainset shuffled with `Random(s)`, bootstrapping `Random(s).randint(1, maxBootstrappedDemos)` demos |
///
/// Each candidate is scored with ``Evaluate`` on the valset (default: the
/// trainset); the first best wins, and the search stops early at
/// ``stopAtScore``. In `.dspy` mode the seeds and generators are DSPy's; in
/// `.stratified` mode (default) every bootstrap is stratified and seed `s`
/// draws from ``seed`` mixed with `s`, and every candidate's choice outputs are
/// calibrated on the trainset before it is scored (a dspyc addition).
///
/// Cost: about `(N + 3) × (|valset| + bootstrap runs)` program runs, plus
/// `|trainset|` per candidate when calibrating.
public struct BootstrapFewShotWithRandomSearch: Optimizer {
    public var metric: Metric
    public var metricThreshold: Double?
    public var maxBootstrappedDemos: Int
    public var maxLabeledDemos: Int
    public var maxRounds: Int
    public var numCandidatePrograms: Int
    public var maxConcurrency: Int
    public var maxErrors: Int
    public var stopAtScore: Double?
    public var mode: BootstrapFewShot.Mode
    public var seed: Int
    /// Only these seeds are tried (DSPy's `restrict`).
    public var restrict: Set<Int>?
    public var labeledSample: Bool
    public var labelField: String?
    /// Calibrate each candidate's choice outputs on the trainset before scoring it
    /// (``ChoiceCalibration``), so that zero-shot, labeled and bootstrapped candidates
    /// compete on equal terms. Defaults to on in `.stratified` mode, off in `.dspy`.
    public var calibrateChoices: Bool
    public var calibrationObjective: ChoiceCalibration.Objective

    public init(
        metric: Metric, metricThreshold: Double? = nil, maxBootstrappedDemos: Int = 4, maxLabeledDemos: Int = 16,
        maxRounds: Int = 1, numCandidatePrograms: Int = 16, maxConcurrency: Int = 8, maxErrors: Int = 10,
        stopAtScore: Double? = nil, mode: BootstrapFewShot.Mode = .stratified, seed: Int = 0,
        restrict: Set<Int>? = nil, labeledSample: Bool = true, labelField: String? = nil,
        calibrateChoices: Bool? = nil, calibrationObjective: ChoiceCalibration.Objective = .labelPrior
    ) {
        self.metric = metric
        self.metricThreshold = metricThreshold
        self.maxBootstrappedDemos = maxBootstrappedDemos
        self.maxLabeledDemos = maxLabeledDemos
        self.maxRounds = maxRounds
        self.numCandidatePrograms = numCandidatePrograms
        self.maxConcurrency = maxConcurrency
        self.maxErrors = maxErrors
        self.stopAtScore = stopAtScore
        self.mode = mode
        self.seed = seed
        self.restrict = restrict
        self.labeledSample = labeledSample
        self.labelField = labelField
        self.calibrateChoices = calibrateChoices ?? (mode == .stratified)
        self.calibrationObjective = calibrationObjective
    }

    public var name: String { "random-search" }

    /// The candidate seeds this search will try, in order.
    public var candidateSeeds: [Int] {
        Array(-3..<numCandidatePrograms).filter { restrict?.contains($0) ?? true }
    }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        let seeds = candidateSeeds
        guard !seeds.isEmpty else {
            throw OptimizerError.invalidArgument("restrict \(restrict.map { Array($0).sorted() } ?? []) matches no candidate seed in -3..<\(numCandidatePrograms)")
        }
        guard !trainset.isEmpty else { throw OptimizerError.invalidArgument("random search needs a non-empty trainset") }
        let valsetWasGiven = !(valset?.isEmpty ?? true)
        let valset = valsetWasGiven ? valset! : trainset
        let clock = ContinuousClock()
        let start = clock.now
        let evaluate = Evaluate(devset: valset, metric: metric, maxConcurrency: maxConcurrency, maxErrors: maxErrors,
                                labelField: labelField)
        var report = CompileReport(optimizer: name)
        report.seed = seed
        let (scored, calls, hits) = try await CallCounter.counting { () -> [ScoredProgram] in
            var scored: [ScoredProgram] = []
            for s in seeds {
                OptimizerLog.logger.debug("random search: building a candidate", metadata: ["seed": "\(s)", "of": "\(seeds.count)"])
                let id = "seed \(s)"
                let (candidate, label, errors) = try await CompileContext.phase(.optimize, candidate: id) {
                    try await self.candidate(seed: s, program: program, trainset: trainset)
                }
                report.errors += errors
                if calibrateChoices {
                    report.notes += try await CompileContext.phase(.calibration, candidate: id) {
                        try await ChoiceCalibration(maxConcurrency: maxConcurrency, objective: calibrationObjective)
                            .calibrate(candidate, trainset: trainset)
                    }.map { "\(label): \($0)" }
                }
                CompileTrace.candidate(id, label: label, program: candidate)
                let result = try await CompileContext.phase(.candidateEvaluation, candidate: id) { try await evaluate(candidate) }
                CompileTrace.score(id, split: valsetWasGiven ? "val" : "train", score: result.score, examples: valset.count)
                OptimizerLog.logger.debug("random search: candidate scored", metadata: ["candidate": "\(label)", "score": "\(result.score)"])
                scored.append(ScoredProgram(label: label, score: result.score, subscores: result.scores, program: candidate))
                BudgetMeter.current?.offer(candidate, score: result.score, label: label)
                report.candidates.append(.init(label: label, score: result.score))
                if let stopAtScore, result.score >= stopAtScore { break }
            }
            return scored
        }
        // The first candidate with the highest score wins, as in DSPy.
        var best = scored[0]
        for c in scored.dropFirst() where c.score > best.score { best = c }
        report.lmCalls = calls
        report.cacheHits = hits
        report.bestScore = best.score
        report.notes.append("best: \(best.label); mode: \(mode.rawValue)")
        // `scored` follows `seeds`: the winner's seed is the one at its position.
        let bestSeed = seeds[scored.firstIndex { $0.label == best.label } ?? 0]
        CompileTrace.choose("seed \(bestSeed)", reason: "the first candidate with the highest score (\(pythonFloatText(best.score)))")
        report.recordDemos(of: best.program)
        report.elapsed = clock.now - start
        let sorted = scored.enumerated().sorted { ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset) }.map(\.element)
        return CompiledProgram(program: best.program, report: report, candidates: sorted)
    }

    /// Builds the candidate for one seed.
    func candidate(seed s: Int, program: any Program, trainset: [Example]) async throws -> (any Program, String, Int) {
        let bootstrap = BootstrapFewShot(
            metric: metric, metricThreshold: metricThreshold, maxBootstrappedDemos: maxBootstrappedDemos,
            maxLabeledDemos: maxLabeledDemos, maxRounds: maxRounds, maxErrors: maxErrors, mode: mode,
            seed: seed, maxConcurrency: min(maxConcurrency, 4), labelField: labelField)
        switch s {
        case -3:
            return (program.resetCopy(), "seed -3 (zero-shot)", 0)
        case -2:
            let student = program.resetCopy()
            LabeledFewShot(k: maxLabeledDemos, sample: labeledSample, mode: mode, seed: seed, labelField: labelField)
                .apply(to: student, trainset: trainset)
            return (student, "seed -2 (labeled)", 0)
        case -1:
            let outcome = try await bootstrap.run(program, trainset: trainset)
            return (outcome.student, "seed -1 (bootstrap)", outcome.errors)
        default:
            let (variant, shuffled) = variant(of: bootstrap, seed: s, trainset: trainset)
            let outcome = try await variant.run(program, trainset: shuffled)
            return (outcome.student, "seed \(s) (bootstrap \(variant.maxBootstrappedDemos))", outcome.errors)
        }
    }

    /// The bootstrap and trainset seed `s` ≥ 0 draws: DSPy's way (`dspy` mode: the trainset
    /// shuffled and the demo count drawn with `random.Random(s)`) or the stratified one (demo
    /// count and bootstrap seed from one generator). The compile and its plan both use it.
    func variant(of bootstrap: BootstrapFewShot, seed s: Int, trainset: [Example]) -> (BootstrapFewShot, [Example]) {
        var shuffled = trainset
        var variant = bootstrap
        switch mode {
        case .dspy:
            var shuffler = PythonRandom(seed: s)
            shuffler.shuffle(&shuffled)
            var sizer = PythonRandom(seed: s)
            variant.maxBootstrappedDemos = sizer.randint(1, max(1, maxBootstrappedDemos))
        case .stratified:
            var rng = PythonRandom(seed: seed &* 1_000_003 &+ s)
            variant.maxBootstrappedDemos = rng.randint(1, max(1, maxBootstrappedDemos))
            variant.seed = rng.randint(0, 1 << 30)
        }
        return (variant, shuffled)
    }
}
