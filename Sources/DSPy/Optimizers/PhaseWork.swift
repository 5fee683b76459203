import Foundation

/// Work a compile phase did without calling a language model — fine-tuning — timed and
/// measured where it ran.
///
/// The request log shows the phases that call a model, with their calls, tokens and time.
/// Training makes no LM calls, so ``BootstrapFinetune`` records each training job here
/// instead (``CompileTrace/work(_:)``), and `dspyc compile` stores it with the run next to
/// the candidates, where the inspector's phase table shows it as a row of its own.
///
/// ```swift
/// CompileTrace.work(.training(tuned.artifact, candidate: "finetune", startedAt: start, wallSeconds: 41.2))
/// ```
public struct PhaseWork: Sendable, Codable, Equatable {
    /// The adapter a training job produced.
    public struct Adapter: Sendable, Codable, Equatable {
        /// The SHA-256 of its bytes (``FinetuneArtifact/digest``).
        public var digest: String
        public var rank: Int
        public var alpha: Double

        public init(digest: String, rank: Int, alpha: Double) {
            self.digest = digest
            self.rank = rank
            self.alpha = alpha
        }
    }

    /// The phase the work belongs to (``CompilePhase/training``).
    public var phase: CompilePhase
    /// The candidate it was done for, if any (`finetune`).
    public var candidate: String?
    /// When it started.
    public var startedAt: Date
    /// How long it took, in seconds.
    public var wallSeconds: Double
    /// Tokens processed: for training, the tokens trained on over all epochs.
    public var tokens: Int
    /// Optimizer steps taken.
    public var steps: Int
    /// Rows (examples) worked on.
    public var rows: Int
    /// The last step's loss, if there was a step.
    public var finalLoss: Double?
    /// The adapter trained, if the work was training.
    public var adapter: Adapter?

    public init(
        phase: CompilePhase, candidate: String? = nil, startedAt: Date, wallSeconds: Double, tokens: Int = 0,
        steps: Int = 0, rows: Int = 0, finalLoss: Double? = nil, adapter: Adapter? = nil
    ) {
        self.phase = phase
        self.candidate = candidate
        self.startedAt = startedAt
        self.wallSeconds = wallSeconds
        self.tokens = tokens
        self.steps = steps
        self.rows = rows
        self.finalLoss = finalLoss
        self.adapter = adapter
    }

    /// A training job in ``CompilePhase/training``: measured by the artifact's
    /// ``FinetuneInfo``, timed by the caller (from the start of the call to the trainer to
    /// its return, which includes preparing the rows).
    public static func training(
        _ artifact: FinetuneArtifact, candidate: String?, startedAt: Date, wallSeconds: Double
    ) -> PhaseWork {
        let info = artifact.info
        return PhaseWork(
            phase: .training, candidate: candidate, startedAt: startedAt, wallSeconds: wallSeconds, tokens: info.tokens,
            steps: info.steps, rows: info.rows, finalLoss: info.finalLoss,
            adapter: Adapter(digest: artifact.digest, rank: info.rank, alpha: info.alpha))
    }
}

extension CompileTrace {
    /// Records work done without LM calls (a no-op without a recorder).
    public static func work(_ work: PhaseWork) {
        recorder?.addWork(work)
    }
}
