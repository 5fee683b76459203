import Foundation
import GRDB

/// Request-log totals of one compile phase of a run (`dspyc inspect runs RUN --phases`).
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
    /// From the phase's first call's start to its last call's end, in seconds.
    public var wallTime: TimeInterval
    /// When its first call started.
    public var firstCall: Date

    public init(
        phase: String?, calls: Int, cacheHits: Int = 0, candidates: Int = 0, promptTokens: Int = 0,
        completionTokens: Int = 0, callTime: TimeInterval = 0, wallTime: TimeInterval = 0, firstCall: Date
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
    }
}

extension Store {
    /// The run's request-log totals per compile phase, in the order the phases started.
    ///
    /// Calls logged before phases were recorded (or outside any phase) form one group
    /// with a `nil` phase. Cost: one grouped query over the run's calls (indexed by run).
    public func phaseStatistics(runID: String) throws -> [PhaseStatistics] {
        try read("summarising a run's phases") { db in
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
    }

    /// Stores the candidates of a compile run, replacing any stored for it before
    /// (all or none). `seq` and `runID` are set from the order and `runID` given.
    public func saveCandidates(_ candidates: [CompileCandidateRecord], runID: String) throws {
        try write("saving a compile's candidates") { db in
            try Self.ensureRun(id: runID, kind: .compile, program: nil, db)
            try CompileCandidateRecord.filter(CompileCandidateRecord.CodingKeys.runID == runID).deleteAll(db)
            for (index, var candidate) in candidates.enumerated() {
                candidate.runID = runID
                candidate.seq = index
                try candidate.insert(db)
            }
        }
    }

    /// The candidates a compile run recorded, in the order the optimizer recorded them.
    public func candidates(runID: String) throws -> [CompileCandidateRecord] {
        try read("reading a compile's candidates") { db in
            try CompileCandidateRecord.filter(CompileCandidateRecord.CodingKeys.runID == runID)
                .order(CompileCandidateRecord.CodingKeys.seq).fetchAll(db)
        }
    }
}
