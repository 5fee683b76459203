import ArgumentParser
import DSPyUtilities

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

    public init() {}

    /// Parses the process arguments, runs the chosen command and exits.
    ///
    /// Errors are printed by ArgumentParser with their descriptions and a
    /// non-zero exit code (1, or 64 for usage errors).
    public static func runFromCommandLine() async -> Never {
        do {
            var command = try parseAsRoot()
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
