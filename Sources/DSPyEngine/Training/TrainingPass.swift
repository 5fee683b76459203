import CDSPyKernels

/// What one block's forward pass keeps for its backward pass, for up to `capacity` tokens.
final class LayerActivations {
    let inverseRMS1: ScratchBuffer<Float>     // [token]
    let normed1: ScratchBuffer<Float>         // [token][hidden]: the attention inputs' input
    let qkvRaw: ScratchBuffer<Float>          // [token][q + 2kv]: projections plus biases
    let qkv: ScratchBuffer<Float>             // [token][q + 2kv]: after the Q/K norms and RoPE
    let inverseRMSQ: ScratchBuffer<Float>     // [token][heads]
    let inverseRMSK: ScratchBuffer<Float>     // [token][kv heads]
    let probabilities: ScratchBuffer<Float>   // [head][token][token]
    let attention: ScratchBuffer<Float>       // [token][q]
    let attentionProjected: ScratchBuffer<Float>  // [token][hidden], before the post-attention norm (Gemma)
    let inverseRMSPostAttention: ScratchBuffer<Float>
    let middle: ScratchBuffer<Float>          // [token][hidden]: the residual between attention and FFN
    let inverseRMS2: ScratchBuffer<Float>
    let normed2: ScratchBuffer<Float>         // [token][hidden]
    let gateUp: ScratchBuffer<Float>          // [token][2 ffn]: gate | up
    let activated: ScratchBuffer<Float>       // [token][ffn]: f(gate) ⊙ up
    let feedForwardProjected: ScratchBuffer<Float>  // [token][hidden], before the post-FFN norm (Gemma)
    let inverseRMSPostFeedForward: ScratchBuffer<Float>
    /// A x (dropout applied) of each LoRA pair of the block, by slot: [token][rank].
    var loraInner: [Int: ScratchBuffer<Float>] = [:]

    init(configuration c: ModelConfiguration, capacity t: Int, postNorms: Bool, slots: [Int], rank: Int) {
        let width = c.queryWidth + 2 * c.keyValueWidth
        inverseRMS1 = ScratchBuffer(t)
        normed1 = ScratchBuffer(t * c.hiddenSize)
        qkvRaw = ScratchBuffer(t * width)
        qkv = ScratchBuffer(t * width)
        inverseRMSQ = ScratchBuffer(t * c.headCount)
        inverseRMSK = ScratchBuffer(t * c.kvHeadCount)
        probabilities = ScratchBuffer(c.headCount * t * t)
        attention = ScratchBuffer(t * c.queryWidth)
        attentionProjected = ScratchBuffer(postNorms ? t * c.hiddenSize : 1)
        inverseRMSPostAttention = ScratchBuffer(t)
        middle = ScratchBuffer(t * c.hiddenSize)
        inverseRMS2 = ScratchBuffer(t)
        normed2 = ScratchBuffer(t * c.hiddenSize)
        gateUp = ScratchBuffer(t * 2 * c.feedForwardSize)
        activated = ScratchBuffer(t * c.feedForwardSize)
        feedForwardProjected = ScratchBuffer(postNorms ? t * c.hiddenSize : 1)
        inverseRMSPostFeedForward = ScratchBuffer(t)
        for slot in slots { loraInner[slot] = ScratchBuffer(t * rank) }
    }
}

/// The forward and backward pass of training over one token sequence: the base model in
/// float32 with LoRA pairs, every activation kept for the backward pass.
///
/// Computes the function the inference forward computes (`DecoderModel+Forward.swift`) for
/// every registered family, in float32 (GELU-tanh in float rather than through a table of
/// halves; products without activation quantization), plus `scale · B (A dropout(x))` on
/// each targeted matrix. Not thread-safe; one per trainer.
///
/// Memory per token of capacity: about 4·(5·hidden + 2·(q + 2kv) + q + 3·ffn + heads·capacity)
/// bytes per block (SmolLM2-135M at 256 tokens: about 12 MB per block, 370 MB in all).
final class TrainingPass {
    let weights: TrainingWeights
    let parameters: LoRAParameters
    let pool: WorkerPool
    let capacity: Int
    let dropout: Float
    let layers: [LayerActivations]
    /// The residual stream entering each block, and after the last one: [token][hidden] each.
    let residuals: [ScratchBuffer<Float>]
    /// RoPE cosines and sines per block, [position][rot / 2] (shared between blocks alike).
    let ropeTables: [(cosines: ScratchBuffer<Float>, sines: ScratchBuffer<Float>)]
    let gradients: PassGradients
    let lossBuffers: LossBuffers
    /// Whether the backward pass computes the gradient of the embedding output (layer 0's
    /// input). LoRA gradients never need it; tests ask for it.
    var propagatesToEmbedding = false

    init(weights: TrainingWeights, parameters: LoRAParameters, pool: WorkerPool, capacity: Int, dropout: Float) {
        let c = weights.configuration
        self.weights = weights
        self.parameters = parameters
        self.pool = pool
        self.capacity = capacity
        self.dropout = dropout
        layers = (0..<c.layerCount).map { index in
            let slots = (parameters.attentionSlots[index] + [parameters.outputSlots[index]]
                + parameters.feedForwardSlots[index] + [parameters.downSlots[index]]).compactMap { $0 }
            return LayerActivations(
                configuration: c, capacity: capacity, postNorms: weights.family.postNorms, slots: slots,
                rank: parameters.rank)
        }
        residuals = (0...c.layerCount).map { _ in ScratchBuffer(capacity * c.hiddenSize) }
        var tables: [String: (cosines: ScratchBuffer<Float>, sines: ScratchBuffer<Float>)] = [:]
        ropeTables = (0..<c.layerCount).map { index in
            let (base, scale) = c.rope(layer: index)
            let key = "\(base.bitPattern) \(scale.bitPattern)"
            if let table = tables[key] { return table }
            let pairs = c.ropeDimensions / 2
            let table = (cosines: ScratchBuffer<Float>(capacity * pairs), sines: ScratchBuffer<Float>(capacity * pairs))
            weights.base.ropeFactors.withOptionalBuffer { factors in
                dspy_train_rope_table(Int32(capacity), Int32(c.ropeDimensions), base, scale, factors,
                                      c.ropeAttentionFactor, table.cosines.pointer, table.sines.pointer)
            }
            tables[key] = table
            return table
        }
        gradients = PassGradients(configuration: c, capacity: capacity, rank: parameters.rank, threads: pool.threadCount)
        lossBuffers = LossBuffers(configuration: c, threads: pool.threadCount)
    }

    /// Width of the fused Q | K | V row.
    var qkvWidth: Int { weights.configuration.queryWidth + 2 * weights.configuration.keyValueWidth }

    /// The window of block `layer` for the attention kernels (0: all positions).
    func window(_ layer: Int) -> Int32 {
        let c = weights.configuration
        return c.isSlidingWindowLayer(layer) ? Int32(c.slidingWindow) : 0
    }
}

/// Gradient buffers of one backward pass, shared by every block.
final class PassGradients {
    let residual: ScratchBuffer<Float>    // [token][hidden]: d loss / d residual stream
    let normed: ScratchBuffer<Float>      // [token][hidden]
    let projected: ScratchBuffer<Float>   // [token][hidden]
    let attention: ScratchBuffer<Float>   // [token][q]
    let qkv: ScratchBuffer<Float>         // [token][q + 2kv]
    let gateUp: ScratchBuffer<Float>      // [token][2 ffn]
    let activated: ScratchBuffer<Float>   // [token][ffn]
    let inner: ScratchBuffer<Float>       // [token][rank]
    let dropped: ScratchBuffer<Float>     // [token][widest input]
    let attentionScratch: ScratchBuffer<Float>

    init(configuration c: ModelConfiguration, capacity t: Int, rank: Int, threads: Int) {
        let widest = max(c.hiddenSize, c.queryWidth, c.feedForwardSize)
        residual = ScratchBuffer(t * c.hiddenSize)
        normed = ScratchBuffer(t * c.hiddenSize)
        projected = ScratchBuffer(t * c.hiddenSize)
        attention = ScratchBuffer(t * c.queryWidth)
        qkv = ScratchBuffer(t * (c.queryWidth + 2 * c.keyValueWidth))
        gateUp = ScratchBuffer(t * 2 * c.feedForwardSize)
        activated = ScratchBuffer(t * c.feedForwardSize)
        inner = ScratchBuffer(t * rank)
        dropped = ScratchBuffer(t * widest)
        attentionScratch = ScratchBuffer(dspy_train_attention_scratch_count(
            Int32(t), Int32(c.headCount), Int32(c.headDimension), Int32(threads)))
    }
}

extension TrainingPass {
    /// Bytes of activation and gradient buffers this pass holds.
    var activationBytes: Int {
        let perLayer = layers.first.map { a in
            [a.inverseRMS1.count, a.normed1.count, a.qkvRaw.count, a.qkv.count, a.inverseRMSQ.count, a.inverseRMSK.count,
             a.probabilities.count, a.attention.count, a.attentionProjected.count, a.inverseRMSPostAttention.count,
             a.middle.count, a.inverseRMS2.count, a.normed2.count, a.gateUp.count, a.activated.count,
             a.feedForwardProjected.count, a.inverseRMSPostFeedForward.count].reduce(0, +)
                + a.loraInner.values.reduce(0) { $0 + $1.count }
        } ?? 0
        let g = gradients
        let shared = [g.residual.count, g.normed.count, g.projected.count, g.attention.count, g.qkv.count, g.gateUp.count,
                      g.activated.count, g.inner.count, g.dropped.count, g.attentionScratch.count,
                      lossBuffers.logits.count, lossBuffers.scratch.count].reduce(0, +)
        return 4 * (perLayer * layers.count + residuals.reduce(0) { $0 + $1.count } + shared)
    }
}
