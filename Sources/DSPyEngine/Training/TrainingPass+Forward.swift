import CDSPyKernels

extension TrainingPass {
    /// Runs `tokens` (positions 0..<count) through every block, keeping what the backward pass
    /// needs; the final residual stream ends in `residuals[layerCount]`.
    ///
    /// `passKey` keys the LoRA dropout masks (the backward pass must get the same key).
    /// Cost: about 2 × block parameters FLOPs per token, plus attention (tokens² per head).
    func forward(_ tokens: [Int32], passKey: UInt64) {
        let c = weights.configuration
        let t = tokens.count
        precondition(t <= capacity, "the pass holds \(capacity) tokens")
        let hidden = c.hiddenSize
        let x = residuals[0].pointer
        for (i, token) in tokens.enumerated() {
            weights.base.tokenEmbedding.dequantizeRow(Int(token), into: x + i * hidden)
        }
        if weights.family.scalesEmbedding {
            dspy_scale(x, Int64(t * hidden), Float(hidden).squareRoot())
        }
        for index in 0..<c.layerCount {
            attentionForward(layer: index, tokens: t, passKey: passKey)
            feedForwardForward(layer: index, tokens: t, passKey: passKey)
        }
    }

    private func attentionForward(layer index: Int, tokens t: Int, passKey: UInt64) {
        let c = weights.configuration
        let base = weights.base.layers[index]
        let frozen = weights.layers[index]
        let a = layers[index]
        let (hidden, q, kv, hd, width) = (c.hiddenSize, c.queryWidth, c.keyValueWidth, c.headDimension, qkvWidth)
        let input = residuals[index].pointer
        dspy_train_rmsnorm(input, Int32(hidden), base.attentionNorm, a.normed1.pointer, Int32(hidden),
                           a.inverseRMS1.pointer, Int32(t), Int32(hidden), c.rmsEpsilon)
        var column = 0
        for (matrix, slot) in zip(frozen.attentionInputs, parameters.attentionSlots[index]) {
            linearForward(a.normed1.pointer, tokens: t, matrix: matrix, slot: slot, inner: slot.flatMap { a.loraInner[$0] },
                          out: a.qkvRaw.pointer + column, ldc: width, accumulate: false, passKey: passKey)
            column += matrix.rows
        }
        if let bias = frozen.attentionBias {
            dspy_add_rows(a.qkvRaw.pointer, Int32(width), bias, Int32(t), Int32(width))
        }
        a.qkv.pointer.update(from: a.qkvRaw.pointer, count: t * width)
        for i in 0..<t {
            let raw = a.qkvRaw.pointer + i * width, out = a.qkv.pointer + i * width
            if let norm = base.queryNorm {
                dspy_train_rmsnorm(raw, Int32(hd), norm, out, Int32(hd), a.inverseRMSQ.pointer + i * c.headCount,
                                   Int32(c.headCount), Int32(hd), c.rmsEpsilon)
            }
            if let norm = base.keyNorm {
                dspy_train_rmsnorm(raw + q, Int32(hd), norm, out + q, Int32(hd), a.inverseRMSK.pointer + i * c.kvHeadCount,
                                   Int32(c.kvHeadCount), Int32(hd), c.rmsEpsilon)
            }
        }
        rotate(a.qkv.pointer, layer: index, tokens: t, inverse: false)
        dspy_train_attention(pool.pointer, a.qkv.pointer, Int32(width), a.qkv.pointer + q, a.qkv.pointer + q + kv,
                             Int32(width), a.attention.pointer, a.probabilities.pointer, Int32(t), Int32(c.headCount),
                             Int32(c.kvHeadCount), Int32(hd), window(index), 1 / Float(hd).squareRoot())
        let slot = parameters.outputSlots[index]
        let inner = slot.flatMap { a.loraInner[$0] }
        let middle = a.middle.pointer
        if let postNorm = base.postAttentionNorm {
            linearForward(a.attention.pointer, tokens: t, matrix: frozen.output, slot: slot, inner: inner,
                          out: a.attentionProjected.pointer, ldc: hidden, accumulate: false, passKey: passKey)
            dspy_train_rmsnorm(a.attentionProjected.pointer, Int32(hidden), postNorm, middle, Int32(hidden),
                               a.inverseRMSPostAttention.pointer, Int32(t), Int32(hidden), c.rmsEpsilon)
            dspy_add(middle, input, Int64(t * hidden))
        } else {
            middle.update(from: input, count: t * hidden)
            linearForward(a.attention.pointer, tokens: t, matrix: frozen.output, slot: slot, inner: inner,
                          out: middle, ldc: hidden, accumulate: true, passKey: passKey)
        }
    }

    /// Applies RoPE (or, with `inverse`, its transpose) to the Q and K parts of `t` rows of a
    /// q + 2kv wide buffer, row i at position i.
    func rotate(_ rows: UnsafeMutablePointer<Float>, layer index: Int, tokens t: Int, inverse: Bool) {
        let c = weights.configuration
        let table = ropeTables[index]
        let neox: Int32 = weights.family.rope == .neox ? 1 : 0
        dspy_train_rope(rows, Int32(qkvWidth), Int32(t), Int32(c.headCount), Int32(c.headDimension),
                        Int32(c.ropeDimensions), table.cosines.pointer, table.sines.pointer, neox, inverse ? 1 : 0)
        dspy_train_rope(rows + c.queryWidth, Int32(qkvWidth), Int32(t), Int32(c.kvHeadCount), Int32(c.headDimension),
                        Int32(c.ropeDimensions), table.cosines.pointer, table.sines.pointer, neox, inverse ? 1 : 0)
    }

    /// The gated unit's kind for the C kernels: 0 SiLU, 1 GELU-tanh.
    var gateKind: Int32 { weights.family.feedForward == .geglu ? 1 : 0 }

    private func feedForwardForward(layer index: Int, tokens t: Int, passKey: UInt64) {
        let c = weights.configuration
        let base = weights.base.layers[index]
        let frozen = weights.layers[index]
        let a = layers[index]
        let (hidden, ffn) = (c.hiddenSize, c.feedForwardSize)
        dspy_train_rmsnorm(a.middle.pointer, Int32(hidden), base.feedForwardNorm, a.normed2.pointer, Int32(hidden),
                           a.inverseRMS2.pointer, Int32(t), Int32(hidden), c.rmsEpsilon)
        var column = 0
        for (matrix, slot) in zip(frozen.feedForwardInputs, parameters.feedForwardSlots[index]) {
            linearForward(a.normed2.pointer, tokens: t, matrix: matrix, slot: slot, inner: slot.flatMap { a.loraInner[$0] },
                          out: a.gateUp.pointer + column, ldc: 2 * ffn, accumulate: false, passKey: passKey)
            column += matrix.rows
        }
        for i in 0..<t {
            let row = a.gateUp.pointer + i * 2 * ffn
            dspy_train_gated(row, row + ffn, a.activated.pointer + i * ffn, Int64(ffn), gateKind)
        }
        let slot = parameters.downSlots[index]
        let inner = slot.flatMap { a.loraInner[$0] }
        let output = residuals[index + 1].pointer
        if let postNorm = base.postFeedForwardNorm {
            linearForward(a.activated.pointer, tokens: t, matrix: frozen.down, slot: slot, inner: inner,
                          out: a.feedForwardProjected.pointer, ldc: hidden, accumulate: false, passKey: passKey)
            dspy_train_rmsnorm(a.feedForwardProjected.pointer, Int32(hidden), postNorm, output, Int32(hidden),
                               a.inverseRMSPostFeedForward.pointer, Int32(t), Int32(hidden), c.rmsEpsilon)
            dspy_add(output, a.middle.pointer, Int64(t * hidden))
        } else {
            output.update(from: a.middle.pointer, count: t * hidden)
            linearForward(a.activated.pointer, tokens: t, matrix: frozen.down, slot: slot, inner: inner,
                          out: output, ldc: hidden, accumulate: true, passKey: passKey)
        }
    }
}
