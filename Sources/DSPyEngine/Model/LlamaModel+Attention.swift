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
                           Int32(c.kvHeadCount), Int32(c.headDimension), 1 / Float(c.headDimension).squareRoot(),
                           s.attentionScores.pointer, Int32(s.attentionScoreWidth))
        }
    }

    /// Causal attention of consecutive tokens of one sequence with two SGEMMs per head.
    private func attendWithMatrices(_ run: ArraySlice<Entry>, cache: KVCache, layerIndex: Int) {
        let c = configuration
        let s = scratch
        let (qWidth, kvWidth, hd) = (c.queryWidth, c.keyValueWidth, c.headDimension)
        let rowOffset = run.first!.batchRow
        let n = run.count
        let visibleLength = run.last!.position + 1
        let visible = run.map { Int32($0.position + 1) }
        let keys = s.widenedKeys(count: visibleLength * kvWidth)
        let values = s.widenedValues(count: visibleLength * kvWidth)
        let scores = s.matrixScores(count: n * visibleLength)
        dspy_fp16_to_fp32_rows(cache.keys(layer: layerIndex), Int32(kvWidth), keys, Int32(visibleLength), Int32(kvWidth))
        dspy_fp16_to_fp32_rows(cache.values(layer: layerIndex), Int32(kvWidth), values, Int32(visibleLength), Int32(kvWidth))
        let group = c.headCount / c.kvHeadCount
        let scale = 1 / Float(hd).squareRoot()
        for head in 0..<c.headCount {
            let kvHead = head / group
            let query = s.query[rowOffset * qWidth + head * hd]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(visibleLength), Int32(hd),
                        scale, query, Int32(qWidth), keys + kvHead * hd, Int32(kvWidth),
                        0, scores, Int32(visibleLength))
            visible.withUnsafeBufferPointer { v in
                dspy_softmax_rows(scores, Int32(visibleLength), Int32(n), v.baseAddress)
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(hd), Int32(visibleLength),
                        1, scores, Int32(visibleLength), values + kvHead * hd, Int32(kvWidth),
                        0, s.attention[rowOffset * qWidth + head * hd], Int32(qWidth))
        }
    }
}
