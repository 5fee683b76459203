import Foundation
import Testing
@testable import DSPyStore

@Suite("Runs and compiled programs")
struct StoreRunAndProgramTests {
    @Test("A run is begun, finished and summarised from its calls")
    func runLifecycle() throws {
        let store = try Store.inMemory()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let run = try store.beginRun(kind: .compile, program: "sentiment", startedAt: start)
        try store.log(sampleCall(run: run.id))
        try store.log(sampleCall(run: run.id, cacheHit: true))
        var failed = sampleCall(run: run.id)
        failed.parseError = "missing field sentiment"
        try store.log(failed)
        try store.finishRun(
            run.id, status: .succeeded, summary: ["score": 0.75], finishedAt: start.addingTimeInterval(12))

        let stats = try #require(try store.runStatistics().first)
        #expect(stats.run.status == .succeeded)
        #expect(stats.run.summary == ["score": 0.75])
        #expect(stats.calls == 3)
        #expect(stats.cacheHits == 1)
        #expect(stats.parseErrors == 1)
        #expect(stats.promptTokens == 240)
        #expect(stats.completionTokens == 16)
        #expect(stats.cachedPromptTokens == 192)
        #expect(abs(stats.callTime - 0.75) < 1e-9)
        #expect(stats.wallTime == 12)
        #expect(try store.runStatistics(id: run.id) == stats)
        #expect(throws: StoreError.unknownRun("nope")) { try store.runStatistics(id: "nope") }
    }

    @Test("Runs resolve by full id, unique prefix or latest")
    func resolve() throws {
        let store = try Store.inMemory()
        try store.beginRun(kind: .eval, id: "abc111", startedAt: Date(timeIntervalSince1970: 1))
        try store.beginRun(kind: .eval, id: "abc222", startedAt: Date(timeIntervalSince1970: 2))
        #expect(try store.resolveRun("abc111").id == "abc111")
        #expect(try store.resolveRun("abc2").id == "abc222")
        #expect(try store.resolveRun("latest").id == "abc222")
        #expect(throws: StoreError.ambiguousRun(prefix: "abc", matches: ["abc111", "abc222"])) {
            try store.resolveRun("abc")
        }
        #expect(throws: StoreError.unknownRun("zzz")) { try store.resolveRun("zzz") }
        #expect(throws: StoreError.unknownRun("zzz")) { try store.finishRun("zzz") }
    }

    @Test("Deleting a run deletes its calls")
    func deleteRun() throws {
        let store = try Store.inMemory()
        try store.log(sampleCall(run: "r"))
        try store.log(sampleCall(run: "s"))
        try store.deleteRun("r")
        #expect(try store.callCount() == 1)
        #expect(try store.run(id: "r") == nil)
    }

    @Test("The latest compiled program per name wins; a fingerprint is replaced in place")
    func programs() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir.appendingPathComponent("db.sqlite").path)
            let run = try store.beginRun(kind: .compile, program: "sentiment")
            let first = CompiledProgramRecord(
                fingerprint: "f1", program: "sentiment", state: #"{"classify.predict":{"demos":[]}}"#,
                scores: ["baseline": 0.48, "compiled": 0.6], metadata: ["optimizer": "BootstrapFewShot"],
                runID: run.id, savedAt: Date(timeIntervalSince1970: 100))
            var second = first
            second.fingerprint = "f2"
            second.scores["compiled"] = 0.75
            second.savedAt = Date(timeIntervalSince1970: 200)
            try store.saveCompiledProgram(first)
            try store.saveCompiledProgram(second)
            try store.saveCompiledProgram(
                CompiledProgramRecord(fingerprint: "g", program: "capitals", state: "{}",
                                      savedAt: Date(timeIntervalSince1970: 300)))

            #expect(try store.compiledProgram(fingerprint: "f1") == first)
            #expect(try store.latestCompiledProgram(named: "sentiment") == second)
            #expect(try store.latestCompiledProgram(named: "missing") == nil)
            #expect(try store.compiledPrograms().map(\.fingerprint) == ["g", "f2", "f1"])

            var resaved = first
            resaved.savedAt = Date(timeIntervalSince1970: 400)
            try store.saveCompiledProgram(resaved)
            #expect(try store.latestCompiledProgram(named: "sentiment")?.fingerprint == "f1")
            #expect(try store.compiledPrograms(named: "sentiment").count == 2)
        }
    }

    @Test("State that is not JSON is refused and nothing is written")
    func invalidState() throws {
        let store = try Store.inMemory()
        #expect(throws: StoreError.self) {
            try store.saveCompiledProgram(CompiledProgramRecord(fingerprint: "f", program: "p", state: "{oops"))
        }
        #expect(try store.compiledPrograms().isEmpty)
    }

    @Test("The default path honours DSPYC_HOME")
    func defaultPath() {
        #expect(Store.defaultPath(environment: ["DSPYC_HOME": "/tmp/x"]) == "/tmp/x/dspyc.sqlite")
        #expect(Store.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.cache/dspyc/dspyc.sqlite")
        #expect(Store.defaultPath(environment: ["DSPYC_HOME": "", "HOME": "/h"]) == "/h/.cache/dspyc/dspyc.sqlite")
    }

    @Test("Opening creates the directory and the schema, in WAL mode")
    func opensInWAL() throws {
        try withTemporaryDirectory { dir in
            let home = dir.appendingPathComponent("nested/home")
            let store = try Store.open(environment: ["DSPYC_HOME": home.path])
            #expect(store.path == home.appendingPathComponent("dspyc.sqlite").path)
            let mode = try store.read("test") { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            #expect(try store.integrityCheck().isEmpty)
        }
    }
}
