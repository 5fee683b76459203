/// The multiply-adds a forward pass spends per token, counted from the loaded weights.
///
/// Counted: every weight matrix a token multiplies, rows × columns each, the work the
/// int8 dot-product kernels do (the activations are quantized to 8 bits for every quantized
/// weight type): each layer's query, key and value projections (or the fused one), the
/// attention output, and the feed-forward gate, up and down matrices; and the output
/// projection, which only tokens whose logits are read multiply (the last token of a
/// prompt, every decoded token). Left out: attention's float work (query · key and weights
/// · values, which grows with the context; ``attentionMultiplyAdds(promptTokens:)`` gives it
/// separately), norms, RoPE and activations, and LoRA adapters' small matrices.
///
/// ```swift
/// let work = await engine.tokenArithmetic()
/// work.promptMultiplyAddsPerToken(promptTokens: 512) // SmolLM2-135M: ≈ 0.11 G
/// ```
public struct TokenArithmetic: Sendable, Codable, Equatable {
    /// All layers' matrices, rows × columns summed: what every token multiplies.
    public var layerMultiplyAdds: Int
    /// The output projection's rows × columns (the token embedding when the model ties them).
    public var outputMultiplyAdds: Int
    /// Attention's float multiply-adds for one token and one position it attends to, all
    /// layers: query · key and weight × value, the query width each.
    public var attentionMultiplyAddsPerPosition: Int

    /// Int8 multiply-adds per token of a `promptTokens`-token prompt whose last token's logits
    /// are read: every layer's matrices and a `1 / promptTokens` share of the output projection.
    public func promptMultiplyAddsPerToken(promptTokens: Int) -> Double {
        Double(layerMultiplyAdds) + Double(outputMultiplyAdds) / Double(max(1, promptTokens))
    }

    /// Int8 multiply-adds per decoded token: every layer's matrices and the output projection.
    public var generationMultiplyAddsPerToken: Double { Double(layerMultiplyAdds + outputMultiplyAdds) }

    /// Attention's float multiply-adds per token of a `promptTokens`-token prompt from an empty
    /// cache (token i attends to i + 1 positions; sliding windows ignored), not counted above.
    public func attentionMultiplyAdds(promptTokens: Int) -> Double {
        Double(attentionMultiplyAddsPerPosition) * Double(promptTokens + 1) / 2
    }
}

extension DecoderWeights {
    /// What a token multiplies in these weights (see ``TokenArithmetic``).
    func arithmetic(configuration: ModelConfiguration) -> TokenArithmetic {
        func size(_ matrix: WeightMatrix) -> Int { matrix.rows * matrix.columns }
        return TokenArithmetic(
            layerMultiplyAdds: layerProducts.reduce(0) { $0 + size($1) }, outputMultiplyAdds: size(output),
            attentionMultiplyAddsPerPosition: 2 * configuration.queryWidth * configuration.layerCount)
    }
}

extension LanguageEngine {
    /// The multiply-adds a forward pass of this model spends per token (``TokenArithmetic``).
    public func tokenArithmetic() -> TokenArithmetic { model.weights.arithmetic(configuration: configuration) }
}
