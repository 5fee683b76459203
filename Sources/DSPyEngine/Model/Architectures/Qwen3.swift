extension Architecture {
    /// Qwen 3 dense models (llama.cpp `src/models/qwen3.cpp`).
    ///
    /// Qwen 2 without biases, plus a per-head RMS norm of the query and key
    /// (`attn_q_norm`, `attn_k_norm`, one weight per head dimension) before NEOX RoPE.
    static let qwen3 = Architecture(name: "qwen3", rope: .neox, queryKeyNorms: true)
}
