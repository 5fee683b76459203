import ArgumentParser
import DSPyUtilities
import Foundation

/// The root `dspyc` command: DSPy for Swift with an embedded inference engine.
public struct DSPyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dspyc",
        abstract: "Compile, run and inspect DSPy-style LM programs on an embedded engine.",
        version: DSPyVersion.current,
        subcommands: [
            CompileCommand.self, RunCommand.self, EvalCommand.self, PromptCommand.self, ExportCommand.self,
            InspectCommand.self, ModelsCommand.self, GenerateCommand.self, TokenizeCommand.self, BenchCommand.self,
            ServeCommand.self, ProgramsCommand.self,
        ])

    /// Shown in `dspyc --help`; the flag itself is taken out of the arguments before parsing
    /// (``DiagnosticLogging/removeVerboseFlag(from:)``), so it works after any subcommand too.
    @Flag(name: .long, help: ArgumentHelp(
        "Log diagnostics (model load, store retries, optimizer phases) at debug level on standard error; also after a subcommand.",
        discussion: "DSPYC_LOG_LEVEL=trace|debug|info|notice|warning|error|critical sets the level (default warning)."))
    var verbose = false

    public init() {}

    /// Parses the process arguments, bootstraps logging, runs the chosen command and exits.
    ///
    /// Errors are printed by ArgumentParser with their descriptions and a
    /// non-zero exit code (1, or 64 for usage errors).
    public static func runFromCommandLine() async -> Never {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let verbose = DiagnosticLogging.removeVerboseFlag(from: &arguments)
        do {
            DiagnosticLogging.bootstrap(level: try DiagnosticLogging.level(
                verbose: verbose, environment: ProcessInfo.processInfo.environment))
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit()
        } catch {
            exit(withError: error)
        }
    }
}
