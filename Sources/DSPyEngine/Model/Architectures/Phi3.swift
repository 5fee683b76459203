extension Architecture {
    /// Phi-3, Phi-3.5 and Phi-4-mini (llama.cpp `src/models/phi3.cpp`).
    ///
    /// - A fused `attn_qkv` (rows Q, then K, then V), or separate projections.
    /// - NEOX RoPE over `rope.dimension_count` dimensions, which may be fewer than the head
    ///   dimension (partial rotary; the rest pass through), with `rope_factors_long` or
    ///   `_short` and the magnitude factor `rope.scaling.attn_factor`.
    /// - The query times 1/√(head dim) in float after RoPE; attention scales by 1.
    /// - A fused `ffn_up` of width 2 × n_ff holding [gate | up].
    /// - `attention.sliding_window` is ignored (llama.cpp disables Phi's window).
    static let phi3 = Architecture(
        name: "phi3", rope: .neox, feedForward: .fusedSwiglu, queryScaling: .beforeAttention, ropeFactors: .longShort)
}
