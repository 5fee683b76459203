import CDSPyKernels

/// One frozen weight matrix of the base model, decoded to float32 once per trainer.
///
/// `rows × columns` row-major, like the GGUF tensor (`rows` outputs, `columns` inputs).
final class FrozenMatrix {
    let name: String
    let rows: Int
    let columns: Int
    let values: ScratchBuffer<Float>

    /// Decodes every row of `matrix` (its own encoding: F32, F16, Q4_1, Q8_0, K-quants, …).
    init(_ matrix: WeightMatrix) {
        name = matrix.name
        rows = matrix.rows
        columns = matrix.columns
        values = ScratchBuffer(rows * columns)
        for row in 0..<rows { matrix.dequantizeRow(row, into: values[row * columns]) }
    }

    var pointer: UnsafeMutablePointer<Float> { values.pointer }
}

/// The frozen matrices of one block, in the layout training uses: Q, K and V (or one fused
/// `attn_qkv`) write into one row of width q + 2·kv, and gate and up (or one fused `ffn_up`)
/// into one row of width 2·ffn, so that every family runs the same code.
struct FrozenLayer {
    /// `.separate`: query, key, value (in this order); `.fused`: the one `attn_qkv`.
    let attentionInputs: [FrozenMatrix]
    let output: FrozenMatrix
    /// Gate then up, or the one fused `ffn_up` ([gate | up]).
    let feedForwardInputs: [FrozenMatrix]
    let down: FrozenMatrix
    /// Biases of the q + 2·kv row (Qwen 2's Q/K/V biases, or `attn_qkv.bias`), nil when none.
    let attentionBias: [Float]?
}

/// The base model as training sees it: float32 matrices of every block, and the (possibly
/// quantized, possibly huge) vocabulary matrices kept in the mapping.
///
/// Memory: 4 bytes per block parameter (SmolLM2-135M: about 430 MB); the output matrix is
/// also decoded when it takes at most `denseOutputBudget` bytes (SmolLM2's tied 49k × 576:
/// 113 MB), else it is decoded chunk by chunk at each use (Gemma 3's 262k × 640).
final class TrainingWeights {
    let configuration: ModelConfiguration
    let family: Architecture
    /// The inference weights (norm vectors, biases, RoPE factors, the mapped embedding).
    let base: DecoderWeights
    let layers: [FrozenLayer]
    /// The output matrix in floats, when it fits the budget.
    let denseOutput: ScratchBuffer<Float>?

    static let denseOutputBudget = 256 << 20

    init(file: GGUFFile) throws {
        let configuration = try ModelConfiguration(metadata: file.metadata)
        let family = try Architecture.named(configuration.architecture, path: file.path)
        let base = try DecoderWeights(file: file, configuration: configuration, family: family)
        self.configuration = configuration
        self.family = family
        self.base = base
        let (q, kv) = (configuration.queryWidth, configuration.keyValueWidth)
        layers = base.layers.map { layer in
            let attentionInputs: [FrozenMatrix]
            let bias: [Float]?
            switch layer.projections {
            case let .separate(query, key, value):
                attentionInputs = [FrozenMatrix(query), FrozenMatrix(key), FrozenMatrix(value)]
                if layer.queryBias != nil || layer.keyBias != nil || layer.valueBias != nil {
                    bias = (layer.queryBias ?? [Float](repeating: 0, count: q))
                        + (layer.keyBias ?? [Float](repeating: 0, count: kv))
                        + (layer.valueBias ?? [Float](repeating: 0, count: kv))
                } else {
                    bias = nil
                }
            case let .fused(matrix):
                attentionInputs = [FrozenMatrix(matrix)]
                bias = layer.fusedBias
            }
            let feedForwardInputs = layer.gate.map { [FrozenMatrix($0), FrozenMatrix(layer.up)] } ?? [FrozenMatrix(layer.up)]
            return FrozenLayer(
                attentionInputs: attentionInputs, output: FrozenMatrix(layer.output),
                feedForwardInputs: feedForwardInputs, down: FrozenMatrix(layer.down), attentionBias: bias)
        }
        let output = base.output
        if output.rows * output.columns * 4 <= Self.denseOutputBudget {
            let dense = ScratchBuffer<Float>(output.rows * output.columns)
            for row in 0..<output.rows { output.dequantizeRow(row, into: dense[row * output.columns]) }
            denseOutput = dense
        } else {
            denseOutput = nil
        }
    }

    /// Bytes of float32 weights this object holds.
    var floatBytes: Int {
        let blocks = layers.reduce(0) { sum, layer in
            sum + (layer.attentionInputs + layer.feedForwardInputs + [layer.output, layer.down])
                .reduce(0) { $0 + $1.rows * $1.columns }
        }
        return 4 * (blocks + (denseOutput?.count ?? 0))
    }
}
