import Foundation

extension TextModel {
    /// Loads a LoRA adapter that generations can name (``GenerationOptions/adapter``); the
    /// model is not reloaded and the base weights are untouched, so several programs can
    /// share one model, each with its own adapter.
    ///
    /// - Parameter scale: multiplies the adapter's own `alpha / rank` (as llama.cpp's `--lora-scaled`).
    /// - Returns: a new id, never reused by this model.
    /// - Throws: `EngineError.invalidAdapter` when the adapter is not for this model
    ///   (another architecture, a matrix the model lacks or of another shape, a non-finite value).
    public func loadAdapter(_ adapter: LoRAAdapter, scale: Float = 1) async throws -> AdapterID {
        try await engine.loadAdapter(adapter, scale: scale)
    }

    /// Reads the GGUF LoRA adapter at `url` (llama.cpp's format), checks it against this model and loads it.
    /// - Throws: `EngineError` naming the file (and tensor) when it cannot be read or does not fit.
    public func loadAdapter(contentsOf url: URL, scale: Float = 1) async throws -> AdapterID {
        try await engine.loadAdapter(LoRAAdapter(contentsOf: url, base: engine.file), scale: scale)
    }

    /// Unloads an adapter and drops the prefix-cache entries computed with it; generations
    /// naming it afterwards fail with `EngineError.unknownAdapter`. Unknown ids are ignored.
    public func unloadAdapter(_ id: AdapterID) async {
        for sequence in prefixCache.remove(adapter: id) { await engine.removeSequence(sequence) }
        await engine.unloadAdapter(id)
    }
}
