extension Architecture {
    /// Llama 1–3.x, SmolLM, and other `llama` GGUFs (llama.cpp `src/models/llama.cpp`).
    ///
    /// NORM RoPE (the converter permutes the query and key rows), SwiGLU, scale inside
    /// attention. Llama 3.x adds `rope_freqs.weight` (its `llama3` rope scaling baked into
    /// per-dimension factors) and an untied `output.weight`; optional Q/K/V biases are
    /// read when present, as llama.cpp does.
    static let llama = Architecture(name: "llama", rope: .norm, ropeFactors: .ropeFreqs)
}
