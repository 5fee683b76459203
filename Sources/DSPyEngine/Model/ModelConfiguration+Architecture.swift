extension ModelConfiguration {
    /// The family description of `architecture` (see ``Architecture``).
    var family: Architecture? { Architecture.registry[architecture] }

    /// Whether layer `layer` attends only to the last `slidingWindow` positions.
    func isSlidingWindowLayer(_ layer: Int) -> Bool {
        slidingWindow > 0 && layer < slidingWindowLayers.count && slidingWindowLayers[layer]
    }

    /// RoPE base and frequency scale of layer `layer`: sliding-window layers use
    /// `rope.freq_base_swa` and no scaling, the others `rope.freq_base` and `ropeFrequencyScale`.
    func rope(layer: Int) -> (base: Float, scale: Float) {
        isSlidingWindowLayer(layer) ? (ropeBaseSlidingWindow, 1) : (ropeBase, ropeFrequencyScale)
    }

    /// Reads the RoPE scaling, sliding-window and soft-cap keys, as llama.cpp's loader does
    /// for this architecture (`load_hparams`, `src/models/<arch>.cpp`).
    ///
    /// - Throws: `EngineError.metadataTypeMismatch` for a mistyped key, `.malformedFile` for a
    ///   negative window or a window pattern that does not fit the layers.
    mutating func readArchitectureParameters(from metadata: GGUFMetadata) throws {
        let prefix = architecture + "."
        let scalingType = metadata[prefix + "rope.scaling.type"]?.string ?? "linear"
        let factor = try metadata.optionalFloat(prefix + "rope.scaling.factor")
            ?? metadata.optionalFloat(prefix + "rope.scale_linear") ?? 0
        ropeFrequencyScale = scalingType == "none" || factor == 0 ? 1 : 1 / factor
        ropeAttentionFactor = try metadata.optionalFloat(prefix + "rope.scaling.attn_factor") ?? 1
        ropeOriginalContextLength = try metadata.optionalInt(prefix + "rope.scaling.original_context_length")
            .flatMap { $0 > 0 ? $0 : nil } ?? contextLength
        if family?.readsLogitSoftcap == true {
            finalLogitSoftcap = try metadata.optionalFloat(prefix + "final_logit_softcapping") ?? 0
        }
        guard let period = family?.slidingWindowPeriod else { return }
        let window = try metadata.optionalInt(prefix + "attention.sliding_window") ?? 0
        guard window > 0 else {
            guard window == 0 else {
                throw EngineError.malformedFile(path: metadata.path, reason: "\(prefix)attention.sliding_window is \(window)")
            }
            return
        }
        slidingWindow = window
        ropeBaseSlidingWindow = try metadata.optionalFloat(prefix + "rope.freq_base_swa") ?? 10000
        let patternKey = prefix + "attention.sliding_window_pattern"
        if let flags = metadata[patternKey]?.array {
            // One flag per layer (true: windowed), as llama.cpp's get_arr reads it.
            let values: [Bool]? = if case let .bool(b) = flags { b } else { flags.integers?.map { $0 != 0 } }
            guard let values, values.count == layerCount else {
                throw EngineError.malformedFile(
                    path: metadata.path, reason: "\(patternKey) must hold one flag per layer (\(layerCount))")
            }
            slidingWindowLayers = values
        } else {
            let n = try metadata.optionalInt(patternKey) ?? period
            guard n >= 0 else {
                throw EngineError.malformedFile(path: metadata.path, reason: "\(patternKey) is \(n)")
            }
            slidingWindowLayers = (0..<layerCount).map { n == 0 || $0 % n < n - 1 }
        }
    }
}
