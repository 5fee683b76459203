import Foundation

/// The GEPA loop over a ``GEPAState``: selection, minibatch, reflection, acceptance, merge.
///
/// Every evaluation goes through ``spend(_:)``, which refuses one that would pass the
/// metric-call limit, so ``metricCalls`` never exceeds it.
struct GEPASearch {
    let optimizer: GEPA
    let runner: GEPARunner
    let trainset: [Example]
    let valset: [Example]
    let limit: Int

    private(set) var metricCalls = 0
    private(set) var iteration = -1
    private(set) var proposals = 0
    var mergesAccepted = 0
    private(set) var errors = 0
    var notes: [String] = []
    var rng: PythonRandom
    var sampler: GEPABatchSampler
    var mergesDue = 0
    var mergesTested = 0
    var lastFoundNew = false
    var mergeTriples: Set<[Int]> = []
    var mergeDescriptions: Set<[Int]> = []

    init(optimizer: GEPA, runner: GEPARunner, trainset: [Example], valset: [Example], limit: Int) {
        self.optimizer = optimizer
        self.runner = runner
        self.trainset = trainset
        self.valset = valset
        self.limit = limit
        self.rng = PythonRandom(seed: optimizer.seed)
        self.sampler = GEPABatchSampler(minibatchSize: optimizer.reflectionMinibatchSize, trainCount: trainset.count)
    }

    /// Reserves `count` metric calls; false when they would pass the limit.
    mutating func spend(_ count: Int) -> Bool {
        guard metricCalls + count <= limit else { return false }
        metricCalls += count
        return true
    }

    func log(_ state: GEPAState, _ message: String) {
        let best = state.candidates[state.bestIndex].mean
        optimizer.progress?("GEPA iteration \(iteration + 1): \(message); best \(pythonFloatText(pythonRound(100 * best, digits: 2)))%, "
            + "\(state.candidates.count) candidates, \(metricCalls)/\(limit) metric calls")
    }

    mutating func run() async throws -> GEPAState {
        let seedInstructions = runner.program.namedPredictors().map { $0.predictor.signature.instructions }
        guard spend(valset.count) else { throw OptimizerError.invalidArgument("GEPA: budget below one validation pass") }
        let (seedProgram, seedRuns) = try await CompileContext.phase(.candidateEvaluation, candidate: "#0") {
            try await runner.run(seedInstructions, on: valset)
        }
        let seedScores = seedRuns.map(\.score)
        CompileTrace.candidate("#0", label: "#0 (seed)", round: 0, program: seedProgram)
        CompileTrace.score("#0", split: "val", score: 100 * seedScores.reduce(0, +) / Double(max(1, seedScores.count)),
                           examples: valset.count)
        BudgetMeter.current?.offer(seedProgram, score: seedScores.reduce(0, +) / Double(max(1, seedScores.count)),
                                   label: "GEPA seed program")
        var state = GEPAState(seed: seedInstructions, valScores: seedScores)
        log(state, "seed scored on \(valset.count) validation examples")
        while metricCalls < limit {
            iteration += 1
            if optimizer.useMerge, mergesDue > 0, lastFoundNew {
                lastFoundNew = false
                if let outcome = try await merge(&state) {
                    log(state, outcome)
                    continue
                }
            }
            lastFoundNew = false
            guard try await reflect(&state) else { break }
        }
        if metricCalls >= limit { notes.append("GEPA stopped at its budget of \(limit) metric calls") }
        return state
    }

    /// One reflective-mutation iteration; false when the budget cannot pay for it.
    private mutating func reflect(_ state: inout GEPAState) async throws -> Bool {
        let parent = optimizer.candidateSelection == .pareto ? state.selectParent(&rng) : state.bestIndex
        let ids = sampler.ids(iteration: iteration, rng: &rng)
        let batch = ids.map { trainset[$0] }
        guard spend(batch.count) else { return false }
        let parentInstructions = state.candidates[parent].instructions
        let (parentProgram, parentRuns) = try await CompileContext.phase(.candidateEvaluation, candidate: "#\(parent)") {
            try await runner.run(parentInstructions, on: batch)
        }
        let parentSum = parentRuns.reduce(0) { $0 + $1.score }
        if optimizer.skipPerfectScore, parentRuns.allSatisfy({ $0.score >= optimizer.perfectScore }) {
            log(state, "parent #\(parent) is perfect on the minibatch, skipped")
            return true
        }
        let component = state.takeComponent(of: parent)
        let (name, predictor) = parentProgram.namedPredictors()[component]
        var records: [JSONValue] = []
        for (example, run) in zip(batch, parentRuns) {
            let entries = run.steps.filter { $0.predictor === predictor }
            guard !entries.isEmpty else { continue }
            let entry = entries.count == 1 ? entries[0] : rng.choice(entries)
            let feedback: String
            do {
                feedback = try await optimizer.metric.scoreWithFeedback(example, run.prediction, trace: run.steps, predictor: name)
                    .feedback ?? ScoreWithFeedback.defaultText(score: run.score)
            } catch {
                feedback = ScoreWithFeedback.defaultText(score: optimizer.failureScore)
            }
            records.append(GEPAReflection.record(inputs: entry.inputs, outputs: entry.prediction.fields, feedback: feedback))
        }
        guard !records.isEmpty else {
            log(state, "no trace of \(name) on the minibatch, skipped")
            return true
        }
        let proposed: String
        do {
            proposals += 1
            let iteration = self.iteration
            proposed = try await CompileContext.phase(.proposal, candidate: "#\(parent)") {
                try await GEPAReflection.propose(
                    currentInstruction: parentInstructions[component], records: records,
                    lm: optimizer.reflectionLM, rolloutID: iteration)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as BudgetExhausted {
            throw error
        } catch {
            errors += 1
            log(state, "the reflection model's proposal failed (\(error))")
            return true
        }
        var child = parentInstructions
        child[component] = proposed
        guard spend(batch.count) else { return false }
        let childSum = try await CompileContext.phase(.candidateEvaluation, candidate: "iteration \(iteration) child") {
            try await runner.run(child, on: batch)
        }.runs.reduce(0) { $0 + $1.score }
        guard childSum > parentSum else {
            log(state, "child of #\(parent) (\(name)) not better on the minibatch (\(pythonFloatText(childSum)) ≤ \(pythonFloatText(parentSum)))")
            return true
        }
        guard try await addFullyEvaluated(&state, child, parents: [parent]) else {
            notes.append("GEPA: the budget ended before an accepted child could be scored on the validation set")
            return false
        }
        log(state, "child of #\(parent) (\(name)) accepted (\(pythonFloatText(childSum)) > \(pythonFloatText(parentSum))) as #\(state.candidates.count - 1)")
        return true
    }

    /// Scores a kept candidate on the validation set and adds it; false when the budget cannot pay.
    mutating func addFullyEvaluated(_ state: inout GEPAState, _ instructions: [String], parents: [Int]) async throws -> Bool {
        guard spend(valset.count) else { return false }
        let id = "#\(state.candidates.count)"
        let (candidate, runs) = try await CompileContext.phase(.candidateEvaluation, candidate: id) {
            try await runner.run(instructions, on: valset)
        }
        let scores = runs.map(\.score)
        let origin = parents.count == 2 ? "merge of #\(parents[0]), #\(parents[1])" : parents.first.map { "from #\($0)" } ?? "seed"
        CompileTrace.candidate(id, label: "\(id) (\(origin))", round: iteration, program: candidate)
        CompileTrace.score(id, split: "val", score: 100 * scores.reduce(0, +) / Double(max(1, scores.count)), examples: valset.count)
        state.add(instructions: instructions, parents: parents, valScores: scores)
        BudgetMeter.current?.offer(candidate, score: scores.reduce(0, +) / Double(max(1, scores.count)),
                                   label: "GEPA candidate \(state.candidates.count - 1)")
        lastFoundNew = true
        if optimizer.useMerge, mergesTested < optimizer.maxMergeInvocations { mergesDue += 1 }
        return true
    }
}
