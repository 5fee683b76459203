import GRDB

/// A row that belongs to one compile run and keeps the order it was recorded in (a
/// candidate, a phase's work): columns `run_id` and `seq`.
protocol RunOrderedRecord: FetchableRecord, PersistableRecord {
    var runID: String { get set }
    var seq: Int { get set }
}

extension CompileCandidateRecord: RunOrderedRecord {}
extension PhaseWorkRecord: RunOrderedRecord {}

extension Store {
    /// Replaces the rows of `runID` with `rows` in one transaction (all or none), numbering
    /// them in the order given. Cost: one delete and one insert per row.
    func replaceRunRows<Row: RunOrderedRecord>(_ rows: [Row], runID: String, what: String) throws {
        try write("saving a compile's \(what)") { db in
            try Self.ensureRun(id: runID, kind: .compile, program: nil, db)
            try Row.filter(Column("run_id") == runID).deleteAll(db)
            for (index, var row) in rows.enumerated() {
                row.runID = runID
                row.seq = index
                try row.insert(db)
            }
        }
    }

    /// The rows of `runID`, in the order they were recorded.
    static func runRows<Row: RunOrderedRecord>(_ type: Row.Type, runID: String, _ db: Database) throws -> [Row] {
        try Row.filter(Column("run_id") == runID).order(Column("seq")).fetchAll(db)
    }
}
