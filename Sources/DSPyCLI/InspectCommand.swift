import ArgumentParser
import DSPyInspector
import DSPyStore
import DSPyUtilities
import Foundation

/// `dspyc inspect`: the request log — every prompt, completion, token count and timing.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show logged LM calls like DSPy's inspect_history, export them, or serve a web page.",
        subcommands: [Calls.self, Runs.self, Candidates.self, Diff.self, Adapters.self],
        defaultSubcommand: Calls.self)

    struct Calls: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "calls", abstract: "The last logged calls.")

        @Option(help: "How many calls.") var last = 1
        @Option(help: "Only calls of this run (id, prefix or 'latest').") var run: String?
        @Option(help: "Only calls of this program.") var program: String?
        @Option(help: "Only calls of this module path (and below).") var module: String?
        @Option(help: "Only calls whose messages or completion contain this text.") var grep: String?
        @Option(help: "Only calls since a time: 30m, 2h, 1d, today, or an ISO date.") var since: String?
        @Flag(help: "Show sampling parameters, tokens, timing and cache facts.") var details = false
        @Flag(help: "Export as one OTLP/JSON traces document (gen_ai.* attributes).") var json = false
        @Flag(help: "Export as OTLP/JSON traces, one document per run per line.") var jsonl = false
        @Flag(help: "Serve a local web page over the request log instead.") var serve = false
        @Option(help: "Port for --serve.") var port: Int = InspectorServer.defaultPort
        @Option(help: "Address for --serve.") var host = "127.0.0.1"

        func run() async throws {
            let store = try Store.open()
            if serve {
                try await InspectorServer(store: store, host: host, port: port).serve(handlingSignals: true)
                return
            }
            var query = CallQuery(limit: json || jsonl ? nil : last)
            if let run { query.runID = try store.resolveRun(run).id }
            query.program = program
            query.modulePath = module
            query.text = grep
            if let since { query.since = try SinceDate.parse(since) }
            let inspector = Inspector(store: store)
            if json || jsonl {
                try inspector.export(query, format: json ? .json : .jsonl, includeContent: true) { print($0, terminator: "") }
                return
            }
            print(try inspector.history(query, color: Terminal.standardOutputUsesColor, details: details), terminator: "")
        }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Runs with their calls, tokens, cache hits and time.")
        @Argument(help: "One run (id, prefix or 'latest'); all recent runs when omitted.") var run: String?
        @Option(help: "Only runs of this program.") var program: String?
        @Option(help: "How many runs.") var limit = 20
        @Flag(help: "With a run: its calls, tokens and time per compile phase.") var phases = false
        @Flag(help: "Print as JSON.") var json = false

        func run() async throws {
            let store = try Store.open()
            let inspector = Inspector(store: store)
            if let run {
                let id = try store.resolveRun(run).id
                let phases = try store.phaseStatistics(runID: id)
                if self.phases {
                    if json {
                        print(CompileStoryReport.phasesJSON(phases).jsonText)
                    } else {
                        let color = Terminal.standardOutputUsesColor
                        print(CompileStoryReport.phases(phases, color: color), terminator: "")
                        print(CompileStoryReport.distributions(
                            run: try store.resolveRun(id), calls: try store.calls(CallQuery(runID: id)), color: color),
                            terminator: "")
                    }
                } else {
                    let stats = [try store.runStatistics(id: id)]
                    print(json ? RunsReport.json(stats) : RunsReport.render(stats, color: Terminal.standardOutputUsesColor), terminator: "")
                }
                return
            }
            guard !phases else { throw CLIError("--phases needs a run: dspyc inspect runs RUN --phases") }
            if json {
                print(try inspector.runsJSON(program: program, limit: limit))
            } else {
                print(try inspector.runs(program: program, limit: limit, color: Terminal.standardOutputUsesColor), terminator: "")
            }
        }
    }

    struct Candidates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The candidates a compile considered: demos, offsets, scores per split, and its decision.")
        @Argument(help: "The compile run (id, prefix or 'latest').") var run: String
        @Flag(help: "Print as JSON.") var json = false

        func run() async throws {
            let store = try Store.open()
            let candidates = try store.candidates(runID: try store.resolveRun(run).id)
            if json {
                print(CompileStoryReport.candidatesJSON(candidates).jsonText)
            } else {
                print(CompileStoryReport.candidates(candidates, color: Terminal.standardOutputUsesColor), terminator: "")
                if let id = candidates.first?.runID {
                    print(CompileStoryReport.demos(candidates, calls: try store.calls(CallQuery(runID: id))), terminator: "")
                }
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "How the prompts of two runs differ, per module.")
        @Argument(help: "The first run (id or prefix).") var runA: String
        @Argument(help: "The second run (id or prefix).") var runB: String
        @Option(help: "Only this module path.") var module: String?

        func run() async throws {
            let inspector = Inspector(store: try Store.open())
            print(try inspector.diff(runA, runB, modulePath: module, color: Terminal.standardOutputUsesColor), terminator: "")
        }
    }
}
