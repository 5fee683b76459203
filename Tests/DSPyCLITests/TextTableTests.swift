@testable import DSPyCLI
import DSPyUtilities
import Testing

@Suite("Text tables align by display width")
struct TextTableTests {
    @Test("Columns after wide, accented and emoji cells start at the same terminal column")
    func alignsNonASCII() {
        let table = TextTable(header: ["NAME", "CITY", "NOTE"])
        table.add(["ascii", "Paris", "x"])
        table.add(["東京", "São Paulo", "y"])
        table.add(["👍 ok", "Zürich", "z"])
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        // NOTE, the last column, starts after the same number of display columns on every line.
        let starts = zip(lines, ["NOTE", "x", "y", "z"]).map { line, last in
            DisplayWidth.of(String(line.dropLast(last.count)))
        }
        #expect(Set(starts).count == 1, "\(lines)")
        #expect(lines[1] == "ascii  Paris      x")
        #expect(lines[2] == "東京   São Paulo  y")
    }
}
