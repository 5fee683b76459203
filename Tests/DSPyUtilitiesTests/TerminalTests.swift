import DSPyUtilities
import Testing

@Suite("Colour decisions and display widths for terminal output")
struct TerminalTests {
    @Test("Colour needs a terminal and no non-empty NO_COLOR")
    func noColor() {
        #expect(Terminal.usesColor(isTerminal: true, environment: [:]))
        #expect(!Terminal.usesColor(isTerminal: false, environment: [:]))
        #expect(!Terminal.usesColor(isTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(!Terminal.usesColor(isTerminal: true, environment: ["NO_COLOR": "anything"]))
        // no-color.org: an empty NO_COLOR does not disable colour.
        #expect(Terminal.usesColor(isTerminal: true, environment: ["NO_COLOR": ""]))
    }

    @Test("Display width counts columns, not UTF-16 units or scalars",
          arguments: [
              ("plain", 5), ("São Paulo", 9), ("e\u{301}", 1), ("東京", 4), ("한국어", 6), ("ｆｕｌｌ", 8),
              ("👍", 2), ("👨‍👩‍👧", 2), ("❤️", 2), ("", 0), ("a\u{200B}b", 2),
          ])
    func widths(text: String, columns: Int) {
        #expect(DisplayWidth.of(text) == columns)
    }

    @Test("Padding fills to the display width and never truncates")
    func padding() {
        #expect(DisplayWidth.pad("東京", to: 6) == "東京  ")
        #expect(DisplayWidth.pad("👍", to: 3) == "👍 ")
        #expect(DisplayWidth.pad("toolong", to: 3) == "toolong")
    }
}
