import CDSPyKernels

extension DecoderModel {
    /// Attention for every entry of the micro-batch in layer `layerIndex`, reading `s.query`,
    /// writing `s.attention`; dot products are multiplied by `scale`.
    ///
    /// Consecutive entries of one sequence marked `tiled` go through `dspy_attention_tiled_window`,
    /// which reproduces llama.cpp's tiled float path for prefill (see ``AttentionPath``); the rest go through
    /// `dspy_attention`, which reproduces its half-precision online softmax for decoding.
    /// On sliding-window layers each token sees only its window (``visibleRange(of:layer:)``):
    /// llama.cpp masks the older keys with −∞, which both paths skip exactly.
    func attend(entries: ArraySlice<Entry>, segments: [Segment], layerIndex: Int, scale: Float) {
        let list = Array(entries)
        let c = configuration
        let kvWidth = c.keyValueWidth
        let spans = list.map { entry in
            let cache = segments[entry.segment].cache
            let range = visibleRange(of: entry, layer: layerIndex)
            return dspy_attention_span(
                keys: cache.keys(layer: layerIndex) + range.lowerBound * kvWidth,
                values: cache.values(layer: layerIndex) + range.lowerBound * kvWidth,
                visible: Int32(range.count))
        }
        var pendingStart = 0, index = 0
        while index < list.count {
            var end = index + 1
            while end < list.count && list[end].segment == list[index].segment && list[end].tiled == list[index].tiled {
                end += 1
            }
            if list[index].tiled {
                attendPerToken(spans: spans, range: pendingStart..<index, scale: scale)
                attendTiled(list[index..<end], cache: segments[list[index].segment].cache, layerIndex: layerIndex, scale: scale)
                pendingStart = end
            }
            index = end
        }
        attendPerToken(spans: spans, range: pendingStart..<list.count, scale: scale)
    }

    private func attendPerToken(spans: [dspy_attention_span], range: Range<Int>, scale: Float) {
        guard !range.isEmpty else { return }
        let c = configuration
        let s = scratch
        let qWidth = c.queryWidth
        spans.withUnsafeBufferPointer { spanPointer in
            dspy_attention(pool.pointer, s.query[range.lowerBound * qWidth], Int32(qWidth),
                           s.attention[range.lowerBound * qWidth], Int32(qWidth),
                           spanPointer.baseAddress! + range.lowerBound, Int32(range.count), Int32(c.headCount),
                           Int32(c.kvHeadCount), Int32(c.headDimension), scale)
        }
    }

    /// Causal attention of consecutive tokens of one sequence with `dspy_attention_tiled_window`:
    /// one task per (head, 64-row tile), spread over the worker pool.
    private func attendTiled(_ run: ArraySlice<Entry>, cache: KVCache, layerIndex: Int, scale: Float) {
        let c = configuration
        let s = scratch
        let qWidth = c.queryWidth
        let ranges = run.map { visibleRange(of: $0, layer: layerIndex) }
        let visible = ranges.map { Int32($0.upperBound) }
        let first = ranges.map { Int32($0.lowerBound) }
        let windowed = c.isSlidingWindowLayer(layerIndex)
        let row = run.first!.batchRow * qWidth
        visible.withUnsafeBufferPointer { visiblePointer in
            first.withUnsafeBufferPointer { firstPointer in
                dspy_attention_tiled_window(
                    pool.pointer, s.query[row], Int32(qWidth), s.attention[row], Int32(qWidth),
                    cache.keys(layer: layerIndex), cache.values(layer: layerIndex),
                    windowed ? firstPointer.baseAddress : nil, visiblePointer.baseAddress!, Int32(run.count),
                    Int32(c.headCount), Int32(c.kvHeadCount), Int32(c.headDimension), scale, s.attentionTiles.pointer)
            }
        }
    }
}
