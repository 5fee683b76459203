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
        let lm = EmbeddedLM(model: try modelOptions(threads: threads).load(), structuredDecoding: structuredDecoding)
        return session.useCache ? CachedLanguageModel(lm, cache: session.recorder) : lm
    }

    /// The embedded model's options, parsed as if given on the command line: every option of
    /// a `ParsableArguments` value must be decoded before it is read, so a default-initialised
    /// `ModelOptions` would trap on its first unset option.
    func modelOptions(threads: Int?) throws -> ModelOptions {
        var arguments = ["--model", name]
        if let threads { arguments += ["--threads", String(threads)] }
        do {
            return try ModelOptions.parse(arguments)
        } catch {
            throw CLIError("--reflection-model '\(name)': \(ModelOptions.message(for: error))")
        }
    }
}
