import CDSPyKernels

extension LlamaModel {
    /// Attention for every entry of the micro-batch, reading `s.query`, writing `s.attention`.
    ///
    /// Consecutive entries of one sequence marked `tiled` go through `dspy_attention_tiled`,
    /// which reproduces llama.cpp's tiled float path for prefill (see ``AttentionPath``); the rest go through
    /// `dspy_attention`, which reproduces its half-precision online softmax for decoding.
    func attend(entries: ArraySlice<Entry>, segments: [Segment], spans: [dspy_attention_span], layerIndex: Int) {
        let list = Array(entries)
        var pendingStart = 0, index = 0
        while index < list.count {
            var end = index + 1
            while end < list.count && list[end].segment == list[index].segment && list[end].tiled == list[index].tiled {
                end += 1
            }
            if list[index].tiled {
                attendPerToken(spans: spans, range: pendingStart..<index)
                attendTiled(list[index..<end], cache: segments[list[index].segment].cache, layerIndex: layerIndex)
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

    /// Causal attention of consecutive tokens of one sequence with `dspy_attention_tiled`:
    /// one task per (head, 64-row tile), spread over the worker pool.
    private func attendTiled(_ run: ArraySlice<Entry>, cache: KVCache, layerIndex: Int) {
        let c = configuration
        let s = scratch
        let qWidth = c.queryWidth
        let visible = run.map { Int32($0.position + 1) }
        let first = run.first!.batchRow * qWidth
        visible.withUnsafeBufferPointer { visiblePointer in
            dspy_attention_tiled(pool.pointer, s.query[first], Int32(qWidth), s.attention[first], Int32(qWidth),
                                 cache.keys(layer: layerIndex), cache.values(layer: layerIndex),
                                 visiblePointer.baseAddress!, Int32(run.count), Int32(c.headCount),
                                 Int32(c.kvHeadCount), Int32(c.headDimension), 1 / Float(c.headDimension).squareRoot(),
                                 s.attentionTiles.pointer)
        }
    }
}
