import CDSPyKernels

/// A weight matrix kept in its file encoding inside the memory map.
///
/// `rows × columns`, row-major, `rowBytes` per row; products with it run in the C
/// kernels without ever expanding it to floats.
struct WeightMatrix {
    let name: String
    let type: TensorType
    let base: UnsafeRawPointer
    let rows: Int
    let columns: Int
    let rowBytes: Int

    /// Looks up `name` in `file` and checks it is `rows × columns`.
    ///
    /// - Throws: `EngineError.missingTensor` or `.tensorShapeMismatch`.
    init(_ file: GGUFFile, _ name: String, rows: Int, columns: Int) throws {
        let info = try file.tensor(named: name)
        guard info.shape.count == 2, info.columns == columns, info.rows == rows else {
            throw EngineError.tensorShapeMismatch(
                path: file.path, tensor: name, expected: [columns, rows], found: info.shape)
        }
        guard let base = file.data(for: info).baseAddress else {
            throw EngineError.tensorShapeMismatch(path: file.path, tensor: name, expected: [columns, rows], found: info.shape)
        }
        self.name = name
        self.type = info.type
        self.base = base
        self.rows = rows
        self.columns = columns
        self.rowBytes = info.rowBytes
    }

    /// The kernel descriptor writing row r of token t to `out[t * stride + r]`.
    func product(into out: UnsafeMutablePointer<Float>, stride: Int) -> dspy_matrix {
        dspy_matrix(
            type: Int32(type.rawValue), weights: base, row_bytes: rowBytes,
            rows: Int32(rows), cols: Int32(columns), out: out, out_stride: Int32(stride))
    }

    /// Decodes row `row` into `destination` (`columns` floats).
    func dequantizeRow(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        _ = dspy_dequantize(Int32(type.rawValue), base + row * rowBytes, destination, Int64(columns))
    }
}

/// The weights of one transformer block.
struct LlamaLayerWeights {
    let attentionNorm: [Float]
    let query: WeightMatrix
    let key: WeightMatrix
    let value: WeightMatrix
    let output: WeightMatrix
    let feedForwardNorm: [Float]
    let gate: WeightMatrix
    let up: WeightMatrix
    let down: WeightMatrix
}

/// All weights of a Llama-family model, mapped from a GGUF file.
///
/// Matrices stay quantized in the mapping; only the small norm vectors are decoded
/// into owned float arrays. The output projection is `output.weight`, or the token
/// embedding when the model ties them.
struct LlamaWeights {
    let tokenEmbedding: WeightMatrix
    let layers: [LlamaLayerWeights]
    let outputNorm: [Float]
    let output: WeightMatrix

    /// Loads and shape-checks every tensor that `configuration` needs.
    ///
    /// - Throws: `EngineError.missingTensor` or `.tensorShapeMismatch`.
    init(file: GGUFFile, configuration c: ModelConfiguration) throws {
        func vector(_ name: String, _ count: Int) throws -> [Float] {
            let info = try file.tensor(named: name)
            guard info.elementCount == count, info.shape.count == 1 else {
                throw EngineError.tensorShapeMismatch(path: file.path, tensor: name, expected: [count], found: info.shape)
            }
            return file.dequantize(info)
        }
        tokenEmbedding = try WeightMatrix(file, "token_embd.weight", rows: c.vocabularySize, columns: c.hiddenSize)
        layers = try (0..<c.layerCount).map { index in
            let p = "blk.\(index)."
            return LlamaLayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", c.hiddenSize),
                query: try WeightMatrix(file, p + "attn_q.weight", rows: c.queryWidth, columns: c.hiddenSize),
                key: try WeightMatrix(file, p + "attn_k.weight", rows: c.keyValueWidth, columns: c.hiddenSize),
                value: try WeightMatrix(file, p + "attn_v.weight", rows: c.keyValueWidth, columns: c.hiddenSize),
                output: try WeightMatrix(file, p + "attn_output.weight", rows: c.hiddenSize, columns: c.queryWidth),
                feedForwardNorm: try vector(p + "ffn_norm.weight", c.hiddenSize),
                gate: try WeightMatrix(file, p + "ffn_gate.weight", rows: c.feedForwardSize, columns: c.hiddenSize),
                up: try WeightMatrix(file, p + "ffn_up.weight", rows: c.feedForwardSize, columns: c.hiddenSize),
                down: try WeightMatrix(file, p + "ffn_down.weight", rows: c.hiddenSize, columns: c.feedForwardSize))
        }
        outputNorm = try vector("output_norm.weight", c.hiddenSize)
        if file.tensorInfo(named: "output.weight") != nil {
            output = try WeightMatrix(file, "output.weight", rows: c.vocabularySize, columns: c.hiddenSize)
        } else {
            output = tokenEmbedding
        }
    }
}
