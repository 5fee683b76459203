import DSPyStore
import DSPyTestSupport
import Foundation
import Testing
@testable import DSPyInspector

@Suite("Prompt diff and runs report")
struct DiffAndReportTests {
    @Test("The line diff gives unified hunks with context")
    func unified() {
        let old = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        var new = old
        new[1] = "B"
        new.insert("x", at: 8)
        let lines = LineDiff.unified(old, new, context: 1, ansi: ANSI(enabled: false))
        #expect(lines == ["@@ -1,3 +1,3 @@", " a", "-b", "+B", " c", "@@ -8,2 +8,3 @@", " h", "+x", " i"])
        #expect(LineDiff.unified(old, old, ansi: ANSI(enabled: false)).isEmpty)
        #expect(LineDiff.unified([], ["only"], ansi: ANSI(enabled: false)) == ["@@ -0,0 +1,1 @@", "+only"])
    }

    @Test("The line diff is a correct edit script on arbitrary inputs")
    func editScript() {
        var generator = SeededRandom(seed: 7)
        for _ in 0..<200 {
            let old = (0..<Int(generator.next() % 12)).map { _ in String(generator.next() % 4) }
            let new = (0..<Int(generator.next() % 12)).map { _ in String(generator.next() % 4) }
            let ops = LineDiff.operations(old, new)
            var rebuiltOld: [String] = []
            var rebuiltNew: [String] = []
            for op in ops {
                switch op {
                case .same(let line): rebuiltOld.append(line); rebuiltNew.append(line)
                case .removed(let line): rebuiltOld.append(line)
                case .added(let line): rebuiltNew.append(line)
                }
            }
            #expect(rebuiltOld == old)
            #expect(rebuiltNew == new)
        }
    }

    @Test("A long diff with few changes is those changes, not delete-all/add-all")
    func largeInputs() {
        // After the common 1 500-line prefix is trimmed, 1 500 × 4 500 lines remain (6.75 M cells):
        // the old table-based diff gave up above 4 M cells and listed every line as changed.
        let old = (0..<3_000).map { "line \($0)" }
        var new = old
        new[1_500] = "changed"
        new += (0..<3_000).map { "tail \($0)" }
        let ops = LineDiff.operations(old, new)
        let removed = ops.compactMap { op -> String? in
            if case .removed(let line) = op { return line }
            return nil
        }
        let added = ops.compactMap { op -> String? in
            if case .added(let line) = op { return line }
            return nil
        }
        #expect(removed == ["line 1500"])
        #expect(added.count == 3_001)
        #expect(added.first == "changed")
    }

    @Test("Two runs' prompts are compared per module, on a shared input when there is one")
    func diffRuns() {
        let runA = RunRecord(id: "aaaaaaaa-1", kind: .compile, program: "sentiment")
        let runB = RunRecord(id: "bbbbbbbb-2", kind: .compile, program: "sentiment")
        let callsA = [
            makeCall(id: 1, run: runA.id, system: "Classify.\nOld instruction.", user: "x1"),
            makeCall(id: 2, run: runA.id, system: "Classify.\nOld instruction.", user: "shared"),
            makeCall(id: 3, run: runA.id, module: "qa.retrieve", system: "same", user: "q"),
            makeCall(id: 4, run: runA.id, module: "gone", user: "q"),
        ]
        let callsB = [
            makeCall(id: 11, run: runB.id, system: "Classify.\nNew instruction.", user: "shared"),
            makeCall(id: 12, run: runB.id, module: "qa.retrieve", system: "same", user: "q"),
            makeCall(id: 13, run: runB.id, module: "new.module", user: "q"),
        ]
        let comparisons = PromptDiff.compare(callsA, callsB)
        #expect(comparisons.map(\.modulePath) == ["classify.predict", "qa.retrieve", "gone", "new.module"])
        #expect(comparisons[0].comparedCalls?.a == 2)
        #expect(comparisons[0].comparedCalls?.b == 11)
        #expect(comparisons[0].sameInput)
        #expect(comparisons[0].outcome == .different(lines: [
            "@@ -1,6 +1,6 @@", " System message:", " Classify.", "-Old instruction.", "+New instruction.", " ",
            " User message:", " shared",
        ]))
        #expect(comparisons[1].outcome == .identical)
        #expect(comparisons[2].outcome == .onlyInA)
        #expect(comparisons[3].outcome == .onlyInB)

        let text = PromptDiff.render(runA: runA, callsA: callsA, runB: runB, callsB: callsB)
        #expect(text.hasPrefix("diff run aaaaaaaa (compile, sentiment) → run bbbbbbbb (compile, sentiment)\n"))
        #expect(text.contains("=== classify.predict: prompts differ (same input)\n"))
        #expect(text.contains("--- a/classify.predict (run aaaaaaaa, call #2)\n+++ b/classify.predict (run bbbbbbbb, call #11)\n"))
        #expect(text.contains("-Old instruction.\n+New instruction.\n"))
        #expect(text.contains("=== qa.retrieve: prompts identical (1 call vs 1 call)\n"))
        #expect(text.contains("=== gone: only in run aaaaaaaa (1 call)\n"))
        #expect(text.contains("=== new.module: only in run bbbbbbbb (1 call)\n"))
        #expect(text.hasSuffix("4 modules: 1 differ, 1 identical, 2 in one run only\n"))
        #expect(!text.contains("\u{1B}"))

        let one = PromptDiff.render(runA: runA, callsA: callsA, runB: runB, callsB: callsB, modulePath: "qa")
        #expect(one.contains("qa.retrieve"))
        #expect(!one.contains("classify.predict"))
        let coloured = PromptDiff.render(runA: runA, callsA: callsA, runB: runB, callsB: callsB, color: true)
        #expect(coloured.contains("\u{1B}[31m-Old instruction.\u{1B}[0m"))
    }

    @Test("The runs table totals calls, hits, tokens and time")
    func runsTable() {
        let run = RunRecord(
            id: "1a2b3c4d-5e6f", kind: .compile, program: "sentiment",
            startedAt: Date(timeIntervalSince1970: 1_795_000_000),
            finishedAt: Date(timeIntervalSince1970: 1_795_000_075), status: .succeeded)
        let stats = RunStatistics(
            run: run, calls: 412, cacheHits: 100, promptTokens: 51_200, completionTokens: 3_296, callTime: 38.24)
        let text = RunsReport.render([stats], timeZone: utc)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("RUN       KIND     PROGRAM    STARTED              STATUS     CALLS"))
        #expect(lines[1].hasPrefix("1a2b3c4d  compile  sentiment  2026-11-18 11:06:40  succeeded    412"))
        #expect(lines[1].contains("51,200"))
        #expect(lines[1].hasSuffix("38.2 s      1m15s"))
        #expect(RunsReport.render([]) == "No runs recorded.\n")
        let json = RunsReport.json([stats])
        #expect(json.contains(#""id":"1a2b3c4d-5e6f""#))
        #expect(json.contains(#""prompt_tokens":51200"#))
        #expect(json.contains(#""wall_time_s":75"#))
        #expect(json.contains(#""started_at":"2026-11-18T11:06:40.000Z""#))
        #expect(RunsReport.seconds(0.0123) == "0.012 s")
        #expect(RunsReport.seconds(4000) == "1h06m40s")
    }
}

