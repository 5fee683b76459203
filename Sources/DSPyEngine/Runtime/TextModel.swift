import Foundation
import Logging

/// A model ready for text: the engine, its tokenizer and chat template, continuous
/// batching of concurrent generations and a prefix cache of recent prompts.
///
/// This is what the framework's `EmbeddedLM`, `dspyc generate` and `dspyc serve`
/// talk to. Concurrent calls are safe and share forward passes.
///
/// ```swift
/// let model = try TextModel(contentsOf: url)
/// let prompt = try model.encodeChat([.init(.user, "Name a colour.")])
/// let result = try await model.generate(prompt: prompt, parameters: .greedy)
/// print(result.text)
/// ```
///
/// Cost: loading maps the file and reads its metadata (well under a second for
/// SmolLM2-135M); the prefix cache holds up to `prefixCacheBudget` positions
/// (46 KB each for SmolLM2-135M: the default 2,048 is about 94 MB at most).
public actor TextModel {
    /// The loaded engine.
    public nonisolated let engine: LanguageEngine
    /// The model's tokenizer.
    public nonisolated let tokenizer: Tokenizer
    /// The model's shape.
    public nonisolated let configuration: ModelConfiguration
    /// The GGUF file's path.
    public nonisolated let path: String
    /// The model named by content (catalog SHA-256 or directory digest, plus the numerics
    /// version): what cache keys and compile fingerprints use instead of the path.
    public nonisolated let fingerprint: ModelFingerprint
    private nonisolated let chatTemplateResult: Result<ChatTemplate, Error>
    /// The family given to render chats with instead of the file's template, if any
    /// (prompts then differ from the file's own, so caches keyed by model must say so).
    public nonisolated let chatTemplateOverride: ChatTemplate.Family?
    /// The speculative decoding of requests that do not choose their own
    /// (``GenerationOptions/drafter``); nil: none.
    public nonisolated let drafter: PromptLookupDrafter?
    /// Where loads (`info`) and finished generations (`debug`) are reported.
    nonisolated let logger: Logger
    let scheduler: BatchScheduler
    var prefixCache: PrefixCache
    private var constraintVocabularyStorage: ConstraintVocabulary?

    /// Loads the GGUF model at `url`.
    ///
    /// - Parameters:
    ///   - threads: kernel threads (default: every core).
    ///   - prefixCacheBudget: most prompt positions kept for reuse (0 turns the cache off).
    ///   - chatTemplate: a family to render chats with instead of the file's template
    ///     (its plain form, like llama.cpp's built-in template of that name).
    ///   - defaultChatTemplate: the family to use when the file has no chat template
    ///     (base models such as Gemma 3 270M carry none); ignored when it has one.
    ///   - drafter: speculative decoding for requests that do not set their own (nil: none).
    ///     It never changes a result, only how many passes it takes.
    ///   - logger: where the load is reported (`info`: model, size, architecture, time) and each
    ///     finished generation (`debug`: tokens, cached prompt tokens, guesses kept, seconds).
    /// - Throws: `EngineError` or `TokenizerError` naming the file and the problem
    ///   (including a tokenizer whose token count differs from the model's vocabulary).
    ///   A missing or unknown chat template is not an error here: ``chatTemplate()``
    ///   reports it when a chat is rendered.
    public init(
        contentsOf url: URL, threads: Int? = nil, prefixCacheBudget: Int = 2048,
        chatTemplate: ChatTemplate.Family? = nil, defaultChatTemplate: ChatTemplate.Family? = nil,
        drafter: PromptLookupDrafter? = PromptLookupDrafter(), logger: Logger = Logger(label: EngineLog.label)
    ) throws {
        let clock = ContinuousClock()
        let start = clock.now
        logger.debug("loading model", metadata: ["path": "\(url.path)"])
        let file = try GGUFFile(contentsOf: url)
        let engine = try LanguageEngine(file: file, threads: threads)
        self.engine = engine
        let tokenizer = try Tokenizer(vocabulary: TokenizerVocabulary(metadata: file.metadata))
        // Sampled ids index the tokenizer's tables and logits the model's rows: one size for both.
        guard tokenizer.vocabularySize == engine.configuration.vocabularySize else {
            throw EngineError.invalidMetadata(
                path: file.path, key: "tokenizer.ggml.tokens",
                reason: "\(tokenizer.vocabularySize) tokens, but the model has \(engine.configuration.vocabularySize) vocabulary rows")
        }
        self.tokenizer = tokenizer
        configuration = engine.configuration
        path = file.path
        fingerprint = ModelFingerprint(file: file)
        chatTemplateOverride = chatTemplate
        chatTemplateResult = Self.selectChatTemplate(
            file: file, tokenizer: tokenizer, override: chatTemplate, fallback: defaultChatTemplate)
        self.drafter = drafter
        self.logger = logger
        scheduler = BatchScheduler(engine: engine)
        prefixCache = PrefixCache(budget: prefixCacheBudget)
        logger.info("loaded model", metadata: [
            "path": "\(file.path)", "bytes": "\(file.fileSize)",
            "architecture": "\(file.metadata["general.architecture"]?.string ?? "unknown")",
            "layers": "\(configuration.layerCount)", "threads": "\(engine.threadCount)",
            "fingerprint": "\(fingerprint)",
            "seconds": "\(String(format: "%.3f", (clock.now - start).seconds))",
        ])
    }

    /// The chat template a model renders with: the override, else the file's, else the fallback.
    static func selectChatTemplate(
        file: GGUFFile, tokenizer: Tokenizer, override: ChatTemplate.Family?, fallback: ChatTemplate.Family?
    ) -> Result<ChatTemplate, Error> {
        let endOfSequence = tokenizer.eosID.map { String(decoding: tokenizer.pieceBytes(for: $0, renderSpecial: true), as: UTF8.self) } ?? ""
        if let override { return .success(ChatTemplate(family: override, endOfSequence: endOfSequence)) }
        let modelName = file.metadata["general.name"]?.string
        guard let source = file.metadata["tokenizer.chat_template"]?.string else {
            if let fallback { return .success(ChatTemplate(family: fallback, endOfSequence: endOfSequence)) }
            return .failure(EngineError.unusableChatTemplate(
                path: file.path, model: modelName,
                reason: "the file has no chat template (no 'tokenizer.chat_template'; base models often have none)"))
        }
        do {
            return .success(try ChatTemplate(source: source, endOfSequence: endOfSequence))
        } catch {
            return .failure(EngineError.unusableChatTemplate(path: file.path, model: modelName, reason: "\(error)"))
        }
    }

    /// The model's chat template.
    /// - Throws: `EngineError.unusableChatTemplate` when the file has none (and no default
    ///   was given) or its template belongs to no known family.
    public nonisolated func chatTemplate() throws -> ChatTemplate { try chatTemplateResult.get() }

    /// Renders `messages` with the chat template and a generation prompt, and tokenizes
    /// the result (special-token text parsed as special tokens).
    public nonisolated func encodeChat(_ messages: [ChatMessage]) throws -> [Int32] {
        tokenizer.encode(try chatTemplate().render(messages, addGenerationPrompt: true), parseSpecial: true)
    }

    /// The vocabulary for output constraints (built once, on first use).
    public func constraintVocabulary() throws -> ConstraintVocabulary {
        if let storage = constraintVocabularyStorage { return storage }
        let vocabulary = try ConstraintVocabulary(tokenizer: tokenizer)
        constraintVocabularyStorage = vocabulary
        return vocabulary
    }

    /// A sequence already holding as much of `prompt` as the prefix cache knows, and that count.
    func startSequence(for prompt: [Int32], adapter: AdapterID? = nil) async -> (SequenceID, Int) {
        if let match = prefixCache.longestMatch(for: prompt, adapter: adapter),
           let fork = try? await engine.forkSequence(match.sequence, length: match.length) {
            return (fork, match.length)
        }
        return (await engine.makeSequence(), 0)
    }

    /// Keeps a copy of a sequence that holds exactly `prompt`, for later prompts to share.
    func remember(_ prompt: [Int32], in sequence: SequenceID, adapter: AdapterID? = nil) async {
        guard prefixCache.shouldKeep(prompt, adapter: adapter),
              let copy = try? await engine.forkSequence(sequence, length: prompt.count)
        else { return }
        for evicted in prefixCache.insert(prompt, sequence: copy, adapter: adapter) {
            await engine.removeSequence(evicted)
        }
    }

    /// Mean-pooled final hidden states of `text` (an embedding), L2-normalized.
    ///
    /// Cost: one prompt evaluation; nothing is kept.
    public func embed(_ text: String) async throws -> [Float] {
        let tokens = tokenizer.encode(text, parseSpecial: false)
        guard !tokens.isEmpty else { return [Float](repeating: 0, count: configuration.hiddenSize) }
        let sequence = await engine.makeSequence()
        defer { Task { [engine] in await engine.removeSequence(sequence) } }
        let result = try await scheduler.evaluate(
            EvaluationRequest(sequence: sequence, tokens: tokens, logits: .all, hiddenStates: true))
        guard let states = result.hiddenStates else { return [] }
        var mean = [Float](repeating: 0, count: states.width)
        for row in 0..<states.count {
            for (index, value) in states[row].enumerated() { mean[index] += value }
        }
        let norm = sqrt(mean.reduce(0) { $0 + $1 * $1 })
        return norm > 0 ? mean.map { $0 / norm } : mean
    }
}
