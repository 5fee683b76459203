import Foundation

/// Counts tokens with a model's own tokenizer and chat template, without running the model.
public protocol PromptTokenCounter: Sendable {
    /// The prompt tokens `messages` become (chat template applied, generation prompt added).
    func promptTokens(_ messages: [ChatMessage]) throws -> Int
    /// The tokens of a plain text (a completion), without template or special tokens.
    func textTokens(_ text: String) throws -> Int
}

/// A planned count: exact when ``low`` equals ``high``, else the range it will fall in.
public struct PlanFigure: Sendable, Hashable, Codable, CustomStringConvertible {
    public var low: Int
    public var high: Int

    public init(exactly value: Int) { low = value; high = value }
    public init(low: Int, high: Int) { self.low = min(low, high); self.high = max(low, high) }

    public var isExact: Bool { low == high }
    public static let zero = PlanFigure(exactly: 0)

    public static func + (a: PlanFigure, b: PlanFigure) -> PlanFigure { PlanFigure(low: a.low + b.low, high: a.high + b.high) }

    /// `1234 (exact)` or `≤ 5678 (at least 1234)`.
    public var description: String { isExact ? "\(high) (exact)" : "≤ \(high) (at least \(low))" }
}

/// One phase of a compile: how many LM calls, prompt tokens and completion tokens it will use.
public struct PlanPhase: Sendable, Hashable, Codable {
    public var name: String
    public var calls: PlanFigure
    public var promptTokens: PlanFigure
    /// The completion-token upper bound: the most calls × the `max_tokens` each may generate.
    public var completionTokenBound: Int
    /// What decides the figures (why a figure is a range).
    public var note: String

    public init(name: String, calls: PlanFigure, promptTokens: PlanFigure, completionTokenBound: Int, note: String) {
        self.name = name
        self.calls = calls
        self.promptTokens = promptTokens
        self.completionTokenBound = completionTokenBound
        self.note = note
    }
}

/// What planning needs besides the program and data.
public struct PlanContext: Sendable {
    public var counter: any PromptTokenCounter
    /// The adapter prompts are rendered with; `nil` is ``ChatAdapter`` (as in ``Predict``).
    public var adapter: (any Adapter)?
    /// The `max_tokens` every call may generate (the model's default parameters).
    public var maxTokens: Int
    /// Whether the model reports choice scores, so ``ChoiceCalibration`` runs every example
    /// (the embedded engine does; a model that does not stops calibration after one call).
    public var reportsChoiceScores: Bool

    public init(counter: any PromptTokenCounter, adapter: (any Adapter)? = nil, maxTokens: Int,
                reportsChoiceScores: Bool = true) {
        self.counter = counter
        self.adapter = adapter
        self.maxTokens = maxTokens
        self.reportsChoiceScores = reportsChoiceScores
    }
}

/// An optimizer's plan: its phases, and the most demos per predictor its result can have
/// (which bounds the cost of evaluating the result).
public struct OptimizerPlan: Sendable {
    public var phases: [PlanPhase]
    public var maxResultDemos: Int
    /// The compiled program itself, when it does not depend on any model output (LabeledFewShot).
    public var exactResult: (any Program)?

    public init(phases: [PlanPhase], maxResultDemos: Int, exactResult: (any Program)? = nil) {
        self.phases = phases
        self.maxResultDemos = maxResultDemos
        self.exactResult = exactResult
    }
}

/// An optimizer that can say, before any model call, what its compile will cost.
///
/// Prompts are rendered with the adapter and counted with the model's tokenizer; where
/// bootstrapping or sampling decides (which examples succeed, which demos are kept) the
/// figures are ranges whose high end is an upper bound.
public protocol PlannableOptimizer: Optimizer {
    /// The phases of compiling `program` on `trainset` (and `valset`), without calling a model.
    ///
    /// - Throws: ``OptimizerError/invalidArgument(_:)`` when the program cannot be planned
    ///   (several predictors whose inputs come from model outputs).
    func plan(_ program: any Program, trainset: [Example], valset: [Example]?, context: PlanContext) throws -> OptimizerPlan
}

/// The plan of a whole compile: what each phase will use, and what is not planned.
public struct CompilePlan: Sendable {
    public var optimizer: String
    public var phases: [PlanPhase]
    /// Why the optimizer's own phases are missing (it has no planner), if they are.
    public var unplanned: String?

    public init(optimizer: String, phases: [PlanPhase], unplanned: String? = nil) {
        self.optimizer = optimizer
        self.phases = phases
        self.unplanned = unplanned
    }

    public var calls: PlanFigure { phases.reduce(.zero) { $0 + $1.calls } }
    public var promptTokens: PlanFigure { phases.reduce(.zero) { $0 + $1.promptTokens } }
    public var completionTokenBound: Int { phases.reduce(0) { $0 + $1.completionTokenBound } }
}

extension Optimizer {
    /// This optimizer's plan for `program`, or `nil` when it has no planner (say so; do not guess).
    public func planIfSupported(_ program: any Program, trainset: [Example], valset: [Example]?,
                                context: PlanContext) throws -> OptimizerPlan? {
        guard let plannable = self as? any PlannableOptimizer else { return nil }
        return try plannable.plan(program, trainset: trainset, valset: valset, context: context)
    }
}

extension CompilePlan {
    /// The plan of a compile as `dspyc compile` runs it: the zero-shot program evaluated on
    /// `devset` (exact), the optimizer's phases, and the compiled program evaluated on `devset`.
    ///
    /// An optimizer without a planner leaves its phases and the compiled evaluation out, and
    /// ``unplanned`` says so: no numbers rather than wrong ones.
    public static func make(_ program: any Program, optimizer: any Optimizer, trainset: [Example], devset: [Example],
                            valset: [Example]? = nil, context: PlanContext) throws -> CompilePlan {
        let planner = try PromptPlanner(program, context: context)
        var phases = [try planner.exactRuns("baseline evaluation", devset, demos: [], note: "zero-shot, one call per dev example")]
        guard let optimizerPlan = try optimizer.planIfSupported(program, trainset: trainset, valset: valset, context: context) else {
            return CompilePlan(
                optimizer: optimizer.name, phases: phases,
                unplanned: "optimizer '\(optimizer.name)' has no planner: its own calls and tokens, and the compiled evaluation's "
                    + "(\(devset.count) calls, prompts that depend on its result), are not counted above")
        }
        phases += optimizerPlan.phases
        phases.append(try planner.evaluation("compiled evaluation", devset: devset, exact: optimizerPlan.exactResult,
                                             maxDemos: optimizerPlan.maxResultDemos, demoPool: trainset))
        return CompilePlan(optimizer: optimizer.name, phases: phases)
    }
}
