import ArgumentParser
import DSPyEngine
import Foundation

/// `--model`, `--threads` and `--chat-template`, shared by every command that runs the engine.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A model name from `dspyc models list`, or a path to a GGUF file; with --endpoint, the server's model name.")
    var model: String = ModelDescriptor.defaultModel.name

    @Option(name: .long, help: "Kernel threads (default: every core).")
    var threads: Int?

    @Option(
        name: .customLong("draft-tokens"),
        help: ArgumentHelp(
            "Speculative decoding: the most tokens guessed from the prompt and checked in one pass (0: off).",
            discussion: "Guesses are kept only where the model picks the same tokens, so outputs are identical "
                + "either way; only speed changes.",
            valueName: "n"))
    var draftTokens = PromptLookupDrafter().maxTokens

    @Option(
        name: .customLong("chat-template"),
        help: ArgumentHelp(
            "Render chats with this template family instead of the model's own: \(ChatTemplate.Family.names).",
            discussion: "Needed for a model whose template is not recognised or that has none. Catalog models "
                + "without a template (gemma3-270m, a base model) use their family (gemma) by default.",
            valueName: "name"))
    var chatTemplate: String?

    func validate() throws {
        guard draftTokens >= 0 else { throw ValidationError("--draft-tokens must be 0 or more, not \(draftTokens)") }
        if let chatTemplate, ChatTemplate.Family(name: chatTemplate) == nil {
            throw ValidationError(
                "unknown chat template '\(chatTemplate)' (known: \(ChatTemplate.Family.names))")
        }
    }

    /// The `--chat-template` family, if one was given.
    var chatTemplateFamily: ChatTemplate.Family? { chatTemplate.flatMap(ChatTemplate.Family.init(name:)) }

    /// The family for a model file without a chat template: the catalog's, when `url` is a
    /// catalog model (named, or a path to a file with the catalog's name and size).
    func defaultChatTemplate(for url: URL) -> ChatTemplate.Family? {
        if let named = try? ModelDescriptor.named(model), url.lastPathComponent == named.fileName {
            return named.chatTemplate
        }
        return ModelDescriptor.cataloged(at: url)?.chatTemplate
    }

    /// The GGUF file to load: a path as given, or a catalog model (pulled first when missing).
    func resolveModelURL() throws -> URL {
        if model.hasSuffix(".gguf") || model.contains("/") {
            let url = URL(fileURLWithPath: model)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw CLIError("model file \(url.path) does not exist")
            }
            return url
        }
        return try ModelFetcher().ensure(try ModelDescriptor.named(model))
    }

    /// Loads the model, saying so on standard error.
    func load() throws -> TextModel {
        let url = try resolveModelURL()
        let clock = ContinuousClock()
        let start = clock.now
        Log.status("Loading \(url.lastPathComponent)…")
        let model = try TextModel(
            contentsOf: url, threads: threads, chatTemplate: chatTemplateFamily,
            defaultChatTemplate: defaultChatTemplate(for: url),
            drafter: draftTokens > 0 ? PromptLookupDrafter(maxTokens: draftTokens) : nil)
        Log.status(String(format: "Loaded %@ in %.2f s (%d layers, %d threads)", url.lastPathComponent,
                          (clock.now - start).seconds, model.configuration.layerCount, model.engine.threadCount))
        return model
    }
}

/// Status lines on standard error (progress stays off standard output).
enum Log {
    static func status(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Text as it is (progress bars redraw with carriage returns).
    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
