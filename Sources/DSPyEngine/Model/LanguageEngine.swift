import Foundation

/// A handle to one sequence (conversation, prompt) whose keys and values the engine caches.
public struct SequenceID: Hashable, Sendable, CustomStringConvertible {
    let rawValue: Int
    public var description: String { "sequence \(rawValue)" }
}

/// One request of a batched evaluation: new tokens for a sequence and the rows wanted.
public struct EvaluationRequest: Sendable {
    /// The sequence the tokens continue.
    public var sequence: SequenceID
    /// The new tokens.
    public var tokens: [Int32]
    /// Tokens whose logits (and hidden states) come back. Default: the last.
    public var logits: OutputSelection
    /// Whether to return final hidden states for the selected tokens.
    public var hiddenStates: Bool
    /// The positions of the call the tokens belong to, which decides each token's attention
    /// path as llama.cpp would (see `AttentionPath`). Default (nil): the tokens alone. A
    /// prompt resumed after a cached prefix passes the whole prompt, `0..<prompt.count`, so
    /// that its result does not depend on how much of it was cached.
    public var call: Range<Int>?
    /// The LoRA adapter to run with (``LanguageEngine/loadAdapter(_:scale:)``); nil: the base
    /// model. A sequence keeps the adapter its first tokens were evaluated with: continuing
    /// it with another is refused, so keys and values never mix adapters.
    public var adapter: AdapterID?
    /// Where the tokens go: the sequence is first cut back to this length, dropping what it
    /// held from there on (a rejected guess, a scored alternative). nil: after all it holds.
    /// Saves a separate ``LanguageEngine/truncate(_:to:)``, which would wait for a whole pass.
    public var position: Int?

    public init(
        sequence: SequenceID, tokens: [Int32], logits: OutputSelection = .last, hiddenStates: Bool = false,
        call: Range<Int>? = nil, adapter: AdapterID? = nil, position: Int? = nil
    ) {
        self.sequence = sequence
        self.tokens = tokens
        self.logits = logits
        self.hiddenStates = hiddenStates
        self.call = call
        self.adapter = adapter
        self.position = position
    }
}

/// The in-process language model: a GGUF model, its kernels and its sequences' caches.
///
/// All model state lives inside this actor; only `Sendable` values cross it. Create
/// sequences, evaluate tokens in them (prefill and decoding are the same call), and read
/// logits. Several sequences can be evaluated in one batched pass, and a sequence can be
/// forked from another's prefix so a shared prompt prefix is computed once.
///
/// ```swift
/// let engine = try LanguageEngine(contentsOf: modelURL)
/// let sequence = await engine.makeSequence()
/// var logits = try await engine.evaluate(promptIDs, in: sequence).logits.last!
/// // pick a token from logits, then:
/// logits = try await engine.evaluate([next], in: sequence).logits.last!
/// ```
///
/// Cost: loading maps the file (no copy) and decodes only the norm vectors. Each
/// cached position costs `2 × layers × kvHeads × headDim` halves (46 KB for SmolLM2-135M).
public actor LanguageEngine {
    /// The model's shape and hyper-parameters.
    public nonisolated let configuration: ModelConfiguration
    /// The parsed GGUF file (metadata for the tokenizer and chat template).
    public nonisolated let file: GGUFFile
    /// Kernel threads per job.
    public nonisolated let threadCount: Int
    /// The most tokens of one sequence a pass may hold while each token's logits stay bit
    /// for bit those of evaluating it alone (what speculative decoding needs to change
    /// nothing): 63 for Q4/Q5/Q8 weights (64 or more take the tiled attention, see
    /// `AttentionPath`), 7 with K-quants (8 or more take the tiled matmul's order), 1 with
    /// float matrices (2 or more take tinyBLAS's order).
    public nonisolated let exactBatchTokens: Int
    /// The llama.cpp build whose float order the kernels follow (``KernelOrder/avx2`` or
    /// ``KernelOrder/avx512``).
    public nonisolated let kernelOrder: KernelOrder

    /// How many dispatches of each kernel variant the engine's forward passes made so far,
    /// by path name (CDSPyKernels' `dspy_path_name`), for tests that must know which ran.
    func kernelPaths() -> [String: UInt64] { model.kernelPaths }

    let model: DecoderModel
    private var caches: [SequenceID: KVCache] = [:]
    private var nextSequence = 0
    /// Loaded LoRA adapters by id (see `LanguageEngine+Adapters.swift`).
    var adapters: [AdapterID: LoadedAdapter] = [:]
    var nextAdapter = 0

    /// Loads the model in the GGUF file at `url`.
    ///
    /// - Parameters:
    ///   - url: a GGUF file of a supported architecture.
    ///   - threads: kernel threads (default: all active processors).
    ///   - kernelOrder: the llama.cpp build whose float order to follow (default: the one
    ///     llama.cpp built on this CPU uses; see ``KernelOrder``).
    /// - Throws: `EngineError` naming the file and what is wrong with it.
    public init(contentsOf url: URL, threads: Int? = nil, kernelOrder: KernelOrder = .detected) throws {
        try self.init(file: GGUFFile(contentsOf: url), threads: threads, kernelOrder: kernelOrder)
    }

    /// Loads the model of an already parsed GGUF file.
    /// - Throws: `EngineError` for an unsupported architecture or missing/mis-shaped tensors.
    public init(file: GGUFFile, threads: Int? = nil, kernelOrder: KernelOrder = .detected) throws {
        let model = try DecoderModel(file: file, threads: threads)
        model.kernelOrder = kernelOrder
        self.kernelOrder = kernelOrder.resolved
        self.model = model
        self.file = file
        configuration = model.configuration
        threadCount = model.pool.threadCount
        exactBatchTokens = min(model.weights.exactBatchTokens, AttentionPath.tiledThreshold - 1)
    }

    /// Starts an empty sequence.
    public func makeSequence() -> SequenceID {
        let id = SequenceID(rawValue: nextSequence)
        nextSequence += 1
        caches[id] = model.makeCache()
        return id
    }

    /// Starts a sequence holding the first `length` cached positions of `source`
    /// (all of them by default), so a shared prefix need not be recomputed.
    /// - Throws: `EngineError.unknownSequence`, or `.invalidArgument` if `length` exceeds the source.
    public func forkSequence(_ source: SequenceID, length: Int? = nil) throws -> SequenceID {
        let cache = try cache(for: source)
        let count = length ?? cache.length
        guard (0...cache.length).contains(count) else {
            throw EngineError.invalidArgument("cannot fork \(count) positions of a \(cache.length)-token sequence")
        }
        let id = makeSequence()
        caches[id]!.copyPrefix(of: cache, length: count)
        caches[id]!.adapter = count > 0 ? cache.adapter : nil
        return id
    }

    /// Frees a sequence's cache. Unknown ids are ignored.
    public func removeSequence(_ sequence: SequenceID) {
        caches[sequence] = nil
    }

    /// The number of positions cached for `sequence`.
    /// - Throws: `EngineError.unknownSequence`.
    public func length(of sequence: SequenceID) throws -> Int {
        try cache(for: sequence).length
    }

    /// Forgets positions from `length` on (e.g. to rewind after a rejected completion).
    /// - Throws: `EngineError.unknownSequence`.
    public func truncate(_ sequence: SequenceID, to length: Int) throws {
        try cache(for: sequence).truncate(to: length)
    }

    /// Runs `tokens` after what `sequence` already holds and returns the selected rows.
    ///
    /// - Parameters:
    ///   - tokens: new token ids (a prompt, or one sampled token).
    ///   - sequence: the sequence they continue; its cache grows by `tokens.count`.
    ///   - logits: which tokens' logits to return (default `.last`).
    ///   - hiddenStates: also return final hidden states of the selected tokens.
    /// - Throws: `EngineError.promptTooLong` beyond the context length,
    ///   `.tokenOutOfRange`, `.unknownSequence`. The sequence is unchanged when it throws.
    public func evaluate(
        _ tokens: [Int32], in sequence: SequenceID, logits: OutputSelection = .last, hiddenStates: Bool = false
    ) throws -> Evaluation {
        try evaluate([EvaluationRequest(sequence: sequence, tokens: tokens, logits: logits, hiddenStates: hiddenStates)])[0]
    }

    /// Evaluates several sequences in one batched pass (continuous batching: e.g. one
    /// decoding step for each of eight sequences costs little more than one).
    /// - Throws: as `evaluate(_:in:logits:hiddenStates:)`; nothing changes when it throws.
    public func evaluate(_ requests: [EvaluationRequest]) throws -> [Evaluation] {
        let segments = try requests.map { request in
            let cache = try cache(for: request.sequence)
            let adapter = try loadedAdapter(request.adapter)
            if let position = request.position, !(0...cache.length).contains(position) {
                throw EngineError.invalidArgument(
                    "cannot continue \(request.sequence) at position \(position): it holds \(cache.length)")
            }
            if min(cache.length, request.position ?? .max) > 0, cache.adapter != request.adapter {
                throw EngineError.invalidArgument(
                    "\(request.sequence) holds keys and values computed with "
                        + "\(cache.adapter.map(\.description) ?? "no adapter"), not \(request.adapter.map(\.description) ?? "no adapter")")
            }
            return DecoderModel.Segment(
                cache: cache, tokens: request.tokens, logits: request.logits, hiddenStates: request.hiddenStates,
                call: request.call, adapter: adapter)
        }
        // Cut back where asked; a failed pass writes nothing, so undoing is restoring lengths.
        let lengths = segments.map(\.cache.length)
        for (segment, request) in zip(segments, requests) {
            if let position = request.position { segment.cache.truncate(to: position) }
        }
        let outputs: [(logits: OutputRows, hiddenStates: OutputRows?)]
        do {
            outputs = try model.forward(segments)
        } catch {
            for (segment, length) in zip(segments, lengths) { segment.cache.advance(to: length) }
            throw error
        }
        for (segment, request) in zip(segments, requests) { segment.cache.adapter = request.adapter }
        return zip(segments, outputs).map { segment, output in
            Evaluation(
                tokenCount: segment.tokens.count, sequenceLength: segment.cache.length,
                logits: output.logits, hiddenStates: output.hiddenStates)
        }
    }

    private func cache(for sequence: SequenceID) throws -> KVCache {
        guard let cache = caches[sequence] else { throw EngineError.unknownSequence(id: sequence.rawValue) }
        return cache
    }
}
