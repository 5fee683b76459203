import CDSPyKernels

/// A decoder-only transformer of any registered family (``Architecture``) with weights
/// mapped from a GGUF file.
///
/// `forward(_:)` runs a batch of segments — each some new tokens of one sequence with
/// its `KVCache` — through the model in one pass: prefill (many tokens of one
/// sequence), decoding (one token each of several sequences) or any mix. Tokens are
/// processed in micro-batches of at most `microBatch`; matrix products run over all
/// tokens of a micro-batch at once on the worker pool, attention per token against
/// its own sequence's cache.
///
/// Not thread-safe: owned by one `LanguageEngine` actor (or one test).
final class DecoderModel {
    let configuration: ModelConfiguration
    /// What the model's family changes in the block (NEOX RoPE, biases, norms, …).
    let family: Architecture
    let file: GGUFFile
    let weights: DecoderWeights
    let pool: WorkerPool
    let microBatch: Int
    let scratch: ForwardScratch
    /// The llama.cpp build whose float order the kernels follow (see ``KernelOrder``).
    var kernelOrder: KernelOrder = .detected
    /// How many dispatches of each kernel variant (by path name, see CDSPyKernels'
    /// `dspy_path_name`) the forward passes so far made, on every thread of the pool.
    private(set) var kernelPaths: [String: UInt64] = [:]
    /// The current micro-batch's adapter groups and LoRA scratch (see `applyLoRA`).
    let lora = LoRAScratch()

    /// New tokens of one sequence, with the rows wanted back.
    struct Segment {
        let cache: KVCache
        let tokens: [Int32]
        let logits: OutputSelection
        let hiddenStates: Bool
        /// The positions of the llama.cpp call the tokens belong to (see ``AttentionPath``);
        /// nil: the tokens alone.
        var call: Range<Int>? = nil
        /// The LoRA adapter the sequence runs with; nil: the base model.
        var adapter: LoadedAdapter? = nil
    }

    /// Maps the weights of `file` (already parsed) for `threads` kernel threads.
    ///
    /// - Throws: `EngineError` for an unsupported architecture, missing metadata, or a
    ///   missing or mis-shaped tensor.
    init(file: GGUFFile, threads: Int? = nil, microBatch: Int = 256) throws {
        let configuration = try ModelConfiguration(metadata: file.metadata)
        let family = try Architecture.named(configuration.architecture, path: file.path)
        self.configuration = configuration
        self.family = family
        self.file = file
        weights = try DecoderWeights(file: file, configuration: configuration, family: family)
        pool = WorkerPool(threads: threads)
        self.microBatch = max(1, microBatch)
        let fusedWidth = max(
            weights.layers.contains { if case .fused = $0.projections { true } else { false } }
                ? configuration.queryWidth + 2 * configuration.keyValueWidth : 0,
            family.feedForward == .fusedSwiglu ? 2 * configuration.feedForwardSize : 0)
        scratch = ForwardScratch(
            configuration: configuration, capacity: self.microBatch, threads: pool.threadCount, fusedWidth: fusedWidth)
    }

    /// A new, empty cache for one sequence.
    func makeCache() -> KVCache {
        KVCache(
            layerCount: configuration.layerCount, width: configuration.keyValueWidth,
            maximumLength: configuration.contextLength)
    }

    /// Runs every segment's tokens, appends their keys and values to the segment's cache,
    /// and returns each segment's selected logits and hidden states.
    ///
    /// Cost: about 2 × parameters FLOPs per token plus attention over the cache.
    /// - Throws: `EngineError.promptTooLong` when a cache would exceed the context,
    ///   `.tokenOutOfRange` for a bad id, `.invalidArgument` for a bad selection or a
    ///   cache listed twice. Nothing is modified when it throws.
    func forward(_ segments: [Segment]) throws -> [(logits: OutputRows, hiddenStates: OutputRows?)] {
        // The order and the counters are per thread, and the pool hands both to its workers;
        // the pass runs synchronously on this thread, so they cover exactly this pass.
        dspy_set_kernel_order(kernelOrder.kernelValue)
        let before = KernelPathCounters.snapshot()
        defer {
            for (index, (old, new)) in zip(before, KernelPathCounters.snapshot()).enumerated() where new > old {
                kernelPaths[KernelPathCounters.name(index), default: 0] += new - old
            }
            dspy_set_kernel_order(Int32(DSPY_ORDER_DETECT))
        }
        return try forwardPass(segments)
    }

    private func forwardPass(_ segments: [Segment]) throws -> [(logits: OutputRows, hiddenStates: OutputRows?)] {
        let c = configuration
        var outputs: [(logits: OutputRows, hiddenStates: OutputRows?)] = []
        var entries: [Entry] = []
        for (s, segment) in segments.enumerated() {
            guard !segments[..<s].contains(where: { $0.cache === segment.cache }) else {
                throw EngineError.invalidArgument("a sequence appears twice in one batch")
            }
            guard segment.cache.length + segment.tokens.count <= c.contextLength else {
                throw EngineError.promptTooLong(
                    tokens: segment.tokens.count, cached: segment.cache.length, contextLength: c.contextLength)
            }
            let new = segment.cache.length..<segment.cache.length + segment.tokens.count
            let call = segment.call ?? new
            guard call.lowerBound >= 0, call.lowerBound <= new.lowerBound, call.upperBound >= new.upperBound else {
                throw EngineError.invalidArgument("call \(call) does not cover the new positions \(new)")
            }
            if let bad = segment.tokens.first(where: { $0 < 0 || Int($0) >= c.vocabularySize }) {
                throw EngineError.tokenOutOfRange(token: bad, vocabularySize: c.vocabularySize)
            }
            let selected = segment.logits.resolve(count: segment.tokens.count)
            guard selected.allSatisfy({ (0..<segment.tokens.count).contains($0) }), selected == selected.sorted() else {
                throw EngineError.invalidArgument("logit indices \(selected) must be ascending within 0..<\(segment.tokens.count)")
            }
            let hiddenSelected = segment.hiddenStates ? selected : []
            outputs.append((
                OutputRows(width: c.vocabularySize, indices: selected),
                segment.hiddenStates ? OutputRows(width: c.hiddenSize, indices: hiddenSelected) : nil))
            var wanted = Set(selected)
            for (index, token) in segment.tokens.enumerated() {
                let row = wanted.remove(index) != nil ? (selected.firstIndex(of: index) ?? -1) : -1
                entries.append(Entry(
                    segment: s, token: token, position: segment.cache.length + index, outputRow: row,
                    tiled: AttentionPath.isTiled(tokenIndex: new.lowerBound + index - call.lowerBound, of: call.count)))
            }
        }
        for segment in segments { segment.cache.reserve(segment.cache.length + segment.tokens.count) }

        var start = 0
        while start < entries.count {
            let end = min(start + microBatch, entries.count)
            for i in start..<end { entries[i].batchRow = i - start }
            run(entries[start..<end], segments: segments, outputs: &outputs)
            start = end
        }
        for segment in segments { segment.cache.advance(to: segment.cache.length + segment.tokens.count) }
        return outputs
    }

    /// One token of a batch: its sequence, position, output row (-1 for none) and attention path.
    struct Entry {
        let segment: Int
        let token: Int32
        let position: Int
        let outputRow: Int
        /// Whether its attention takes the tiled prefill path (see ``AttentionPath``).
        let tiled: Bool
        /// The entry's row within its micro-batch (set when the micro-batch is formed).
        var batchRow = 0
    }
}
