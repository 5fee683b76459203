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
        subcommands: [Calls.self, Runs.self, Diff.self],
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
        @Flag(help: "Export as one JSON document with OpenTelemetry gen_ai.* names.") var json = false
        @Flag(help: "Export as JSON Lines with OpenTelemetry gen_ai.* names.") var jsonl = false
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
        @Option(help: "Only runs of this program.") var program: String?
        @Option(help: "How many runs.") var limit = 20
        @Flag(help: "Print as JSON.") var json = false

        func run() async throws {
            let inspector = Inspector(store: try Store.open())
            if json {
                print(try inspector.runsJSON(program: program, limit: limit))
            } else {
                print(try inspector.runs(program: program, limit: limit, color: Terminal.standardOutputUsesColor), terminator: "")
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
