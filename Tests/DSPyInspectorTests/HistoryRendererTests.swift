import DSPyStore
import Foundation
import Testing
@testable import DSPyInspector

@Suite("inspect_history layout")
struct HistoryRendererTests {
    @Test("One call renders byte for byte as DSPy's inspect_history prints it")
    func dspyLayout() {
        let call = makeCall(
            system: "  Be brief.\n", user: "Hello?\n", completion: "\nHi there.  ", at: 1_795_000_000)
        let text = HistoryRenderer.render([call], options: .init(timeZone: utc))
        #expect(
            text == "\n\n\n\n[2026-11-18T11:06:40]\n\n"
                + "System message:\n\nBe brief.\n\n\n"
                + "User message:\n\nHello?\n\n\n"
                + "Response:\n\nHi there.\n\n"
                + "\n\n\n\n")
    }

    @Test("Several choices add DSPy's '(and N other completions)' line")
    func otherCompletions() {
        var call = makeCall(system: "S", user: "U", completion: "R")
        call.otherCompletions = ["R2", "R3"]
        let text = HistoryRenderer.render([call], options: .init(timeZone: utc))
        #expect(text.hasSuffix("Response:\n\nR\n\n \t (and 2 other completions)\n\n\n\n\n"))
    }

    @Test("Fractional seconds print as six digits, like Python's isoformat")
    func microseconds() {
        let text = HistoryRenderer.render([makeCall(at: 1_795_000_000.25)], options: .init(timeZone: utc))
        #expect(text.hasPrefix("\n\n\n\n[2026-11-18T11:06:40.250000]\n\n"))
    }

    @Test("Colour uses DSPy's ANSI codes only when asked")
    func colour() {
        let call = makeCall(system: "S", user: "U", completion: "R")
        let plain = HistoryRenderer.render([call], options: .init(timeZone: utc))
        #expect(!plain.contains("\u{1B}"))
        let coloured = HistoryRenderer.render([call], options: .init(color: true, timeZone: utc))
        #expect(coloured.contains("\u{1B}[34m[2026-11-18T11:06:40]\u{1B}[0m\n\n"))
        #expect(coloured.contains("\u{1B}[31mSystem message:\u{1B}[0m\n\nS\n\n\n"))
        #expect(coloured.contains("\u{1B}[31mResponse:\u{1B}[0m\n\n\u{1B}[32mR\u{1B}[0m\n\n"))
    }

    @Test("Several calls print oldest first, with one closing block")
    func several() {
        let text = HistoryRenderer.render(
            [makeCall(user: "first", at: 1_795_000_000), makeCall(user: "second", at: 1_795_000_060)],
            options: .init(timeZone: utc))
        let first = text.range(of: "first")!
        let second = text.range(of: "second")!
        #expect(first.lowerBound < second.lowerBound)
        #expect(text.components(separatedBy: "Response:").count == 3)
        #expect(text.hasSuffix("[[ ## completed ## ]]\n\n\n\n\n\n"))
    }

    @Test("Details add dspyc's facts, parse errors and call errors")
    func details() {
        var call = makeCall(id: 7, completion: "oops")
        call.parseError = "missing field `sentiment`"
        call.cacheHit = true
        let plain = HistoryRenderer.render([call], options: .init(timeZone: utc))
        #expect(!plain.contains("Parse error"))
        let text = HistoryRenderer.render([call], options: .init(details: true, timeZone: utc))
        #expect(text.contains(
            "run run-a (eval) · sentiment · classify.predict · ChatAdapter · SmolLM2-135M-Instruct.Q4_1 · "
                + "120 prompt (96 cached) + 9 completion tokens · 0.500 s · 31.5 tok/s · cache hit · "
                + "constrained: structured · call #7"))
        #expect(text.contains("Parse error:\n\nmissing field `sentiment`\n\n"))
    }

    @Test("A call without a completion has no Response section")
    func noCompletion() {
        var call = makeCall(completion: nil)
        call.error = "context window exceeded"
        let text = HistoryRenderer.render([call], options: .init(details: true, timeZone: utc))
        #expect(!text.contains("Response:"))
        #expect(text.contains("Error:\n\ncontext window exceeded"))
    }

    @Test("Roles are capitalised the way Python's str.capitalize does")
    func capitalize() {
        #expect(HistoryRenderer.capitalized("user") == "User")
        #expect(HistoryRenderer.capitalized("ASSISTANT") == "Assistant")
        #expect(HistoryRenderer.capitalized("") == "")
    }
}
