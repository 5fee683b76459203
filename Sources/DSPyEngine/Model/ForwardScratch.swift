import CDSPyKernels

/// Scratch activations for one micro-batch of up to `capacity` tokens.
///
/// Allocated once per model (about 8 MB for SmolLM2 at 256 tokens) and reused by
/// every forward pass, so decoding allocates nothing per layer.
final class ForwardScratch {
    let capacity: Int
    let residual: ScratchBuffer<Float>       // [token][hidden]
    let normed: ScratchBuffer<Float>         // [token][hidden]
    let query: ScratchBuffer<Float>          // [token][queryWidth]
    let key: ScratchBuffer<Float>            // [token][keyValueWidth]
    let value: ScratchBuffer<Float>          // [token][keyValueWidth]
    let attention: ScratchBuffer<Float>      // [token][queryWidth]
    let projected: ScratchBuffer<Float>      // [token][hidden]
    let gate: ScratchBuffer<Float>           // [token][feedForward]
    let up: ScratchBuffer<Float>             // [token][feedForward]
    let quantized: ScratchBuffer<dspy_block_q8>  // [token][widest / 32]
    let quantizedK: ScratchBuffer<dspy_block_q8_k>  // [token][widest / 256], for K-quant matrices
    let halves: ScratchBuffer<UInt16>        // [token][widest], for F16 or BF16 matrices
    let logits: ScratchBuffer<Float>         // [logitRows][vocabulary]
    let logitRows: Int
    let attentionTiles: ScratchBuffer<Float> // [thread][dspy_attention_tiled_scratch_count]
    let fused: ScratchBuffer<Float>          // [token][fusedWidth]: a fused QKV or gate|up product
    let fusedWidth: Int

    init(configuration c: ModelConfiguration, capacity: Int, threads: Int, fusedWidth: Int = 0) {
        self.capacity = capacity
        let widest = max(c.hiddenSize, c.feedForwardSize, c.queryWidth)
        residual = ScratchBuffer(capacity * c.hiddenSize)
        normed = ScratchBuffer(capacity * max(c.hiddenSize, c.queryWidth))
        query = ScratchBuffer(capacity * c.queryWidth)
        key = ScratchBuffer(capacity * c.keyValueWidth)
        value = ScratchBuffer(capacity * c.keyValueWidth)
        attention = ScratchBuffer(capacity * c.queryWidth)
        projected = ScratchBuffer(capacity * c.hiddenSize)
        gate = ScratchBuffer(capacity * c.feedForwardSize)
        up = ScratchBuffer(capacity * c.feedForwardSize)
        quantized = ScratchBuffer(capacity * (widest + 31) / 32)
        quantizedK = ScratchBuffer(capacity * (widest + 255) / 256)
        halves = ScratchBuffer(capacity * widest)
        logitRows = 16
        logits = ScratchBuffer(logitRows * c.vocabularySize)
        attentionTiles = ScratchBuffer(threads * dspy_attention_tiled_scratch_count(Int32(c.headDimension)))
        self.fusedWidth = fusedWidth
        fused = ScratchBuffer(capacity * fusedWidth)
    }
}
