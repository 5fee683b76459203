import ArgumentParser
import DSPyHTTP
import Foundation

/// `dspyc serve`: the embedded engine behind an OpenAI-compatible HTTP API.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the embedded model over OpenAI's /v1/chat/completions and /v1/models.",
        discussion: "Binds 127.0.0.1 unless --host says otherwise. Use it from DSPy with dspy.LM(\"openai/<model>\", api_base=\"http://127.0.0.1:PORT/v1\", api_key=\"none\").")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Port (0 picks a free one).") var port = 8080
    @Option(help: "Address to bind.") var host = "127.0.0.1"

    func run() async throws {
        let model = try modelOptions.load()
        let api = OpenAIServer(model: model, modelName: modelOptions.model)
        let server = HTTPServer(host: host, port: port) { await api.handle($0) }
        let bound = try server.start()
        print("dspyc serve: http://\(host):\(bound)/v1 (model \(modelOptions.model); Ctrl-C to stop)")
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
        server.stop()
    }
}
