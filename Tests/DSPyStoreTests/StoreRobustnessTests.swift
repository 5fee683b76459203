import Foundation
import Testing
@testable import DSPyStore

@Suite("Store robustness", .serialized)
struct StoreRobustnessTests {
    @Test("A file of garbage bytes gives a clear error naming the file, and is left untouched")
    func garbageFile() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            var generator = SystemRandomNumberGenerator()
            let garbage = Data((0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try garbage.write(to: URL(fileURLWithPath: path))

            var thrown: StoreError?
            do { _ = try Store(path: path) } catch let error as StoreError { thrown = error }
            guard case .corruptDatabase(let named, _) = thrown else {
                Issue.record("expected corruptDatabase, got \(String(describing: thrown))")
                return
            }
            #expect(named == path)
            #expect(thrown?.description.contains(path) == true)
            #expect(thrown?.description.contains("left untouched") == true)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            #expect(leftovers == ["dspyc.sqlite"])
        }
    }

    @Test("A database damaged after its header is reported as corrupt, naming the file")
    func damagedPages() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            do {
                let store = try Store(path: path)
                for i in 0..<300 { try store.log(sampleCall(user: "call \(i) " + String(repeating: "y", count: 500))) }
            }  // closing the last connection checkpoints the WAL into the file
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(bytes.count > 40_000)
            for i in 4096..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
            try bytes.write(to: URL(fileURLWithPath: path))

            var thrown: StoreError?
            do {
                let store = try Store(path: path)
                _ = try store.calls()
                _ = try store.integrityCheck()
            } catch let error as StoreError { thrown = error }
            guard case .corruptDatabase(let named, _) = thrown else {
                Issue.record("expected corruptDatabase, got \(String(describing: thrown))")
                return
            }
            #expect(named == path)
        }
    }

    @Test("Moving a database aside renames it and its companions, only when asked")
    func moveAside() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            try Data("not a database at all".utf8).write(to: URL(fileURLWithPath: path))
            let moved = try Store.moveAside(databaseAt: path, now: Date(timeIntervalSince1970: 0))
            #expect(moved == path + ".corrupt-19700101-000000")
            #expect(try String(contentsOfFile: moved, encoding: .utf8) == "not a database at all")
            let store = try Store(path: path)
            #expect(try store.callCount() == 0)
        }
    }

    @Test("A locked database waits for the busy timeout, then fails clearly")
    func lockedDatabase() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            let holder = try Store(path: path)
            let locked = Semaphore()
            let released = ManagedAtomicFlag()
            let holding = BackgroundThread {
                try holder.write("holding the lock") { _ in
                    locked.signal()
                    Thread.sleep(forTimeInterval: 2.5)
                    released.set()
                }
            }
            locked.wait()
            // Opening a current database needs no write lock: it opens while the lock is held.
            // Its own pool, as another process would have (one process shares one pool).
            let waiter = try Store(path: path, options: Store.Options(busyTimeout: 0.5), sharingPool: false)
            #expect(!released.isSet, "opened while the other writer still held the lock")
            // A write gives up after its busy timeout, long before the holder lets go.
            #expect(throws: StoreError.databaseLocked(path: path, timeout: 0.5)) {
                try waiter.log(sampleCall())
            }
            #expect(!released.isSet, "gave up on its own timeout, not the holder's release")
            // Readers are never blocked by the writer (WAL).
            #expect(try waiter.callCount() == 0)
            // With a timeout longer than the hold, the same write waits for the lock and succeeds.
            let patient = try Store(path: path, options: Store.Options(busyTimeout: 30), sharingPool: false)
            #expect(try patient.log(sampleCall()).id != nil)
            #expect(released.isSet, "a successful write came after the holder's release")
            try holding.join()
            #expect(StoreError.databaseLocked(path: path, timeout: 0.5).description.contains(path))
            #expect(try waiter.log(sampleCall()).id != nil)
        }
    }

    @Test("A writer that meets a short lock waits and then succeeds")
    func shortLockWaits() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            let holder = try Store(path: path)
            let waiter = try Store(path: path, options: Store.Options(busyTimeout: 5))
            let locked = Semaphore()
            let holding = BackgroundThread {
                try holder.write("holding the lock") { _ in
                    locked.signal()
                    Thread.sleep(forTimeInterval: 0.3)
                }
            }
            locked.wait()
            try waiter.log(sampleCall())
            try holding.join()
            #expect(try holder.callCount() == 1)
        }
    }

    @Test("Two stores on one file in one process share its connection pool and write at once")
    func twoPools() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            // Both open a fresh file at the same time: migrations must not collide.
            let openA = BackgroundThread { try Store(path: path) }
            let openB = BackgroundThread { try Store(path: path) }
            let a = try openA.join()
            let b = try openB.join()
            // One pool per file and process: a second open must not touch the file behind
            // SQLite's back (closing a file handle drops the process's POSIX locks).
            let shared = ObjectIdentifier(a.writer as AnyObject) == ObjectIdentifier(b.writer as AnyObject)
            #expect(shared)
            let perWriter = 150
            let writeA = BackgroundThread {
                for i in 0..<perWriter { try a.log(sampleCall(run: "A", user: "A \(i)")) }
            }
            let writeB = BackgroundThread {
                for i in 0..<perWriter {
                    let call = sampleCall(run: "B", user: "B \(i)")
                    try b.record(call, caching: CacheEntry(key: call.cacheKey!, response: "{}"))
                }
            }
            try writeA.join()
            try writeB.join()
            #expect(try a.callCount(CallQuery(runID: "A")) == perWriter)
            #expect(try a.callCount(CallQuery(runID: "B")) == perWriter)
            #expect(try b.cachedResponseCount() == perWriter)
            #expect(try a.integrityCheck().isEmpty)
        }
    }

    @Test("Several connections opening one fresh file at once all succeed")
    func concurrentFirstOpen() throws {
        try withTemporaryDirectory { dir in
            for round in 0..<10 {
                let path = dir.appendingPathComponent("fresh-\(round).sqlite").path
                let openers = (0..<3).map { _ in BackgroundThread { try Store(path: path) } }
                let stores = try openers.map { try $0.join() }
                try stores[round % 3].log(sampleCall())
                #expect(try stores[0].callCount() == 1)
            }
        }
    }

    @Test("A database from a newer dspyc is refused, not downgraded")
    func newerSchema() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            do {
                let store = try Store(path: path)
                try store.write("simulating a newer dspyc") { db in
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
                }
            }
            #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["v99"])) {
                try Store(path: path)
            }
        }
    }
}

/// A one-shot signal between a detached task and the test.
/// A flag one thread sets and others read.
final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

final class Semaphore: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func signal() { semaphore.signal() }
    func wait() { semaphore.wait() }
}

/// Runs a body on its own thread (not the cooperative pool, which blocking work would starve).
final class BackgroundThread<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            self.result = Result { try body() }
            self.done.signal()
        }
        thread.start()
    }

    @discardableResult
    func join() throws -> T {
        done.wait()
        done.signal()
        return try result!.get()
    }
}
