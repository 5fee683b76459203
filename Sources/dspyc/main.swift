import DSPyCLI

await DSPyCommand.runFromCommandLine()
