extension Architecture {
    /// Gemma 3, text part (llama.cpp `src/models/gemma3.cpp`).
    ///
    /// - The embedding row times √(hidden size), in float.
    /// - Per-head Q/K RMS norms before NEOX RoPE; the query then times 1/√(head dim) in
    ///   float, and attention scales by 1.
    /// - RMS norms of the attention and feed-forward outputs (`post_attention_norm`,
    ///   `post_ffw_norm`) before their residual adds; norm weights already hold 1 + w.
    /// - GELU-tanh gated feed-forward (llama.cpp's half-precision GELU table).
    /// - Interleaved layers: with `attention.sliding_window` set, layer i sees only the last
    ///   `window` positions when i mod 6 < 5 (period from `attention.sliding_window_pattern`),
    ///   with RoPE base `rope.freq_base_swa` (default 10000) and no frequency scaling; the
    ///   other layers are global, with `rope.freq_base`.
    /// - `final_logit_softcapping`, when present and non-zero: logits = c · tanh(z / c).
    static let gemma3 = Architecture(
        name: "gemma3", rope: .neox, feedForward: .geglu, queryScaling: .beforeAttention, scalesEmbedding: true,
        queryKeyNorms: true, postNorms: true, slidingWindowPeriod: 6, readsLogitSoftcap: true)
}
