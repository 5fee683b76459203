import Foundation
import Logging

/// How the `dspyc` process logs: `--verbose` and `DSPYC_LOG_LEVEL` to a swift-log threshold,
/// and the one bootstrap of swift-log's `LoggingSystem`.
///
/// The libraries log under their labels (`dspyc.engine`: model loads; `dspyc.store`: busy
/// retries and their recovery; `dspy.optimizer`: optimizer phases at `debug`; `dspyc.cli`:
/// warnings that used to be printed by hand). The default threshold is `warning`, so by
/// default dspyc prints what it always printed; `DSPYC_LOG_LEVEL` sets it to any of
/// swift-log's levels (`error` or `critical` also hide warnings), and `--verbose` lowers it
/// to `debug` unless the variable asks for `trace`.
enum DiagnosticLogging {
    /// The environment variable that sets the threshold.
    static let environmentVariable = "DSPYC_LOG_LEVEL"
    /// The flag that lowers the threshold to `debug`.
    static let verboseFlag = "--verbose"
    /// The CLI's own label, for warnings about the store and the run log.
    static let label = "dspyc.cli"

    /// The threshold for `verbose` and the environment's `DSPYC_LOG_LEVEL`.
    ///
    /// - Throws: ``CLIError`` naming the variable, the value and the accepted levels when
    ///   the value is not one of them (case-insensitive, surrounding spaces ignored; empty = unset).
    static func level(verbose: Bool, environment: [String: String]) throws -> Logger.Level {
        var level: Logger.Level = .warning
        if let raw = environment[environmentVariable], !raw.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let requested = Logger.Level(rawValue: raw.trimmingCharacters(in: .whitespaces).lowercased()) else {
                let known = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw CLIError("\(environmentVariable)=\"\(raw)\" is not a log level; use one of \(known)")
            }
            level = requested
        }
        return verbose ? min(level, .debug) : level
    }

    /// Removes every `--verbose` before a `--` terminator from `arguments` and says whether
    /// there was one. It is accepted anywhere (`dspyc --verbose compile …`, `dspyc compile … --verbose`),
    /// so every subcommand has it without declaring it.
    static func removeVerboseFlag(from arguments: inout [String]) -> Bool {
        let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
        let found = arguments[..<end].contains(verboseFlag)
        if found {
            arguments = arguments[..<end].filter { $0 != verboseFlag } + arguments[end...]
        }
        return found
    }

    /// Bootstraps swift-log with ``StandardErrorLogHandler`` at `level`. Once per process.
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, level: level) }
    }

    /// A logger for the CLI's own diagnostics.
    static var logger: Logger { Logger(label: label) }
}
