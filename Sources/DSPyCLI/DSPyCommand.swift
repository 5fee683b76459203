import ArgumentParser

/// The root `dspyc` command: DSPy for Swift with an embedded inference engine.
public struct DSPyCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dspyc",
        abstract: "Compile, run and inspect DSPy-style LM programs on an embedded engine.",
        subcommands: [ModelsCommand.self])

    public init() {}
}
