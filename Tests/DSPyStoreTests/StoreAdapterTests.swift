import DSPyUtilities
import Foundation
import GRDB
import Testing
@testable import DSPyStore

@Suite("Fine-tuned adapters in the store")
struct StoreAdapterTests {
    static func blob(_ text: String = "GGUF adapter bytes") -> AdapterBlob {
        let bytes = Data(text.utf8)
        return AdapterBlob(digest: SHA256.hash(Array(bytes)).hexString, format: "gguf-lora", bytes: bytes,
                           info: #"{"rank":8,"steps":3}"#)
    }

    @Test("A compiled program and its adapter are saved together and read back byte for byte")
    func roundTrip() throws {
        let store = try Store.inMemory()
        let adapter = Self.blob()
        let record = CompiledProgramRecord(fingerprint: "fp", program: "sentiment", state: "{}",
                                           metadata: ["adapters": .object(["self": .string(adapter.digest)])])
        try store.saveCompiledProgram(record, adapters: [adapter, adapter])
        let read = try #require(try store.adapter(digest: adapter.digest))
        #expect(read.bytes == adapter.bytes)
        #expect(read.format == "gguf-lora")
        #expect(read.info == adapter.info)
        #expect(try store.compiledProgram(fingerprint: "fp")?.metadata["adapters"] == .object(["self": .string(adapter.digest)]))
        #expect(try store.adapter(digest: String(repeating: "0", count: 64)) == nil)
    }

    @Test("Bytes that do not hash to their digest are refused on save, and nothing of the program is written")
    func refusesAMismatch() throws {
        let store = try Store.inMemory()
        var wrong = Self.blob()
        wrong.bytes = Data("other bytes".utf8)
        let record = CompiledProgramRecord(fingerprint: "fp", program: "sentiment", state: "{}")
        #expect(throws: StoreError.self) { try store.saveCompiledProgram(record, adapters: [wrong]) }
        #expect(try store.compiledProgram(fingerprint: "fp") == nil)
        var badInfo = Self.blob()
        badInfo.info = "{not json"
        #expect(throws: StoreError.self) { try store.saveAdapter(badInfo) }
    }

    @Test("A damaged stored blob is an error naming its digest, never different weights")
    func detectsDamage() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("store.sqlite").path
            let adapter = Self.blob()
            do {
                let store = try Store(path: path)
                try store.saveAdapter(adapter)
            }
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: "UPDATE adapter_blob SET bytes = ? WHERE digest = ?",
                               arguments: [Data("tampered".utf8), adapter.digest])
            }
            try queue.close()
            let store = try Store(path: path)
            do {
                _ = try store.adapter(digest: adapter.digest)
                Issue.record("a damaged adapter was read")
            } catch let error as StoreError {
                guard case .corruptAdapter(let digest, _) = error else { Issue.record("\(error)"); return }
                #expect(digest == adapter.digest)
                #expect(error.description.contains("recompile"))
            }
        }
    }

    @Test("A v2 database migrates to v3-adapters keeping its compiled programs")
    func migratesAV2Database() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("store.sqlite").path
            do {
                let queue = try DatabaseQueue(path: path)
                try Store.migrator.migrate(queue, upTo: "v2")
                try queue.write { db in
                    try db.execute(sql: """
                        INSERT INTO compiled_program (fingerprint, program, state, scores, metadata, run_id, saved_at)
                        VALUES ('f00d', 'sentiment', '{"a":1}', '{"dev":75}', '{}', NULL, '2026-11-01 10:01:00.000');
                        """)
                }
            }
            let store = try Store(path: path)
            #expect(try store.compiledProgram(fingerprint: "f00d")?.state == #"{"a":1}"#)
            try store.saveAdapter(Self.blob())
            #expect(try store.adapter(digest: Self.blob().digest) != nil)
        }
    }
}
