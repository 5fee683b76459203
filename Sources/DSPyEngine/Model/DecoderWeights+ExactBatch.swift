extension DecoderWeights {
    /// Every matrix a forward pass multiplies activations by (the token embedding only when
    /// it doubles as the output projection).
    var products: [WeightMatrix] {
        var matrices = [output]
        for layer in layers {
            switch layer.projections {
            case let .separate(query, key, value): matrices += [query, key, value]
            case let .fused(qkv): matrices.append(qkv)
            }
            matrices += [layer.output, layer.up, layer.down]
            if let gate = layer.gate { matrices.append(gate) }
        }
        return matrices
    }

    /// The most tokens one pass may hold while every product still rounds, token by token,
    /// as it does for a single token — the limit ``LanguageEngine/exactBatchTokens`` reports.
    ///
    /// Products with Q8-encoded activations (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 weights) are exact
    /// integer sums per token at any batch size. K-quant products switch to the order of
    /// llama.cpp's tiled matmul at 8 tokens; float ones to tinyBLAS's at 2. Cost: one pass
    /// over the matrix list, at load.
    var exactBatchTokens: Int {
        var limit = Int.max
        for matrix in products {
            switch matrix.type.activationEncoding {
            case .q8: break
            case .q8K: limit = min(limit, 7)
            case .f32, .f16, .bf16: limit = 1
            }
        }
        return limit
    }
}
