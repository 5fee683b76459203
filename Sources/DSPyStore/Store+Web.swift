import Foundation
import GRDB

extension Store {
    /// The ids of the calls logged just before and just after a call in the same
    /// run (or, for a call without a run, among calls without a run), for
    /// stepping through a run one call at a time.
    ///
    /// - Returns: `previous` and `next`, each `nil` at either end.
    public func neighbouringCallIDs(of call: LoggedCall) throws -> (previous: Int64?, next: Int64?) {
        guard let id = call.id else { return (nil, nil) }
        return try read("reading the request log") { db in
            let sameRun = call.runID == nil ? "run_id IS NULL" : "run_id = ?"
            let arguments: StatementArguments = call.runID.map { [$0, id] } ?? [id]
            let previous = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM call WHERE \(sameRun) AND id < ?", arguments: arguments)
            let next = try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM call WHERE \(sameRun) AND id > ?", arguments: arguments)
            return (previous, next)
        }
    }
}
