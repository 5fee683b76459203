import Foundation
import GRDB
import Logging

/// The dspyc database: LM-call cache, compiled programs, runs and the request log,
/// in one SQLite file.
///
/// On disk the store uses a `DatabasePool` (WAL: readers never wait for the
/// writer, and several dspyc processes can share the file), a busy timeout for
/// writers that meet another process's lock, and one ``DatabaseMigrator`` whose
/// migrations are never edited once shipped. Every write is one transaction, so
/// a crash, a `SIGKILL` or a concurrent process never leaves half a record.
///
/// ```swift
/// let store = try Store.open()                       // $DSPYC_HOME/dspyc.sqlite
/// let run = try store.beginRun(kind: .compile, program: "sentiment")
/// if let hit = try store.cachedResponse(forKey: key) { … }
/// try store.record(call, caching: CacheEntry(key: key, response: json))
/// try store.finishRun(run.id, status: .succeeded, summary: ["score": 0.75])
/// ```
///
/// A file that is not an SQLite database is reported as
/// ``StoreError/corruptDatabase(path:detail:)`` and left exactly as it was;
/// ``moveAside(databaseAt:)`` exists for when the user asks to start afresh.
///
/// ## Topics
///
/// ### Opening
///
/// - ``open(environment:options:)``
/// - ``init(path:options:)``
/// - ``inMemory()``
/// - ``defaultPath(environment:)``
/// - ``Options``
///
/// ### LM-call cache
///
/// - ``cachedResponse(forKey:)``
/// - ``storeCachedResponse(_:)``
///
/// ### Request log
///
/// - ``log(_:)``
/// - ``record(_:caching:)``
/// - ``calls(_:)``
///
/// ### Runs
///
/// - ``beginRun(kind:program:id:startedAt:)``
/// - ``finishRun(_:status:summary:finishedAt:)``
/// - ``resolveRun(_:)``
/// - ``runStatistics(program:limit:)``
///
/// ### Compiled programs
///
/// - ``saveCompiledProgram(_:)``
/// - ``compiledProgram(fingerprint:)``
/// - ``latestCompiledProgram(named:)``
public struct Store: Sendable {
    /// How the store opens its database.
    public struct Options: Sendable, Equatable {
        /// How long a writer waits for another connection's lock before failing
        /// with ``StoreError/databaseLocked(path:timeout:)``. Default 10 s (DSPy's disk cache uses 10 s too).
        public var busyTimeout: TimeInterval

        public init(busyTimeout: TimeInterval = 10) {
            self.busyTimeout = busyTimeout
        }
    }

    /// The database file's path (`:memory:` for an in-memory store).
    public let path: String
    /// The options it was opened with.
    public let options: Options
    let writer: any DatabaseWriter

    /// The file name inside `$DSPYC_HOME`.
    public static let fileName = "dspyc.sqlite"

    /// `$DSPYC_HOME/dspyc.sqlite`, or `~/.cache/dspyc/dspyc.sqlite` when `DSPYC_HOME` is unset or empty.
    public static func defaultPath(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        let home: URL
        if let value = environment["DSPYC_HOME"], !value.isEmpty {
            home = URL(fileURLWithPath: value)
        } else if let value = environment["HOME"], !value.isEmpty {
            home = URL(fileURLWithPath: value).appendingPathComponent(".cache/dspyc")
        } else {
            home = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/dspyc")
        }
        return home.appendingPathComponent(fileName).path
    }

    /// Opens (creating if needed) the database at ``defaultPath(environment:)``.
    ///
    /// - Throws: ``StoreError`` naming the file.
    public static func open(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        options: Options = Options()
    ) throws -> Store {
        try Store(path: defaultPath(environment: environment), options: options)
    }

    /// Opens (creating if needed) the database at `path`, in WAL mode, and
    /// migrates it to the current schema.
    ///
    /// The parent directory is created if missing. A non-empty file that does not
    /// start with the SQLite header is rejected before SQLite touches it.
    ///
    /// - Throws: ``StoreError/corruptDatabase(path:detail:)`` for a file that is not
    ///   a database, ``StoreError/databaseLocked(path:timeout:)`` when another process
    ///   holds the lock through the whole busy timeout,
    ///   ``StoreError/newerSchema(path:unknownMigrations:)``, ``StoreError/cannotOpen(path:detail:)``.
    /// Stores on the same file in one process share one connection pool (``SharedPools``);
    /// the first one's options apply to it.
    public init(path: String, options: Options = Options()) throws {
        try self.init(path: path, options: options, sharingPool: true)
    }

    /// `sharingPool: false` opens a pool of its own, as another process would (for tests).
    init(path: String, options: Options, sharingPool: Bool) throws {
        self.path = path
        self.options = options
        let deadline = Date().addingTimeInterval(options.busyTimeout)
        let (pool, isNew) = try SharedPools.pool(for: path, shared: sharingPool) {
            try Self.checkHeader(path: path)
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError.cannotOpen(path: path, detail: "cannot create \(directory.path): \(error.localizedDescription)")
            }
            var configuration = Configuration()
            configuration.busyMode = .timeout(options.busyTimeout)
            configuration.label = "dspyc.store"
            // Two processes opening a fresh file at once can meet SQLITE_BUSY where
            // SQLite does not call the busy handler (switching to WAL, the first
            // schema read). Opening retries those within the same busy timeout.
            do {
                return try Self.retryingWhileBusy(until: deadline) {
                    try DatabasePool(path: path, configuration: configuration)
                }
            } catch {
                throw Self.map(error, path: path, operation: "opening the database", timeout: options.busyTimeout)
            }
        }
        self.writer = pool
        if isNew { try Self.retryingWhileBusy(until: deadline, operation: "migrating the schema") { try migrate() } }
    }

    /// Runs `body`, retrying every 20 ms while it fails with a busy or locked
    /// database, until `deadline`.
    ///
    /// Logs under ``StoreLog/label``: each retry at `trace`, the first at `debug`, a
    /// recovery after retries at `notice`, and giving up at `warning` before the error is thrown.
    static func retryingWhileBusy<T>(
        until deadline: Date, operation: String = "opening the database",
        logger: Logger = StoreLog.logger, _ body: () throws -> T
    ) throws -> T {
        var retries = 0
        let start = Date()
        while true {
            do {
                let result = try body()
                if retries > 0 {
                    logger.notice("store recovered after busy retries", metadata: [
                        "operation": "\(operation)", "retries": "\(retries)",
                        "waited_ms": "\(Int(Date().timeIntervalSince(start) * 1000))",
                    ])
                }
                return result
            } catch let error where isBusy(error) && Date() < deadline {
                retries += 1
                let level: Logger.Level = retries == 1 ? .debug : .trace
                logger.log(level: level, "store busy, retrying in 20 ms", metadata: [
                    "operation": "\(operation)", "retry": "\(retries)", "error": "\(error)",
                ])
                Thread.sleep(forTimeInterval: 0.02)
            } catch {
                if isBusy(error) {
                    logger.warning("store still busy at the deadline; giving up", metadata: [
                        "operation": "\(operation)", "retries": "\(retries)",
                    ])
                }
                throw error
            }
        }
    }

    private static func isBusy(_ error: any Error) -> Bool {
        if case .databaseLocked? = error as? StoreError { return true }
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    private init(path: String, options: Options, writer: any DatabaseWriter) throws {
        self.path = path
        self.options = options
        self.writer = writer
        try migrate()
    }

    /// A store in memory, for tests and `--no-store` runs. Nothing is written to disk.
    public static func inMemory() throws -> Store {
        var configuration = Configuration()
        configuration.label = "dspyc.store"
        let queue = try DatabaseQueue(configuration: configuration)
        return try Store(path: ":memory:", options: Options(), writer: queue)
    }

    // MARK: Health

    /// Runs SQLite's `PRAGMA integrity_check`; returns the problems found (empty when healthy).
    public func integrityCheck() throws -> [String] {
        let lines = try read("checking integrity") { db in
            try String.fetchAll(db, sql: "PRAGMA integrity_check")
        }
        return lines == ["ok"] ? [] : lines
    }

    /// Renames a database file (and its `-wal` / `-shm` companions) aside, so a
    /// fresh one can be created. Call this only when the user asked for it.
    ///
    /// - Returns: The new path of the database file (`<path>.corrupt-<yyyyMMdd-HHmmss>`).
    public static func moveAside(databaseAt path: String, now: Date = Date()) throws -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let target = "\(path).corrupt-\(formatter.string(from: now))"
        let manager = FileManager.default
        do {
            try manager.moveItem(atPath: path, toPath: target)
            for suffix in ["-wal", "-shm"] where manager.fileExists(atPath: path + suffix) {
                try manager.moveItem(atPath: path + suffix, toPath: target + suffix)
            }
        } catch {
            throw StoreError.cannotOpen(path: path, detail: "cannot move it to \(target): \(error.localizedDescription)")
        }
        return target
    }

    // MARK: Internals

    /// Rejects a non-empty file that is not an SQLite database, without writing to it.
    static func checkHeader(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }
        if header != Data("SQLite format 3\0".utf8) {
            throw StoreError.corruptDatabase(path: path, detail: "file is not a database (bad header)")
        }
    }

    private func migrate() throws {
        let migrator = Self.migrator
        do {
            try writer.read { db in
                if try migrator.hasBeenSuperseded(db) {
                    let known = Set(migrator.migrations)
                    let unknown = try migrator.appliedIdentifiers(db).subtracting(known).sorted()
                    throw StoreError.newerSchema(path: path, unknownMigrations: unknown)
                }
            }
            // A current schema needs no write lock: opening never waits for
            // another process's long transaction.
            if try writer.read({ db in try migrator.hasCompletedMigrations(db) }) { return }
            do {
                try migrator.migrate(writer)
            } catch {
                // Two processes migrating a fresh file at once: the loser's
                // `CREATE TABLE` fails after the winner commits. Check again.
                try migrator.migrate(writer)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.map(error, path: path, operation: "migrating the schema", timeout: options.busyTimeout)
        }
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.read(body)
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.map(error, path: path, operation: operation, timeout: options.busyTimeout)
        }
    }

    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                guard let result else { preconditionFailure("a committed transaction always has a result") }
                return result
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw Self.map(error, path: path, operation: operation, timeout: options.busyTimeout)
        }
    }

    static func map(_ error: any Error, path: String, operation: String, timeout: TimeInterval) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else {
            return .sqlite(path: path, operation: operation, detail: String(describing: error))
        }
        let detail = error.message ?? "\(error.resultCode)"
        StoreLog.logger.debug("store operation failed", metadata: [
            "operation": "\(operation)", "path": "\(path)", "sqlite": "\(error.resultCode)", "detail": "\(detail)",
        ])
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return .corruptDatabase(path: path, detail: "\(detail), while \(operation)")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .databaseLocked(path: path, timeout: timeout)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            return .cannotOpen(path: path, detail: detail)
        default:
            return .sqlite(path: path, operation: operation, detail: detail)
        }
    }
}
