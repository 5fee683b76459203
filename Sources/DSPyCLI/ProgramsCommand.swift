import ArgumentParser
import DSPy
import DSPyPrograms
import DSPyStore

/// `dspyc programs`: the registered example programs and whether each is compiled.
struct ProgramsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "programs", abstract: "List the registered programs and their latest compiled scores.")

    func run() async throws {
        let store = try? Store.open()
        let table = TextTable(header: ["NAME", "OPTIMIZER", "COMPILED DEV SCORE", "SUMMARY"])
        for spec in ProgramRegistry.all {
            let record = try? store?.latestCompiledProgram(named: spec.name)
            let score = record.flatMap { $0.scores["dev"] }.map { String(format: "%.2f%%", $0) } ?? "not compiled"
            table.add([spec.name, spec.optimizer, score, spec.summary])
        }
        print(table.render(), terminator: "")
    }
}
