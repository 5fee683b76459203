import Foundation
import Logging

/// Instruction search by the model itself: DSPy's `COPRO`.
///
/// For each predictor the prompt model proposes `breadth − 1` instructions
/// (one call with `n = breadth − 1` at ``initTemperature``); the current
/// instruction is a candidate too. At each of ``depth`` rounds every new
/// candidate is scored with ``Evaluate`` (on the valset when given, else the
/// trainset, as DSPy does), each predictor keeps its best, and — except in
/// the last round — the model sees the scored attempts in increasing order
/// and proposes `breadth` more. Candidates are deduplicated by text.
///
/// The output-prefix proposals are kept in the state but, as in DSPy 3.x,
/// the adapters do not render prefixes; only the instruction matters.
///
/// Cost: about `depth × breadth × |set|` program runs plus `depth × #predictors` proposal calls.
public struct COPRO: Optimizer {
    public var metric: Metric
    public var breadth: Int
    public var depth: Int
    public var initTemperature: Double
    /// The model that proposes instructions; `nil` uses the task model.
    public var promptModel: (any LanguageModel)?
    public var maxConcurrency: Int
    public var maxErrors: Int
    /// Drives the rollout ids of proposals so reruns with another seed explore differently.
    public var seed: Int

    public init(metric: Metric, breadth: Int = 10, depth: Int = 3, initTemperature: Double = 1.4,
                promptModel: (any LanguageModel)? = nil, maxConcurrency: Int = 8, maxErrors: Int = 10, seed: Int = 0) {
        self.metric = metric
        self.breadth = breadth
        self.depth = depth
        self.initTemperature = initTemperature
        self.promptModel = promptModel
        self.maxConcurrency = maxConcurrency
        self.maxErrors = maxErrors
        self.seed = seed
    }

    public var name: String { "copro" }

    private struct Candidate {
        var instruction: String
        var prefix: String
        var score: Double?
        /// The depth it was proposed at (0 for the first proposals), naming its trace candidate.
        var depth = 0
    }

    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram {
        guard breadth > 1 else { throw OptimizerError.invalidArgument("COPRO: breadth must be greater than 1") }
        guard !trainset.isEmpty else { throw OptimizerError.invalidArgument("COPRO needs a non-empty trainset") }
        let devset = (valset?.isEmpty ?? true) ? trainset : valset!
        let clock = ContinuousClock()
        let start = clock.now
        var report = CompileReport(optimizer: name)
        report.seed = seed
        let evaluate = Evaluate(devset: devset, metric: metric, maxConcurrency: maxConcurrency, maxErrors: maxErrors)
        var rng = PythonRandom(seed: seed)

        let (best, calls, hits) = try await CallCounter.counting { () -> any Program in
            let module = program.deepCopy()
            let named = module.namedPredictors()
            var pools: [[Candidate]] = []
            for (_, predictor) in named {
                let sig = predictor.signature
                let lastPrefix = sig.outputs.last?.prefix ?? ""
                var pool = [Candidate(instruction: sig.instructions, prefix: lastPrefix, score: nil)]
                let rolloutID = rng.randint(0, 1_000_000_000)
                let proposals = try await CompileContext.phase(.proposal) {
                    try await propose(ProposerSignatures.basicGenerateInstruction,
                        ["basic_instruction": .string(sig.instructions)], n: breadth - 1, rolloutID: rolloutID)
                }
                for p in proposals where !pool.contains(where: { $0.instruction == p.instruction }) { pool.append(p) }
                pools.append(pool)
            }
            var bestScore = -Double.infinity
            var bestState = module.dumpState()
            var bestID: String?
            let split = (valset?.isEmpty ?? true) ? "train" : "val"
            for d in 0..<depth {
                OptimizerLog.logger.debug("copro: scoring instructions", metadata: ["depth": "\(d + 1)", "of": "\(depth)"])
                for (i, (pathName, predictor)) in named.enumerated() {
                    for c in pools[i].indices where pools[i][c].score == nil {
                        let original = predictor.signature
                        predictor.signature = apply(pools[i][c], to: original)
                        let id = "d\(d) \(pathName) #\(c)"
                        CompileTrace.candidate(id, label: "depth \(d) \(pathName) #\(c)", round: d, program: module)
                        let score = try await CompileContext.phase(.candidateEvaluation, candidate: id) {
                            try await evaluate(module).score
                        }
                        CompileTrace.score(id, split: split, score: score, examples: devset.count)
                        predictor.signature = original
                        pools[i][c].score = score
                        report.candidates.append(.init(label: "depth \(d) \(pathName) #\(c): \(pools[i][c].instruction.prefix(60))", score: score))
                    }
                    // Keep this predictor's best (first best on ties).
                    let bestIndex = pools[i].indices.max { (pools[i][$0].score ?? -1, -$0) < (pools[i][$1].score ?? -1, -$1) }!
                    predictor.signature = apply(pools[i][bestIndex], to: predictor.signature)
                }
                let combinedID = "d\(d) combined"
                if named.count > 1 { CompileTrace.candidate(combinedID, label: "depth \(d): each predictor's best", round: d, program: module) }
                let score = named.count == 1
                    ? (pools[0].compactMap(\.score).max() ?? 0)
                    : try await CompileContext.phase(.candidateEvaluation, candidate: combinedID) { try await evaluate(module).score }
                if named.count > 1 { CompileTrace.score(combinedID, split: split, score: score, examples: devset.count) }
                if score > bestScore {
                    bestScore = score
                    bestState = module.dumpState()
                    if named.count > 1 {
                        bestID = combinedID
                    } else if let c = pools[0].indices.max(by: { (pools[0][$0].score ?? -1, -$0) < (pools[0][$1].score ?? -1, -$1) }) {
                        bestID = "d\(pools[0][c].depth) \(named[0].0) #\(c)"
                    }
                    BudgetMeter.current?.offer(module, score: score, label: "COPRO depth \(d + 1)")
                }
                guard d < depth - 1 else { break }
                for (i, _) in named.enumerated() {
                    let top = pools[i].filter { $0.score != nil }.sorted { $0.score! > $1.score! }.prefix(breadth).reversed()
                    let attempts = top.enumerated().map { j, c in
                        "Instruction #\(j + 1): \(c.instruction)\nPrefix #\(j + 1): \(c.prefix)\nResulting Score #\(j + 1): \(pythonFloatText(c.score!))"
                    }.joined(separator: "\n")
                    let rolloutID = rng.randint(0, 1_000_000_000)
                    let proposals = try await CompileContext.phase(.proposal) {
                        try await propose(ProposerSignatures.generateInstructionGivenAttempts,
                            ["attempted_instructions": .string(attempts)], n: breadth, rolloutID: rolloutID)
                    }
                    for var p in proposals where !pools[i].contains(where: { $0.instruction == p.instruction }) {
                        p.depth = d + 1
                        pools[i].append(p)
                    }
                }
            }
            try module.loadState(bestState)
            report.bestScore = bestScore
            if let bestID { CompileTrace.choose(bestID, reason: "the highest score (\(pythonFloatText(bestScore)))") }
            return module
        }
        report.lmCalls = calls
        report.cacheHits = hits
        report.instructions = best.namedPredictors().map { ($0.name, $0.predictor.signature.instructions) }
        report.recordDemos(of: best)
        report.elapsed = clock.now - start
        return CompiledProgram(program: best, report: report)
    }

    private func apply(_ candidate: Candidate, to signature: SignatureSpec) -> SignatureSpec {
        var sig = signature.withInstructions(candidate.instruction)
        if let last = sig.outputs.last, !candidate.prefix.isEmpty {
            sig = sig.withUpdatedField(last.name, prefix: candidate.prefix)
        }
        return sig
    }

    private func propose(_ signature: SignatureSpec, _ inputs: JSONObject, n: Int, rolloutID: Int) async throws -> [Candidate] {
        let predictor = Predict(signature)
        predictor.lm = promptModel
        let prediction = try await predictor(inputs, config: SamplingParameters(temperature: initTemperature, n: n, rolloutID: rolloutID))
        return prediction.completions.compactMap { c in
            let instruction = cleanInstruction(c["proposed_instruction"]?.pythonStr ?? "")
            guard !instruction.isEmpty else { return nil }
            return Candidate(instruction: instruction, prefix: c["proposed_prefix_for_output_field"]?.pythonStr ?? "", score: nil)
        }
    }
}
