import ArgumentParser
import DSPy
import DSPyStore
import DSPyUtilities
import Foundation

extension InspectCommand {
    /// `dspyc inspect adapters`: the fine-tuned adapters of compiled programs.
    struct Adapters: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The fine-tuned adapters of compiled programs: rank, alpha, targets, size, training tokens, steps and loss.")
        @Argument(help: "Only this program's compiles.") var program: String?
        @Flag(help: "Every compile, not only each program's latest.") var all = false
        @Flag(help: "Print as JSON.") var json = false

        func run() async throws {
            let store = try Store.open()
            var seen: Set<String> = []
            var rows: [DSPy.JSONValue] = []
            var lines: [String] = []
            for record in try store.compiledPrograms(named: program) {
                guard all || seen.insert(record.program).inserted else { continue }
                for (predictor, digest) in try CompiledAdapters.digests(in: record) {
                    let artifact = try CompiledAdapters.artifact(digest, of: record, store: store)
                    let i = artifact.info
                    rows.append([
                        "program": .string(record.program), "fingerprint": .string(record.fingerprint),
                        "predictor": .string(predictor), "digest": .string(digest), "format": .string(artifact.format),
                        "bytes": .int(artifact.data.count), "rank": .int(i.rank), "alpha": .double(i.alpha),
                        "targets": .array(i.targets.map(DSPy.JSONValue.string)), "base_model": .string(i.baseModel),
                        "rows": .int(i.rows), "epochs": .int(i.epochs), "learning_rate": .double(i.learningRate),
                        "steps": .int(i.steps), "tokens": .int(i.tokens), "final_loss": i.finalLoss.map(DSPy.JSONValue.double) ?? .null,
                        "wall_seconds": .double(i.wallSeconds),
                    ])
                    lines.append("""
                        \(record.program) \(record.fingerprint.prefix(12))  \(predictor)
                          adapter   \(digest.prefix(16))  \(artifact.format), \(ProgressBar.byteText(Double(artifact.data.count)))
                          shape     rank \(i.rank), alpha \(pythonFloatText(i.alpha)), targets \(i.targets.joined(separator: ", "))
                          training  \(i.rows) rows, \(i.epochs) epochs, lr \(pythonFloatText(i.learningRate)), \(i.steps) steps, \(i.tokens) tokens, final loss \(i.finalLoss.map { String(format: "%.4f", $0) } ?? "?"), \(String(format: "%.1f", i.wallSeconds)) s
                          base      \(i.baseModel)
                        """)
                }
            }
            if json {
                print(DSPy.JSONValue.array(rows).pythonJSON(indent: 2))
            } else {
                print(lines.isEmpty ? "no fine-tuned compiled programs" + (program.map { " named \($0)" } ?? "") : lines.joined(separator: "\n"))
            }
        }
    }
}
