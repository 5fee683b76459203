import Foundation
import Testing
@testable import DSPyStore

#if os(Linux)
import Glibc

/// The environment variable that turns the test binary into a stress-writing child.
private let childDatabaseVariable = "DSPYC_STRESS_CHILD_DB"
/// With it, the child logs `DSPYC_STRESS_CHILD_COUNT` calls under this run id and exits.
private let childLogRunVariable = "DSPYC_STRESS_CHILD_LOG_RUN"

/// Starts the test binary itself, asked to run only the child "test" below.
private func spawnChild(_ extra: [String: String]) throws -> Process {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    child.arguments = ["--testing-library", "swift-testing", "--filter", "StressChildProcess"]
    child.environment = ProcessInfo.processInfo.environment.merging(extra) { _, new in new }
    child.standardOutput = FileHandle.nullDevice
    child.standardError = FileHandle.nullDevice
    try child.run()
    return child
}

@Suite("Store survives SIGKILL", .serialized)
struct StoreKillTests {
    @Test("A writer process killed with SIGKILL mid-loop leaves a consistent database")
    func killedWriter() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            let observer = try Store(path: path)
            var committed = 0
            for round in 0..<6 {
                let child = try spawnChild([childDatabaseVariable: path])

                // Let it commit a good number of iterations, then kill it mid-loop.
                let target = committed + 30 + round * 10
                let deadline = Date().addingTimeInterval(60)
                while try observer.callCount(CallQuery(runID: StressWriter.runID)) < target, Date() < deadline,
                    child.isRunning
                {
                    Thread.sleep(forTimeInterval: 0.01)
                }
                Thread.sleep(forTimeInterval: Double(round % 3) * 0.004)
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
                #expect(child.terminationReason == .uncaughtSignal, "the child stopped by itself")
                #expect(child.terminationStatus == SIGKILL)

                let report = try StressWriter.verify(path: path)
                #expect(report.problems.isEmpty, "round \(round): \(report.problems)")
                #expect(report.iterations >= target, "round \(round): only \(report.iterations) iterations")
                committed = report.iterations
            }
            // The file stays fully usable after the kills.
            let store = try Store(path: path)
            try store.log(sampleCall())
            #expect(try store.integrityCheck().isEmpty)
        }
    }
}

@Suite("Two processes writing at once", .serialized)
struct StoreTwoProcessTests {
    @Test("Two processes logging into one file at the same time both succeed, every call kept")
    func twoProcesses() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            let count = 400
            let children = try ["first", "second"].map { run in
                try spawnChild([
                    childDatabaseVariable: path, childLogRunVariable: run, "DSPYC_STRESS_CHILD_COUNT": "\(count)",
                ])
            }
            for child in children {
                child.waitUntilExit()
                #expect(child.terminationReason == .exit)
                #expect(child.terminationStatus == 0)
            }
            let store = try Store(path: path)
            #expect(try store.callCount(CallQuery(runID: "first")) == count)
            #expect(try store.callCount(CallQuery(runID: "second")) == count)
            #expect(try store.cachedResponseCount() == 2 * count)
            #expect(try store.integrityCheck().isEmpty)
            // Both writers' calls are in the log (on a loaded machine the scheduler may
            // run one child mostly before the other, so interleaving is not required).
            let runs = try store.calls().map(\.runID)
            #expect(Set(runs) == ["first", "second"])
        }
    }
}

/// Not a test of its own: the body the killed child process runs. Enabled only
/// when the parent sets `DSPYC_STRESS_CHILD_DB`.
@Suite("StressChildProcess")
struct StressChildProcess {
    @Test(
        "Stress-writes until killed (child process only)",
        .enabled(if: ProcessInfo.processInfo.environment[childDatabaseVariable] != nil))
    func writeUntilKilled() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = try #require(environment[childDatabaseVariable])
        if let run = environment[childLogRunVariable] {
            let count = Int(environment["DSPYC_STRESS_CHILD_COUNT"] ?? "") ?? 100
            let store = try Store(path: path)
            for i in 0..<count {
                let call = sampleCall(run: run, user: "\(run) \(i)")
                try store.record(call, caching: CacheEntry(key: call.cacheKey!, response: "{}"))
            }
            return
        }
        try StressWriter.run(path: path, count: nil, deadline: Date().addingTimeInterval(90))
    }
}
#endif
