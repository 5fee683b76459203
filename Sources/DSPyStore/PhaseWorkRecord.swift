import Foundation
import GRDB

/// Work a compile phase did without LM calls (a fine-tuning job), as stored with the run.
///
/// The request log cannot show training: it makes no LM calls. `dspyc compile` stores each
/// training job here when the compile finishes (``Store/savePhaseWork(_:runID:)``), and
/// ``Store/phaseStatistics(runID:)`` merges it into the phase totals, so the phase table,
/// the time-per-phase chart and `dspyc inspect runs RUN --phases` show a `training` row with
/// its time, tokens, steps and final loss.
public struct PhaseWorkRecord: Sendable, Equatable, Codable {
    /// The run it belongs to.
    public var runID: String
    /// Its position among the run's work (0-based, in the order it was recorded).
    public var seq: Int
    /// The phase (`training`).
    public var phase: String
    /// The candidate it was done for (`finetune`), if any.
    public var candidate: String?
    /// When it started.
    public var startedAt: Date
    /// How long it took, in seconds.
    public var wallTime: TimeInterval
    /// Tokens processed: for training, tokens trained on over all epochs.
    public var tokens: Int
    /// Optimizer steps.
    public var steps: Int
    /// Rows (examples) worked on.
    public var rows: Int
    /// The last step's loss, if any.
    public var finalLoss: Double?
    /// The trained adapter's SHA-256, rank and alpha, if the work was training.
    public var adapterDigest: String?
    public var adapterRank: Int?
    public var adapterAlpha: Double?

    public init(
        runID: String, seq: Int, phase: String, candidate: String? = nil, startedAt: Date, wallTime: TimeInterval,
        tokens: Int = 0, steps: Int = 0, rows: Int = 0, finalLoss: Double? = nil, adapterDigest: String? = nil,
        adapterRank: Int? = nil, adapterAlpha: Double? = nil
    ) {
        self.runID = runID
        self.seq = seq
        self.phase = phase
        self.candidate = candidate
        self.startedAt = startedAt
        self.wallTime = wallTime
        self.tokens = tokens
        self.steps = steps
        self.rows = rows
        self.finalLoss = finalLoss
        self.adapterDigest = adapterDigest
        self.adapterRank = adapterRank
        self.adapterAlpha = adapterAlpha
    }

    /// When it ended.
    public var endedAt: Date { startedAt.addingTimeInterval(wallTime) }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case runID = "run_id"
        case seq, phase, candidate
        case startedAt = "started_at"
        case wallTime = "wall_time"
        case tokens, steps, rows
        case finalLoss = "final_loss"
        case adapterDigest = "adapter_digest"
        case adapterRank = "adapter_rank"
        case adapterAlpha = "adapter_alpha"
    }
}

extension PhaseWorkRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "phase_work"
}

extension Store {
    /// Stores the work of a compile run's phases, replacing any stored for it before (all or
    /// none). `seq` and `runID` are set from the order and `runID` given.
    public func savePhaseWork(_ work: [PhaseWorkRecord], runID: String) throws {
        try replaceRunRows(work, runID: runID, what: "phase work")
    }

    /// The work a run's phases recorded, in the order it was recorded.
    public func phaseWork(runID: String) throws -> [PhaseWorkRecord] {
        try read("reading a compile's phase work") { db in try Self.phaseWork(runID: runID, db) }
    }

    static func phaseWork(runID: String, _ db: Database) throws -> [PhaseWorkRecord] {
        try runRows(PhaseWorkRecord.self, runID: runID, db)
    }
}
