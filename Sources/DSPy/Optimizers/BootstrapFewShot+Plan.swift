import Foundation

extension LabeledFewShot: PlannableOptimizer {
    /// No LM calls; the compiled program is known exactly (its demos are drawn without a model).
    public func plan(_ program: any Program, trainset: [Example], valset: [Example]?, context: PlanContext) throws -> OptimizerPlan {
        let student = program.resetCopy()
        apply(to: student, trainset: trainset)
        return OptimizerPlan(
            phases: [PlanPhase(name: "labeled demos", calls: .zero, promptTokens: .zero, completionTokenBound: 0,
                               note: "demos drawn from the trainset, no model call")],
            maxResultDemos: min(k, trainset.count), exactResult: student)
    }
}

extension BootstrapFewShot: PlannableOptimizer {
    /// The teacher's calibration (exact), its bootstrap runs (until enough succeed: a range),
    /// and the student's calibration against zero-shot (the held-out examples depend on the demos kept).
    public func plan(_ program: any Program, trainset: [Example], valset: [Example]?, context: PlanContext) throws -> OptimizerPlan {
        let planner = try PromptPlanner(program, context: context)
        return OptimizerPlan(phases: try phases(program, trainset: trainset, planner: planner),
                             maxResultDemos: min(trainset.count, max(maxBootstrappedDemos, maxLabeledDemos)))
    }

    /// The phases of one bootstrap (also one random-search candidate's).
    func phases(_ program: any Program, trainset: [Example], planner: PromptPlanner, calibrateStudent: Bool? = nil) throws -> [PlanPhase] {
        guard !trainset.isEmpty else { return [] }
        let perCall = planner.completionBoundPerCall
        var phases: [PlanPhase] = []
        // The teacher: the student with up to maxLabeledDemos labeled demos, exactly as `run` builds it.
        let teacher = program.resetCopy()
        if maxLabeledDemos > 0 {
            LabeledFewShot(k: maxLabeledDemos, mode: mode, seed: seed, labelField: labelField).apply(to: teacher, trainset: trainset)
        }
        let teacherDemos = teacher.namedPredictors().first?.predictor.demos ?? []
        if calibrateChoices, mode == .stratified {
            phases.append(try calibration("teacher calibration", trainset, demos: teacherDemos, planner: planner,
                                          note: "the teacher (\(teacherDemos.count) labeled demos) once per training example"))
        }
        // Teacher runs: each example without itself among the demos; stops after maxBootstrappedDemos successes.
        let runTokens = try trainset.map { example in
            try planner.tokens(example, demos: teacherDemos.filter { $0 != example })
        }
        let rounds = max(1, maxRounds)
        let fewest = min(maxBootstrappedDemos, trainset.count)
        let cheapest = runTokens.sorted().prefix(fewest).reduce(0, +)
        phases.append(PlanPhase(
            name: "bootstrap (teacher runs)",
            calls: PlanFigure(low: fewest, high: trainset.count * rounds),
            promptTokens: PlanFigure(low: cheapest, high: runTokens.reduce(0, +) * rounds),
            completionTokenBound: trainset.count * rounds * perCall,
            note: "until \(maxBootstrappedDemos) runs pass the metric: every training example \(rounds)× at most"))
        guard calibrateStudent ?? calibrateChoices else { return phases }
        // The student is calibrated on the examples its demos were not drawn from, then zero-shot on the same.
        let maxDemos = min(trainset.count, max(maxBootstrappedDemos, maxLabeledDemos))
        let zero = try planner.zeroShot(trainset)
        let heldOutLow = max(0, trainset.count - maxDemos)
        let zeroLow = zero.sorted().prefix(heldOutLow).reduce(0, +)
        let extra = try planner.mostExpensiveDemos(maxDemos, pool: trainset)
        if planner.calibrates {
            phases.append(PlanPhase(
                name: "student calibration",
                calls: PlanFigure(low: heldOutLow, high: trainset.count),
                promptTokens: PlanFigure(low: zeroLow, high: zero.reduce(0, +) + trainset.count * extra),
                completionTokenBound: trainset.count * perCall,
                note: "once per training example not used as a demo (0…\(maxDemos) demos)"))
            if compareZeroShot {
                phases.append(PlanPhase(
                    name: "zero-shot comparison",
                    calls: PlanFigure(low: 0, high: trainset.count),
                    promptTokens: PlanFigure(low: 0, high: zero.reduce(0, +)),
                    completionTokenBound: trainset.count * perCall,
                    note: "zero-shot on the same held-out examples, when demos were kept"))
            }
        } else if planner.hasChoiceOutput {
            phases.append(PlanPhase(name: "student calibration", calls: PlanFigure(exactly: 1),
                                    promptTokens: PlanFigure(low: zero.min() ?? 0, high: (zero.max() ?? 0) + extra),
                                    completionTokenBound: perCall, note: "one call: the model reports no choice scores"))
        }
        return phases
    }

    private func calibration(_ name: String, _ examples: [Example], demos: [Example], planner: PromptPlanner,
                             note: String) throws -> PlanPhase {
        if planner.calibrates { return try planner.exactRuns(name, examples, demos: demos, note: note) }
        guard planner.hasChoiceOutput, let first = examples.first else {
            return PlanPhase(name: name, calls: .zero, promptTokens: .zero, completionTokenBound: 0, note: "no choice output to calibrate")
        }
        return try planner.exactRuns(name, [first], demos: demos, note: "one call: the model reports no choice scores")
    }
}

extension BootstrapFewShotWithRandomSearch: PlannableOptimizer {
    /// Every candidate seed's bootstrap, calibration and scoring on the valset (the trainset when none).
    public func plan(_ program: any Program, trainset: [Example], valset: [Example]?, context: PlanContext) throws -> OptimizerPlan {
        let planner = try PromptPlanner(program, context: context)
        let scoring = (valset?.isEmpty ?? true) ? trainset : valset!
        let maxDemos = min(trainset.count, max(maxBootstrappedDemos, maxLabeledDemos))
        let extra = try planner.mostExpensiveDemos(maxDemos, pool: trainset)
        let zeroTrain = try planner.zeroShot(trainset).reduce(0, +)
        let zeroScoring = try planner.zeroShot(scoring).reduce(0, +)
        var phases: [PlanPhase] = []
        for s in candidateSeeds {
            let label = s == -3 ? "zero-shot" : s == -2 ? "labeled" : "bootstrap"
            if s >= -1 {
                // The candidate's bootstrap and its (shuffled) trainset, as `candidate(seed:program:trainset:)` draws them.
                var bootstrap = BootstrapFewShot(
                    metric: metric, maxBootstrappedDemos: maxBootstrappedDemos, maxLabeledDemos: maxLabeledDemos,
                    maxRounds: maxRounds, mode: mode, seed: seed, labelField: labelField)
                var shuffled = trainset
                if s >= 0 { (bootstrap, shuffled) = variant(of: bootstrap, seed: s, trainset: trainset) }
                for phase in try bootstrap.phases(program, trainset: shuffled, planner: planner, calibrateStudent: false) {
                    var p = phase
                    p.name = "seed \(s) \(phase.name)"
                    phases.append(p)
                }
            }
            if calibrateChoices, planner.hasChoiceOutput {
                // Every training example when the model reports choice scores, else one call that finds none.
                let count = planner.calibrates ? trainset.count : 1
                phases.append(PlanPhase(
                    name: "seed \(s) calibration", calls: PlanFigure(exactly: count),
                    promptTokens: PlanFigure(low: 0, high: (planner.calibrates ? zeroTrain : (try planner.zeroShot(trainset).max() ?? 0))
                        + count * (s == -3 ? 0 : extra)),
                    completionTokenBound: count * planner.completionBoundPerCall, note: "the \(label) candidate on the trainset"))
            }
            phases.append(PlanPhase(
                name: "seed \(s) scoring", calls: PlanFigure(exactly: scoring.count),
                promptTokens: PlanFigure(low: s == -3 ? zeroScoring : 0, high: zeroScoring + scoring.count * (s == -3 ? 0 : extra)),
                completionTokenBound: scoring.count * planner.completionBoundPerCall,
                note: "the \(label) candidate on \(valset == nil ? "the trainset (no valset)" : "the valset")"
                    + (stopAtScore == nil ? "" : "; stop_at_score may end the search earlier")))
        }
        return OptimizerPlan(phases: phases, maxResultDemos: maxDemos)
    }
}

extension PromptPlanner {
    /// Whether the predictor has an output with several choices (calibration targets).
    var hasChoiceOutput: Bool {
        OutputStructure(style: .chatHeaders, signature: predictor.signature).fields.contains { ($0.choices?.count ?? 0) > 1 }
    }
}
