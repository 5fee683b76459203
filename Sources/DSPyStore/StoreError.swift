import Foundation

/// An error from the dspyc store.
///
/// Every case names the database file (or the value) that failed, so the
/// message alone tells a user what to look at. The CLI maps these to exit codes
/// in one place.
///
/// ## Topics
///
/// ### Database health
///
/// - ``corruptDatabase(path:detail:)``
/// - ``databaseLocked(path:timeout:)``
/// - ``cannotOpen(path:detail:)``
/// - ``newerSchema(path:unknownMigrations:)``
///
/// ### Bad values
///
/// - ``invalidCacheKey(_:)``
/// - ``invalidJSON(field:detail:)``
/// - ``unknownRun(_:)``
/// - ``ambiguousRun(prefix:matches:)``
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file exists but is not a readable SQLite database (garbage bytes,
    /// a truncated or damaged file). The file has not been modified.
    case corruptDatabase(path: String, detail: String)

    /// Another connection held the write lock for longer than the busy timeout.
    case databaseLocked(path: String, timeout: TimeInterval)

    /// The file or its directory cannot be opened or created.
    case cannotOpen(path: String, detail: String)

    /// The database was migrated by a newer dspyc that knows migrations this one does not.
    case newerSchema(path: String, unknownMigrations: [String])

    /// A cache key that is not a lowercase 64-character SHA-256 hex string.
    case invalidCacheKey(String)

    /// A value that must hold JSON does not parse.
    case invalidJSON(field: String, detail: String)

    /// No run has this id (or id prefix).
    case unknownRun(String)

    /// Several runs start with this prefix.
    case ambiguousRun(prefix: String, matches: [String])

    /// A stored adapter whose bytes do not match its digest.
    case corruptAdapter(digest: String, detail: String)

    /// Any other SQLite failure, with the operation that was attempted.
    case sqlite(path: String, operation: String, detail: String)

    public var description: String {
        switch self {
        case .corruptDatabase(let path, let detail):
            return "the dspyc database at \(path) is corrupt or not an SQLite database (\(detail)); "
                + "it was left untouched. Move it aside to start a fresh one."
        case .databaseLocked(let path, let timeout):
            return "the dspyc database at \(path) is locked by another process "
                + "(waited \(Self.format(timeout)) s); try again when it has finished"
        case .cannotOpen(let path, let detail):
            return "cannot open the dspyc database at \(path): \(detail)"
        case .newerSchema(let path, let unknown):
            return "the dspyc database at \(path) was written by a newer dspyc "
                + "(unknown migrations: \(unknown.joined(separator: ", "))); upgrade dspyc"
        case .invalidCacheKey(let key):
            return "invalid cache key \"\(key)\": expected a 64-character lowercase SHA-256 hex string"
        case .invalidJSON(let field, let detail):
            return "\(field) is not valid JSON: \(detail)"
        case .unknownRun(let id):
            return "no run with id \"\(id)\""
        case .ambiguousRun(let prefix, let matches):
            return "run id prefix \"\(prefix)\" matches several runs: \(matches.joined(separator: ", "))"
        case .corruptAdapter(let digest, let detail):
            return "the stored adapter \(digest) is damaged (\(detail)); recompile the program that uses it with --force"
        case .sqlite(let path, let operation, let detail):
            return "database error at \(path) while \(operation): \(detail)"
        }
    }

    private static func format(_ seconds: TimeInterval) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.2f", seconds)
    }
}
