import DSPyUtilities
import Foundation
import GRDB

/// Trained weights kept with compiled programs (a LoRA adapter as GGUF bytes), stored once
/// per content under the SHA-256 of the bytes.
///
/// A compiled program names its adapters by digest in its metadata; the bytes are checked
/// against the digest on every read, so a damaged blob is an error, never weights silently
/// different from the ones that were scored.
public struct AdapterBlob: Sendable, Equatable, Codable {
    /// The SHA-256 of ``bytes``, lowercase hex.
    public var digest: String
    /// What the bytes are (`gguf-lora`).
    public var format: String
    public var bytes: Data
    /// How it was trained, as JSON (rank, alpha, targets, steps, tokens, loss, …).
    public var info: String
    public var createdAt: Date

    public init(digest: String, format: String, bytes: Data, info: String, createdAt: Date = Date()) {
        self.digest = digest
        self.format = format
        self.bytes = bytes
        self.info = info
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case digest, format, bytes, info
        case createdAt = "created_at"
    }
}

extension AdapterBlob: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "adapter_blob"
}

extension Store {
    /// Saves an adapter under its digest (a blob already there is kept: same digest, same bytes).
    ///
    /// - Throws: ``StoreError/invalidJSON(field:detail:)`` when `info` is not JSON, or
    ///   ``StoreError/corruptAdapter(digest:detail:)`` when the bytes do not hash to the digest.
    public func saveAdapter(_ blob: AdapterBlob) throws {
        _ = try StoredJSON.parse(blob.info, field: "the training info of adapter \(blob.digest.prefix(12))")
        let actual = SHA256.hash(Array(blob.bytes)).hexString
        guard actual == blob.digest else {
            throw StoreError.corruptAdapter(digest: blob.digest, detail: "its bytes hash to \(actual)")
        }
        try write("saving an adapter") { db in try blob.insert(db, onConflict: .ignore) }
    }

    /// The adapter with this digest, checked against it; `nil` when the store has none.
    ///
    /// - Throws: ``StoreError/corruptAdapter(digest:detail:)`` when the stored bytes do not hash to the digest.
    public func adapter(digest: String) throws -> AdapterBlob? {
        guard let blob = try read("reading an adapter", { db in try AdapterBlob.fetchOne(db, key: digest) }) else {
            return nil
        }
        let actual = SHA256.hash(Array(blob.bytes)).hexString
        guard actual == digest else {
            throw StoreError.corruptAdapter(digest: digest, detail: "the stored \(blob.bytes.count) bytes hash to \(actual)")
        }
        return blob
    }

    /// Saves a compiled program and the adapters it names, in one transaction.
    ///
    /// - Throws: as ``saveCompiledProgram(_:)`` and ``saveAdapter(_:)``; nothing is written on error.
    public func saveCompiledProgram(_ record: CompiledProgramRecord, adapters: [AdapterBlob]) throws {
        _ = try StoredJSON.parse(record.state, field: "the compiled state of \(record.program)")
        for blob in adapters {
            _ = try StoredJSON.parse(blob.info, field: "the training info of adapter \(blob.digest.prefix(12))")
            let actual = SHA256.hash(Array(blob.bytes)).hexString
            guard actual == blob.digest else {
                throw StoreError.corruptAdapter(digest: blob.digest, detail: "its bytes hash to \(actual)")
            }
        }
        try write("saving a compiled program and its adapters") { db in
            for blob in adapters { try blob.insert(db, onConflict: .ignore) }
            try Self.save(record, db)
        }
    }
}
