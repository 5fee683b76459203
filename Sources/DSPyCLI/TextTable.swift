/// A plain text table with left-aligned columns, for terminal output.
final class TextTable {
    private let header: [String]
    private var rows: [[String]] = []

    init(header: [String]) { self.header = header }

    func add(_ row: [String]) { rows.append(row) }

    /// The table with two spaces between columns and a trailing newline.
    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
