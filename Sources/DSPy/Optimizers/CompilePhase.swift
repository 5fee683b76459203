import Foundation

/// A step of a compile that LM calls belong to: the baseline evaluation, bootstrapping
/// with a teacher, calibration, scoring candidates, the compiled evaluation, ….
///
/// Extensible (any string is a phase); the common ones have names. Phases are set with
/// ``CompileContext/phase(_:candidate:_:)`` around the work of each step, and every LM
/// call made inside carries the phase to the call log (``CallRecord/phase``), so the
/// request log can be grouped by phase without threading a parameter through programs.
public struct CompilePhase: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// The program as given, scored on the dev set before optimizing.
    public static let baseline: CompilePhase = "baseline"
    /// The work of an optimizer not inside a more specific phase.
    public static let optimize: CompilePhase = "optimize"
    /// A teacher running training examples to collect demos (BootstrapFewShot's traces).
    public static let bootstrap: CompilePhase = "bootstrap"
    /// Learning choice offsets (``ChoiceCalibration``).
    public static let calibration: CompilePhase = "calibration"
    /// Proposing instructions (MIPRO, COPRO) or reflecting on failures (GEPA).
    public static let proposal: CompilePhase = "proposal"
    /// Scoring a candidate program on a training, validation or minibatch split.
    public static let candidateEvaluation: CompilePhase = "candidate-eval"
    /// The compiled program, scored on the dev set after optimizing.
    public static let compiledEvaluation: CompilePhase = "compiled-eval"
    /// Fine-tuning weights (`finetune`).
    public static let training: CompilePhase = "training"

    /// The order phases are listed in when shown together (unknown phases last, by name).
    public static let displayOrder: [CompilePhase] = [
        .baseline, .optimize, .bootstrap, .proposal, .calibration, .candidateEvaluation, .training, .compiledEvaluation,
    ]
}

/// Where in a compile the current task is: its phase and the candidate being worked on.
///
/// Both are task-locals, inherited by child tasks (an ``Evaluate`` runs its examples in a
/// task group, and each example's calls carry the phase). Outside a compile both are `nil`
/// and nothing is tagged. Cost: one task-local binding per phase; nothing per call beyond
/// two reads.
///
/// ```swift
/// let score = try await CompileContext.phase(.candidateEvaluation, candidate: "c3") {
///     try await evaluate(candidate)
/// }
/// ```
public enum CompileContext {
    /// The phase LM calls are made in, if any.
    @TaskLocal public static var currentPhase: CompilePhase?
    /// The candidate LM calls are made for, if any (an optimizer-chosen id such as `seed 3` or `trial 7`).
    @TaskLocal public static var currentCandidate: String?

    /// Runs `body` in `phase`; with a `candidate`, for that candidate, otherwise for the
    /// enclosing one (calibrating a candidate keeps its id).
    public static func phase<T>(
        _ phase: CompilePhase, candidate: String? = nil, _ body: () async throws -> T
    ) async rethrows -> T {
        try await $currentPhase.withValue(phase) {
            try await $currentCandidate.withValue(candidate ?? currentCandidate, operation: body)
        }
    }

    /// Runs `body` in the enclosing phase, or in `phase` when there is none: an optimizer's
    /// default for its own work, that a caller's more specific phase overrides.
    public static func defaultPhase<T>(_ phase: CompilePhase, _ body: () async throws -> T) async rethrows -> T {
        if currentPhase != nil, currentPhase != .optimize { return try await body() }
        return try await $currentPhase.withValue(phase, operation: body)
    }
}
