import Foundation

/// Turns a program into a better one by choosing demos (and instructions) that raise a metric.
///
/// Every optimizer works on copies: the program passed in is never changed.
/// The result carries a ``CompileReport`` (LM calls, demos per predictor,
/// candidate scores), so a compile's cost and effect can be read back.
///
/// ```swift
/// let optimizer = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 4)
/// let compiled = try await DSPySettings.with(.init(lm: lm)) {
///     try await optimizer.compile(program, trainset: train, valset: dev)
/// }
/// print(compiled.report)
/// ```
public protocol Optimizer: Sendable {
    /// The registry name (`bootstrap`, `mipro`...).
    var name: String { get }
    /// Compiles a copy of `program`. `valset` is used by optimizers that score candidates
    /// (random search, COPRO, MIPRO); the others ignore it.
    func compile(_ program: any Program, trainset: [Example], valset: [Example]?) async throws -> CompiledProgram
}

extension Optimizer {
    public func compile(_ program: any Program, trainset: [Example]) async throws -> CompiledProgram {
        try await compile(program, trainset: trainset, valset: nil)
    }
}

/// A compiled program and how it was made.
public struct CompiledProgram: Sendable {
    public let program: any Program
    public let report: CompileReport
    /// The scored candidates, best first, when the optimizer searched (DSPy's `candidate_programs`).
    public var candidates: [ScoredProgram] = []

    public init(program: any Program, report: CompileReport, candidates: [ScoredProgram] = []) {
        self.program = program
        self.report = report
        self.candidates = candidates
    }
}

/// One candidate program with its score (percentage) and per-example scores.
public struct ScoredProgram: Sendable {
    public let label: String
    public let score: Double
    public let subscores: [Double]
    public let program: any Program
}

/// What a compile did: its cost, the demos it chose, the scores it saw.
public struct CompileReport: Sendable, CustomStringConvertible {
    /// One scored candidate (random search seeds, MIPRO trials, COPRO instructions).
    public struct Candidate: Sendable {
        public var label: String
        /// Percentage as ``EvaluationResult/score``.
        public var score: Double
        /// True when scored on a minibatch instead of the whole set.
        public var minibatch: Bool = false
    }

    public var optimizer: String
    /// LM calls made during the compile (cache hits included), and how many were cache hits.
    public var lmCalls: Int = 0
    public var cacheHits: Int = 0
    /// Demos per predictor path in the result (augmented = bootstrapped from traces).
    public var demos: [(predictor: String, total: Int, augmented: Int)] = []
    /// The instruction each predictor ends with, when the optimizer changed instructions.
    public var instructions: [(predictor: String, text: String)] = []
    public var candidates: [Candidate] = []
    /// The chosen candidate's score (percentage), when candidates were scored.
    public var bestScore: Double?
    /// The seed that drove every random choice.
    public var seed: Int?
    /// Errors tolerated during bootstrapping or scoring.
    public var errors: Int = 0
    /// Free-form lines (`Bootstrapped 4 full traces after 9 examples…`).
    public var notes: [String] = []
    public var elapsed: Duration = .zero
    /// What a budgeted compile spent and whether its budget stopped it (``BudgetMeter``).
    public var budget: BudgetStatus?

    public init(optimizer: String) { self.optimizer = optimizer }

    public var description: String {
        var lines = ["\(optimizer): \(lmCalls) LM calls (\(cacheHits) cached), \(errors) errors, "
            + String(format: "%.1f s", Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)]
        if let seed { lines.append("  seed \(seed)") }
        for d in demos { lines.append("  \(d.predictor): \(d.total) demos (\(d.augmented) bootstrapped)") }
        for i in instructions { lines.append("  \(i.predictor) instruction: \(i.text.debugDescription)") }
        for c in candidates.prefix(30) {
            lines.append("  candidate \(c.label): \(pythonFloatText(c.score))\(c.minibatch ? " (minibatch)" : "")")
        }
        if candidates.count > 30 { lines.append("  … \(candidates.count - 30) more candidates") }
        if let bestScore { lines.append("  best score: \(pythonFloatText(bestScore))") }
        lines += notes.map { "  " + $0 }
        if let budget, !budget.stopped { lines.append("  \(budget)") }
        return lines.joined(separator: "\n")
    }

    /// Fills ``demos`` from a program's predictors.
    mutating func recordDemos(of program: any Module) {
        demos = program.namedPredictors().map { name, p in
            (name, p.demos.count, p.demos.filter { $0["augmented"] == .bool(true) }.count)
        }
    }
}

/// Errors of Evaluate, the optimizers and their registry.
public enum OptimizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No optimizer has this name.
    case unknownOptimizer(String, known: [String])
    /// No built-in metric has this name.
    case unknownMetric(String, known: [String])
    /// A setting the optimizer does not have.
    case unknownSetting(optimizer: String, key: String, known: [String])
    /// A setting whose value does not parse.
    case invalidSetting(optimizer: String, key: String, value: String, expected: String)
    /// Too many examples failed; the run was cancelled.
    case tooManyErrors(count: Int, lastError: String)
    /// The arguments cannot work (empty trainset, breadth ≤ 1, no candidates...).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .unknownOptimizer(let name, let known):
            return "unknown optimizer '\(name)'; known optimizers: \(known.joined(separator: ", "))"
        case .unknownMetric(let name, let known):
            return "unknown metric '\(name)'; known metrics: \(known.joined(separator: ", "))"
        case .unknownSetting(let optimizer, let key, let known):
            return "optimizer '\(optimizer)' has no setting '\(key)'; its settings: \(known.joined(separator: ", "))"
        case .invalidSetting(let optimizer, let key, let value, let expected):
            return "optimizer '\(optimizer)': setting '\(key)' = '\(value)' is not \(expected)"
        case .tooManyErrors(let count, let lastError):
            return "Execution cancelled due to errors or interruption (\(count) errors; last: \(lastError))"
        case .invalidArgument(let message): return message
        }
    }
}

// MARK: - Shared machinery

/// Counts LM calls by observing the call log, forwarding to the log already in place.
final class CallCounter: CallLog, @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    private var hits = 0
    let next: (any CallLog)?

    init(next: (any CallLog)?) { self.next = next }

    func record(_ call: CallRecord) async {
        lock.withLock {
            calls += 1
            if call.cacheHit { hits += 1 }
        }
        await next?.record(call)
    }

    var counts: (calls: Int, hits: Int) { lock.withLock { (calls, hits) } }

    /// Runs `body` with a counter in the settings; returns its result and the counts.
    static func counting<T>(_ body: () async throws -> T) async throws -> (T, calls: Int, hits: Int) {
        let counter = CallCounter(next: DSPySettings.current.callLog)
        let result = try await DSPySettings.with({ $0.callLog = counter }, body)
        let c = counter.counts
        return (result, c.calls, c.hits)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The label of an example for stratification: the normalized value of its first label field.
func stratumLabel(_ example: Example, field: String?) -> String? {
    let key = field ?? example.keys.first { !(example.inputKeys ?? []).contains($0) && $0 != "augmented" }
    guard let key, let value = example[key] else { return nil }
    return normalizedForMetric(value.pythonStr)
}
