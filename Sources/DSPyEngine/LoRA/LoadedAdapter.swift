/// Names a LoRA adapter loaded into a `LanguageEngine` (or `TextModel`).
///
/// Ids are never reused within an engine, so an id kept after `unloadAdapter` can never
/// select another adapter by mistake (it is refused with `EngineError.unknownAdapter`).
public struct AdapterID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int
    public var description: String { "adapter \(rawValue)" }

    init(rawValue: Int) { self.rawValue = rawValue }
}

/// The block matrices the forward pass applies adapters to, by their GGUF name in a block.
enum LoRASlot: String, CaseIterable {
    case query = "attn_q"
    case key = "attn_k"
    case value = "attn_v"
    /// Phi-3's fused [Q | K | V] projection.
    case fusedQKV = "attn_qkv"
    case attentionOutput = "attn_output"
    case gate = "ffn_gate"
    /// `ffn_up`, or Phi-3's fused [gate | up].
    case up = "ffn_up"
    case down = "ffn_down"

    var index: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// The slot and block of a name like `blk.3.attn_q.weight`, or nil for any other name.
    init?(tensorName name: String) {
        guard let (_, slot) = Self.parse(name) else { return nil }
        self = slot
    }

    /// The block index and slot of `blk.N.SLOT.weight`.
    static func parse(_ name: String) -> (layer: Int, slot: LoRASlot)? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "blk", parts[3] == "weight", let layer = Int(parts[1]), layer >= 0,
              String(layer) == parts[1], let slot = LoRASlot(rawValue: String(parts[2]))
        else { return nil }
        return (layer, slot)
    }
}

/// An adapter prepared for the forward pass: its pairs by block and slot, scales folded in.
///
/// Immutable once built; owned by the engine's registry and referenced by the segments of
/// a pass. Cost: one copy of the adapter's values (4 bytes each).
final class LoadedAdapter {
    /// One pair ready to multiply: A (rank × inputs) and B (outputs × rank), row-major.
    struct Pair {
        let rank: Int
        let inputs: Int
        let outputs: Int
        let a: [Float]
        let b: [Float]
        /// The adapter's `alpha / rank` (or 1) times the scale asked for at load.
        let scale: Float
    }

    let id: AdapterID
    /// `pairs[layer][slot.index]`.
    let pairs: [[Pair?]]
    /// The largest rank of any pair.
    let maximumRank: Int

    /// Prepares `adapter` (already validated against the model) for a model of `layerCount` blocks.
    /// - Throws: `EngineError.invalidAdapter` for a pair on a block the model lacks.
    init(_ adapter: LoRAAdapter, id: AdapterID, layerCount: Int, scale: Float, source: String) throws {
        var pairs = [[Pair?]](repeating: [Pair?](repeating: nil, count: LoRASlot.allCases.count), count: layerCount)
        var maximumRank = 0
        for (name, pair) in adapter.pairs {
            guard let (layer, slot) = LoRASlot.parse(name), layer < layerCount else {
                throw EngineError.invalidAdapter(path: source, tensor: name, reason: "not a linear matrix of one of the model's blocks")
            }
            pairs[layer][slot.index] = Pair(
                rank: pair.rank, inputs: pair.inputs, outputs: pair.outputs, a: pair.a, b: pair.b,
                scale: adapter.scale(of: pair) * scale)
            maximumRank = max(maximumRank, pair.rank)
        }
        self.id = id
        self.pairs = pairs
        self.maximumRank = maximumRank
    }
}
