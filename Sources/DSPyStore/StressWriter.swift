import Foundation
import GRDB

/// A writer that hammers the store with transactions whose invariants can be
/// checked afterwards — for proving that a process killed mid-write (`SIGKILL`)
/// leaves a consistent database. `dspyc store-stress` (hidden) and the tests use it.
///
/// Iteration *i* writes, in **one** transaction: a logged call whose sampling
/// holds `{"iteration": i}`, a cache entry keyed by `SHA-256("stress-<i>")`, and
/// the compiled program `stress` with state `{"iteration": i}`. So at any
/// instant the database must hold as many stress calls as stress cache entries,
/// numbered 0..<n without gaps, and the program's state must say n − 1.
public enum StressWriter {
    /// The run id the stress calls are logged under.
    public static let runID = "stress-writer"
    /// The program name the stress writer saves.
    public static let program = "stress"

    /// Writes `count` iterations (forever when `nil`) to the database at `path`,
    /// continuing after the iterations already there.
    ///
    /// - Parameters:
    ///   - path: The database file.
    ///   - count: How many iterations, or `nil` to run until killed.
    ///   - payloadBytes: Size of each logged completion, to make pages split.
    ///   - deadline: Stop at this time even if `count` is not reached (a safety net
    ///     for a child process whose parent died).
    ///   - progress: Called after each committed iteration with its number.
    /// - Returns: The number of iterations written.
    @discardableResult
    public static func run(
        path: String, count: Int?, payloadBytes: Int = 2048, deadline: Date? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> Int {
        let store = try Store(path: path)
        var first = try store.callCount(CallQuery(runID: runID))
        let payload = String(repeating: "x", count: payloadBytes)
        var written = 0
        while count.map({ written < $0 }) ?? true, deadline.map({ Date() < $0 }) ?? true {
            let i = first
            try store.write("stress-writing iteration \(i)") { db in
                let key = Store.cacheKey(canonicalRequest: "stress-\(i)")
                try CacheEntry(key: key, model: "stress", response: #"{"iteration":\#(i)}"#).upsert(db)
                _ = try Store.insert(
                    LoggedCall(
                        runID: runID, runKind: "stress", program: program, modulePath: "stress.writer",
                        model: "stress", messages: [.init(role: "user", content: "iteration \(i)")],
                        completion: payload, sampling: ["iteration": .int(i)], cacheKey: key),
                    db)
                try Store.save(
                    CompiledProgramRecord(
                        fingerprint: "stress", program: program, state: #"{"iteration":\#(i)}"#,
                        scores: ["iteration": Double(i)]),
                    db)
            }
            first += 1
            written += 1
            progress?(i)
        }
        return written
    }

    /// What ``verify(path:)`` found.
    public struct Report: Sendable, Equatable {
        /// Committed iterations found.
        public var iterations: Int
        /// Broken invariants and integrity-check messages; empty when consistent.
        public var problems: [String]
    }

    /// Checks SQLite's integrity and the stress invariants of the database at `path`.
    public static func verify(path: String) throws -> Report {
        let store = try Store(path: path)
        var problems = try store.integrityCheck()
        let calls = try store.calls(CallQuery(runID: runID))
        let iterations = calls.compactMap { call -> Int? in
            if case .int(let i) = call.sampling["iteration"] { i } else { nil }
        }
        if iterations != Array(0..<calls.count) {
            problems.append("stress calls are not numbered 0..<\(calls.count) in order")
        }
        let cacheCount = try store.read("verifying") { db in
            try CacheEntry.filter(CacheEntry.CodingKeys.model == "stress").fetchCount(db)
        }
        if cacheCount != calls.count {
            problems.append("\(calls.count) stress calls but \(cacheCount) stress cache entries")
        }
        for i in iterations where try store.cachedResponse(forKey: Store.cacheKey(canonicalRequest: "stress-\(i)")) == nil {
            problems.append("iteration \(i) has a logged call but no cache entry")
        }
        let program = try store.compiledProgram(fingerprint: "stress")
        let expected = calls.isEmpty ? nil : #"{"iteration":\#(calls.count - 1)}"#
        if program?.state != expected {
            problems.append("compiled program state is \(program?.state ?? "missing"), expected \(expected ?? "missing")")
        }
        return Report(iterations: calls.count, problems: problems)
    }
}
