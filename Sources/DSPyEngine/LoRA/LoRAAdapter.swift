/// The weight matrices a LoRA adapter can target, by their GGUF tensor name in a block.
///
/// Names follow llama.cpp's (`blk.N.attn_q.weight`, …). Phi-3's fused `attn_qkv` is
/// targeted as `.query`, `.key` and `.value` together: an adapter on a fused model holds
/// one `attn_qkv` pair when any of the three is chosen.
public enum LoRATarget: String, Sendable, Codable, CaseIterable, Hashable {
    case query = "attn_q"
    case key = "attn_k"
    case value = "attn_v"
    case attentionOutput = "attn_output"
    case gate = "ffn_gate"
    case up = "ffn_up"
    case down = "ffn_down"

    /// Every linear layer of a block (DSPy's local trainer targets all linear layers).
    public static let allLinear: [LoRATarget] = allCases
}

/// The shape of the adapters to train: rank, scale and which matrices.
///
/// `alpha / rank` scales the update (`W x + (alpha / rank) · B (A x)`), as PEFT and
/// llama.cpp (`adapter.lora.alpha`) do.
public struct LoRAConfiguration: Sendable, Codable, Hashable {
    /// The inner dimension r of each pair (A is r × inputs, B is outputs × r).
    public var rank: Int
    /// The scale numerator; the update is multiplied by `alpha / rank`.
    public var alpha: Float
    /// The probability of zeroing an input of A during training (0 turns dropout off).
    public var dropout: Float
    /// The matrices of every block that get a pair.
    public var targets: [LoRATarget]

    public init(rank: Int = 32, alpha: Float = 64, dropout: Float = 0.05, targets: [LoRATarget] = LoRATarget.allLinear) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
    }

    /// `alpha / rank`: what `B (A x)` is multiplied by.
    public var scale: Float { alpha / Float(rank) }
}

/// One low-rank pair for one base matrix W (outputs × inputs): A (rank × inputs) and
/// B (outputs × rank), row-major float32.
///
/// In GGUF (ggml `ne`, innermost first) A is `[inputs, rank]` and B is `[rank, outputs]`,
/// which is this same row-major layout.
public struct LoRAPair: Sendable, Equatable {
    public let rank: Int
    public let inputs: Int
    public let outputs: Int
    /// rank × inputs, row-major.
    public var a: [Float]
    /// outputs × rank, row-major.
    public var b: [Float]

    /// A pair of the given shape; `a` and `b` must hold rank·inputs and outputs·rank values.
    ///
    /// - Throws: `EngineError.invalidArgument` when a count does not match the shape.
    public init(rank: Int, inputs: Int, outputs: Int, a: [Float], b: [Float]) throws {
        guard rank > 0, inputs > 0, outputs > 0, a.count == rank * inputs, b.count == outputs * rank else {
            throw EngineError.invalidArgument(
                "a LoRA pair of rank \(rank), \(inputs) inputs and \(outputs) outputs needs \(rank * inputs) values "
                    + "in A and \(outputs * rank) in B; found \(a.count) and \(b.count)")
        }
        self.rank = rank
        self.inputs = inputs
        self.outputs = outputs
        self.a = a
        self.b = b
    }
}

/// A LoRA adapter for one base model: pairs by base tensor name and their scale.
///
/// The base weights are never modified; the forward pass adds `scale · B (A x)` to each
/// targeted product. An adapter is a value: several can be loaded into one engine and
/// chosen per request.
public struct LoRAAdapter: Sendable, Equatable {
    /// The base model's `general.architecture` (llama.cpp refuses an adapter for another).
    public var architecture: String
    /// The scale numerator (`adapter.lora.alpha`); 0 means a scale of 1, as in llama.cpp.
    public var alpha: Float
    /// Pairs by base tensor name, e.g. `"blk.0.attn_q.weight"`.
    public var pairs: [String: LoRAPair]

    public init(architecture: String, alpha: Float, pairs: [String: LoRAPair]) {
        self.architecture = architecture
        self.alpha = alpha
        self.pairs = pairs
    }

    /// The factor applied to `B (A x)` for `pair` (llama.cpp: alpha / rank, or 1 when alpha is 0).
    public func scale(of pair: LoRAPair) -> Float {
        alpha == 0 ? 1 : alpha / Float(pair.rank)
    }
}
