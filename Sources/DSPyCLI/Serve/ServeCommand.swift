import ArgumentParser
import DSPyEngine
import DSPyHTTP
import Foundation
import Logging

/// `dspyc serve`: the embedded engine behind an OpenAI-compatible HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the embedded model over an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models, /health).",
        discussion: """
            Binds 127.0.0.1 unless --host says otherwise; another address needs --allow-remote (the API has no \
            authentication). Requests must name a loopback host, and requests from web pages are refused unless \
            their origin is loopback or given with --allow-origin. Ctrl-C or SIGTERM stops it gracefully. Use it \
            from DSPy with dspy.LM("openai/<model>", api_base="http://127.0.0.1:PORT/v1", api_key="none").
            """)

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Port (0 picks a free one).") var port = 8080
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Flag(help: "Allow binding a non-loopback address: anyone who can reach it can use the model.") var allowRemote = false
    @Option(name: .customLong("allow-origin"), help: ArgumentHelp(
        "Also accept requests from this web origin (scheme://host[:port]; '*' for any). Repeatable.", valueName: "origin"))
    var allowedOrigins: [String] = []
    @Option(help: "Most open connections (default: 1,024, fewer under a low 'ulimit -n').") var maxConnections: Int?
    @Option(help: "Largest request body, in bytes.") var maxBodySize = 16 << 20
    @Option(help: "Seconds allowed to read a request's headers and body.") var requestTimeout = 30
    @Option(help: "Seconds an idle keep-alive connection stays open.") var idleTimeout = 60
    @Flag(help: ArgumentHelp(
        "Constrain DSPy adapter requests (ChatAdapter, JSONAdapter, XMLAdapter) to their output fields and types.",
        discussion: "Recognised by the system message DSPy renders; other requests are served unconstrained. DSPYC_LOG_LEVEL=debug logs what was recognised."))
    var dspyStructured = false
    @Option(help: ArgumentHelp(
        "Serve the model with this compiled program's fine-tuned adapter on every request (its latest compile).",
        discussion: "For programs compiled with --optimizer finetune or better-together; the adapter must be one for the whole program."))
    var program: String?

    func validate() throws {
        if !HTTPServerConfiguration.isLoopback(host) && !allowRemote {
            throw ValidationError("--host \(host) is not a loopback address: anyone who can reach it could use the model, without authentication. Add --allow-remote to bind it anyway.")
        }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if requestTimeout < 1 || idleTimeout < 1 { throw ValidationError("--request-timeout and --idle-timeout must be at least 1 second") }
    }

    func run() async throws {
        let model = try modelOptions.load()
        var adapter: AdapterID?
        if let program { adapter = try await CompiledAdapters.serving(program, on: model) }
        let api = OpenAIServer(model: model, modelName: modelOptions.model, dspyStructured: dspyStructured, logger: Self.requestLogger(),
                               adapter: adapter)
        let remote = !HTTPServerConfiguration.isLoopback(host)
        if remote {
            FileHandle.standardError.write(Data("""
                dspyc serve: warning: listening on \(host), not loopback: anyone who can reach this address can use \
                the model; the API has no authentication.

                """.utf8))
        }
        let server = HTTPServer(configuration: HTTPServerConfiguration(
            host: host, port: port, maxBodySize: maxBodySize, maxConnections: maxConnections,
            requestReadTimeout: .seconds(requestTimeout), idleTimeout: .seconds(idleTimeout),
            allowedHosts: remote ? nil : HTTPServerConfiguration.loopbackHosts, allowedOrigins: allowedOrigins,
            logger: Self.requestLogger())
        ) { await api.handle($0) }
        let (host, name) = (host, modelOptions.model)
        try await server.run { bound in
            let shown = host.contains(":") ? "[\(host)]" : host
            // Unbuffered, so a parent reading a pipe sees the port at once.
            FileHandle.standardOutput.write(Data("dspyc serve: http://\(shown):\(bound)/v1 (model \(name); Ctrl-C to stop)\n".utf8))
        }
    }

    /// The logger for request lines: the process's handler, at `info` so each request is
    /// logged unless `DSPYC_LOG_LEVEL` asks for another threshold.
    static func requestLogger() -> Logger {
        var logger = Logger(label: "dspyc.serve")
        if ProcessInfo.processInfo.environment[DiagnosticLogging.environmentVariable] == nil, logger.logLevel > .info {
            logger.logLevel = .info
        }
        return logger
    }
}
