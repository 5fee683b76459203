import Foundation
import GRDB

/// Totals of one compile phase of a run (`dspyc inspect runs RUN --phases`): its logged LM
/// calls, and the work it recorded without calls (``PhaseWorkRecord``: training jobs).
public struct PhaseStatistics: Sendable, Equatable, Codable {
    /// The phase (`baseline`, `bootstrap`, …), or `nil` for calls logged without one.
    public var phase: String?
    /// Calls logged in the phase, cache hits included.
    public var calls: Int
    /// Calls answered from the LM-call cache.
    public var cacheHits: Int
    /// Distinct candidates the phase's calls were made for.
    public var candidates: Int
    /// Prompt tokens over calls that were not cache hits.
    public var promptTokens: Int
    /// Generated tokens over calls that were not cache hits.
    public var completionTokens: Int
    /// Sum of the calls' latencies, in seconds (concurrent calls overlap, so this can exceed ``wallTime``).
    public var callTime: TimeInterval
    /// From the phase's first start (call or work) to its last end, in seconds.
    public var wallTime: TimeInterval
    /// When its first call started, or its first work if that was earlier (or it made no calls).
    public var firstCall: Date
    /// The work recorded in the phase without LM calls, in the order it was recorded.
    public var work: [PhaseWorkRecord]

    public init(
        phase: String?, calls: Int, cacheHits: Int = 0, candidates: Int = 0, promptTokens: Int = 0,
        completionTokens: Int = 0, callTime: TimeInterval = 0, wallTime: TimeInterval = 0, firstCall: Date,
        work: [PhaseWorkRecord] = []
    ) {
        self.phase = phase
        self.calls = calls
        self.cacheHits = cacheHits
        self.candidates = candidates
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.callTime = callTime
        self.wallTime = wallTime
        self.firstCall = firstCall
        self.work = work
    }

    /// Tokens processed by the phase's work (trained on, all epochs).
    public var workTokens: Int { work.reduce(0) { $0 + $1.tokens } }
    /// Optimizer steps of the phase's work.
    public var steps: Int { work.reduce(0) { $0 + $1.steps } }
    /// Rows the phase's work used (summed over jobs).
    public var rows: Int { work.reduce(0) { $0 + $1.rows } }
    /// Each job's final loss, in order (jobs without a step left out).
    public var finalLosses: [Double] { work.compactMap(\.finalLoss) }

    /// Adds `records` (work of this phase), widening ``firstCall`` and ``wallTime`` to span
    /// both the calls and the work.
    mutating func absorb(_ records: [PhaseWorkRecord]) {
        guard let workStart = records.map(\.startedAt).min(), let workEnd = records.map(\.endedAt).max() else { return }
        let start = calls > 0 ? min(firstCall, workStart) : workStart
        let end = calls > 0 ? max(firstCall.addingTimeInterval(wallTime), workEnd) : workEnd
        work += records
        firstCall = start
        wallTime = max(0, end.timeIntervalSince(start))
    }
}

extension Store {
    /// The run's totals per compile phase, in the order the phases started.
    ///
    /// Calls logged before phases were recorded (or outside any phase) form one group
    /// with a `nil` phase. The run's recorded ``PhaseWorkRecord``s join their phase's row; a
    /// phase with work and no calls (`training`) is a row of its own, placed among the others
    /// by when it started. Cost: one grouped query over the run's calls (indexed by run) and
    /// one over its work.
    public func phaseStatistics(runID: String) throws -> [PhaseStatistics] {
        try read("summarising a run's phases") { db in
            let work = try Self.phaseWork(runID: runID, db)
            return Self.merging(work, into: try Self.callPhaseStatistics(runID: runID, db))
        }
    }

    /// `work` merged into `phases` (see ``phaseStatistics(runID:)``).
    static func merging(_ work: [PhaseWorkRecord], into phases: [PhaseStatistics]) -> [PhaseStatistics] {
        var phases = phases
        var names: [String] = []
        for record in work where !names.contains(record.phase) { names.append(record.phase) }
        for name in names {
            let records = work.filter { $0.phase == name }
            if let index = phases.firstIndex(where: { $0.phase == name }) {
                phases[index].absorb(records)
                continue
            }
            var row = PhaseStatistics(phase: name, calls: 0, firstCall: records[0].startedAt)
            row.absorb(records)
            phases.insert(row, at: phases.firstIndex { $0.firstCall > row.firstCall } ?? phases.endIndex)
        }
        return phases
    }

    /// The request-log totals per phase, in the order the phases' first calls were logged.
    private static func callPhaseStatistics(runID: String, _ db: Database) throws -> [PhaseStatistics] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT phase,
                       COUNT(*) AS calls,
                       COALESCE(SUM(cache_hit), 0) AS hits,
                       COUNT(DISTINCT candidate) AS candidates,
                       COALESCE(SUM(CASE WHEN cache_hit THEN 0 ELSE prompt_tokens END), 0) AS prompt,
                       COALESCE(SUM(CASE WHEN cache_hit THEN 0 ELSE completion_tokens END), 0) AS completion,
                       COALESCE(SUM(latency), 0) AS time,
                       MIN(timestamp) AS first,
                       MAX(julianday(timestamp) * 86400.0 + latency) - MIN(julianday(timestamp) * 86400.0) AS span
                FROM call WHERE run_id = ?
                GROUP BY phase
                ORDER BY MIN(id)
                """,
            arguments: [runID])
        return rows.map { row in
            PhaseStatistics(
                phase: row["phase"], calls: row["calls"], cacheHits: row["hits"], candidates: row["candidates"],
                promptTokens: row["prompt"], completionTokens: row["completion"], callTime: row["time"],
                wallTime: max(0, (row["span"] as Double?) ?? 0),
                firstCall: (row["first"] as Date?) ?? Date(timeIntervalSince1970: 0))
        }
    }

    /// Stores the candidates of a compile run, replacing any stored for it before
    /// (all or none). `seq` and `runID` are set from the order and `runID` given.
    public func saveCandidates(_ candidates: [CompileCandidateRecord], runID: String) throws {
        try replaceRunRows(candidates, runID: runID, what: "candidates")
    }

    /// The candidates a compile run recorded, in the order the optimizer recorded them.
    public func candidates(runID: String) throws -> [CompileCandidateRecord] {
        try read("reading a compile's candidates") { db in try Self.runRows(CompileCandidateRecord.self, runID: runID, db) }
    }
}
