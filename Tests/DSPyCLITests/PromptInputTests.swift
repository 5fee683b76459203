import DSPy
import Foundation
import Testing

@testable import DSPyCLI

@Suite("--input values with hostile JSON")
struct PromptInputTests {
    @Test("An --input dict holding a lone surrogate escape reads it as U+FFFD instead of crashing")
    func loneSurrogateInput() throws {
        let fields = try InputValues.parse([#"a={"x":"\ud800\u0041"}"#, "b=[1e999, 99999999999999999999]", "c={oops"])
        #expect(fields["a"] == ["x": "\u{FFFD}A"])
        #expect(fields["b"] == [.double(.infinity), .double(1e20)])
        #expect(fields["c"] == "{oops")
    }

    @Test("dspyc prompt with a lone surrogate in a dict input exits cleanly and shows U+FFFD")
    func loneSurrogatePrompt() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let result = try dspyc.run(["prompt", "--signature", "a: dict -> b", "--input", #"a={"x":"\ud800\u0041"}"#])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains(#"{"x": "\#u{FFFD}A"}"#), "\(result.output)")
    }

    @Test("dspyc prompt with 50 000 nested brackets in an input exits cleanly")
    func deepInputPrompt() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let deep = String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)
        let result = try dspyc.run(["prompt", "--signature", "a: list -> b", "--input", "a=" + deep])
        #expect(result.status == 0, "\(result.output.prefix(500))")
    }
}
