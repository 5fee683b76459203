import Foundation
import Logging

/// Instructions and demo sets searched together: a `MIPROv2`-style optimizer.
///
/// 1. **Split.** Without a valset, the last 80% of the trainset (≤ 1000) becomes the valset.
/// 2. **Demo sets.** ``numFewshotSets`` candidate demo sets per predictor, made
///    as random search makes its candidates (zero-shot, labeled, bootstrap,
///    then seeded bootstraps), all drawn from one generator seeded with ``seed``.
/// 3. **Instructions.** The prompt model writes observations about batches of
///    training data and summarises them; then, per predictor, it proposes
///    ``numInstructionCandidates`` − 1 instructions from that summary, the
///    program's structure, the predictor's signature, a demo set and a random
///    tip (`creative`, `simple`, `persona`…), each call at ``initTemperature``
///    with a seeded rollout id. Candidate 0 is always the original instruction.
/// 4. **Search.** The default program is scored on the full valset. Each of
///    ``numTrials`` trials picks an (instruction, demo set) per predictor and
///    is scored on a seeded minibatch of ``minibatchSize`` (the full valset
///    when it is small); every ``minibatchFullEvalSteps`` trials the best
///    combination by mean minibatch score is scored on the full valset. The
///    best fully scored program wins.
///
/// Deliberate difference: DSPy samples trials with Optuna's TPE; this uses
/// seeded sampling without repeats (no Optuna in Swift), so results differ
/// from DSPy's while staying reproducible.
///
/// In `.stratified` mode (the default) every candidate's choice outputs are
/// calibrated (``ChoiceCalibration``) on the examples that score it, and the
/// chosen program on the trainset: a dspyc addition, without which a small
/// model's label prior makes every candidate score the same.
///
/// Cost: proposals ≈ batches + 1 + #predictors × candidates; task model ≈
/// `minibatchSize × numTrials + |valset| × (numTrials / minibatchFullEvalSteps + 1)`
/// runs plus bootstrapping.
public struct MIPRO: Optimizer {
    /// DSPy's `auto` presets.
    public enum Auto: String, Sendable, CaseIterable {
        case light, medium, heavy
        var n: Int { switch self { case .light: 6; case .medium: 12; case .heavy: 18 } }
        var valsetSize: Int { switch self { case .light: 100; case .medium: 300; case .heavy: 1000 } }
    }

    public var metric: Metric
    public var metricThreshold: Double?
    public var maxBootstrappedDemos: Int
    public var maxLabeledDemos: Int
    public var numInstructionCandidates: Int
    public var numFewshotSets: Int
    public var numTrials: Int
    public var minibatchSize: Int
    public var minibatchFullEvalSteps: Int
    public var initTemperature: Double
    public var seed: Int
    public var promptModel: (any LanguageModel)?
    public var viewDataBatchSize: Int
    /// Batches of data the prompt model describes before summarising.
    public var maxDataBatches: Int
    public var maxConcurrency: Int
    public var maxErrors: Int
    public var mode: BootstrapFewShot.Mode
    public var labelField: String?

    public init(
        metric: Metric, metricThreshold: Double? = nil, auto: Auto? = .light, maxBootstrappedDemos: Int = 4,
        maxLabeledDemos: Int = 4, numInstructionCandidates: Int? = nil, numFewshotSets: Int? = nil,
        numTrials: Int? = nil, minibatchSize: Int = 35, minibatchFullEvalSteps: Int = 5, initTemperature: Double = 1.0,
        seed: Int = 9, promptModel: (any LanguageModel)? = nil, viewDataBatchSize: Int = 10, maxDataBatches: Int = 3,
        maxConcurrency: Int = 8, maxErrors: Int = 10, mode: BootstrapFewShot.Mode = .stratified, labelField: String? = nil
    ) {
        let n = auto?.n ?? 6
        let usesDemos = maxBootstrappedDemos > 0 || maxLabeledDemos > 0
        self.metric = metric
        self.metricThreshold = metricThreshold
        self.maxBootstrappedDemos = maxBootstrappedDemos
        self.maxLabeledDemos = maxLabeledDemos
        self.numInstructionCandidates = numInstructionCandidates ?? (usesDemos ? max(1, n / 2) : n)
        self.numFewshotSets = numFewshotSets ?? (usesDemos ? n : 1)
        let v = Double(usesDemos ? 2 : 1)
        self.numTrials = numTrials ?? Int(max(2 * v * log2(Double(n)), 1.5 * Double(n)))
        self.minibatchSize = minibatchSize
        self.minibatchFullEvalSteps = max(1, minibatchFullEvalSteps)
        self.initTemperature = initTemperature
        self.seed = seed
        self.promptModel = promptModel
        self.viewDataBatchSize = max(1, viewDataBatchSize)
        self.maxDataBatches = max(1, maxDataBatches)
        self.maxConcurrency = maxConcurrency
        self.maxErrors = maxErrors
        self.mode = mode
        self.labelField = labelField
    }

    public var name: String { "mipro" }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        var train = trainset
        var val = valset ?? []
        if val.isEmpty {
            guard trainset.count >= 2 else { throw OptimizerError.invalidArgument("MIPRO needs at least 2 training examples") }
            let size = min(1000, max(1, Int(Double(trainset.count) * 0.8)))
            let cut = trainset.count - size
            val = Array(trainset[cut...])
            train = Array(trainset[..<cut])
        }
        guard !train.isEmpty else { throw OptimizerError.invalidArgument("MIPRO: no training examples left after the split") }
        let clock = ContinuousClock()
        let start = clock.now
        var report = CompileReport(optimizer: name)
        report.seed = seed
        var rng = PythonRandom(seed: seed)
        let fullEval = Evaluate(devset: val, metric: metric, maxConcurrency: maxConcurrency, maxErrors: maxErrors,
                                labelField: labelField)

        let (best, calls, hits) = try await CallCounter.counting { () -> any Program in
            let base = program.resetCopy()
            let names = base.namedPredictors().map(\.name)

            // Step 1: demo sets per predictor.
            let logger = OptimizerLog.logger
            logger.debug("mipro: step 1, demo sets", metadata: [
                "sets": "\(numFewshotSets)", "train": "\(train.count)", "val": "\(val.count)",
            ])
            var demoSets: [[[Example]]] = Array(repeating: [], count: names.count)
            let search = BootstrapFewShotWithRandomSearch(
                metric: metric, metricThreshold: metricThreshold, maxBootstrappedDemos: maxBootstrappedDemos,
                maxLabeledDemos: maxLabeledDemos, maxConcurrency: maxConcurrency, maxErrors: maxErrors, mode: mode,
                seed: seed, labelField: labelField)
            if maxBootstrappedDemos > 0 || maxLabeledDemos > 0 {
                for s in -3..<(numFewshotSets - 3) {
                    let candidateSeed = s < 0 ? s : rng.randint(0, 1 << 30)
                    var shuffled = train
                    if s >= 0 { rng.shuffle(&shuffled) }
                    let (candidate, _, errors) = try await CompileContext.phase(.bootstrap, candidate: "demo set \(s + 3)") {
                        try await search.candidate(seed: candidateSeed, program: base, trainset: shuffled)
                    }
                    report.errors += errors
                    for (i, p) in candidate.predictors().enumerated() { demoSets[i].append(p.demos) }
                }
            } else {
                for i in names.indices { demoSets[i] = [[]] }
            }

            // Step 2: instruction proposals grounded in the data and the program.
            logger.debug("mipro: step 2, instruction proposals", metadata: ["candidates": "\(numInstructionCandidates)"])
            let summary = try await CompileContext.phase(.proposal) { try await datasetSummary(train, rng: &rng) }
            let programText = base.namedPredictors().map { "\($0.name): \($0.predictor.signature.signatureString)" }
                .joined(separator: "\n")
            var instructions: [[String]] = []
            for (i, (name, predictor)) in base.namedPredictors().enumerated() {
                var pool = [predictor.signature.instructions]
                for c in 0..<max(0, numInstructionCandidates - 1) {
                    let demos = demoSets[i][c % demoSets[i].count]
                    let tip = rng.choice(ProposerSignatures.tips)
                    let proposer = Predict(ProposerSignatures.generateSingleModuleInstruction)
                    proposer.lm = promptModel
                    let prediction = try await CompileContext.phase(.proposal) { try await proposer([
                        "dataset_description": .string(summary),
                        "program_code": .string(programText),
                        "module_description": .string("\(name) maps \(predictor.signature.signatureString)"),
                        "task_demos": .string(demos.isEmpty ? "No task demos provided." : demos.prefix(3).map(Self.render).joined(separator: "\n\n")),
                        "basic_instruction": .string(predictor.signature.instructions),
                        "tip": .string(tip.1),
                    ], config: SamplingParameters(temperature: initTemperature, rolloutID: rng.randint(0, 1_000_000_000))) }
                    let text = cleanInstruction(prediction["proposed_instruction"]?.pythonStr ?? "")
                    if !text.isEmpty, !pool.contains(text) { pool.append(text) }
                }
                instructions.append(pool)
            }

            // Step 3: search.
            logger.debug("mipro: step 3, search", metadata: ["trials": "\(numTrials)"])
            typealias Choice = [Int]   // per predictor: instruction index, demo set index
            func build(_ choice: Choice) -> any Program {
                let candidate = base.deepCopy()
                for (i, p) in candidate.predictors().enumerated() {
                    p.signature = p.signature.withInstructions(instructions[i][choice[2 * i]])
                    p.demos = demoSets[i][choice[2 * i + 1]]
                }
                return candidate
            }
            func label(_ choice: Choice) -> String {
                (0..<names.count).map { "\(names[$0]): instr \(choice[2 * $0]), demos \(choice[2 * $0 + 1])" }.joined(separator: "; ")
            }
            var allChoices: [Choice] = [[]]
            for i in names.indices {
                allChoices = allChoices.flatMap { prefix in
                    instructions[i].indices.flatMap { a in demoSets[i].indices.map { b in prefix + [a, b] } }
                }
            }
            // The default: original instruction, first demo set (zero-shot in the usual layout... or the only one).
            let defaultChoice: Choice = names.indices.flatMap { _ in [0, 0] }
            var fullScores: [Choice: Double] = [:]
            var minibatchScores: [Choice: [Double]] = [:]
            // In stratified mode every candidate's choice outputs are calibrated on the
            // examples it is scored on, so candidates compete without the model's label prior.
            func calibrated(_ candidate: any Program, on examples: [Example]) async throws -> any Program {
                if mode == .stratified {
                    _ = try await ChoiceCalibration(maxConcurrency: maxConcurrency).calibrate(candidate, trainset: examples)
                }
                return candidate
            }
            // Scores a choice in the candidate-evaluation phase, records it in the compile trace and,
            // given `offerAs`, offers it to the budget as the best-so-far fallback.
            func scoreChoice(
                _ choice: Choice, on examples: [Example], split: String, round: Int?, offerAs offer: String? = nil,
                _ evaluate: Evaluate
            ) async throws -> Double {
                try await CompileContext.phase(.candidateEvaluation, candidate: label(choice)) {
                    let candidate = try await calibrated(build(choice), on: examples)
                    let score = try await evaluate(candidate).score
                    CompileTrace.candidate(label(choice), round: round, program: candidate)
                    CompileTrace.score(label(choice), split: split, score: score, examples: examples.count)
                    // Minibatch scores are not comparable with full ones: only full scores are offered.
                    if let offer { BudgetMeter.current?.offer(candidate, score: score, label: "\(offer) (\(label(choice)))") }
                    return score
                }
            }
            let defaultScore = try await scoreChoice(defaultChoice, on: val, split: "val", round: 0, offerAs: "default", fullEval)
            fullScores[defaultChoice] = defaultScore
            report.candidates.append(.init(label: "default (\(label(defaultChoice)))", score: defaultScore))
            var remaining = rng.shuffled(allChoices.filter { $0 != defaultChoice })
            let useMinibatch = val.count > minibatchSize
            for trial in 1...max(1, numTrials) {
                guard !remaining.isEmpty else { break }
                let choice = remaining.removeFirst()
                if useMinibatch {
                    let batch = rng.sample(val, minibatchSize)
                    let score = try await scoreChoice(choice, on: batch, split: "minibatch", round: trial, Evaluate(
                        devset: batch, metric: metric, maxConcurrency: maxConcurrency, maxErrors: maxErrors))
                    minibatchScores[choice, default: []].append(score)
                    report.candidates.append(.init(label: "trial \(trial) (\(label(choice)))", score: score, minibatch: true))
                    if trial % minibatchFullEvalSteps == 0 || trial == numTrials || remaining.isEmpty {
                        let pending = minibatchScores.filter { fullScores[$0.key] == nil }
                        if let top = pending.max(by: { mean($0.value) < mean($1.value) || (mean($0.value) == mean($1.value) && label($0.key) > label($1.key)) }) {
                            let full = try await scoreChoice(
                                top.key, on: val, split: "val", round: trial, offerAs: "full eval", fullEval)
                            fullScores[top.key] = full
                            report.candidates.append(.init(label: "full eval (\(label(top.key)))", score: full))
                        }
                    }
                } else {
                    let score = try await scoreChoice(
                        choice, on: val, split: "val", round: trial, offerAs: "trial \(trial)", fullEval)
                    fullScores[choice] = score
                    report.candidates.append(.init(label: "trial \(trial) (\(label(choice)))", score: score))
                }
            }
            var bestChoice = defaultChoice
            for (choice, score) in fullScores where score > fullScores[bestChoice]! || (score == fullScores[bestChoice]! && label(choice) < label(bestChoice)) {
                bestChoice = choice
            }
            report.bestScore = fullScores[bestChoice]
            report.notes.append("best: \(label(bestChoice))")
            CompileTrace.choose(label(bestChoice), reason: "the highest full validation score (\(pythonFloatText(fullScores[bestChoice] ?? 0)))")
            report.notes.append("dataset summary: \(summary.prefix(200))")
            return try await CompileContext.phase(.calibration, candidate: label(bestChoice)) {
                try await calibrated(build(bestChoice), on: train)
            }
        }
        report.lmCalls = calls
        report.cacheHits = hits
        report.instructions = best.namedPredictors().map { ($0.name, $0.predictor.signature.instructions) }
        report.recordDemos(of: best)
        report.elapsed = clock.now - start
        return CompiledProgram(program: best, report: report)
    }

    private func mean(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }

    static func render(_ example: Example) -> String {
        example.fields.filter { $0.key != "augmented" && !$0.key.hasPrefix("dspy_") }
            .map { "\($0.key): \($0.value.pythonStr)" }.joined(separator: "\n")
    }

    /// Observations over a few batches of training data, summarised by the prompt model.
    private func datasetSummary(_ train: [Example], rng: inout PythonRandom) async throws -> String {
        let shuffled = rng.shuffled(train)
        var observations: [String] = []
        for b in 0..<maxDataBatches {
            let batch = shuffled.dropFirst(b * viewDataBatchSize).prefix(viewDataBatchSize)
            guard !batch.isEmpty else { break }
            let describer = Predict(ProposerSignatures.datasetDescriptor)
            describer.lm = promptModel
            let p = try await describer(["examples": .string(batch.map(Self.render).joined(separator: "\n\n"))],
                                        config: SamplingParameters(temperature: initTemperature, rolloutID: rng.randint(0, 1_000_000_000)))
            observations.append(p["observations"]?.pythonStr ?? "")
        }
        let summarizer = Predict(ProposerSignatures.observationSummarizer)
        summarizer.lm = promptModel
        let s = try await summarizer(["observations": .string(observations.joined(separator: "\n"))],
                                     config: SamplingParameters(temperature: initTemperature, rolloutID: rng.randint(0, 1_000_000_000)))
        return s["summary"]?.pythonStr ?? observations.joined(separator: " ")
    }
}
