import Foundation
import GRDB

/// Async variants of the calls the framework makes while LM calls are in
/// flight. They suspend instead of blocking a cooperative thread, so a writer
/// waiting out another process's lock (the busy timeout) does not starve
/// the concurrency pool. Same semantics and errors as the synchronous ones.
extension Store {
    /// Async ``cachedResponse(forKey:)``.
    public func cachedResponse(forKey key: String) async throws -> CacheEntry? {
        guard CacheEntry.isValidKey(key) else { throw StoreError.invalidCacheKey(key) }
        return try await read("reading the LM-call cache") { db in try CacheEntry.fetchOne(db, key: key) }
    }

    /// Async ``storeCachedResponse(_:)``.
    public func storeCachedResponse(_ entry: CacheEntry) async throws {
        guard CacheEntry.isValidKey(entry.key) else { throw StoreError.invalidCacheKey(entry.key) }
        try await write("writing the LM-call cache") { db in try entry.upsert(db) }
    }

    /// Async ``log(_:)-(LoggedCall)``.
    @discardableResult
    public func log(_ call: LoggedCall) async throws -> LoggedCall {
        try await write("logging an LM call") { db in try Self.insert(call, db) }
    }

    /// Async ``record(_:caching:)``.
    @discardableResult
    public func record(_ call: LoggedCall, caching entry: CacheEntry?) async throws -> LoggedCall {
        if let entry, !CacheEntry.isValidKey(entry.key) { throw StoreError.invalidCacheKey(entry.key) }
        return try await write("logging an LM call") { db in
            if let entry { try entry.upsert(db) }
            return try Self.insert(call, db)
        }
    }

    /// Async ``compiledProgram(fingerprint:)``.
    public func compiledProgram(fingerprint: String) async throws -> CompiledProgramRecord? {
        try await read("reading compiled programs") { db in try CompiledProgramRecord.fetchOne(db, key: fingerprint) }
    }

    /// Async ``saveCompiledProgram(_:)``.
    public func saveCompiledProgram(_ record: CompiledProgramRecord) async throws {
        _ = try StoredJSON.parse(record.state, field: "the compiled state of \(record.program)")
        try await write("saving a compiled program") { db in try Self.save(record, db) }
    }

    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.read(body)
        } catch {
            throw Self.map(error, path: path, operation: operation, timeout: options.busyTimeout)
        }
    }

    func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { preconditionFailure("a committed transaction always has a result") }
                return result
            }
        } catch {
            throw Self.map(error, path: path, operation: operation, timeout: options.busyTimeout)
        }
    }
}
