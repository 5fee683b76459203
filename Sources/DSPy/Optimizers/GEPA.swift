import Foundation

/// Reflective prompt evolution: DSPy 3.4.1's `dspy.GEPA`.
///
/// The algorithm is GEPA (Lakshya A Agrawal et al., 2025, "GEPA: Reflective Prompt Evolution
/// Can Outperform Reinforcement Learning"), as DSPy 3.4.1 and its `gepa` package run it; this
/// implementation is dspyc's own. A candidate is one instruction per predictor (demos are left
/// as they are).
///
/// 1. The program as given is scored on every validation example (the valset, else the
///    trainset); each candidate keeps its per-example scores.
/// 2. Each iteration picks a parent from the Pareto frontier (``GEPAState/selectParent(_:)``:
///    candidates best on some validation example, dominated ones removed, sampled by how many
///    examples they lead), runs it with traces on the next train minibatch
///    (``reflectionMinibatchSize``), and — unless every score is perfect — asks the reflection
///    model for a new instruction for one predictor (round-robin) from the reflective dataset:
///    that predictor's inputs, outputs and the metric's feedback (``GEPAReflection``).
/// 3. The child runs on the same minibatch and is kept only if its score sum beats the
///    parent's; a kept child is scored on the whole validation set.
/// 4. With ``useMerge``, after a new candidate, a merge of two frontier candidates that descend
///    from a common ancestor (taking each predictor's changed instruction) is tried on 5 shared
///    validation examples and kept if it does at least as well as both.
///
/// Budget: `auto` (``GEPABudget``) or ``Budget/maxMetricCalls(_:)``; a metric call is one
/// example run and scored. Unlike DSPy, which checks the budget only at the top of an
/// iteration and can overshoot, dspyc never starts an evaluation that would pass the limit,
/// so the calls used never exceed it. Every random choice comes from ``seed``.
///
/// Cost: the metric-call budget in program runs, plus one reflection call per proposal.
public struct GEPA: Optimizer {
    /// How long the search runs.
    public enum Budget: Sendable, Hashable {
        case auto(GEPABudget)
        case maxMetricCalls(Int)
        /// `k` passes over train + validation sets, as DSPy's `max_full_evals`.
        case maxFullEvals(Int)
    }

    /// How a parent is picked.
    public enum Selection: String, Sendable { case pareto, currentBest = "current_best" }

    public var metric: Metric
    public var budget: Budget
    /// The model that writes new instructions; `nil` uses the task model.
    public var reflectionLM: (any LanguageModel)?
    public var reflectionMinibatchSize: Int
    public var candidateSelection: Selection
    public var skipPerfectScore: Bool
    public var perfectScore: Double
    public var failureScore: Double
    public var useMerge: Bool
    public var maxMergeInvocations: Int
    public var seed: Int
    public var maxConcurrency: Int
    /// Receives one line per iteration (iteration, best score, metric calls used).
    public var progress: (@Sendable (String) -> Void)?

    public init(metric: Metric, budget: Budget = .auto(.light), reflectionLM: (any LanguageModel)? = nil,
                reflectionMinibatchSize: Int = 3, candidateSelection: Selection = .pareto,
                skipPerfectScore: Bool = true, perfectScore: Double = 1, failureScore: Double = 0,
                useMerge: Bool = true, maxMergeInvocations: Int = 5, seed: Int = 0, maxConcurrency: Int = 8,
                progress: (@Sendable (String) -> Void)? = nil) {
        self.metric = metric
        self.budget = budget
        self.reflectionLM = reflectionLM
        self.reflectionMinibatchSize = reflectionMinibatchSize
        self.candidateSelection = candidateSelection
        self.skipPerfectScore = skipPerfectScore
        self.perfectScore = perfectScore
        self.failureScore = failureScore
        self.useMerge = useMerge
        self.maxMergeInvocations = maxMergeInvocations
        self.seed = seed
        self.maxConcurrency = maxConcurrency
        self.progress = progress
    }

    public var name: String { "gepa" }

    /// The metric-call limit for a program with `predictors` predictors.
    public func metricCallLimit(predictors: Int, trainCount: Int, valCount: Int) -> Int {
        switch budget {
        case .auto(let level): return level.metricCalls(predictors: predictors, valsetSize: valCount)
        case .maxMetricCalls(let n): return n
        case .maxFullEvals(let k): return k * (trainCount + valCount)
        }
    }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        guard !trainset.isEmpty else { throw OptimizerError.invalidArgument("GEPA needs a non-empty trainset") }
        guard reflectionMinibatchSize > 0 else {
            throw OptimizerError.invalidArgument("GEPA: reflection_minibatch_size must be positive")
        }
        let valset = (valset?.isEmpty ?? true) ? trainset : valset!
        let predictorCount = program.namedPredictors().count
        guard predictorCount > 0 else { throw OptimizerError.invalidArgument("GEPA: the program has no predictors") }
        let limit = metricCallLimit(predictors: predictorCount, trainCount: trainset.count, valCount: valset.count)
        guard limit >= valset.count else {
            throw OptimizerError.invalidArgument(
                "GEPA: a budget of \(limit) metric calls cannot score the \(valset.count) validation examples once")
        }
        let clock = ContinuousClock()
        let start = clock.now
        var report = CompileReport(optimizer: name)
        report.seed = seed
        let runner = GEPARunner(program: program, metric: metric, failureScore: failureScore, maxConcurrency: maxConcurrency)
        var search = GEPASearch(optimizer: self, runner: runner, trainset: trainset, valset: valset, limit: limit)

        let (state, calls, hits) = try await CallCounter.counting { try await search.run() }
        let best = state.bestIndex
        let compiled = runner.program(with: state.candidates[best].instructions)
        for (i, c) in state.candidates.enumerated() {
            let origin = c.parents.isEmpty ? "seed" : (c.parents.count == 2 ? "merge of \(c.parents[0]), \(c.parents[1])" : "from \(c.parents[0])")
            report.candidates.append(.init(label: "#\(i) (\(origin))", score: pythonRound(100 * c.mean, digits: 2)))
        }
        report.bestScore = pythonRound(100 * state.candidates[best].mean, digits: 2)
        CompileTrace.choose("#\(best)", reason: "the highest mean validation score (\(pythonFloatText(report.bestScore ?? 0)))")
        report.lmCalls = calls
        report.cacheHits = hits
        report.errors = search.errors
        report.instructions = compiled.namedPredictors().map { ($0.name, $0.predictor.signature.instructions) }
        report.recordDemos(of: compiled)
        report.notes.append("GEPA: \(search.metricCalls) of \(limit) metric calls, \(search.iteration + 1) iterations, "
            + "\(state.candidates.count) candidates (\(search.proposals) proposals, \(search.mergesAccepted) merges), "
            + "best #\(best) with \(pythonFloatText(pythonRound(100 * state.candidates[best].mean, digits: 2)))% on \(valset.count) validation examples")
        report.notes += search.notes
        report.elapsed = clock.now - start
        let scored = state.candidates.enumerated().map { i, c in
            ScoredProgram(label: "#\(i)", score: pythonRound(100 * c.mean, digits: 2), subscores: c.valScores,
                          program: runner.program(with: c.instructions))
        }.sorted { $0.score > $1.score }
        return CompiledProgram(program: compiled, report: report, candidates: scored)
    }
}

/// Runs candidates on examples and scores them (each example is one metric call).
struct GEPARunner: Sendable {
    struct Run: Sendable {
        var prediction: Prediction
        var steps: [TraceStep]
        var score: Double
        var failed: Bool
    }

    let program: any Program
    let metric: Metric
    let failureScore: Double
    let maxConcurrency: Int

    /// A copy of the program with one instruction per predictor.
    func program(with instructions: [String]) -> any Program {
        let copy = program.deepCopy()
        for (i, (_, predictor)) in copy.namedPredictors().enumerated() where i < instructions.count {
            predictor.signature = predictor.signature.withInstructions(instructions[i])
        }
        return copy
    }

    /// Runs `candidate` on `examples` in order, capturing each run's trace; returns the program copy too.
    func run(_ instructions: [String], on examples: [Example]) async throws -> (program: any Program, runs: [Run]) {
        let candidate = program(with: instructions)
        let slots = ResultSlots<Run>(count: examples.count)
        let metric = self.metric
        let failureScore = self.failureScore
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, example) in examples.enumerated() {
                if index >= maxConcurrency { try await group.next() }
                try Task.checkCancellation()
                group.addTask {
                    let run: Run
                    do {
                        let inputs = try example.inputs().fields
                        let (prediction, steps) = try await DSPySettings.with({ $0.traceID = UUID().uuidString }) {
                            try await TraceRecorder.capture { try await candidate.forward(inputs) }
                        }
                        let score = (try? await metric(example, prediction, trace: steps)).flatMap { $0.isFinite ? $0 : nil }
                        run = Run(prediction: prediction, steps: steps, score: score ?? failureScore, failed: score == nil)
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch let error as BudgetExhausted {
                        throw error
                    } catch {
                        run = Run(prediction: Prediction(), steps: [], score: failureScore, failed: true)
                    }
                    _ = slots.set(index, run, failed: run.failed)
                }
            }
            try await group.waitForAll()
        }
        let values = slots.values
        return (candidate, examples.indices.map {
            values[$0] ?? Run(prediction: Prediction(), steps: [], score: failureScore, failed: true)
        })
    }
}
