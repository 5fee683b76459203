/// The query, key and value projections of a block: three matrices, or one fused
/// `attn_qkv` whose rows are Q, then K, then V.
enum QKVProjection {
    case separate(query: WeightMatrix, key: WeightMatrix, value: WeightMatrix)
    case fused(WeightMatrix)
}

/// The weights of one transformer block, with the tensors a family may add.
struct DecoderLayerWeights {
    let attentionNorm: [Float]
    let projections: QKVProjection
    /// Q, K and V biases (`attn_{q,k,v}.bias`), each optional (Qwen 2 has them).
    let queryBias: [Float]?
    let keyBias: [Float]?
    let valueBias: [Float]?
    /// The bias of a fused projection (`attn_qkv.bias`), q + 2·kv wide.
    let fusedBias: [Float]?
    /// Per-head RMS norm weights of the query and key (`attn_q_norm`, `attn_k_norm`).
    let queryNorm: [Float]?
    let keyNorm: [Float]?
    let output: WeightMatrix
    /// Norm of the attention output before the residual add (`post_attention_norm`).
    let postAttentionNorm: [Float]?
    let feedForwardNorm: [Float]
    /// nil when `up` holds [gate | up] (Phi-3).
    let gate: WeightMatrix?
    let up: WeightMatrix
    let down: WeightMatrix
    /// Norm of the feed-forward output before the residual add (`post_ffw_norm`).
    let postFeedForwardNorm: [Float]?
}

/// All weights of a decoder model, mapped from a GGUF file.
///
/// Matrices stay quantized in the mapping; only the small vectors (norms, biases, RoPE
/// factors) are decoded into owned float arrays. The output projection is
/// `output.weight`, or the token embedding when the model ties them.
struct DecoderWeights {
    let tokenEmbedding: WeightMatrix
    let layers: [DecoderLayerWeights]
    let outputNorm: [Float]
    let output: WeightMatrix
    /// Added to the logits when present (`output.bias`).
    let outputBias: [Float]?
    /// Per-dimension RoPE frequency factors (rope_dimensions / 2), or nil.
    let ropeFactors: [Float]?

    /// Loads and shape-checks every tensor that `configuration` and its family need.
    ///
    /// - Throws: `EngineError.missingTensor` or `.tensorShapeMismatch`.
    init(file: GGUFFile, configuration c: ModelConfiguration, family: Architecture) throws {
        func vector(_ name: String, _ count: Int) throws -> [Float] {
            let info = try file.tensor(named: name)
            guard info.elementCount == count, info.shape.count == 1 else {
                throw EngineError.tensorShapeMismatch(path: file.path, tensor: name, expected: [count], found: info.shape)
            }
            return file.dequantize(info)
        }
        func optionalVector(_ name: String, _ count: Int) throws -> [Float]? {
            file.tensorInfo(named: name) == nil ? nil : try vector(name, count)
        }
        func required(_ name: String, _ count: Int, _ present: Bool) throws -> [Float]? {
            present ? try vector(name, count) : try optionalVector(name, count)
        }
        let (hidden, q, kv, ffn, hd) = (c.hiddenSize, c.queryWidth, c.keyValueWidth, c.feedForwardSize, c.headDimension)
        tokenEmbedding = try WeightMatrix(file, "token_embd.weight", rows: c.vocabularySize, columns: hidden)
        layers = try (0..<c.layerCount).map { index in
            let p = "blk.\(index)."
            let projections: QKVProjection
            if file.tensorInfo(named: p + "attn_qkv.weight") != nil {
                projections = .fused(try WeightMatrix(file, p + "attn_qkv.weight", rows: q + 2 * kv, columns: hidden))
            } else {
                projections = .separate(
                    query: try WeightMatrix(file, p + "attn_q.weight", rows: q, columns: hidden),
                    key: try WeightMatrix(file, p + "attn_k.weight", rows: kv, columns: hidden),
                    value: try WeightMatrix(file, p + "attn_v.weight", rows: kv, columns: hidden))
            }
            let fusedUp = family.feedForward == .fusedSwiglu
            return DecoderLayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", hidden),
                projections: projections,
                queryBias: try optionalVector(p + "attn_q.bias", q),
                keyBias: try optionalVector(p + "attn_k.bias", kv),
                valueBias: try optionalVector(p + "attn_v.bias", kv),
                fusedBias: try optionalVector(p + "attn_qkv.bias", q + 2 * kv),
                queryNorm: try required(p + "attn_q_norm.weight", hd, family.queryKeyNorms),
                keyNorm: try required(p + "attn_k_norm.weight", hd, family.queryKeyNorms),
                output: try WeightMatrix(file, p + "attn_output.weight", rows: hidden, columns: q),
                postAttentionNorm: family.postNorms ? try vector(p + "post_attention_norm.weight", hidden) : nil,
                feedForwardNorm: try vector(p + "ffn_norm.weight", hidden),
                gate: fusedUp ? nil : try WeightMatrix(file, p + "ffn_gate.weight", rows: ffn, columns: hidden),
                up: try WeightMatrix(file, p + "ffn_up.weight", rows: fusedUp ? 2 * ffn : ffn, columns: hidden),
                down: try WeightMatrix(file, p + "ffn_down.weight", rows: hidden, columns: ffn),
                postFeedForwardNorm: family.postNorms ? try vector(p + "post_ffw_norm.weight", hidden) : nil)
        }
        outputNorm = try vector("output_norm.weight", hidden)
        if file.tensorInfo(named: "output.weight") != nil {
            output = try WeightMatrix(file, "output.weight", rows: c.vocabularySize, columns: hidden)
        } else {
            output = tokenEmbedding
        }
        outputBias = try optionalVector("output.bias", c.vocabularySize)
        let factorCount = c.ropeDimensions / 2
        switch family.ropeFactors {
        case .none:
            ropeFactors = nil
        case .ropeFreqs:
            ropeFactors = try optionalVector("rope_freqs.weight", factorCount)
        case .longShort:
            // llama.cpp: long factors when the context exceeds the original one.
            let long = c.contextLength > c.ropeOriginalContextLength
            ropeFactors = try optionalVector(long ? "rope_factors_long.weight" : "rope_factors_short.weight", factorCount)
                ?? optionalVector("blk.0." + (long ? "rope_factors_long.weight" : "rope_factors_short.weight"), factorCount)
        }
    }
}
