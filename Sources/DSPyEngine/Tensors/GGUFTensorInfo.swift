/// Where a tensor lives in a GGUF file and how it is encoded.
///
/// `shape` is in ggml order: `shape[0]` is the row length (the fastest-varying
/// dimension), so a weight matrix of `rows × columns` has shape `[columns, rows]`.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// The element encoding.
    public let type: TensorType
    /// The dimensions, innermost first.
    public let shape: [Int]
    /// The offset of the data from the start of the file's data section.
    public let relativeOffset: Int
    /// The absolute offset of the data in the file.
    public let fileOffset: Int

    /// The number of elements.
    public var elementCount: Int { shape.reduce(1, *) }
    /// The number of bytes of data.
    public var byteCount: Int { type.byteCount(elements: elementCount) }
    /// The row length (`shape[0]`).
    public var columns: Int { shape.first ?? 1 }
    /// The number of rows (the product of the outer dimensions).
    public var rows: Int { shape.dropFirst().reduce(1, *) }
    /// The bytes per row.
    public var rowBytes: Int { type.byteCount(elements: columns) }
}
