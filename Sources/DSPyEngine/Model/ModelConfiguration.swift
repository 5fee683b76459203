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

    /// Reads the configuration from a GGUF file's metadata.
    ///
    /// - Throws: `EngineError.unsupportedArchitecture` for an architecture without a
    ///   forward pass, `.missingMetadata`/`.metadataTypeMismatch` for absent or mistyped
    ///   keys, `.malformedFile` for inconsistent values (heads not dividing evenly).
    public init(metadata: GGUFMetadata) throws {
        let architecture = try metadata.requiredString("general.architecture")
        guard Self.supportedArchitectures.contains(architecture) else {
            throw EngineError.unsupportedArchitecture(
                path: metadata.path, architecture: architecture, supported: Self.supportedArchitectures)
        }
        let prefix = architecture + "."
        let hiddenSize = try metadata.requiredInt(prefix + "embedding_length")
        let headCount = try metadata.requiredInt(prefix + "attention.head_count")
        let kvHeadCount = try metadata.optionalInt(prefix + "attention.head_count_kv") ?? headCount
        guard headCount > 0, kvHeadCount > 0, headCount % kvHeadCount == 0 else {
            throw EngineError.malformedFile(
                path: metadata.path, reason: "\(headCount) heads cannot share \(kvHeadCount) key/value heads")
        }
        let headDimension = try metadata.optionalInt(prefix + "attention.key_length") ?? hiddenSize / headCount
        let vocabularySize = try metadata.optionalInt(prefix + "vocab_size")
            ?? metadata["tokenizer.ggml.tokens"]?.array?.count
        guard let vocabularySize else {
            throw EngineError.missingMetadata(path: metadata.path, key: prefix + "vocab_size")
        }
        self.init(
            architecture: architecture,
            hiddenSize: hiddenSize,
            layerCount: try metadata.requiredInt(prefix + "block_count"),
            headCount: headCount,
            kvHeadCount: kvHeadCount,
            headDimension: headDimension,
            feedForwardSize: try metadata.requiredInt(prefix + "feed_forward_length"),
            ropeBase: try metadata.optionalFloat(prefix + "rope.freq_base") ?? 10000,
            ropeDimensions: try metadata.optionalInt(prefix + "rope.dimension_count") ?? headDimension,
            rmsEpsilon: try metadata.requiredFloat(prefix + "attention.layer_norm_rms_epsilon"),
            contextLength: try metadata.requiredInt(prefix + "context_length"),
            vocabularySize: vocabularySize)
        guard headDimension % 2 == 0, headDimension <= 256, ropeDimensions <= headDimension, hiddenSize > 0, layerCount > 0 else {
            throw EngineError.malformedFile(path: metadata.path, reason: "inconsistent attention dimensions")
        }
        try readArchitectureParameters(from: metadata)
    }
}
