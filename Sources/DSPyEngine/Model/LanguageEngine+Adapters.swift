extension LanguageEngine {
    /// Loads a LoRA adapter for requests to name (``EvaluationRequest/adapter``), without
    /// touching the base weights; several adapters can be loaded at once.
    ///
    /// - Parameters:
    ///   - adapter: pairs for the model's block matrices (checked against the model file).
    ///   - scale: multiplies the adapter's own `alpha / rank` (llama.cpp's `--lora-scaled`).
    /// - Returns: a new id, never reused by this engine.
    /// - Throws: `EngineError.invalidAdapter` when the adapter does not fit the model.
    /// Cost: one copy of the adapter's values; no change to passes without an adapter.
    public func loadAdapter(_ adapter: LoRAAdapter, scale: Float = 1) throws -> AdapterID {
        let source = "adapter for \(file.path)"
        try adapter.validate(against: file, source: source)
        guard scale.isFinite else {
            throw EngineError.invalidAdapter(path: source, tensor: nil, reason: "scale \(scale) is not finite")
        }
        let id = AdapterID(rawValue: nextAdapter)
        nextAdapter += 1
        adapters[id] = try LoadedAdapter(
            adapter, id: id, layerCount: configuration.layerCount, scale: scale, source: source)
        return id
    }

    /// Unloads an adapter: requests naming it are refused from now on. Unknown ids are ignored.
    public func unloadAdapter(_ id: AdapterID) {
        adapters[id] = nil
    }

    /// The ids of the loaded adapters, in load order.
    public var loadedAdapters: [AdapterID] { adapters.keys.sorted { $0.rawValue < $1.rawValue } }

    /// The prepared adapter for `id` (nil for none).
    /// - Throws: `EngineError.unknownAdapter` for an id not loaded.
    func loadedAdapter(_ id: AdapterID?) throws -> LoadedAdapter? {
        guard let id else { return nil }
        guard let adapter = adapters[id] else { throw EngineError.unknownAdapter(id: id.rawValue) }
        return adapter
    }
}
