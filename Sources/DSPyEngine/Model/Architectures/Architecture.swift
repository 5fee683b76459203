/// What one model family (`general.architecture`) changes in the shared decoder block.
///
/// Every supported family is a pre-norm decoder: RMS norm, attention with RoPE, residual
/// add, RMS norm, gated feed-forward, residual add. A family declares only what differs
/// from that — how RoPE pairs dimensions, which optional tensors it has, where the
/// attention scale is applied, which gated unit it uses — in its own file
/// (`Llama.swift`, `Qwen2.swift`, …), and `DecoderModel` runs any of them. The values
/// follow llama.cpp's `src/models/<family>.cpp`.
struct Architecture: Sendable {
    /// How RoPE pairs the dimensions of a head.
    enum RoPEStyle: Sendable {
        /// Adjacent pairs (x[2i], x[2i+1]) (llama.cpp's NORM; the converter permutes Llama's rows).
        case norm
        /// Halves (x[i], x[i + rot/2]) (llama.cpp's NEOX, the Hugging Face layout).
        case neox
    }

    /// The gated feed-forward unit.
    enum FeedForward: Sendable {
        /// silu(gate · x) ⊙ (up · x), separate `ffn_gate` and `ffn_up`.
        case swiglu
        /// gelu_tanh(gate · x) ⊙ (up · x), through llama.cpp's half-precision GELU table.
        case geglu
        /// One `ffn_up` twice as wide holding [gate | up]; silu of the first half times the second.
        case fusedSwiglu
    }

    /// Where the 1/√(head dim) attention scale is applied.
    enum QueryScaling: Sendable {
        /// Inside attention, to the query-key dot products (llama, qwen2, qwen3).
        case inAttention
        /// To the query in float after RoPE, before it is rounded for attention (gemma3, phi3);
        /// attention itself then scales by 1.
        case beforeAttention
    }

    /// Which per-dimension RoPE frequency factors the family reads.
    enum RoPEFactors: Sendable {
        /// None.
        case none
        /// `rope_freqs.weight` when present (Llama 3.x scaling).
        case ropeFreqs
        /// `rope_factors_long.weight` when the context exceeds the original context
        /// (`rope.scaling.original_context_length`), else `rope_factors_short.weight` (Phi-3).
        case longShort
    }

    /// The `general.architecture` value.
    let name: String
    let rope: RoPEStyle
    let feedForward: FeedForward
    let queryScaling: QueryScaling
    let ropeFactors: RoPEFactors
    /// Whether the token embedding is multiplied by √(hidden size) in float (Gemma).
    let scalesEmbedding: Bool
    /// Whether `attn_q_norm`/`attn_k_norm` (per-head RMS norms before RoPE) are required.
    let queryKeyNorms: Bool
    /// Whether `post_attention_norm` and `post_ffw_norm` are applied to each block's
    /// output before its residual add (Gemma).
    let postNorms: Bool
    /// The sliding-window layer period when `attention.sliding_window` is set (layer i is
    /// windowed iff i mod period < period − 1); nil: the family ignores the window (Phi-3
    /// in llama.cpp), every layer is global.
    let slidingWindowPeriod: Int?
    /// Whether `final_logit_softcapping` is read.
    let readsLogitSoftcap: Bool

    init(
        name: String, rope: RoPEStyle, feedForward: FeedForward = .swiglu, queryScaling: QueryScaling = .inAttention,
        ropeFactors: RoPEFactors = .none, scalesEmbedding: Bool = false, queryKeyNorms: Bool = false,
        postNorms: Bool = false, slidingWindowPeriod: Int? = nil, readsLogitSoftcap: Bool = false
    ) {
        self.name = name
        self.rope = rope
        self.feedForward = feedForward
        self.queryScaling = queryScaling
        self.ropeFactors = ropeFactors
        self.scalesEmbedding = scalesEmbedding
        self.queryKeyNorms = queryKeyNorms
        self.postNorms = postNorms
        self.slidingWindowPeriod = slidingWindowPeriod
        self.readsLogitSoftcap = readsLogitSoftcap
    }

    /// Every family with a forward pass, by `general.architecture`.
    static let registry: [String: Architecture] = Dictionary(
        uniqueKeysWithValues: [llama, qwen2, qwen3, gemma3, phi3].map { ($0.name, $0) })

    /// The family named `name`.
    ///
    /// - Throws: `EngineError.unsupportedArchitecture` listing the supported names.
    static func named(_ name: String, path: String) throws -> Architecture {
        guard let architecture = registry[name] else {
            throw EngineError.unsupportedArchitecture(
                path: path, architecture: name, supported: ModelConfiguration.supportedArchitectures)
        }
        return architecture
    }
}
