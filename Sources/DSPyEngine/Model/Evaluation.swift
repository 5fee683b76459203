/// Which of the evaluated tokens produce output rows (logits or hidden states).
public enum OutputSelection: Sendable, Equatable {
    /// No rows (a prefill whose logits nobody reads).
    case none
    /// Only the last token's row: what next-token sampling needs.
    case last
    /// Every token's row: for scoring and log-probabilities of a whole text.
    case all
    /// The rows of these token indices (0-based within the evaluated tokens, ascending).
    case indices([Int])

    /// The selected indices among `count` tokens.
    func resolve(count: Int) -> [Int] {
        switch self {
        case .none: return []
        case .last: return count > 0 ? [count - 1] : []
        case .all: return Array(0..<count)
        case let .indices(list): return list
        }
    }
}

/// Rows of floats (logits or hidden states) for selected tokens of an evaluation.
///
/// `values` is row-major, `width` floats per row; `indices[r]` is the index, within
/// the evaluated tokens, of the token that row `r` belongs to.
public struct OutputRows: Sendable, Equatable {
    /// Floats per row (vocabulary size for logits, hidden size for hidden states).
    public let width: Int
    /// For each row, the index of its token within the evaluated tokens.
    public let indices: [Int]
    /// All rows, concatenated.
    public internal(set) var values: [Float]

    /// The number of rows.
    public var count: Int { indices.count }

    /// Row `row` (0-based among the selected rows).
    public subscript(row: Int) -> ArraySlice<Float> {
        values[row * width..<(row + 1) * width]
    }

    /// The row of the token at `index` within the evaluated tokens, if it was selected.
    public func row(forToken index: Int) -> ArraySlice<Float>? {
        indices.firstIndex(of: index).map { self[$0] }
    }

    /// The last row, if any (the next-token logits after `.last` or `.all`).
    public var last: ArraySlice<Float>? { count > 0 ? self[count - 1] : nil }

    init(width: Int, indices: [Int]) {
        self.width = width
        self.indices = indices
        values = [Float](repeating: 0, count: width * indices.count)
    }
}

/// The result of running tokens through the model for one sequence.
public struct Evaluation: Sendable, Equatable {
    /// Tokens evaluated.
    public let tokenCount: Int
    /// The sequence length afterwards (cached positions).
    public let sequenceLength: Int
    /// Logits for the selected tokens (`width` = vocabulary size).
    public let logits: OutputRows
    /// Final hidden states after the output norm, when requested (`width` = hidden size).
    public let hiddenStates: OutputRows?
}
