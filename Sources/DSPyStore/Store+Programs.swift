import Foundation
import GRDB

extension Store {
    /// Saves a compiled program under its fingerprint, replacing any earlier
    /// state with the same fingerprint. The write is one transaction.
    ///
    /// - Throws: ``StoreError/invalidJSON(field:detail:)`` if `state` is not JSON.
    public func saveCompiledProgram(_ record: CompiledProgramRecord) throws {
        _ = try StoredJSON.parse(record.state, field: "the compiled state of \(record.program)")
        try write("saving a compiled program") { db in try Self.save(record, db) }
    }

    static func save(_ record: CompiledProgramRecord, _ db: Database) throws {
        if let runID = record.runID {
            try ensureRun(id: runID, kind: .compile, program: record.program, db)
        }
        try record.upsert(db)
    }

    /// The compiled program with this fingerprint, if any.
    public func compiledProgram(fingerprint: String) throws -> CompiledProgramRecord? {
        try read("reading compiled programs") { db in
            try CompiledProgramRecord.fetchOne(db, key: fingerprint)
        }
    }

    /// The most recently saved compiled program with this name, if any.
    public func latestCompiledProgram(named program: String) throws -> CompiledProgramRecord? {
        try read("reading compiled programs") { db in
            try CompiledProgramRecord
                .filter(CompiledProgramRecord.CodingKeys.program == program)
                .order(CompiledProgramRecord.CodingKeys.savedAt.desc, Column.rowID.desc)
                .fetchOne(db)
        }
    }

    /// Compiled programs, most recently saved first, optionally of one program.
    public func compiledPrograms(named program: String? = nil) throws -> [CompiledProgramRecord] {
        try read("reading compiled programs") { db in
            var request = CompiledProgramRecord
                .order(CompiledProgramRecord.CodingKeys.savedAt.desc, Column.rowID.desc)
            if let program { request = request.filter(CompiledProgramRecord.CodingKeys.program == program) }
            return try request.fetchAll(db)
        }
    }
}
