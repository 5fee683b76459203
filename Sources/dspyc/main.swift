import DSPyCLI

await DSPyCommand.main()
