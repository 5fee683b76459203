import CDSPyKernels

extension DecoderModel {
    /// Runs one micro-batch of entries through every layer and collects its output rows.
    func run(
        _ entries: ArraySlice<Entry>, segments: [Segment],
        outputs: inout [(logits: OutputRows, hiddenStates: OutputRows?)]
    ) {
        let c = configuration
        let n = entries.count
        let s = scratch
        let hidden = c.hiddenSize

        for (i, entry) in entries.enumerated() {
            weights.tokenEmbedding.dequantizeRow(Int(entry.token), into: s.residual[i * hidden])
        }
        if family.scalesEmbedding {
            dspy_scale(s.residual.pointer, Int64(n * hidden), Float(hidden).squareRoot())
        }

        prepareLoRA(entries, segments: segments)
        for (layerIndex, layer) in weights.layers.enumerated() {
            attentionBlock(layer, layerIndex: layerIndex, entries: entries, segments: segments)
            feedForwardBlock(layer, layerIndex: layerIndex, tokens: n)
        }
        collectOutputs(entries, outputs: &outputs)
    }

    /// The positions token `entry` sees in layer `layerIndex`: from 0, or on a
    /// sliding-window layer the last `slidingWindow` positions, up to its own.
    func visibleRange(of entry: Entry, layer layerIndex: Int) -> Range<Int> {
        let first = configuration.isSlidingWindowLayer(layerIndex)
            ? max(0, entry.position + 1 - configuration.slidingWindow) : 0
        return first..<entry.position + 1
    }

    private func attentionBlock(_ layer: DecoderLayerWeights, layerIndex: Int, entries: ArraySlice<Entry>, segments: [Segment]) {
        let c = configuration
        let s = scratch
        let n = entries.count
        let (hidden, qWidth, kvWidth, hd) = (c.hiddenSize, c.queryWidth, c.keyValueWidth, c.headDimension)

        dspy_rmsnorm(s.residual.pointer, Int32(hidden), layer.attentionNorm, s.normed.pointer, Int32(hidden),
                     Int32(n), Int32(hidden), c.rmsEpsilon)
        project(layer, layerIndex: layerIndex, tokens: n)
        if let norm = layer.queryNorm {
            dspy_rmsnorm(s.query.pointer, Int32(hd), norm, s.query.pointer, Int32(hd), Int32(n * c.headCount),
                         Int32(hd), c.rmsEpsilon)
        }
        if let norm = layer.keyNorm {
            dspy_rmsnorm(s.key.pointer, Int32(hd), norm, s.key.pointer, Int32(hd), Int32(n * c.kvHeadCount),
                         Int32(hd), c.rmsEpsilon)
        }

        let (base, scale) = c.rope(layer: layerIndex)
        let neox: Int32 = family.rope == .neox ? 1 : 0
        let queryScale = 1 / Float(hd).squareRoot()
        weights.ropeFactors.withOptionalBuffer { factors in
            for (i, entry) in entries.enumerated() {
                let position = Int32(entry.position)
                dspy_rope_ext(s.query[i * qWidth], Int32(c.headCount), Int32(hd), Int32(c.ropeDimensions), position,
                              base, scale, factors, c.ropeAttentionFactor, neox)
                dspy_rope_ext(s.key[i * kvWidth], Int32(c.kvHeadCount), Int32(hd), Int32(c.ropeDimensions), position,
                              base, scale, factors, c.ropeAttentionFactor, neox)
                let cache = segments[entry.segment].cache
                dspy_fp32_to_fp16_row(s.key[i * kvWidth], cache.keys(layer: layerIndex) + entry.position * kvWidth, Int64(kvWidth))
                dspy_fp32_to_fp16_row(s.value[i * kvWidth], cache.values(layer: layerIndex) + entry.position * kvWidth, Int64(kvWidth))
            }
        }
        if family.queryScaling == .beforeAttention {
            dspy_scale(s.query.pointer, Int64(n * qWidth), queryScale)
        }

        attend(entries: entries, segments: segments, layerIndex: layerIndex,
               scale: family.queryScaling == .beforeAttention ? 1 : queryScale)
        multiply([layer.output.product(into: s.projected.pointer, stride: hidden)],
                 input: s.attention.pointer, columns: qWidth, tokens: n)
        applyLoRA(.attentionOutput, layer: layerIndex, input: s.attention.pointer, inputStride: qWidth,
                  output: s.projected.pointer, outputStride: hidden)
        addToResidual(tokens: n, postNorm: layer.postAttentionNorm)
    }

    /// Q, K and V of `n` normed rows into `s.query`, `s.key`, `s.value`, biases added.
    private func project(_ layer: DecoderLayerWeights, layerIndex: Int, tokens n: Int) {
        let c = configuration
        let s = scratch
        let (hidden, qWidth, kvWidth) = (c.hiddenSize, c.queryWidth, c.keyValueWidth)
        switch layer.projections {
        case let .separate(query, key, value):
            multiply([query.product(into: s.query.pointer, stride: qWidth),
                      key.product(into: s.key.pointer, stride: kvWidth),
                      value.product(into: s.value.pointer, stride: kvWidth)],
                     input: s.normed.pointer, columns: hidden, tokens: n)
            applyLoRA(.query, layer: layerIndex, input: s.normed.pointer, inputStride: hidden,
                      output: s.query.pointer, outputStride: qWidth)
            applyLoRA(.key, layer: layerIndex, input: s.normed.pointer, inputStride: hidden,
                      output: s.key.pointer, outputStride: kvWidth)
            applyLoRA(.value, layer: layerIndex, input: s.normed.pointer, inputStride: hidden,
                      output: s.value.pointer, outputStride: kvWidth)
        case let .fused(matrix):
            let width = qWidth + 2 * kvWidth
            multiply([matrix.product(into: s.fused.pointer, stride: width)], input: s.normed.pointer, columns: hidden, tokens: n)
            applyLoRA(.fusedQKV, layer: layerIndex, input: s.normed.pointer, inputStride: hidden,
                      output: s.fused.pointer, outputStride: width)
            if let bias = layer.fusedBias {
                dspy_add_rows(s.fused.pointer, Int32(width), bias, Int32(n), Int32(width))
            }
            for i in 0..<n {
                let row = s.fused[i * width]
                s.query[i * qWidth].update(from: row, count: qWidth)
                s.key[i * kvWidth].update(from: row + qWidth, count: kvWidth)
                s.value[i * kvWidth].update(from: row + qWidth + kvWidth, count: kvWidth)
            }
        }
        if let bias = layer.queryBias { dspy_add_rows(s.query.pointer, Int32(qWidth), bias, Int32(n), Int32(qWidth)) }
        if let bias = layer.keyBias { dspy_add_rows(s.key.pointer, Int32(kvWidth), bias, Int32(n), Int32(kvWidth)) }
        if let bias = layer.valueBias { dspy_add_rows(s.value.pointer, Int32(kvWidth), bias, Int32(n), Int32(kvWidth)) }
    }

    private func feedForwardBlock(_ layer: DecoderLayerWeights, layerIndex: Int, tokens n: Int) {
        let c = configuration
        let s = scratch
        let (hidden, ffn) = (c.hiddenSize, c.feedForwardSize)
        dspy_rmsnorm(s.residual.pointer, Int32(hidden), layer.feedForwardNorm, s.normed.pointer, Int32(hidden),
                     Int32(n), Int32(hidden), c.rmsEpsilon)
        if let gate = layer.gate {
            multiply([gate.product(into: s.gate.pointer, stride: ffn),
                      layer.up.product(into: s.up.pointer, stride: ffn)],
                     input: s.normed.pointer, columns: hidden, tokens: n)
            applyLoRA(.gate, layer: layerIndex, input: s.normed.pointer, inputStride: hidden,
                      output: s.gate.pointer, outputStride: ffn)
            applyLoRA(.up, layer: layerIndex, input: s.normed.pointer, inputStride: hidden,
                      output: s.up.pointer, outputStride: ffn)
            if family.feedForward == .geglu {
                dspy_geglu(s.gate.pointer, s.up.pointer, Int64(n * ffn))
            } else if ffn % 16 == 0 {
                dspy_swiglu(s.gate.pointer, s.up.pointer, Int64(n * ffn))
            } else {
                // llama.cpp leaves each row's last ffn mod 8 (or 16) elements to libm's expf.
                for i in 0..<n { dspy_swiglu(s.gate[i * ffn], s.up[i * ffn], Int64(ffn)) }
            }
        } else {
            // [gate | up] in one product: silu of the first half times the second.
            multiply([layer.up.product(into: s.fused.pointer, stride: 2 * ffn)],
                     input: s.normed.pointer, columns: hidden, tokens: n)
            applyLoRA(.up, layer: layerIndex, input: s.normed.pointer, inputStride: hidden,
                      output: s.fused.pointer, outputStride: 2 * ffn)
            for i in 0..<n {
                let row = s.fused[i * 2 * ffn]
                dspy_swiglu(row, row + ffn, Int64(ffn))
                s.gate[i * ffn].update(from: row, count: ffn)
            }
        }
        multiply([layer.down.product(into: s.projected.pointer, stride: hidden)],
                 input: s.gate.pointer, columns: ffn, tokens: n)
        applyLoRA(.down, layer: layerIndex, input: s.gate.pointer, inputStride: ffn,
                  output: s.projected.pointer, outputStride: hidden)
        addToResidual(tokens: n, postNorm: layer.postFeedForwardNorm)
    }

    /// Adds a block's output (`s.projected`) to the residual stream, after normalizing it
    /// in place when the architecture norms block outputs (Gemma 3).
    private func addToResidual(tokens n: Int, postNorm: [Float]?) {
        let hidden = configuration.hiddenSize
        let s = scratch
        if let postNorm {
            dspy_rmsnorm(s.projected.pointer, Int32(hidden), postNorm, s.projected.pointer, Int32(hidden), Int32(n),
                         Int32(hidden), configuration.rmsEpsilon)
        }
        dspy_add(s.residual.pointer, s.projected.pointer, Int64(n * hidden))
    }

    /// Multiplies `tokens` rows of `input` (`columns` wide) by matrices sharing that input.
    ///
    /// The activations are first converted to each encoding the matrices' types multiply with
    /// (Q8 or Q8_K blocks, halves, bfloat16s), once per call, as llama.cpp's CPU backend does.
    /// `orderTokens` is the token count of the product llama.cpp computes when this call is one
    /// group of it (output rows): it picks the float order of F32, F16, BF16 and K-quant matrices.
    func multiply(_ matrices: [dspy_matrix], input: UnsafeMutablePointer<Float>, columns: Int, tokens: Int,
                  orderTokens: Int? = nil) {
        let encodings = Set(matrices.compactMap { TensorType(rawValue: UInt32($0.type))?.activationEncoding })
        // F16 and BF16 share the halves buffer: a group holding both runs as two products.
        if encodings.contains(.f16) && encodings.contains(.bf16) {
            let isBF16 = { (m: dspy_matrix) in m.type == Int32(DSPY_TYPE_BF16) }
            multiply(matrices.filter { !isBF16($0) }, input: input, columns: columns, tokens: tokens, orderTokens: orderTokens)
            multiply(matrices.filter(isBF16), input: input, columns: columns, tokens: tokens, orderTokens: orderTokens)
            return
        }
        let c = Int32(columns), n = Int32(tokens)
        var activations = dspy_activations(
            x: input, x_stride: c, q8: nil, q8_k: nil, f16: nil, bf16: nil, order_tokens: Int32(orderTokens ?? 0))
        for encoding in encodings {
            switch encoding {
            case .f32:
                break
            case .q8:
                dspy_quantize_q8(input, c, scratch.quantized.pointer, n, c)
                activations.q8 = UnsafePointer(scratch.quantized.pointer)
            case .q8K:
                dspy_quantize_q8_k(input, c, scratch.quantizedK.pointer, n, c)
                activations.q8_k = UnsafePointer(scratch.quantizedK.pointer)
            case .f16:
                dspy_fp32_to_fp16_row(input, scratch.halves.pointer, Int64(tokens * columns))
                activations.f16 = UnsafePointer(scratch.halves.pointer)
            case .bf16:
                dspy_fp32_to_bf16_row(input, scratch.halves.pointer, Int64(tokens * columns))
                activations.bf16 = UnsafePointer(scratch.halves.pointer)
            }
        }
        matrices.withUnsafeBufferPointer { list in
            dspy_matmul_activations(pool.pointer, list.baseAddress, Int32(list.count), &activations, n)
        }
    }

    /// Final norm, then the output projection (plus bias and soft-cap) for entries that want logits.
    private func collectOutputs(_ entries: ArraySlice<Entry>, outputs: inout [(logits: OutputRows, hiddenStates: OutputRows?)]) {
        let c = configuration
        let s = scratch
        let hidden = c.hiddenSize
        let vocabulary = c.vocabularySize
        let wanted = entries.enumerated().filter { $0.element.outputRow >= 0 }
        var start = 0
        while start < wanted.count {
            let group = wanted[start..<min(start + s.logitRows, wanted.count)]
            for (g, item) in group.enumerated() {
                dspy_rmsnorm(s.residual[item.offset * hidden], Int32(hidden), weights.outputNorm,
                             s.normed[g * hidden], Int32(hidden), 1, Int32(hidden), c.rmsEpsilon)
            }
            // llama.cpp multiplies all of a micro-batch's output rows at once: their count picks the order.
            multiply([weights.output.product(into: s.logits.pointer, stride: vocabulary)],
                     input: s.normed.pointer, columns: hidden, tokens: group.count, orderTokens: wanted.count)
            if let bias = weights.outputBias {
                dspy_add_rows(s.logits.pointer, Int32(vocabulary), bias, Int32(group.count), Int32(vocabulary))
            }
            if c.finalLogitSoftcap != 0 {
                dspy_softcap(s.logits.pointer, Int64(group.count * vocabulary), c.finalLogitSoftcap)
            }
            for (g, item) in group.enumerated() {
                let entry = item.element
                let row = entry.outputRow
                outputs[entry.segment].logits.values.withUnsafeMutableBufferPointer { values in
                    (values.baseAddress! + row * vocabulary).update(from: s.logits[g * vocabulary], count: vocabulary)
                }
                if outputs[entry.segment].hiddenStates != nil {
                    outputs[entry.segment].hiddenStates!.values.withUnsafeMutableBufferPointer { values in
                        (values.baseAddress! + row * hidden).update(from: s.normed[g * hidden], count: hidden)
                    }
                }
            }
            start += group.count
        }
    }
}

extension Optional where Wrapped == [Float] {
    /// Calls `body` with the array's storage, or with nil when there is no array.
    func withOptionalBuffer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case let .some(array): array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: body(nil)
        }
    }
}
