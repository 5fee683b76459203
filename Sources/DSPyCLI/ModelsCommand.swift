import ArgumentParser

/// `dspyc models`: list, pull, locate and verify GGUF models.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, pull, locate and verify models.")
}
