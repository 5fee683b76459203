import CDSPyKernels

extension TrainingPass {
    /// Back-propagates `gradients.residual` (d loss / d final residual stream, set by the loss)
    /// through every block, adding each LoRA pair's gradients to `parameters.gradients`.
    ///
    /// Must follow `forward` of the same tokens and `passKey`. On return `gradients.residual`
    /// holds d loss / d embedding output when `propagatesToEmbedding` (else the value is partial).
    /// Cost: about 2 × the forward's FLOPs (the input gradients, and the pairs' own).
    func backward(tokens t: Int, passKey: UInt64) {
        for index in stride(from: weights.configuration.layerCount - 1, through: 0, by: -1) {
            feedForwardBackward(layer: index, tokens: t, passKey: passKey)
            attentionBackward(layer: index, tokens: t, passKey: passKey)
        }
    }

    /// The gradient of a block's output before its post-norm (Gemma's `post_attention_norm`,
    /// `post_ffw_norm`, normalizing `projected` with the saved `inverseRMS`), written to
    /// `gradients.projected`; without a post-norm, `gradients.residual` itself.
    private func throughPostNorm(
        _ norm: [Float]?, of projected: UnsafeMutablePointer<Float>, inverseRMS: UnsafeMutablePointer<Float>, tokens t: Int
    ) -> UnsafePointer<Float> {
        let g = gradients
        guard let norm else { return UnsafePointer(g.residual.pointer) }
        let hidden = Int32(weights.configuration.hiddenSize)
        dspy_train_rmsnorm_backward(projected, hidden, norm, inverseRMS, g.residual.pointer, hidden,
                                    g.projected.pointer, hidden, Int32(t), hidden, 0)
        return UnsafePointer(g.projected.pointer)
    }

    /// d residual stream of the block's output → d middle (added in place in `gradients.residual`).
    private func feedForwardBackward(layer index: Int, tokens t: Int, passKey: UInt64) {
        let c = weights.configuration
        let base = weights.base.layers[index]
        let frozen = weights.layers[index]
        let a = layers[index]
        let g = gradients
        let (hidden, ffn) = (c.hiddenSize, c.feedForwardSize)
        let blockOutput = throughPostNorm(base.postFeedForwardNorm, of: a.feedForwardProjected.pointer,
                                          inverseRMS: a.inverseRMSPostFeedForward.pointer, tokens: t)
        let downSlot = parameters.downSlots[index]
        linearBackward(blockOutput, ldy: hidden, input: a.activated.pointer, tokens: t, matrix: frozen.down,
                       slot: downSlot, inner: downSlot.flatMap { a.loraInner[$0] }, inputGradient: g.activated.pointer,
                       accumulate: false, passKey: passKey)
        for i in 0..<t {
            let row = a.gateUp.pointer + i * 2 * ffn, dRow = g.gateUp.pointer + i * 2 * ffn
            dspy_train_gated_backward(row, row + ffn, g.activated.pointer + i * ffn, dRow, dRow + ffn, Int64(ffn), gateKind)
        }
        var column = 0
        for (number, (matrix, slot)) in zip(frozen.feedForwardInputs, parameters.feedForwardSlots[index]).enumerated() {
            linearBackward(g.gateUp.pointer + column, ldy: 2 * ffn, input: a.normed2.pointer, tokens: t, matrix: matrix,
                           slot: slot, inner: slot.flatMap { a.loraInner[$0] }, inputGradient: g.normed.pointer,
                           accumulate: number > 0, passKey: passKey)
            column += matrix.rows
        }
        dspy_train_rmsnorm_backward(a.middle.pointer, Int32(hidden), base.feedForwardNorm, a.inverseRMS2.pointer,
                                    g.normed.pointer, Int32(hidden), g.residual.pointer, Int32(hidden), Int32(t),
                                    Int32(hidden), 1)
    }

    /// d middle → d block input (added in place in `gradients.residual`).
    private func attentionBackward(layer index: Int, tokens t: Int, passKey: UInt64) {
        let c = weights.configuration
        let base = weights.base.layers[index]
        let frozen = weights.layers[index]
        let a = layers[index]
        let g = gradients
        let (hidden, q, kv, hd, width) = (c.hiddenSize, c.queryWidth, c.keyValueWidth, c.headDimension, qkvWidth)
        let blockOutput = throughPostNorm(base.postAttentionNorm, of: a.attentionProjected.pointer,
                                          inverseRMS: a.inverseRMSPostAttention.pointer, tokens: t)
        let outputSlot = parameters.outputSlots[index]
        linearBackward(blockOutput, ldy: hidden, input: a.attention.pointer, tokens: t, matrix: frozen.output,
                       slot: outputSlot, inner: outputSlot.flatMap { a.loraInner[$0] }, inputGradient: g.attention.pointer,
                       accumulate: false, passKey: passKey)
        let dq = g.qkv.pointer
        dspy_train_attention_backward(
            pool.pointer, a.qkv.pointer, Int32(width), a.qkv.pointer + q, a.qkv.pointer + q + kv, Int32(width),
            a.probabilities.pointer, g.attention.pointer, Int32(q), dq, dq + q, dq + q + kv, Int32(t), Int32(c.headCount),
            Int32(c.kvHeadCount), Int32(hd), window(index), 1 / Float(hd).squareRoot(), g.attentionScratch.pointer)
        rotate(dq, layer: index, tokens: t, inverse: true)
        for i in 0..<t {
            let raw = a.qkvRaw.pointer + i * width, row = dq + i * width
            if let norm = base.queryNorm {
                dspy_train_rmsnorm_backward(raw, Int32(hd), norm, a.inverseRMSQ.pointer + i * c.headCount, row, Int32(hd),
                                            row, Int32(hd), Int32(c.headCount), Int32(hd), 0)
            }
            if let norm = base.keyNorm {
                dspy_train_rmsnorm_backward(raw + q, Int32(hd), norm, a.inverseRMSK.pointer + i * c.kvHeadCount, row + q,
                                            Int32(hd), row + q, Int32(hd), Int32(c.kvHeadCount), Int32(hd), 0)
            }
        }
        let needsInput = index > 0 || propagatesToEmbedding
        var column = 0
        for (number, (matrix, slot)) in zip(frozen.attentionInputs, parameters.attentionSlots[index]).enumerated() {
            linearBackward(dq + column, ldy: width, input: a.normed1.pointer, tokens: t, matrix: matrix, slot: slot,
                           inner: slot.flatMap { a.loraInner[$0] }, inputGradient: needsInput ? g.normed.pointer : nil,
                           accumulate: number > 0, passKey: passKey)
            column += matrix.rows
        }
        if needsInput {
            dspy_train_rmsnorm_backward(residuals[index].pointer, Int32(hidden), base.attentionNorm, a.inverseRMS1.pointer,
                                        g.normed.pointer, Int32(hidden), g.residual.pointer, Int32(hidden), Int32(t),
                                        Int32(hidden), 1)
        }
    }
}
