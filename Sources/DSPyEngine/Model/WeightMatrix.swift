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
