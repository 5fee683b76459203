import ArgumentParser
import DSPy
import Foundation

/// `--endpoint` and its companions: run a command's model calls on an OpenAI-compatible
/// server (`dspyc serve`, llama.cpp's server, vLLM, a hosted API) instead of the engine.
///
/// `--model` then names the server's model. The API key comes only from the environment —
/// `DSPYC_API_KEY`, else `OPENAI_API_KEY` — and is sent as a bearer token: it is never an
/// option (shell history, `ps`), never printed or logged, and never part of a cache key or
/// compile fingerprint, which name the model as `openai/NAME@host:port` (see
/// ``DSPy/OpenAICompatibleLM/modelIdentifier``).
struct RemoteModelOptions: ParsableArguments {
    /// The environment variables read for the API key, first found wins.
    static let apiKeyVariables = ["DSPYC_API_KEY", "OPENAI_API_KEY"]

    @Option(help: ArgumentHelp(
        "An OpenAI-compatible API base (e.g. http://127.0.0.1:8000/v1): call its --model instead of the engine.",
        discussion: "The API key is read from DSPYC_API_KEY or OPENAI_API_KEY.", valueName: "url"))
    var endpoint: String?

    @Option(name: .customLong("structured-output"), help: ArgumentHelp(
        "With --endpoint, what the server enforces: none, json-schema (JSONAdapter calls as response_format; "
            + "any OpenAI-compatible server) or gbnf (also ChatAdapter calls as a GBNF grammar; llama.cpp's servers).",
        valueName: "mode"))
    var structuredOutput: String = OpenAICompatibleLM.StructuredOutput.jsonSchema.rawValue

    @Option(name: .customLong("choice-logprobs"), help: ArgumentHelp(
        "With --endpoint, request this many top log-probs and score ChatAdapter choices from them "
            + "(calibrated choices; needs a server that returns logprobs).", valueName: "k"))
    var choiceLogprobs: Int?

    @Option(name: .customLong("max-requests"), help: "With --endpoint, the most requests in flight at once.")
    var maxRequests = 8

    @Option(name: .customLong("endpoint-timeout"), help: "With --endpoint, seconds before a request is abandoned (and retried).")
    var requestTimeout: Double = 600

    func validate() throws {
        guard let endpoint else {
            if choiceLogprobs != nil { throw ValidationError("--choice-logprobs needs --endpoint") }
            return
        }
        guard let url = URL(string: endpoint), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("--endpoint '\(endpoint)' is not an http(s) URL such as http://127.0.0.1:8000/v1")
        }
        guard OpenAICompatibleLM.StructuredOutput(rawValue: structuredOutput) != nil else {
            throw ValidationError("unknown --structured-output '\(structuredOutput)' (known: "
                + OpenAICompatibleLM.StructuredOutput.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        if let choiceLogprobs, !(1...20).contains(choiceLogprobs) {
            throw ValidationError("--choice-logprobs must be between 1 and 20 (OpenAI's limit), not \(choiceLogprobs)")
        }
        guard maxRequests >= 1 else { throw ValidationError("--max-requests must be at least 1") }
        guard requestTimeout > 0 else { throw ValidationError("--endpoint-timeout must be positive") }
    }

    /// Whether a remote model was asked for.
    var isRemote: Bool { endpoint != nil }

    /// The client for `model` on the endpoint (`structuredDecoding` false sends no constraints), or `nil` without `--endpoint`.
    func languageModel(model: String, structuredDecoding: Bool = true) throws -> OpenAICompatibleLM? {
        guard let endpoint else { return nil }
        guard let url = URL(string: endpoint) else { throw CLIError("--endpoint '\(endpoint)' is not a URL") }
        let environment = ProcessInfo.processInfo.environment
        let key = Self.apiKeyVariables.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        let mode = structuredDecoding ? OpenAICompatibleLM.StructuredOutput(rawValue: structuredOutput) ?? .jsonSchema : .none
        return OpenAICompatibleLM(
            model: model, baseURL: url, apiKey: key,
            defaultParameters: SamplingParameters(temperature: 0, maxTokens: 512),
            timeout: requestTimeout, maxConcurrentRequests: maxRequests,
            structuredOutput: mode, choiceLogprobs: choiceLogprobs)
    }
}

/// Stands in for the engine's embeddings when the model is remote: `knn` needs them.
struct RemoteModelEmbedder: Embedder {
    func embed(_ texts: [String]) async throws -> [[Float]] {
        throw CLIError("knn chooses demos by the engine's embeddings, which a remote model (--endpoint) does not provide; "
            + "use another optimizer, or compile without --endpoint")
    }
}
