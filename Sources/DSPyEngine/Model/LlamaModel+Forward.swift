import CDSPyKernels

extension LlamaModel {
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

        var spans = [dspy_attention_span](repeating: dspy_attention_span(), count: n)
        for (layerIndex, layer) in weights.layers.enumerated() {
            for (i, entry) in entries.enumerated() {
                let cache = segments[entry.segment].cache
                spans[i] = dspy_attention_span(
                    keys: cache.keys(layer: layerIndex), values: cache.values(layer: layerIndex),
                    visible: Int32(entry.position + 1))
            }
            attentionBlock(layer, layerIndex: layerIndex, entries: entries, segments: segments, spans: spans)
            feedForwardBlock(layer, tokens: n)
        }
        collectOutputs(entries, outputs: &outputs)
    }

    private func attentionBlock(
        _ layer: LlamaLayerWeights, layerIndex: Int, entries: ArraySlice<Entry>, segments: [Segment],
        spans: [dspy_attention_span]
    ) {
        let c = configuration
        let s = scratch
        let n = entries.count
        let (hidden, qWidth, kvWidth) = (c.hiddenSize, c.queryWidth, c.keyValueWidth)

        dspy_rmsnorm(s.residual.pointer, Int32(hidden), layer.attentionNorm, s.normed.pointer, Int32(hidden),
                     Int32(n), Int32(hidden), c.rmsEpsilon)
        multiply([layer.query.product(into: s.query.pointer, stride: qWidth),
                  layer.key.product(into: s.key.pointer, stride: kvWidth),
                  layer.value.product(into: s.value.pointer, stride: kvWidth)],
                 input: s.normed.pointer, columns: hidden, tokens: n)

        for (i, entry) in entries.enumerated() {
            let position = Int32(entry.position)
            dspy_rope_norm(s.query[i * qWidth], Int32(c.headCount), Int32(c.headDimension),
                           Int32(c.ropeDimensions), position, c.ropeBase)
            dspy_rope_norm(s.key[i * kvWidth], Int32(c.kvHeadCount), Int32(c.headDimension),
                           Int32(c.ropeDimensions), position, c.ropeBase)
            let cache = segments[entry.segment].cache
            dspy_fp32_to_fp16_row(s.key[i * kvWidth], cache.keys(layer: layerIndex) + entry.position * kvWidth, Int64(kvWidth))
            dspy_fp32_to_fp16_row(s.value[i * kvWidth], cache.values(layer: layerIndex) + entry.position * kvWidth, Int64(kvWidth))
        }

        attend(entries: entries, segments: segments, spans: spans, layerIndex: layerIndex)
        multiply([layer.output.product(into: s.projected.pointer, stride: hidden)],
                 input: s.attention.pointer, columns: qWidth, tokens: n)
        dspy_add(s.residual.pointer, s.projected.pointer, Int64(n * hidden))
    }

    private func feedForwardBlock(_ layer: LlamaLayerWeights, tokens n: Int) {
        let c = configuration
        let s = scratch
        let (hidden, ffn) = (c.hiddenSize, c.feedForwardSize)
        dspy_rmsnorm(s.residual.pointer, Int32(hidden), layer.feedForwardNorm, s.normed.pointer, Int32(hidden),
                     Int32(n), Int32(hidden), c.rmsEpsilon)
        multiply([layer.gate.product(into: s.gate.pointer, stride: ffn),
                  layer.up.product(into: s.up.pointer, stride: ffn)],
                 input: s.normed.pointer, columns: hidden, tokens: n)
        dspy_swiglu(s.gate.pointer, s.up.pointer, Int64(n * ffn))
        multiply([layer.down.product(into: s.projected.pointer, stride: hidden)],
                 input: s.gate.pointer, columns: ffn, tokens: n)
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

    /// Final norm, then the output projection for entries that want logits.
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
