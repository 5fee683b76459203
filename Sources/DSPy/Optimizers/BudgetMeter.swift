import Foundation

/// Counts what a compile spends against its ``CompileBudget`` and keeps the best program offered so far.
///
/// Installed in a task-local (``current``) by ``Optimizer/compile(_:trainset:valset:budget:)``;
/// every predictor's LM call asks it first (``admit()``) and reports its usage after
/// (``record(_:cacheHit:)``), so every optimizer, and every model it uses, obeys the same budget.
/// Optimizers offer each complete candidate (``offer(_:score:label:)``); when the budget stops
/// the compile, the best offer is the result.
public final class BudgetMeter: @unchecked Sendable {
    /// The meter of the compile in progress, if it has a budget.
    @TaskLocal public static var current: BudgetMeter?

    public let budget: CompileBudget
    private let lock = NSLock()
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var calls = 0
    private var tokens = 0
    private var stoppedBy: String?
    private var best: (program: any Program, score: Double?, label: String)?

    public init(_ budget: CompileBudget) {
        self.budget = budget
        start = clock.now
    }

    /// Reserves one LM call, or throws ``BudgetExhausted`` when a limit is reached.
    /// Once one limit has stopped the compile, every later call is refused too.
    public func admit() throws {
        let elapsed = clock.now - start
        try lock.withLock {
            if let stoppedBy { throw BudgetExhausted(limit: stoppedBy) }
            var reached: String?
            if let limit = budget.calls, calls >= limit { reached = "calls" }
            else if let limit = budget.tokens, tokens >= limit { reached = "tokens" }
            else if let limit = budget.time, elapsed >= limit { reached = "time" }
            if let reached {
                stoppedBy = reached
                throw BudgetExhausted(limit: reached)
            }
            calls += 1
        }
    }

    /// Adds a finished call's computed tokens (a cache hit reports none).
    public func record(_ usage: TokenUsage, cacheHit: Bool) {
        guard !cacheHit else { return }
        lock.withLock { tokens += usage.promptTokens + usage.completionTokens }
    }

    /// True once a limit has refused a call.
    public var isStopped: Bool { lock.withLock { stoppedBy != nil } }

    /// Throws ``BudgetExhausted`` when a limit has refused a call: for code that swallows
    /// per-call errors (calibration runs) and must not use a partial result as if complete.
    public func checkNotStopped() throws {
        if let limit = lock.withLock({ stoppedBy }) { throw BudgetExhausted(limit: limit) }
    }

    /// Offers a complete candidate program. A scored offer replaces the best one when its score
    /// is higher (the first of equals stays, as optimizers pick); an unscored offer (a program
    /// built step by step, each step better than the last) replaces any earlier unscored one.
    public func offer(_ program: any Program, score: Double?, label: String) {
        lock.withLock {
            switch (score, best?.score) {
            case (let s?, let b?) where s <= b: return
            case (nil, _?): return
            default: best = (program.deepCopy(), score, label)
            }
        }
    }

    /// The best offer so far: program, score, label.
    public var bestOffer: (program: any Program, score: Double?, label: String)? { lock.withLock { best } }

    /// What was spent and what stopped the compile, if anything.
    public var status: BudgetStatus {
        let elapsed = (clock.now - start).seconds
        return lock.withLock {
            BudgetStatus(budget: budget.description, stoppedBy: stoppedBy, calls: calls, tokens: tokens, seconds: elapsed,
                         callLimit: budget.calls, tokenLimit: budget.tokens, secondsLimit: budget.time?.seconds)
        }
    }
}

extension Optimizer {
    /// Compiles under `budget`: stops at the first limit reached and returns the best program
    /// found so far (the best candidate an optimizer offered, else a copy of `program`).
    ///
    /// The result's ``CompileReport/budget`` says what was spent and whether the budget stopped
    /// the compile; a stopped compile's report also says so in its notes. Every LM call made
    /// through a predictor inside is counted, whatever model it uses (teacher, proposer,
    /// reflection LMs included).
    public func compile(_ program: any Program, trainset: [Example], valset: [Example]?,
                        budget: CompileBudget) async throws -> CompiledProgram {
        let meter = BudgetMeter(budget)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            var compiled = try await BudgetMeter.$current.withValue(meter) {
                try await compile(program, trainset: trainset, valset: valset)
            }
            var report = compiled.report
            report.budget = meter.status
            if report.budget?.stopped == true {
                report.notes.append("\(meter.status); the optimizer finished with what it had")
            }
            compiled = CompiledProgram(program: compiled.program, report: report, candidates: compiled.candidates)
            return compiled
        } catch is BudgetExhausted {
            let status = meter.status
            var report = CompileReport(optimizer: name)
            report.budget = status
            report.elapsed = clock.now - start
            report.lmCalls = status.calls
            let chosen: any Program
            if let offer = meter.bestOffer {
                chosen = offer.program
                report.bestScore = offer.score
                report.notes.append("\(status); returning the best program found so far: \(offer.label)"
                    + (offer.score.map { " (score \(pythonFloatText($0)))" } ?? ""))
            } else {
                chosen = program.deepCopy()
                report.notes.append("\(status); no candidate was complete, returning the program unchanged")
            }
            report.recordDemos(of: chosen)
            return CompiledProgram(program: chosen, report: report)
        }
    }
}
