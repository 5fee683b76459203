import Foundation

/// Stochastic introspective mini-batch ascent: DSPy 3.4.1's `dspy.SIMBA`.
///
/// The algorithm and its constants are DSPy's (`teleprompt/simba.py`, `simba_utils.py`); this
/// implementation is dspyc's own. Each of ``maxSteps`` steps:
///
/// 1. takes the next ``bsize`` examples of the shuffled trainset (reshuffled when it runs out);
/// 2. runs every example ``numCandidates`` times, each run a program softmax-sampled
///    (mean minibatch score ÷ ``temperatureForSampling``) from the best ``numCandidates`` of the
///    pool (the baseline always among them), at temperature 1 with rollout id `i` for the
///    `i`-th sampling round (the teacher LM, when given, for the first round);
/// 3. groups the runs by example ("buckets"), sorted by score, and ranks the buckets by
///    (max − min, max, max − mean), largest first;
/// 4. for each bucket until ``numCandidates`` + 1 candidates exist: softmax-samples a source
///    program (``temperatureForCandidates``), drops a Poisson number of demo positions from
///    every predictor, and applies `append_a_demo` or `append_a_rule` at random
///    (``SIMBAStrategies``; only the rule when ``maxDemos`` is 0);
/// 5. scores the candidates on the minibatch; all join the pool, the best is a "winner".
///
/// At the end, ``numCandidates`` + 1 evenly spaced winners (the baseline first) are scored on
/// the whole trainset and the best is returned. Every random choice comes from
/// `PythonRandom(seed)` in DSPy's order, except the Poisson draw, which DSPy takes from NumPy.
///
/// Cost per step: ``bsize`` × ``numCandidates`` sampled runs, at most ``numCandidates`` + 1
/// prompt-model calls (rules), and ≤ (``numCandidates`` + 1) × ``bsize`` scoring runs; at the
/// end ≤ (``numCandidates`` + 1) × |trainset| runs.
public struct SIMBA: Optimizer {
    public var metric: Metric
    public var bsize: Int
    public var numCandidates: Int
    public var maxSteps: Int
    public var maxDemos: Int
    /// The model that writes rules; `nil` uses the task model.
    public var promptModel: (any LanguageModel)?
    /// Runs the first sampling round, when given.
    public var teacherLM: (any LanguageModel)?
    public var demoInputFieldMaxlen: Int
    public var temperatureForSampling: Double
    public var temperatureForCandidates: Double
    public var seed: Int
    public var maxConcurrency: Int
    /// Receives one line per step (step i/N, minibatch scores, best so far).
    public var progress: (@Sendable (String) -> Void)?

    /// DSPy's defaults: `bsize` 32, 6 candidates, 8 steps, 4 demos, temperatures 0.2.
    public init(metric: Metric, bsize: Int = 32, numCandidates: Int = 6, maxSteps: Int = 8, maxDemos: Int = 4,
                promptModel: (any LanguageModel)? = nil, teacherLM: (any LanguageModel)? = nil,
                demoInputFieldMaxlen: Int = 100_000, temperatureForSampling: Double = 0.2,
                temperatureForCandidates: Double = 0.2, seed: Int = 0, maxConcurrency: Int = 8,
                progress: (@Sendable (String) -> Void)? = nil) {
        self.metric = metric
        self.bsize = bsize
        self.numCandidates = numCandidates
        self.maxSteps = maxSteps
        self.maxDemos = maxDemos
        self.promptModel = promptModel
        self.teacherLM = teacherLM
        self.demoInputFieldMaxlen = demoInputFieldMaxlen
        self.temperatureForSampling = temperatureForSampling
        self.temperatureForCandidates = temperatureForCandidates
        self.seed = seed
        self.maxConcurrency = maxConcurrency
        self.progress = progress
    }

    public var name: String { "simba" }

    enum Strategy: String { case appendADemo = "append_a_demo", appendARule = "append_a_rule" }

    var strategies: [Strategy] { maxDemos > 0 ? [.appendADemo, .appendARule] : [.appendARule] }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        guard bsize > 0, numCandidates > 0, maxSteps >= 0 else {
            throw OptimizerError.invalidArgument("SIMBA: bsize and num_candidates must be positive, max_steps not negative")
        }
        guard trainset.count >= bsize else {
            throw OptimizerError.invalidArgument("SIMBA: trainset too small: \(trainset.count) < bsize \(bsize)")
        }
        let clock = ContinuousClock()
        let start = clock.now
        var report = CompileReport(optimizer: name)
        report.seed = seed
        let ((best, scored, notes, errors), calls, hits) = try await CallCounter.counting {
            try await search(program, trainset: trainset)
        }
        report.lmCalls = calls
        report.cacheHits = hits
        report.errors = errors
        report.candidates = scored.map { .init(label: $0.label, score: $0.score) }
        report.bestScore = scored.first?.score
        report.instructions = best.namedPredictors().map { ($0.name, $0.predictor.signature.instructions) }
        report.recordDemos(of: best)
        report.notes = notes
        report.elapsed = clock.now - start
        return CompiledProgram(program: best, report: report, candidates: scored)
    }

    /// The search; returns the best program, the scored final candidates (best first), notes and errors.
    private func search(_ student: any Program, trainset: [Example]) async throws
        -> (any Program, [ScoredProgram], [String], Int) {
        var rng = PythonRandom(seed: seed)
        var poissonRNG = PythonRandom(seed: seed)
        let runner = SIMBARunner(metric: metric, maxConcurrency: maxConcurrency)
        var pool = SIMBAPool(baseline: student.deepCopy())
        var winners: [any Program] = [pool.programs[0]]
        var order = Array(trainset.indices)
        rng.shuffle(&order)
        var cursor = 0
        var errors = 0
        var notes: [String] = []
        var bestSoFar = -Double.infinity
        let startRollout = DSPySettings.current.lm?.defaultParameters.rolloutID ?? 0

        for step in 0..<maxSteps {
            if cursor + bsize > trainset.count { rng.shuffle(&order); cursor = 0 }
            let batch = order[cursor..<(cursor + bsize)].map { trainset[$0] }
            cursor += bsize

            // Sample trajectories: one round per rollout id, a softmax-chosen program per example.
            let top = pool.topKPlusBaseline(numCandidates)
            var jobs: [SIMBARunner.Job] = []
            for round in 0..<numCandidates {
                let teacherRound = round == 0 && teacherLM != nil
                let sampling = teacherRound ? SamplingParameters(rolloutID: startRollout)
                    : SamplingParameters(temperature: 1.0, rolloutID: startRollout + round)
                for example in batch {
                    let chosen = pool.softmaxSample(&rng, top, temperature: temperatureForSampling)
                    jobs.append(.init(program: pool.programs[chosen].deepCopy(), example: example, sampling: sampling,
                                      lm: teacherRound ? teacherLM : nil))
                }
            }
            let outputs = try await CompileContext.phase(.bootstrap) { try await runner.run(jobs) }
            errors += outputs.filter(\.failed).count
            let allScores = outputs.map(\.score)
            let p10 = numpyPercentile(allScores, 10), p90 = numpyPercentile(allScores, 90)
            let baselineScore = allScores.reduce(0, +) / Double(allScores.count)

            // Buckets: every run of one example, best first; the most informative buckets first.
            var buckets: [(runs: [SIMBARun], stats: [Double])] = batch.indices.map { i in
                let runs = stride(from: i, to: outputs.count, by: bsize).map { outputs[$0] }
                let sorted = runs.enumerated().sorted { a, b in
                    a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
                }.map(\.element)
                let maxScore = sorted.first?.score ?? 0, minScore = sorted.last?.score ?? 0
                let mean = sorted.map(\.score).reduce(0, +) / Double(max(1, sorted.count))
                return (sorted, [maxScore - minScore, maxScore, maxScore - mean])
            }
            buckets = buckets.enumerated().sorted { a, b in
                a.element.stats != b.element.stats
                    ? a.element.stats.lexicographicallyPrecedes(b.element.stats) == false : a.offset < b.offset
            }.map(\.element)

            // Build candidates from the buckets.
            var candidates: [any Program] = []
            var applied: [String] = []
            for bucket in buckets {
                let source = pool.softmaxSample(&rng, pool.topKPlusBaseline(numCandidates), temperature: temperatureForCandidates)
                let candidate = pool.programs[source].deepCopy()
                dropDemos(from: candidate, rng: &rng, poissonRNG: &poissonRNG)
                let strategy = rng.choice(strategies)
                do {
                    switch strategy {
                    case .appendADemo:
                        SIMBAStrategies.appendADemo(bucket: bucket.runs, to: candidate, maxInputLength: demoInputFieldMaxlen, p10: p10)
                    case .appendARule:
                        try await CompileContext.phase(.proposal) {
                            try await SIMBAStrategies.appendARule(bucket: bucket.runs, to: candidate, p10: p10, p90: p90,
                                                                   promptModel: promptModel)
                        }
                    }
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    errors += 1
                    notes.append("step \(step + 1): \(strategy.rawValue) failed: \(error)")
                    continue
                }
                applied.append(strategy.rawValue)
                candidates.append(candidate)
                if candidates.count >= numCandidates + 1 { break }
            }

            // Score the candidates on the minibatch; the best is this step's winner.
            let scoring = try await CompileContext.phase(.candidateEvaluation) {
                try await runner.run(candidates.flatMap { c in batch.map { SIMBARunner.Job(program: c, example: $0) } })
            }
            errors += scoring.filter(\.failed).count
            var means: [Double] = []
            for (i, candidate) in candidates.enumerated() {
                let scores = scoring[(i * bsize)..<((i + 1) * bsize)].map(\.score)
                means.append(scores.reduce(0, +) / Double(bsize))
                pool.register(candidate, scores: scores)
                CompileTrace.candidate("step \(step + 1) #\(i)", label: "step \(step + 1) #\(i): \(applied[i])", round: step + 1,
                                       program: candidate)
                CompileTrace.score("step \(step + 1) #\(i)", split: "minibatch", score: 100 * means[i], examples: bsize)
            }
            if let best = means.max(), let index = means.firstIndex(of: best) {
                winners.append(candidates[index].deepCopy())
                bestSoFar = max(bestSoFar, best)
            }
            progress?("SIMBA step \(step + 1)/\(maxSteps): sampled minibatch mean \(percent(baselineScore)), "
                + "\(candidates.count) candidates (\(applied.joined(separator: ", "))) scored "
                + means.map(percent).joined(separator: ", ") + "; best minibatch score so far \(percent(bestSoFar))")
        }

        // Score evenly spaced winners on the whole trainset.
        let last = winners.count - 1, slots = numCandidates + 1
        var indices: [Int] = []
        for i in 0..<slots {
            let index = last < 1 ? 0 : Int((Double(i * last) / Double(slots - 1)).rounded(.toNearestOrEven))
            if !indices.contains(index) { indices.append(index) }
        }
        let finalists = indices.map { winners[$0].deepCopy() }
        let finalRuns = try await CompileContext.phase(.candidateEvaluation) {
            try await runner.run(finalists.flatMap { p in trainset.map { SIMBARunner.Job(program: p, example: $0) } })
        }
        errors += finalRuns.filter(\.failed).count
        var scored: [ScoredProgram] = []
        var means: [Double] = []
        for (i, program) in finalists.enumerated() {
            let scores = finalRuns[(i * trainset.count)..<((i + 1) * trainset.count)].map(\.score)
            let mean = scores.reduce(0, +) / Double(max(1, scores.count))
            means.append(mean)
            let label = indices[i] == 0 ? "baseline" : "winner of step \(indices[i])"
            scored.append(ScoredProgram(label: label, score: pythonRound(100 * mean, digits: 2), subscores: scores, program: program))
            CompileTrace.candidate(label, label: "finalist: \(label)", program: program)
            CompileTrace.score(label, split: "train", score: 100 * mean, examples: trainset.count)
        }
        let bestIndex = means.indices.max { a, b in means[a] != means[b] ? means[a] < means[b] : a > b } ?? 0
        let best = scored[bestIndex].program.deepCopy()
        CompileTrace.choose(scored[bestIndex].label, reason: "the finalist with the highest score on the \(trainset.count) training examples "
            + "(\(pythonFloatText(scored[bestIndex].score)))")
        notes.insert("SIMBA: \(maxSteps) steps of \(bsize) examples × \(numCandidates) samples; best on the trainset: "
            + "\(scored[bestIndex].label) with \(pythonFloatText(scored[bestIndex].score))% on \(trainset.count) examples", at: 0)
        let ranked = scored.enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
        }.map(\.element)
        return (best, ranked, notes, errors)
    }

    /// Drops K = min(D, max(Poisson(D / maxDemos), [D ≥ maxDemos])) random demo positions from
    /// every predictor, D being the largest demo count (DSPy uses 3 for maxDemos 0).
    private func dropDemos(from program: any Program, rng: inout PythonRandom, poissonRNG: inout PythonRandom) {
        let predictors = program.predictors()
        let cap = maxDemos > 0 ? maxDemos : 3
        let most = predictors.map(\.demos.count).max() ?? 0
        var count = max(poissonRNG.poisson(Double(most) / Double(cap)), most >= cap ? 1 : 0)
        count = min(count, most)
        let dropped = Set((0..<count).map { _ in rng.randbelow(most) })
        guard !dropped.isEmpty else { return }
        for p in predictors {
            p.demos = p.demos.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
        }
    }

    private func percent(_ x: Double) -> String { pythonFloatText(pythonRound(100 * x, digits: 1)) + "%" }
}
