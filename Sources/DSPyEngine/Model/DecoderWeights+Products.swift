extension DecoderWeights {
    /// Every matrix of every layer that activations are multiplied by.
    var layerProducts: [WeightMatrix] {
        layers.flatMap { layer -> [WeightMatrix] in
            let projections = switch layer.projections {
            case let .separate(query, key, value): [query, key, value]
            case let .fused(qkv): [qkv]
            }
            return projections + [layer.output, layer.up, layer.down] + (layer.gate.map { [$0] } ?? [])
        }
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
        for matrix in layerProducts + [output] {
            switch matrix.type.activationEncoding {
            case .q8: break
            case .q8K: limit = min(limit, 7)
            case .f32, .f16, .bf16: limit = 1
            }
        }
        return limit
    }
}
