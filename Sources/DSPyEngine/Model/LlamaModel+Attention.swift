import CDSPyKernels
import COpenBLAS

extension LlamaModel {
    /// Tokens of one sequence in a micro-batch from which attention switches to matrix
    /// products (prefill); shorter runs (decoding) use the per-token kernel. 64 is where
    /// llama.cpp's CPU flash attention switches to its tiled float path, so both engines
    /// round alike on either side.
    static let matrixAttentionThreshold = 64

    /// Attention for every entry of the micro-batch, reading `s.query`, writing `s.attention`.
    ///
    /// Runs of at least `matrixAttentionThreshold` tokens of one sequence compute scores
    /// and outputs with OpenBLAS SGEMM over the whole visible cache (keys and values
    /// widened to floats once per layer); the rest go through `dspy_attention`, which
    /// reproduces llama.cpp's half-precision online softmax for decoding.
    func attend(entries: ArraySlice<Entry>, segments: [Segment], spans: [dspy_attention_span], layerIndex: Int) {
        let list = Array(entries)
        var pendingStart = 0, index = 0
        while index < list.count {
            var end = index + 1
            while end < list.count && list[end].segment == list[index].segment { end += 1 }
            if end - index >= Self.matrixAttentionThreshold {
                attendPerToken(spans: spans, range: pendingStart..<index)
                attendWithMatrices(list[index..<end], cache: segments[list[index].segment].cache, layerIndex: layerIndex)
                pendingStart = end
            }
            index = end
        }
        attendPerToken(spans: spans, range: pendingStart..<list.count)
    }

    private func attendPerToken(spans: [dspy_attention_span], range: Range<Int>) {
        guard !range.isEmpty else { return }
        let c = configuration
        let s = scratch
        let qWidth = c.queryWidth
        spans.withUnsafeBufferPointer { spanPointer in
            dspy_attention(pool.pointer, s.query[range.lowerBound * qWidth], Int32(qWidth),
                           s.attention[range.lowerBound * qWidth], Int32(qWidth),
                           spanPointer.baseAddress! + range.lowerBound, Int32(range.count), Int32(c.headCount),
                           Int32(c.kvHeadCount), Int32(c.headDimension), 1 / Float(c.headDimension).squareRoot())
        }
    }

    /// Causal attention of consecutive tokens of one sequence with two SGEMMs per head,
    /// heads spread over the worker pool (OpenBLAS itself runs single-threaded).
    private func attendWithMatrices(_ run: ArraySlice<Entry>, cache: KVCache, layerIndex: Int) {
        let c = configuration
        let s = scratch
        let (qWidth, kvWidth) = (c.queryWidth, c.keyValueWidth)
        let n = run.count
        let visibleLength = run.last!.position + 1
        var visible = run.map { Int32($0.position + 1) }
        let keys = s.widenedKeys(count: visibleLength * kvWidth)
        let values = s.widenedValues(count: visibleLength * kvWidth)
        let scores = s.matrixScores(count: pool.threadCount * n * visibleLength)
        dspy_fp16_to_fp32_rows(cache.keys(layer: layerIndex), Int32(kvWidth), keys, Int32(visibleLength), Int32(kvWidth))
        dspy_fp16_to_fp32_rows(cache.values(layer: layerIndex), Int32(kvWidth), values, Int32(visibleLength), Int32(kvWidth))
        visible.withUnsafeMutableBufferPointer { visiblePointer in
            var job = MatrixAttentionJob(
                query: s.query[run.first!.batchRow * qWidth], output: s.attention[run.first!.batchRow * qWidth],
                keys: keys, values: values, scores: scores, visible: visiblePointer.baseAddress!,
                tokens: n, length: visibleLength, queryWidth: qWidth, keyValueWidth: kvWidth,
                headDimension: c.headDimension, group: c.headCount / c.kvHeadCount,
                scale: 1 / Float(c.headDimension).squareRoot())
            withUnsafeMutablePointer(to: &job) { jobPointer in
                dspy_parallel_for(pool.pointer, Int32(c.headCount), { context, head, thread in
                    context!.assumingMemoryBound(to: MatrixAttentionJob.self).pointee.run(head: Int(head), thread: Int(thread))
                }, jobPointer)
            }
        }
    }
}

/// The operands of matrix attention for one run of tokens, shared by the head tasks.
private struct MatrixAttentionJob {
    let query: UnsafeMutablePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let keys: UnsafeMutablePointer<Float>
    let values: UnsafeMutablePointer<Float>
    let scores: UnsafeMutablePointer<Float>
    let visible: UnsafeMutablePointer<Int32>
    let tokens: Int
    let length: Int
    let queryWidth: Int
    let keyValueWidth: Int
    let headDimension: Int
    let group: Int
    let scale: Float

    /// Scores = scale · Q_h K_gᵀ, causal softmax, output_h = scores · V_g.
    func run(head: Int, thread: Int) {
        let kvHead = head / group
        let hd = headDimension
        let rowScores = scores + thread * tokens * length
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(tokens), Int32(length), Int32(hd),
                    scale, query + head * hd, Int32(queryWidth), keys + kvHead * hd, Int32(keyValueWidth),
                    0, rowScores, Int32(length))
        dspy_softmax_rows(rowScores, Int32(length), Int32(tokens), visible)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(tokens), Int32(hd), Int32(length),
                    1, rowScores, Int32(length), values + kvHead * hd, Int32(keyValueWidth),
                    0, output + head * hd, Int32(queryWidth))
    }
}
