import Foundation
import GRDB

/// The connection pools open in this process, one per database file.
///
/// Every ``Store`` on a file shares one `DatabasePool`. Besides being what GRDB
/// recommends, this keeps a second open from touching the file behind SQLite's
/// back: reading the header with a file handle and closing it releases every POSIX
/// lock this process holds on the file (a `close` drops them all), including the
/// shared lock SQLite's open connections rely on. Another process closing its last
/// connection would then believe it is the only one, checkpoint and reset the WAL,
/// and this process's next read would find "database disk image is malformed".
enum SharedPools {
    private final class Entry {
        weak var pool: DatabasePool?
        init(_ pool: DatabasePool) { self.pool = pool }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var entries: [String: Entry] = [:]

    /// The pool already open on `path`, or the one `open` makes (then shared), while no
    /// other thread of this process opens the same file. `shared: false` always opens a
    /// new pool and keeps it out of the registry (tests that stand in for another process).
    static func pool(for path: String, shared: Bool = true, open: () throws -> DatabasePool) throws
        -> (pool: DatabasePool, isNew: Bool)
    {
        guard shared else { return (try open(), true) }
        let key = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        lock.lock()
        defer { lock.unlock() }
        if let pool = entries[key]?.pool { return (pool, false) }
        let pool = try open()
        entries[key] = Entry(pool)
        return (pool, true)
    }
}
