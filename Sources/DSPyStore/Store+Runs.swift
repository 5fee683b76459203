import Foundation
import GRDB

extension Store {
    /// Starts a run (status ``RunStatus/running``).
    ///
    /// - Parameters:
    ///   - kind: What the run is for.
    ///   - program: The program's name, if any.
    ///   - id: The id; a fresh lowercase UUID by default.
    ///   - startedAt: The start time; now by default.
    /// - Returns: The stored run.
    @discardableResult
    public func beginRun(
        kind: RunKind, program: String? = nil, id: String = UUID().uuidString.lowercased(),
        startedAt: Date = Date()
    ) throws -> RunRecord {
        let run = RunRecord(id: id, kind: kind, program: program, startedAt: startedAt)
        try write("starting a run") { db in try run.insert(db) }
        return run
    }

    /// Marks a run finished.
    ///
    /// - Throws: ``StoreError/unknownRun(_:)`` if no run has this id.
    public func finishRun(
        _ id: String, status: RunStatus = .succeeded, summary: [String: StoredJSON]? = nil,
        finishedAt: Date = Date()
    ) throws {
        try write("finishing a run") { db in
            guard var run = try RunRecord.fetchOne(db, key: id) else { throw StoreError.unknownRun(id) }
            run.status = status
            run.finishedAt = finishedAt
            if let summary { run.summary = summary }
            try run.update(db)
        }
    }

    /// One run by its full id.
    public func run(id: String) throws -> RunRecord? {
        try read("reading runs") { db in try RunRecord.fetchOne(db, key: id) }
    }

    /// A run by its full id or a unique prefix of it (as `git` resolves commits),
    /// or `latest` for the most recent run.
    ///
    /// - Throws: ``StoreError/unknownRun(_:)`` or ``StoreError/ambiguousRun(prefix:matches:)``.
    public func resolveRun(_ idOrPrefix: String) throws -> RunRecord {
        try read("reading runs") { db in
            if idOrPrefix == "latest" {
                guard let run = try RunRecord.order(RunRecord.CodingKeys.startedAt.desc, Column.rowID.desc)
                    .fetchOne(db)
                else { throw StoreError.unknownRun(idOrPrefix) }
                return run
            }
            if let run = try RunRecord.fetchOne(db, key: idOrPrefix) { return run }
            let matches = try RunRecord
                .filter(sql: "substr(id, 1, length(?)) = ?", arguments: [idOrPrefix, idOrPrefix])
                .limit(6).fetchAll(db)
            switch matches.count {
            case 0: throw StoreError.unknownRun(idOrPrefix)
            case 1: return matches[0]
            default: throw StoreError.ambiguousRun(prefix: idOrPrefix, matches: matches.map(\.id))
            }
        }
    }

    /// Runs, most recent first.
    public func runs(program: String? = nil, limit: Int? = nil) throws -> [RunRecord] {
        try read("reading runs") { db in try Self.runRequest(program: program, limit: limit).fetchAll(db) }
    }

    /// Request-log totals per run, most recent run first.
    public func runStatistics(program: String? = nil, limit: Int? = nil) throws -> [RunStatistics] {
        try read("summarising runs") { db in
            try Self.statistics(for: try Self.runRequest(program: program, limit: limit).fetchAll(db), db)
        }
    }

    /// Request-log totals of one run (for a command's closing summary: calls,
    /// cache hits, tokens, time).
    ///
    /// - Throws: ``StoreError/unknownRun(_:)``.
    public func runStatistics(id: String) throws -> RunStatistics {
        try read("summarising a run") { db in
            guard let run = try RunRecord.fetchOne(db, key: id) else { throw StoreError.unknownRun(id) }
            return try Self.statistics(for: [run], db)[0]
        }
    }

    private static func statistics(for runs: [RunRecord], _ db: Database) throws -> [RunStatistics] {
        try runs.map { run in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) AS calls,
                           COALESCE(SUM(cache_hit), 0) AS hits,
                           COALESCE(SUM(parse_error IS NOT NULL), 0) AS parse_errors,
                           COALESCE(SUM(error IS NOT NULL), 0) AS errors,
                           COALESCE(SUM(CASE WHEN cache_hit THEN 0 ELSE prompt_tokens END), 0) AS prompt,
                           COALESCE(SUM(CASE WHEN cache_hit THEN 0 ELSE completion_tokens END), 0) AS completion,
                           COALESCE(SUM(CASE WHEN cache_hit THEN 0 ELSE cached_prompt_tokens END), 0) AS cached,
                           COALESCE(SUM(latency), 0) AS time
                    FROM call WHERE run_id = ?
                    """,
                arguments: [run.id])
            return RunStatistics(
                run: run,
                calls: row?["calls"] ?? 0, cacheHits: row?["hits"] ?? 0,
                parseErrors: row?["parse_errors"] ?? 0, errors: row?["errors"] ?? 0,
                promptTokens: row?["prompt"] ?? 0, completionTokens: row?["completion"] ?? 0,
                cachedPromptTokens: row?["cached"] ?? 0, callTime: row?["time"] ?? 0)
        }
    }

    /// Deletes a run and, with it, its logged calls. Compiled programs it produced are kept.
    public func deleteRun(_ id: String) throws {
        try write("deleting a run") { db in _ = try RunRecord.deleteOne(db, key: id) }
    }

    private static func runRequest(program: String?, limit: Int?) -> QueryInterfaceRequest<RunRecord> {
        var request = RunRecord.order(RunRecord.CodingKeys.startedAt.desc, Column.rowID.desc)
        if let program { request = request.filter(RunRecord.CodingKeys.program == program) }
        if let limit { request = request.limit(max(0, limit)) }
        return request
    }
}
