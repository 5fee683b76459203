import DSPyUtilities
import Foundation
import Logging
import Testing
@testable import DSPyCLI

/// Lines a handler wrote.
private final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

/// Runs the built `dspyc` with `arguments` and extra environment variables.
private func dspyc(_ runner: DSPyCRunner, _ arguments: [String], environment extra: [String: String] = [:])
    throws -> (status: Int32, output: String)
{
    var environment = ProcessInfo.processInfo.environment
    environment["DSPYC_HOME"] = runner.home.path
    environment["DSPYC_LOG_LEVEL"] = nil
    environment.merge(extra) { _, new in new }
    let result = try Subprocess.run(DSPyCRunner.executable.path, arguments, environment: environment)
    return (result.status, result.output)
}

@Suite("Diagnostics go through swift-log; default output is unchanged")
struct DiagnosticLoggingTests {
    @Test("The threshold is warning by default, DSPYC_LOG_LEVEL's level when set, and at most debug with --verbose")
    func levels() throws {
        #expect(try DiagnosticLogging.level(verbose: false, environment: [:]) == .warning)
        #expect(try DiagnosticLogging.level(verbose: true, environment: [:]) == .debug)
        #expect(try DiagnosticLogging.level(verbose: false, environment: ["DSPYC_LOG_LEVEL": "trace"]) == .trace)
        #expect(try DiagnosticLogging.level(verbose: false, environment: ["DSPYC_LOG_LEVEL": " Info "]) == .info)
        #expect(try DiagnosticLogging.level(verbose: false, environment: ["DSPYC_LOG_LEVEL": "critical"]) == .critical)
        #expect(try DiagnosticLogging.level(verbose: true, environment: ["DSPYC_LOG_LEVEL": "error"]) == .debug)
        #expect(try DiagnosticLogging.level(verbose: true, environment: ["DSPYC_LOG_LEVEL": "trace"]) == .trace)
        #expect(try DiagnosticLogging.level(verbose: false, environment: ["DSPYC_LOG_LEVEL": ""]) == .warning)
    }

    @Test("A DSPYC_LOG_LEVEL that is not a level is an error naming the variable, the value and the levels")
    func badLevel() {
        let error = #expect(throws: CLIError.self) {
            try DiagnosticLogging.level(verbose: false, environment: ["DSPYC_LOG_LEVEL": "loud"])
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains(#"DSPYC_LOG_LEVEL="loud" is not a log level"#), "\(text)")
        #expect(text.contains("trace, debug, info, notice, warning, error, critical"), "\(text)")
    }

    @Test("--verbose is taken out wherever it stands before --, and kept after it")
    func verboseFlagRemoved() {
        var arguments = ["compile", "sentiment", "--verbose", "--threads", "1"]
        #expect(DiagnosticLogging.removeVerboseFlag(from: &arguments))
        #expect(arguments == ["compile", "sentiment", "--threads", "1"])
        var literal = ["run", "x", "--", "--verbose"]
        #expect(!DiagnosticLogging.removeVerboseFlag(from: &literal))
        #expect(literal == ["run", "x", "--", "--verbose"])
    }

    @Test("At the default threshold a warning is the same `warning: …` line dspyc printed by hand")
    func defaultFormatUnchanged() {
        let lines = Lines()
        let handler = StandardErrorLogHandler(label: "dspyc.cli", level: .warning) { lines.append($0) }
        var logger = Logger(label: "dspyc.cli") { _ in handler }
        logger.logLevel = .warning
        logger.warning("could not log an LM call: disk full")
        logger.info("not shown at the default threshold")
        #expect(lines.all == ["warning: could not log an LM call: disk full\n"])
    }

    @Test("Below warning each line carries its time, level, label and sorted metadata")
    func verboseFormat() {
        let lines = Lines()
        let handler = StandardErrorLogHandler(label: "dspyc.store", level: .debug) { lines.append($0) }
        let logger = Logger(label: "dspyc.store") { _ in handler }
        logger.debug("store busy, retrying in 20 ms", metadata: ["retry": "1", "operation": "opening the database"])
        let line = lines.all.first ?? "nothing"
        #expect(line.contains(" debug dspyc.store: store busy, retrying in 20 ms operation=opening the database retry=1\n"), "\(line)")
        #expect(lines.all.count == 1)
    }

    @Test("dspyc refuses a bad DSPYC_LOG_LEVEL with a clear message and a non-zero exit")
    func badLevelProcess() throws {
        let runner = try DSPyCRunner()
        defer { runner.remove() }
        let result = try dspyc(runner, ["programs"], environment: ["DSPYC_LOG_LEVEL": "chatty"])
        #expect(result.status != 0)
        #expect(result.output.contains(#"DSPYC_LOG_LEVEL="chatty" is not a log level"#), "\(result.output)")
    }

    @Test("The engine's load is logged with --verbose and silent by default")
    func engineLoadLogged() throws {
        let runner = try DSPyCRunner()
        defer { runner.remove() }
        let arguments = ["generate", "Hi", "--max-tokens", "1", "--temperature", "0", "--threads", "1"]
        let quiet = try dspyc(runner, arguments)
        #expect(quiet.status == 0, "\(quiet.output)")
        #expect(quiet.output.contains("Loaded SmolLM2-135M-Instruct.Q4_1.gguf in"), "\(quiet.output)")
        #expect(!quiet.output.contains("dspyc.engine"), "\(quiet.output)")
        let verbose = try dspyc(runner, ["--verbose"] + arguments)
        #expect(verbose.status == 0, "\(verbose.output)")
        #expect(verbose.output.contains("info dspyc.engine: loaded model"), "\(verbose.output)")
        #expect(verbose.output.contains("architecture=llama"), "\(verbose.output)")
        #expect(verbose.output.contains("fingerprint=smollm2-135m-instruct@sha256:"), "\(verbose.output)")
    }
}
