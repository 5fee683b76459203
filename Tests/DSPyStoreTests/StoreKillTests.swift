import Foundation
import Testing
@testable import DSPyStore

#if os(Linux)
import Glibc

/// The environment variable that turns the test binary into a stress-writing child.
private let childDatabaseVariable = "DSPYC_STRESS_CHILD_DB"

@Suite("Store survives SIGKILL", .serialized)
struct StoreKillTests {
    @Test("A writer process killed with SIGKILL mid-loop leaves a consistent database")
    func killedWriter() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            let observer = try Store(path: path)
            var committed = 0
            for round in 0..<6 {
                let child = Process()
                // The test binary itself, asked to run only the child "test" below.
                child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
                child.arguments = ["--testing-library", "swift-testing", "--filter", "StressChildProcess"]
                var environment = ProcessInfo.processInfo.environment
                environment[childDatabaseVariable] = path
                child.environment = environment
                child.standardOutput = FileHandle.nullDevice
                child.standardError = FileHandle.nullDevice
                try child.run()

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

/// Not a test of its own: the body the killed child process runs. Enabled only
/// when the parent sets `DSPYC_STRESS_CHILD_DB`.
@Suite("StressChildProcess")
struct StressChildProcess {
    @Test(
        "Stress-writes until killed (child process only)",
        .enabled(if: ProcessInfo.processInfo.environment[childDatabaseVariable] != nil))
    func writeUntilKilled() throws {
        let path = try #require(ProcessInfo.processInfo.environment[childDatabaseVariable])
        try StressWriter.run(path: path, count: nil, deadline: Date().addingTimeInterval(90))
    }
}
#endif
