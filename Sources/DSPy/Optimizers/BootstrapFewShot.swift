import Foundation
import Logging

/// Demos bootstrapped from the program's own successful runs: DSPy's `BootstrapFewShot`.
///
/// A teacher (the program itself, given up to ``maxLabeledDemos`` labeled
/// demos) runs on training examples; when the metric accepts its prediction,
/// every predictor call in the trace becomes an *augmented* demo
/// (`augmented: true` + the call's inputs and outputs) for that predictor.
/// Rounds after the first run at temperature 1.0 with `rolloutID = round`, so
/// they are not cache hits. The student then gets up to
/// ``maxBootstrappedDemos`` augmented demos, filled up to
/// ``maxLabeledDemos`` with labeled training examples.
///
/// Two modes:
/// - `.dspy` is DSPy 3.4's algorithm exactly: the trainset is walked in order,
///   the first successes are kept, and the labeled fill is drawn with
///   `random.Random(0)` (``PythonRandom``), so the demos equal DSPy's for the
///   same data and answers.
/// - `.stratified` (**dspyc's default, a deliberate difference**): the
///   trainset is shuffled with ``seed`` and walked round-robin over the labels,
///   at most ⌈maxBootstrapped / #labels⌉ augmented demos per label, and the
///   labeled fill prefers under-represented labels; the demos are interleaved
///   by label. Measured with DSPy 3.4 and a small local model, walking in
///   order kept four demos of one label on three datasets and the compiled
///   program answered that label every time; balanced demos teach the task.
///   Choices are then calibrated (``ChoiceCalibration``) on the training
///   examples not used as demos, and the demos are kept only if they beat the
///   calibrated zero-shot program there (``compareZeroShot``, `demosWin(_:over:)`):
///   with the 135M model, sentiment's bootstrapped demo sets scored 54–65.5 %
///   on dev where calibrated zero-shot scored 66–68.5 %.
///
/// Cost: at most `|trainset| × maxRounds` teacher runs, in practice about
/// `maxBootstrappedDemos / success rate`.
public struct BootstrapFewShot: Optimizer {
    /// How examples are chosen (see the type's documentation).
    public enum Mode: String, Sendable, CaseIterable {
        case dspy
        case stratified
    }

    public var metric: Metric?
    public var metricThreshold: Double?
    public var maxBootstrappedDemos: Int
    public var maxLabeledDemos: Int
    public var maxRounds: Int
    /// Errors tolerated before the last one is rethrown (DSPy's default 10).
    public var maxErrors: Int
    public var mode: Mode
    public var seed: Int
    /// A compiled teacher; `nil` uses the student with labeled demos.
    public var teacher: (any Program)?
    /// An LM for the teacher's runs (DSPy's `teacher_settings={"lm": …}`).
    public var teacherLM: (any LanguageModel)?
    /// Teacher runs at once in `.stratified` mode (`.dspy` runs one at a time, as DSPy).
    public var maxConcurrency: Int
    /// The label field used for balancing; `nil` = the first label field.
    public var labelField: String?
    /// After choosing demos, learn choice offsets (``ChoiceCalibration``) for choice outputs
    /// when the model reports choice scores. Defaults to on in `.stratified` mode, off in `.dspy`.
    public var calibrateChoices: Bool
    /// What calibration fits (``ChoiceCalibration/Objective``).
    public var calibrationObjective: ChoiceCalibration.Objective
    /// After calibrating, also calibrate the zero-shot program on the same held-out training
    /// examples and return it instead unless the demos beat it (`demosWin(_:over:)`): demos
    /// that do not help are dropped. Defaults to on in `.stratified` mode with calibration.
    public var compareZeroShot: Bool

    public init(
        metric: Metric? = nil, metricThreshold: Double? = nil, maxBootstrappedDemos: Int = 4,
        maxLabeledDemos: Int = 16, maxRounds: Int = 1, maxErrors: Int = 10, mode: Mode = .stratified,
        seed: Int = 0, teacher: (any Program)? = nil, teacherLM: (any LanguageModel)? = nil,
        maxConcurrency: Int = 4, labelField: String? = nil, calibrateChoices: Bool? = nil,
        calibrationObjective: ChoiceCalibration.Objective = .labelPrior, compareZeroShot: Bool? = nil
    ) {
        self.metric = metric
        self.metricThreshold = metricThreshold
        self.maxBootstrappedDemos = maxBootstrappedDemos
        self.maxLabeledDemos = maxLabeledDemos
        self.maxRounds = maxRounds
        self.maxErrors = maxErrors
        self.mode = mode
        self.seed = seed
        self.teacher = teacher
        self.teacherLM = teacherLM
        self.maxConcurrency = max(1, maxConcurrency)
        self.labelField = labelField
        self.calibrateChoices = calibrateChoices ?? (mode == .stratified)
        self.calibrationObjective = calibrationObjective
        self.compareZeroShot = compareZeroShot ?? (mode == .stratified && self.calibrateChoices)
    }

    public var name: String { "bootstrap" }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        let clock = ContinuousClock()
        let start = clock.now
        let logger = OptimizerLog.logger
        logger.debug("bootstrap: bootstrapping demos", metadata: [
            "trainset": "\(trainset.count)", "mode": "\(mode.rawValue)", "max_bootstrapped": "\(maxBootstrappedDemos)",
        ])
        let ((outcome, student, calibration), calls, hits) = try await CallCounter.counting {
            () -> (Outcome, any Program, [String]) in
            let outcome = try await run(program, trainset: trainset)
            logger.debug("bootstrap: demos chosen", metadata: ["note": "\(outcome.note)", "errors": "\(outcome.errors)"])
            BudgetMeter.current?.offer(outcome.student, score: nil, label: "bootstrapped demos, not calibrated")
            guard calibrateChoices else { return (outcome, outcome.student, []) }
            logger.debug("bootstrap: calibrating choices on the held-out training examples")
            let (student, notes) = try await calibrated(outcome.student, against: program, trainset: trainset)
            return (outcome, student, notes)
        }
        var report = CompileReport(optimizer: name)
        report.lmCalls = calls
        report.cacheHits = hits
        report.seed = mode == .dspy ? 0 : seed
        report.errors = outcome.errors
        report.notes = [outcome.note, "mode: \(mode.rawValue)"] + calibration
        report.recordDemos(of: student)
        report.elapsed = clock.now - start
        logger.debug("bootstrap: done", metadata: [
            "lm_calls": "\(calls)", "cache_hits": "\(hits)", "seconds": "\(report.elapsed.components.seconds)",
        ])
        return CompiledProgram(program: student, report: report)
    }

    /// Calibrates the student on the training examples its demos were not drawn from (its
    /// own demos would flatter it) and, when ``compareZeroShot`` is on, calibrates the
    /// zero-shot program on the same examples and keeps it instead unless the demos beat it.
    ///
    /// Cost: one student run per held-out example; as many again for the comparison.
    private func calibrated(
        _ student: any Program, against program: any Program, trainset: [Example]
    ) async throws -> (any Program, [String]) {
        let calibration = ChoiceCalibration(maxConcurrency: maxConcurrency * 2, objective: calibrationObjective)
        let demos = student.predictors().flatMap(\.demos)
        let unused = trainset.filter { example in
            let keys = example.inputKeys ?? example.keys.filter { $0 != "augmented" }
            return !demos.contains { demo in keys.allSatisfy { demo[$0] == example[$0] } }
        }
        let heldOut = unused.isEmpty ? trainset : unused
        let withDemos = try await CompileContext.phase(.calibration, candidate: "demos") {
            try await calibration.calibrateSummarizing(student, trainset: heldOut)
        }
        Self.trace("demos", student, withDemos)
        guard compareZeroShot, withDemos.scored > 0, !demos.isEmpty, !unused.isEmpty else { return (student, withDemos.notes) }
        let zeroShot = program.resetCopy()
        let plain = try await CompileContext.phase(.calibration, candidate: "zero-shot") {
            try await calibration.calibrateSummarizing(zeroShot, trainset: heldOut)
        }
        Self.trace("zero-shot", zeroShot, plain)
        let because = "held-out training accuracy \(withDemos.correct)/\(withDemos.scored) with demos vs \(plain.correct)/\(plain.scored) zero-shot"
            + String(format: ", mean gold log-probability %.3f vs %.3f", withDemos.meanGoldLogProbability, plain.meanGoldLogProbability)
        let verdict = "calibrated on the \(heldOut.count) training examples not used as demos: with demos "
            + "\(withDemos.correct)/\(withDemos.scored) right, zero-shot \(plain.correct)/\(plain.scored)"
            + String(format: "; mean gold log-probability %.3f vs %.3f", withDemos.meanGoldLogProbability, plain.meanGoldLogProbability)
        if Self.demosWin(withDemos, over: plain) {
            CompileTrace.choose("demos", reason: "demos win: " + because)
            CompileTrace.reject("zero-shot", reason: "demos win: " + because)
            return (student, withDemos.notes + [verdict + "; keeping the demos"])
        }
        CompileTrace.choose("zero-shot", reason: "demos must beat zero-shot on both measures: " + because)
        CompileTrace.reject("demos", reason: "demos must beat zero-shot on both measures: " + because)
        return (zeroShot, withDemos.notes + plain.notes + [verdict + "; keeping zero-shot"])
    }

    /// Records a calibrated candidate and its held-out accuracy in the compile trace.
    private static func trace(_ id: String, _ program: any Program, _ summary: ChoiceCalibration.Summary) {
        CompileTrace.candidate(id, program: program)
        guard summary.scored > 0 else { return }
        CompileTrace.score(id, split: "held-out train", score: 100 * Double(summary.correct) / Double(summary.scored),
                           examples: summary.scored)
    }

    /// Whether calibrated demos beat calibrated zero-shot on the same examples: more of them
    /// right *and* a higher mean log-probability of the gold choice.
    ///
    /// Demos lengthen every prompt, so they must do better, not merely as well. Accuracy on a
    /// hundred examples alone is noisy: with the 135M model, sentiment demo sets won or lost
    /// by up to 4 held-out examples at random, while their gold log-probability was lower
    /// than zero-shot's for every seed, as was their dev score; on country-region, where demos
    /// raise dev scores by 20 points, both measures favoured them.
    static func demosWin(_ withDemos: ChoiceCalibration.Summary, over zeroShot: ChoiceCalibration.Summary) -> Bool {
        guard withDemos.scored == zeroShot.scored else { return true }
        return withDemos.correct > zeroShot.correct
            && withDemos.meanGoldLogProbability > zeroShot.meanGoldLogProbability
    }

    struct Outcome {
        let student: any Program
        let errors: Int
        let note: String
    }

    /// One training example's bootstrap result.
    private struct Attempt: Sendable {
        let index: Int
        let success: Bool
        /// Demos by predictor name, in trace order.
        let demos: [(String, Example)]
        /// Errors of failed rounds, in order.
        let errors: [any Error]
        let attempts: Int
    }

    /// Bootstraps demos for a copy of `program` (LM calls in the ``CompilePhase/bootstrap`` phase).
    func run(_ program: any Program, trainset: [Example]) async throws -> Outcome {
        try await CompileContext.phase(.bootstrap) { try await bootstrapping(program, trainset: trainset) }
    }

    private func bootstrapping(_ program: any Program, trainset: [Example]) async throws -> Outcome {
        let student = program.resetCopy()
        guard !trainset.isEmpty else { return Outcome(student: student, errors: 0, note: "empty trainset") }
        let studentNames = student.namedPredictors().map(\.name)

        // Teacher: the given one, or the student with labeled demos.
        let teacher: any Program
        if let given = self.teacher, given.predictors().contains(where: { !$0.demos.isEmpty }) {
            teacher = given.deepCopy()
        } else {
            teacher = (self.teacher ?? student).resetCopy()
            if maxLabeledDemos > 0 {
                LabeledFewShot(k: maxLabeledDemos, mode: mode, seed: seed, labelField: labelField)
                    .apply(to: teacher, trainset: trainset)
            }
        }
        let teacherNamed = teacher.namedPredictors()
        guard teacherNamed.map(\.name) == studentNames else {
            throw OptimizerError.invalidArgument(
                "the teacher's predictors \(teacherNamed.map(\.name)) do not match the student's \(studentNames)")
        }
        for (t, s) in zip(teacherNamed, student.namedPredictors()) where !t.predictor.signature.equals(s.predictor.signature) {
            throw OptimizerError.invalidArgument("the teacher's predictor '\(t.name)' has a different signature than the student's")
        }
        if calibrateChoices, mode == .stratified {
            // A teacher that answers one label for everything bootstraps only that label.
            _ = try await ChoiceCalibration(maxConcurrency: maxConcurrency * 2, objective: calibrationObjective).calibrate(teacher, trainset: trainset)
        }

        var traces: [String: [(demo: Example, label: String)]] = Dictionary(uniqueKeysWithValues: studentNames.map { ($0, []) })
        var bootstrapped = Set<Int>()
        var errors = 0
        var attempts = 0
        var lastIndex = 0

        let stratifier = Stratifier(examples: trainset, field: labelField)
        var order: [Int]
        var shuffledOrder: [Int] = Array(trainset.indices)
        switch mode {
        case .dspy:
            order = Array(trainset.indices)
        case .stratified:
            var rng = PythonRandom(seed: seed)
            rng.shuffle(&shuffledOrder)
            let shuffledExamples = shuffledOrder.map { trainset[$0] }
            order = Stratifier(examples: shuffledExamples, field: labelField).interleaved.map { shuffledOrder[$0] }
        }
        let labelCount = max(1, Set(trainset.indices.map(stratifier.label(of:))).count)
        let perLabelCap = mode == .dspy ? Int.max : Int((Double(maxBootstrappedDemos) / Double(labelCount)).rounded(.up))
        var successesByLabel: [String: Int] = [:]

        var cursor = 0
        var stoppedByBudget = false
        while !stoppedByBudget, cursor < order.count, bootstrapped.count < maxBootstrappedDemos {
            // Choose a wave whose members could all succeed without passing the caps.
            var wave: [Int] = []
            var pending: [String: Int] = [:]
            let width = mode == .dspy ? 1 : maxConcurrency
            while cursor < order.count, wave.count < width,
                  bootstrapped.count + wave.count < maxBootstrappedDemos {
                let index = order[cursor]
                let label = stratifier.label(of: index)
                cursor += 1
                if successesByLabel[label, default: 0] + pending[label, default: 0] >= perLabelCap { continue }
                pending[label, default: 0] += 1
                wave.append(index)
            }
            if wave.isEmpty { break }
            let results = try await withThrowingTaskGroup(of: Attempt.self) { group in
                for index in wave {
                    group.addTask { await self.bootstrapOne(teacher: teacher, example: trainset[index], index: index) }
                }
                var collected: [Int: Attempt] = [:]
                for try await a in group { collected[a.index] = a }
                return wave.map { collected[$0]! }
            }
            for attempt in results {
                attempts += attempt.attempts
                lastIndex = max(lastIndex, attempt.index)
                for error in attempt.errors {
                    // A call refused by the compile budget is no error of the example: stop after this wave.
                    if error is BudgetExhausted { stoppedByBudget = true; continue }
                    errors += 1
                    if errors >= maxErrors { throw error }
                }
                guard attempt.success, bootstrapped.count < maxBootstrappedDemos else { continue }
                bootstrapped.insert(attempt.index)
                let label = stratifier.label(of: attempt.index)
                successesByLabel[label, default: 0] += 1
                var byName: [String: [Example]] = [:]
                var names: [String] = []
                for (name, demo) in attempt.demos {
                    if byName[name] == nil { names.append(name) }
                    byName[name, default: []].append(demo)
                }
                var coin = PythonRandom(seed: attempt.index)
                for name in names {
                    var demos = byName[name]!
                    // A predictor that ran several times keeps one step, as DSPy does.
                    if demos.count > 1 {
                        demos = [coin.random() < 0.5 ? coin.choice(Array(demos.dropLast())) : demos.last!]
                    }
                    traces[name, default: []] += demos.map { ($0, label) }
                }
            }
        }
        let walked = mode == .dspy ? lastIndex + 1 : cursor
        let note = "Bootstrapped \(bootstrapped.count) full traces after \(walked) examples for up to \(maxRounds) rounds, amounting to \(attempts) attempts."
            + (stoppedByBudget ? " Stopped by the compile budget." : "")

        // Labeled fill from the examples that were not bootstrapped.
        switch mode {
        case .dspy:
            var validation = trainset.indices.filter { !bootstrapped.contains($0) }.map { trainset[$0] }
            var shuffler = PythonRandom(seed: 0)
            shuffler.shuffle(&validation)
            var rng = PythonRandom(seed: 0)
            var raw = validation
            for (name, predictor) in student.namedPredictors() {
                let augmented = Array((traces[name] ?? []).prefix(maxBootstrappedDemos).map(\.demo))
                let size = max(0, min(maxLabeledDemos - augmented.count, raw.count))
                raw = rng.sample(raw, size)
                predictor.demos = augmented + raw
            }
        case .stratified:
            let pool = shuffledOrder.filter { !bootstrapped.contains($0) }
            for (name, predictor) in student.namedPredictors() {
                let augmented = Array((traces[name] ?? []).prefix(maxBootstrappedDemos))
                predictor.demos = balancedDemos(augmented: augmented, pool: pool, trainset: trainset, stratifier: stratifier)
            }
        }
        return Outcome(student: student, errors: errors, note: note)
    }

    /// Augmented demos plus labeled ones for the least represented labels, interleaved by label.
    private func balancedDemos(
        augmented: [(demo: Example, label: String)], pool: [Int], trainset: [Example], stratifier: Stratifier
    ) -> [Example] {
        var byLabel: [String: [Example]] = [:]
        var labelOrder: [String] = []
        func add(_ demo: Example, _ label: String) {
            if byLabel[label] == nil { labelOrder.append(label) }
            byLabel[label, default: []].append(demo)
        }
        for (demo, label) in augmented { add(demo, label) }
        var remaining: [String: [Int]] = [:]
        var poolLabels: [String] = []
        for index in pool {
            let label = stratifier.label(of: index)
            if remaining[label] == nil { poolLabels.append(label) }
            remaining[label, default: []].append(index)
        }
        var need = max(0, maxLabeledDemos - augmented.count)
        while need > 0 {
            // The label with the fewest demos so far that still has examples (ties: first seen).
            let candidates = (labelOrder + poolLabels.filter { !labelOrder.contains($0) })
                .filter { !(remaining[$0] ?? []).isEmpty }
            guard let label = candidates.min(by: { (byLabel[$0]?.count ?? 0) < (byLabel[$1]?.count ?? 0) }) else { break }
            let index = remaining[label]!.removeFirst()
            add(trainset[index], label)
            need -= 1
        }
        var out: [Example] = []
        let longest = byLabel.values.map(\.count).max() ?? 0
        for r in 0..<longest { for label in labelOrder where r < byLabel[label]!.count { out.append(byLabel[label]![r]) } }
        return out
    }

    /// Runs the teacher on one example for up to ``maxRounds`` rounds.
    private func bootstrapOne(teacher: any Program, example: Example, index: Int) async -> Attempt {
        var attempts = 0
        var failures: [any Error] = []
        for round in 0..<max(1, maxRounds) {
            attempts += 1
            let copy = teacher.deepCopy()
            let named = copy.namedPredictors()
            for (_, p) in named { p.demos = p.demos.filter { $0 != example } }
            let names = Dictionary(uniqueKeysWithValues: named.map { (ObjectIdentifier($0.predictor), $0.name) })
            do {
                let inputs = try example.inputs().fields
                let (prediction, steps) = try await DSPySettings.with({ s in
                    if s.traceID == nil { s.traceID = UUID().uuidString }  // one trace per teacher run (the log's tree)
                    if let teacherLM { s.lm = teacherLM }
                    if round > 0 {
                        s.samplingOverride = (s.samplingOverride ?? SamplingParameters())
                            .merged(with: SamplingParameters(temperature: 1.0, rolloutID: round))
                    }
                }) {
                    try await TraceRecorder.capture { try await copy.forward(inputs) }
                }
                var success = true
                if let metric {
                    let value: Double
                    do { value = try await metric(example, prediction, trace: steps) } catch {
                        throw MetricError(metric: metric.name, message: "\(error)")
                    }
                    success = metricThreshold.map { value >= $0 } ?? (value != 0)
                }
                if success {
                    var demos: [(String, Example)] = []
                    for step in steps {
                        guard let name = names[ObjectIdentifier(step.predictor)] else { continue }
                        var fields: JSONObject = ["augmented": true]
                        for (k, v) in step.inputs { fields[k] = v }
                        for (k, v) in step.prediction.fields { fields[k] = v }
                        demos.append((name, Example(fields)))
                    }
                    return Attempt(index: index, success: true, demos: demos, errors: failures, attempts: attempts)
                }
            } catch {
                // As in DSPy, a failed round counts one error and the next round is tried.
                failures.append(error)
            }
        }
        return Attempt(index: index, success: false, demos: [], errors: failures, attempts: attempts)
    }
}
