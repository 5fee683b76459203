import Foundation
import GRDB

/// Which logged calls to fetch. Every filter is optional; they combine with AND.
public struct CallQuery: Sendable, Equatable {
    /// Only calls of this run (a full id; resolve prefixes with ``Store/resolveRun(_:)``).
    public var runID: String?
    /// Only calls of this program.
    public var program: String?
    /// Only calls of this module path or below it (`qa` matches `qa` and `qa.answerer`).
    public var modulePath: String?
    /// Only calls whose messages or completions contain this text (ASCII case-insensitive).
    public var text: String?
    /// Only calls made at or after this date.
    public var since: Date?
    /// Only calls made before this date.
    public var until: Date?
    /// Only cache hits (`true`) or only real calls (`false`).
    public var cacheHit: Bool?
    /// At most this many calls: the most recent ones. `nil` for all.
    public var limit: Int?

    public init(
        runID: String? = nil, program: String? = nil, modulePath: String? = nil, text: String? = nil,
        since: Date? = nil, until: Date? = nil, cacheHit: Bool? = nil, limit: Int? = nil
    ) {
        self.runID = runID
        self.program = program
        self.modulePath = modulePath
        self.text = text
        self.since = since
        self.until = until
        self.cacheHit = cacheHit
        self.limit = limit
    }
}

extension LoggedCall {
    public static func databaseJSONEncoder(for column: String) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }
}

extension Store {
    /// Appends one call to the request log.
    ///
    /// If the call names a run that was never begun, a placeholder run is
    /// created, so a call is never lost for want of its run.
    ///
    /// - Returns: The call with its ``LoggedCall/id`` set.
    @discardableResult
    public func log(_ call: LoggedCall) throws -> LoggedCall {
        try write("logging an LM call") { db in try Self.insert(call, db) }
    }

    /// Appends several calls in one transaction (all or none).
    @discardableResult
    public func log(_ calls: [LoggedCall]) throws -> [LoggedCall] {
        try write("logging LM calls") { db in try calls.map { try Self.insert($0, db) } }
    }

    /// Logs a call and, in the same transaction, stores its response in the
    /// LM-call cache: either both are on disk afterwards or neither is.
    ///
    /// - Parameters:
    ///   - call: The call to log.
    ///   - entry: The response to cache, or `nil` (a cache hit, or an uncacheable call).
    /// - Returns: The call with its id.
    @discardableResult
    public func record(_ call: LoggedCall, caching entry: CacheEntry?) throws -> LoggedCall {
        if let entry, !CacheEntry.isValidKey(entry.key) { throw StoreError.invalidCacheKey(entry.key) }
        return try write("logging an LM call") { db in
            if let entry { try entry.upsert(db) }
            return try Self.insert(call, db)
        }
    }

    /// The logged calls matching `query`, oldest first (the last `query.limit` of them).
    public func calls(_ query: CallQuery = CallQuery()) throws -> [LoggedCall] {
        try read("reading the request log") { db in
            var request = Self.filtered(query)
            request = request.order(LoggedCall.CodingKeys.id.desc)
            if let limit = query.limit { request = request.limit(max(0, limit)) }
            return try request.fetchAll(db).reversed()
        }
    }

    /// Visits the calls matching `query` one at a time, oldest first (the last
    /// `query.limit` of them), without loading the whole log in memory — for
    /// exporting large logs.
    ///
    /// The body runs inside a read transaction: it sees one consistent snapshot
    /// while other processes keep writing.
    public func forEachCall(_ query: CallQuery = CallQuery(), _ body: (LoggedCall) throws -> Void) throws {
        try read("reading the request log") { db in
            var request = Self.filtered(query)
            if let limit = query.limit {
                guard limit > 0 else { return }
                let ids = Self.filtered(query).select(LoggedCall.CodingKeys.id, as: Int64.self)
                    .order(LoggedCall.CodingKeys.id.desc).limit(1, offset: limit - 1)
                if let first = try ids.fetchOne(db) {
                    request = request.filter(LoggedCall.CodingKeys.id >= first)
                }
            }
            let cursor = try request.order(LoggedCall.CodingKeys.id.asc).fetchCursor(db)
            while let call = try cursor.next() { try body(call) }
        }
    }

    /// The number of logged calls matching `query` (its `limit` is ignored).
    public func callCount(_ query: CallQuery = CallQuery()) throws -> Int {
        try read("counting the request log") { db in try Self.filtered(query).fetchCount(db) }
    }

    /// One logged call by id.
    public func call(id: Int64) throws -> LoggedCall? {
        try read("reading the request log") { db in try LoggedCall.fetchOne(db, key: id) }
    }

    static func insert(_ call: LoggedCall, _ db: Database) throws -> LoggedCall {
        if let runID = call.runID {
            try ensureRun(id: runID, kind: call.runKind ?? "unknown", program: call.program, db)
        }
        var row = call.withoutCredentials()
        try row.insert(db)
        return row
    }

    static func ensureRun(id: String, kind: RunKind, program: String?, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO run (id, kind, program, started_at, status) VALUES (?, ?, ?, ?, ?)",
            arguments: [id, kind, program, Date(), RunStatus.running])
    }

    static func filtered(_ query: CallQuery) -> QueryInterfaceRequest<LoggedCall> {
        typealias Column = LoggedCall.CodingKeys
        var request = LoggedCall.all()
        if let runID = query.runID { request = request.filter(Column.runID == runID) }
        if let program = query.program { request = request.filter(Column.program == program) }
        if let path = query.modulePath {
            request = request.filter(
                sql: "(module_path = ? OR substr(module_path, 1, length(?) + 1) = ? || '.')",
                arguments: [path, path, path])
        }
        if let text = query.text, !text.isEmpty {
            let pattern = "%" + escapeLike(text) + "%"
            request = request.filter(
                sql: """
                    (completion LIKE ? ESCAPE '\\'
                     OR EXISTS (SELECT 1 FROM json_each(call.messages)
                                WHERE json_extract(json_each.value, '$.content') LIKE ? ESCAPE '\\')
                     OR EXISTS (SELECT 1 FROM json_each(call.other_completions)
                                WHERE json_each.value LIKE ? ESCAPE '\\'))
                    """,
                arguments: [pattern, pattern, pattern])
        }
        if let since = query.since { request = request.filter(Column.timestamp >= since) }
        if let until = query.until { request = request.filter(Column.timestamp < until) }
        if let hit = query.cacheHit { request = request.filter(Column.cacheHit == hit) }
        return request
    }

    static func escapeLike(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
