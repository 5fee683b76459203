import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif
@testable import DSPyStore

/// A `dspyc` process started in the background in a runner's home, its standard
/// output and standard error going to files (so a killed child never blocks on a pipe).
final class DSPyCProcess {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL
    private let handles: [FileHandle]

    /// Starts `dspyc arguments` (or `executable arguments`); `label` names its output files in the home folder.
    init(_ runner: DSPyCRunner, _ arguments: [String], label: String, executable: String? = nil) throws {
        stdoutURL = runner.home.appendingPathComponent("\(label).out")
        stderrURL = runner.home.appendingPathComponent("\(label).err")
        var opened: [FileHandle] = []
        for url in [stdoutURL, stderrURL] {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw ProbeError("cannot create \(url.path)")
            }
            opened.append(try FileHandle(forWritingTo: url))
        }
        handles = opened
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? DSPyCRunner.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["DSPYC_HOME": runner.home.path]) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = opened[0]
        process.standardError = opened[1]
        try process.run()
    }

    var isRunning: Bool { process.isRunning }

    /// Sends SIGKILL (if the process still runs) and waits for it.
    func kill() {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
        wait()
    }

    /// Waits for the process to end and closes its output files.
    func wait() {
        process.waitUntilExit()
        for handle in handles { try? handle.close() }
    }

    /// Awaits the end of the process without holding a thread: Swift concurrency has as
    /// many cooperative threads as cores (two here), and a test blocking one for minutes
    /// starves every other test's async work (HTTP tests then time out).
    func finish() async {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        wait()
    }

    /// Sends SIGKILL (if the process still runs) and awaits its end.
    func stop() async {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
        await finish()
    }

    /// Whether it ended by SIGKILL (rather than on its own).
    var wasKilled: Bool { process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL }

    var status: Int32 { process.terminationStatus }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// The standard output parsed as one JSON object (what `--json` prints).
    func jsonObject() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        guard let dictionary = object as? [String: Any] else { throw ProbeError("stdout is not a JSON object: \(stdout)") }
        return dictionary
    }
}

/// Reads a `dspyc` home's store directly, as a process beside the CLI would.
final class StoreProbe {
    let path: String
    private var opened: Store?

    init(home: URL) {
        path = home.appendingPathComponent(Store.fileName).path
    }

    /// Whether the database file has been created yet.
    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// The store, opened once and kept open (opening migrates a fresh file, as `dspyc` would).
    func store() throws -> Store {
        if let opened { return opened }
        let store = try Store(path: path)
        opened = store
        return store
    }

    /// The number of cached LM responses; 0 before the file exists.
    func cachedCount() throws -> Int {
        guard exists else { return 0 }
        return try store().cachedResponseCount()
    }

    /// Every key in the LM-call cache.
    func cacheKeys() throws -> Set<String> {
        guard exists else { return [] }
        return Set(try store().read("listing cache keys") { db in try String.fetchAll(db, sql: "SELECT key FROM lm_cache") })
    }

    /// `PRAGMA integrity_check` on a connection of its own, as its lines (`["ok"]` when healthy).
    func integrityCheck() throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }
}

/// A failed expectation about a child process's output.
struct ProbeError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

