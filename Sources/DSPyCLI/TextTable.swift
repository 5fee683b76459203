import DSPyUtilities

/// A plain text table with left-aligned columns, for terminal output.
///
/// Columns are aligned by display width (``DisplayWidth``: wide CJK characters and
/// emoji take two columns, combining marks none), not by UTF-16 length.
final class TextTable {
    private let header: [String]
    private var rows: [[String]] = []

    init(header: [String]) { self.header = header }

    func add(_ row: [String]) { rows.append(row) }

    /// The table with two spaces between columns and a trailing newline.
    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { DisplayWidth.of($0[column]) }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : DisplayWidth.pad(cell, to: widths[index])
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
