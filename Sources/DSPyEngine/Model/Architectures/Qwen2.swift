extension Architecture {
    /// Qwen 2 and 2.5 (llama.cpp `src/models/qwen2.cpp`).
    ///
    /// Llama with NEOX RoPE and Q/K/V biases (added after each projection, before RoPE);
    /// the output is usually tied to the embedding, with an optional `output.bias`.
    static let qwen2 = Architecture(name: "qwen2", rope: .neox)
}
