import CDSPyKernels

/// The LoRA side of one micro-batch: which rows use which adapter, and scratch for the
/// low-rank products. Empty groups (no adapter in the micro-batch) leave the base path as it was.
final class LoRAScratch {
    /// The rows (within the micro-batch) whose sequences use one adapter.
    struct Group {
        let adapter: LoadedAdapter
        let rows: [Int]
        /// `rows` as a range when they are consecutive (no gathering needed).
        let contiguous: Range<Int>?
    }

    var groups: [Group] = []
    /// Gathered inputs [row][inputs], A·x [row][rank], and B·(A·x) [row][outputs].
    private(set) var inputs = ScratchBuffer<Float>(0)
    private(set) var inner = ScratchBuffer<Float>(0)
    private(set) var outputs = ScratchBuffer<Float>(0)

    /// Grows the buffers to hold `rows` rows of `width` (inputs, outputs) and `rank` floats.
    func reserve(rows: Int, width: Int, rank: Int) {
        if inputs.count < rows * width { inputs = ScratchBuffer(rows * width) }
        if outputs.count < rows * width { outputs = ScratchBuffer(rows * width) }
        if inner.count < rows * rank { inner = ScratchBuffer(rows * rank) }
    }
}

extension DecoderModel {
    /// Groups the micro-batch's rows by the adapter of their sequence (none: no groups).
    func prepareLoRA(_ entries: ArraySlice<Entry>, segments: [Segment]) {
        lora.groups.removeAll(keepingCapacity: true)
        guard segments.contains(where: { $0.adapter != nil }) else { return }
        var order: [ObjectIdentifier] = []
        var rows: [ObjectIdentifier: (adapter: LoadedAdapter, rows: [Int])] = [:]
        for (i, entry) in entries.enumerated() {
            guard let adapter = segments[entry.segment].adapter else { continue }
            let key = ObjectIdentifier(adapter)
            if rows[key] == nil { order.append(key) }
            rows[key, default: (adapter, [])].rows.append(i)
        }
        var rank = 0
        for key in order {
            guard let (adapter, list) = rows[key], let first = list.first, let last = list.last else { continue }
            let contiguous = last - first + 1 == list.count ? first..<last + 1 : nil
            lora.groups.append(.init(adapter: adapter, rows: list, contiguous: contiguous))
            rank = max(rank, adapter.maximumRank)
        }
        let c = configuration
        let width = max(c.hiddenSize, 2 * c.feedForwardSize, c.queryWidth + 2 * c.keyValueWidth)
        lora.reserve(rows: entries.count, width: width, rank: rank)
    }

    /// Adds `scale · B (A x)` of each group's pair for `slot` in block `layer` to the rows of
    /// `output` (row r at `output + r · outputStride`), with x the rows of `input`.
    ///
    /// The rows of one adapter are multiplied together: A·X, then B·(A·X), in float32 on the
    /// pool, as llama.cpp's `build_lora_mm` (scale after B, then add). No groups: no work.
    /// Cost: 2 · rank · (inputs + outputs) FLOPs per row.
    func applyLoRA(
        _ slot: LoRASlot, layer: Int, input: UnsafePointer<Float>, inputStride: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        if lora.groups.isEmpty { return }
        for group in lora.groups {
            guard let pair = group.adapter.pairs[layer][slot.index] else { continue }
            let n = group.rows.count
            var x = input
            var xStride = inputStride
            if let range = group.contiguous {
                x = input + range.lowerBound * inputStride
            } else {
                for (g, row) in group.rows.enumerated() {
                    lora.inputs[g * pair.inputs].update(from: input + row * inputStride, count: pair.inputs)
                }
                x = UnsafePointer(lora.inputs.pointer)
                xStride = pair.inputs
            }
            product(pair.a, rows: pair.rank, columns: pair.inputs, input: x, inputStride: xStride,
                    output: lora.inner.pointer, tokens: n)
            product(pair.b, rows: pair.outputs, columns: pair.rank, input: lora.inner.pointer, inputStride: pair.rank,
                    output: lora.outputs.pointer, tokens: n)
            dspy_scale(lora.outputs.pointer, Int64(n * pair.outputs), pair.scale)
            for (g, row) in group.rows.enumerated() {
                dspy_add(output + row * outputStride, lora.outputs[g * pair.outputs], Int64(pair.outputs))
            }
        }
    }

    /// out[t][r] = Σ_c W[r][c] · x[t][c] for an F32 matrix W (`rows × columns`, row-major).
    private func product(
        _ weights: [Float], rows: Int, columns: Int, input: UnsafePointer<Float>, inputStride: Int,
        output: UnsafeMutablePointer<Float>, tokens: Int
    ) {
        weights.withUnsafeBufferPointer { w in
            var matrix = dspy_matrix(
                type: Int32(TensorType.f32.rawValue), weights: UnsafeRawPointer(w.baseAddress), row_bytes: columns * 4,
                rows: Int32(rows), cols: Int32(columns), out: output, out_stride: Int32(rows))
            var activations = dspy_activations(
                x: input, x_stride: Int32(inputStride), q8: nil, q8_k: nil, f16: nil, bf16: nil, order_tokens: 0)
            dspy_matmul_activations(pool.pointer, &matrix, 1, &activations, Int32(tokens))
        }
    }
}
