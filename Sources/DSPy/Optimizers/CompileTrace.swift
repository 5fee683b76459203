import Foundation

/// One candidate program an optimizer considered: what it was, how it scored, whether it
/// was chosen and why.
///
/// ``state`` is the candidate's DSPy-shaped state (``Module/dumpState()``): its demos,
/// instructions and calibration offsets per predictor, so a candidate can be read back
/// and compared without re-running the compile.
public struct CandidateTrace: Sendable, Codable, Equatable {
    /// One measured score.
    public struct Score: Sendable, Codable, Equatable {
        /// The split scored on: `train`, `val`, `dev`, `minibatch`, `held-out train`, ….
        public var split: String
        /// The score as ``EvaluationResult/score`` (a percentage), or another measure named by `split`.
        public var score: Double
        /// Examples scored.
        public var examples: Int

        public init(split: String, score: Double, examples: Int) {
            self.split = split
            self.score = score
            self.examples = examples
        }
    }

    /// The optimizer's id for the candidate (`zero-shot`, `seed 3`, `trial 7`); the
    /// request log's ``CallRecord/candidate`` uses the same ids.
    public var id: String
    /// The search round it belongs to, when the optimizer works in rounds.
    public var round: Int?
    /// A description (`instr 2, demos 1`).
    public var label: String
    /// The program's state when the candidate was recorded.
    public var state: JSONValue
    /// The scores measured, in order.
    public var scores: [Score]
    /// Whether it is the program the compile returned.
    public var chosen: Bool
    /// Why it was chosen or set aside, when the optimizer said.
    public var decision: String?

    public init(
        id: String, round: Int? = nil, label: String, state: JSONValue, scores: [Score] = [], chosen: Bool = false,
        decision: String? = nil
    ) {
        self.id = id
        self.round = round
        self.label = label
        self.state = state
        self.scores = scores
        self.chosen = chosen
        self.decision = decision
    }
}

/// Collects the candidates of one compile, and the work its phases did without LM calls
/// (install it with ``CompileTrace/recording(_:)``).
public final class CompileTraceRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [CandidateTrace] = []
    private var storedWork: [PhaseWork] = []

    public init() {}

    /// The candidates so far, in the order they were first recorded.
    public var candidates: [CandidateTrace] { lock.withLock { stored } }

    /// The work recorded so far (``PhaseWork``: training jobs), in the order it was recorded.
    public var work: [PhaseWork] { lock.withLock { storedWork } }

    func addWork(_ work: PhaseWork) {
        lock.withLock { storedWork.append(work) }
    }

    func update(_ id: String, _ change: (inout CandidateTrace) -> Void) {
        lock.withLock {
            guard let index = stored.firstIndex(where: { $0.id == id }) else { return }
            change(&stored[index])
        }
    }

    func add(_ candidate: CandidateTrace) {
        lock.withLock {
            if let index = stored.firstIndex(where: { $0.id == candidate.id }) {
                stored[index].state = candidate.state
                stored[index].label = candidate.label
            } else {
                stored.append(candidate)
            }
        }
    }
}

/// What optimizers call to record their candidates, scores and decisions.
///
/// Every call is a no-op unless a recorder is installed (the CLI installs one for
/// `dspyc compile`), so library users pay nothing. Cost with a recorder: one program
/// state dump per ``candidate(_:label:round:program:)``.
///
/// ```swift
/// CompileTrace.candidate("seed 3", program: candidate)
/// CompileTrace.score("seed 3", split: "val", score: 71.5, examples: 200)
/// CompileTrace.choose("seed 3", reason: "highest val score")
/// ```
public enum CompileTrace {
    /// The recorder candidates go to, if any.
    @TaskLocal public static var recorder: CompileTraceRecorder?

    /// Runs `body` recording candidates into `recorder`.
    public static func recording<T>(_ recorder: CompileTraceRecorder, _ body: () async throws -> T) async rethrows -> T {
        try await $recorder.withValue(recorder, operation: body)
    }

    /// Records (or updates the state of) candidate `id`, snapshotting `program`.
    public static func candidate(_ id: String, label: String? = nil, round: Int? = nil, program: any Module) {
        guard let recorder else { return }
        recorder.add(CandidateTrace(
            id: id, round: round, label: label ?? id, state: program.dumpState(), scores: [], chosen: false,
            decision: nil))
    }

    /// Adds a score measured for candidate `id` (ignored when `id` was not recorded).
    public static func score(_ id: String, split: String, score: Double, examples: Int) {
        recorder?.update(id) { $0.scores.append(.init(split: split, score: score, examples: examples)) }
    }

    /// Marks candidate `id` as the compile's result, saying why; every other candidate
    /// stops being chosen.
    public static func choose(_ id: String, reason: String) {
        guard let recorder else { return }
        for other in recorder.candidates where other.chosen && other.id != id {
            recorder.update(other.id) { $0.chosen = false }
        }
        recorder.update(id) {
            $0.chosen = true
            $0.decision = reason
        }
    }

    /// Notes why candidate `id` was set aside.
    public static func reject(_ id: String, reason: String) {
        recorder?.update(id) {
            $0.chosen = false
            $0.decision = reason
        }
    }
}
