import DSPy
import DSPyEmbedded
import DSPyEngine
import Foundation

/// `--reflection-model` (and `--reflection-base-url`): the model GEPA asks for new instructions.
///
/// Without a base URL the name is a catalog model or a GGUF path, loaded beside the task model
/// and called in process (through the session's cache, like the task model). With a base URL it
/// is an OpenAI-compatible endpoint's model name; the key, if any, comes from the
/// `DSPYC_REFLECTION_API_KEY` environment variable.
struct ReflectionModel {
    var name: String
    var baseURL: String?

    /// The language model; loads a GGUF file for an embedded one (seconds, and its memory).
    func languageModel(session: ProgramSession, structuredDecoding: Bool, threads: Int?) throws -> any LanguageModel {
        if let baseURL {
            guard let url = URL(string: baseURL), url.scheme == "http" || url.scheme == "https" else {
                throw CLIError("--reflection-base-url '\(baseURL)' is not an http(s) URL")
            }
            let key = ProcessInfo.processInfo.environment["DSPYC_REFLECTION_API_KEY"]
            return OpenAICompatibleLM(model: name, baseURL: url, apiKey: key)
        }
        var options = ModelOptions()
        options.model = name
        options.threads = threads
        let lm = EmbeddedLM(model: try options.load(), structuredDecoding: structuredDecoding)
        return session.useCache ? CachedLanguageModel(lm, cache: session.recorder) : lm
    }
}
