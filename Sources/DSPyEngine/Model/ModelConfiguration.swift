/// The shape and hyper-parameters of a decoder-only transformer, in Swift names.
///
/// Read once from GGUF metadata at the boundary (`init(metadata:)`), where the
/// `{architecture}.*` keys are mapped; the rest of the engine only sees these fields.
public struct ModelConfiguration: Sendable, Equatable {
    /// The architecture name (`general.architecture`), e.g. `llama`.
    public var architecture: String
    /// Width of the residual stream (`embedding_length`).
    public var hiddenSize: Int
    /// Number of transformer blocks (`block_count`).
    public var layerCount: Int
    /// Number of query heads (`attention.head_count`).
    public var headCount: Int
    /// Number of key/value heads (`attention.head_count_kv`); divides `headCount`.
    public var kvHeadCount: Int
    /// Width of one attention head.
    public var headDimension: Int
    /// Width of the feed-forward hidden layer (`feed_forward_length`).
    public var feedForwardSize: Int
    /// RoPE frequency base (`rope.freq_base`, default 10000).
    public var ropeBase: Float
    /// Number of leading dimensions of each head that RoPE rotates (`rope.dimension_count`).
    public var ropeDimensions: Int
    /// Epsilon of RMS normalization (`attention.layer_norm_rms_epsilon`).
    public var rmsEpsilon: Float
    /// Maximum number of positions (`context_length`).
    public var contextLength: Int
    /// Number of tokens (`vocab_size`, or the tokenizer's token count).
    public var vocabularySize: Int

    // Per-architecture hyper-parameters (read by `readArchitectureParameters(from:)`).

    /// RoPE frequency scale: 1 / `rope.scaling.factor` (1 when absent, 0, or scaling type `none`).
    public var ropeFrequencyScale: Float = 1
    /// RoPE magnitude factor multiplying cos and sin (`rope.scaling.attn_factor`, default 1).
    public var ropeAttentionFactor: Float = 1
    /// The context the RoPE factors were made for (`rope.scaling.original_context_length`,
    /// default `contextLength`); Phi-3 uses its long factors beyond it.
    public var ropeOriginalContextLength: Int
    /// Positions a sliding-window layer sees, the current one included (`attention.sliding_window`);
    /// 0: no layer is windowed.
    public var slidingWindow: Int = 0
    /// For each layer, whether it is a sliding-window layer (empty: none is).
    public var slidingWindowLayers: [Bool] = []
    /// RoPE base of sliding-window layers (`rope.freq_base_swa`, default 10000).
    public var ropeBaseSlidingWindow: Float = 10000
    /// Final logit soft-cap c (`final_logit_softcapping`): logits = c · tanh(z / c); 0 is off.
    public var finalLogitSoftcap: Float = 0

    /// Architectures with a forward pass in this engine.
    public static let supportedArchitectures: [String] = Architecture.registry.keys.sorted()

    /// Width of the query projection (`headCount * headDimension`).
    public var queryWidth: Int { headCount * headDimension }
    /// Width of the key and value projections (`kvHeadCount * headDimension`).
    public var keyValueWidth: Int { kvHeadCount * headDimension }

    /// Creates a configuration from explicit values (tests, synthetic models).
    public init(
        architecture: String = "llama", hiddenSize: Int, layerCount: Int, headCount: Int,
        kvHeadCount: Int, headDimension: Int? = nil, feedForwardSize: Int, ropeBase: Float = 10000,
        ropeDimensions: Int? = nil, rmsEpsilon: Float = 1e-5, contextLength: Int, vocabularySize: Int
    ) {
        self.architecture = architecture
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        let headDimension = headDimension ?? hiddenSize / max(headCount, 1)
        self.headDimension = headDimension
        self.feedForwardSize = feedForwardSize
        self.ropeBase = ropeBase
        self.ropeDimensions = ropeDimensions ?? headDimension
        self.rmsEpsilon = rmsEpsilon
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.ropeOriginalContextLength = contextLength
    }

    /// Largest values accepted from a file: far above any model this engine can run,
    /// low enough that products of them cannot overflow and every width fits the
    /// kernels' 32-bit arguments.
    enum Limits {
        static let hiddenSize = 1 << 17
        static let layerCount = 1 << 12
        static let headCount = 1 << 12
        static let headDimension = 256
        static let feedForwardSize = 1 << 20
        static let contextLength = 1 << 26
        static let vocabularySize = Int(Int32.max)
    }

    /// Reads the configuration from a GGUF file's metadata.
    ///
    /// Every value is range-checked here, so the engine never sees a zero or
    /// negative count, heads that do not divide the widths, a head wider than the
    /// kernels handle, or a NaN, infinite, zero or negative epsilon or RoPE base.
    ///
    /// - Throws: `EngineError.unsupportedArchitecture` for an architecture without a
    ///   forward pass, `.missingMetadata`/`.metadataTypeMismatch` for absent or mistyped
    ///   keys, `.invalidMetadata` naming the key for a value out of range or
    ///   inconsistent with the others.
    public init(metadata: GGUFMetadata) throws {
        let architecture = try metadata.requiredString("general.architecture")
        guard Self.supportedArchitectures.contains(architecture) else {
            throw EngineError.unsupportedArchitecture(
                path: metadata.path, architecture: architecture, supported: Self.supportedArchitectures)
        }
        let prefix = architecture + "."
        func invalid(_ key: String, _ reason: String) -> EngineError {
            .invalidMetadata(path: metadata.path, key: prefix + key, reason: reason)
        }
        let hiddenSize = try metadata.requiredInt(prefix + "embedding_length", in: 1...Limits.hiddenSize)
        let headCount = try metadata.requiredInt(prefix + "attention.head_count", in: 1...Limits.headCount)
        let kvHeadCount = try metadata.optionalInt(prefix + "attention.head_count_kv", in: 1...headCount) ?? headCount
        guard headCount % kvHeadCount == 0 else {
            throw invalid("attention.head_count_kv", "\(headCount) query heads cannot share \(kvHeadCount) key/value heads evenly")
        }
        let keyLength = try metadata.optionalInt(prefix + "attention.key_length", in: 1...Limits.headDimension)
        if keyLength == nil, hiddenSize % headCount != 0 {
            throw invalid("attention.head_count", "\(headCount) heads do not divide the embedding length \(hiddenSize)")
        }
        let headDimension = keyLength ?? hiddenSize / headCount
        guard headDimension % 2 == 0, headDimension <= Limits.headDimension else {
            throw invalid(
                keyLength == nil ? "attention.head_count" : "attention.key_length",
                "the head width \(headDimension) is not an even number up to \(Limits.headDimension)")
        }
        if let valueLength = try metadata.optionalInt(prefix + "attention.value_length"), valueLength != headDimension {
            throw invalid("attention.value_length", "\(valueLength) differs from the key width \(headDimension)")
        }
        let ropeDimensions = try metadata.optionalInt(prefix + "rope.dimension_count", in: 2...headDimension) ?? headDimension
        guard ropeDimensions % 2 == 0 else {
            throw invalid("rope.dimension_count", "\(ropeDimensions) is odd (RoPE rotates pairs)")
        }
        let vocabularySize: Int
        if let declared = try metadata.optionalInt(prefix + "vocab_size", in: 1...Limits.vocabularySize) {
            vocabularySize = declared
        } else if let tokens = metadata["tokenizer.ggml.tokens"]?.array?.count {
            guard (1...Limits.vocabularySize).contains(tokens) else {
                throw EngineError.invalidMetadata(path: metadata.path, key: "tokenizer.ggml.tokens", reason: "\(tokens) tokens")
            }
            vocabularySize = tokens
        } else {
            throw EngineError.missingMetadata(path: metadata.path, key: prefix + "vocab_size")
        }
        self.init(
            architecture: architecture,
            hiddenSize: hiddenSize,
            layerCount: try metadata.requiredInt(prefix + "block_count", in: 1...Limits.layerCount),
            headCount: headCount,
            kvHeadCount: kvHeadCount,
            headDimension: headDimension,
            feedForwardSize: try metadata.requiredInt(prefix + "feed_forward_length", in: 1...Limits.feedForwardSize),
            ropeBase: try metadata.optionalPositiveFloat(prefix + "rope.freq_base") ?? 10000,
            ropeDimensions: ropeDimensions,
            rmsEpsilon: try metadata.requiredPositiveFloat(prefix + "attention.layer_norm_rms_epsilon"),
            contextLength: try metadata.requiredInt(prefix + "context_length", in: 1...Limits.contextLength),
            vocabularySize: vocabularySize)
        try readArchitectureParameters(from: metadata)
    }
}
