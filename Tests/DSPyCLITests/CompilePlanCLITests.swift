import DSPyTestSupport
import Foundation
import Testing

private let rows = [
    #"{"text": "I love this, what a wonderful day", "sentiment": "positive"}"#,
    #"{"text": "Great news, I am so happy", "sentiment": "positive"}"#,
    #"{"text": "This is awful, I hate it", "sentiment": "negative"}"#,
    #"{"text": "Terrible service and a rude waiter", "sentiment": "negative"}"#,
    #"{"text": "The best concert of my life", "sentiment": "positive"}"#,
    #"{"text": "My phone broke again, so annoying", "sentiment": "negative"}"#,
]
private let signature = "text -> sentiment: Literal['positive', 'negative']"

/// The JSON object a `--json` command printed among its progress lines.
private func object(_ output: String) throws -> [String: Any] {
    // Pretty-printed: the object starts with a line holding only `{` and ends at the last `}`.
    let start = output.hasPrefix("{\n") ? output.startIndex : try #require(output.range(of: "\n{\n"), "\(output)").lowerBound
    let end = try #require(output.lastIndex(of: "}"), "\(output)")
    let data = Data(output[start...end].utf8)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(output)")
}

private func range(_ value: Any?) throws -> (low: Int, high: Int) {
    let figure = try #require(value as? [String: Any])
    return (try #require(figure["low"] as? Int), try #require(figure["high"] as? Int))
}

@Suite("dspyc compile --plan and --budget", .serialized)
struct CompilePlanCLITests {
    func compile(_ dspyc: DSPyCRunner, _ extra: [String]) throws -> (status: Int32, output: String) {
        let train = try dspyc.write("train.jsonl", rows)
        let dev = try dspyc.write("dev.jsonl", Array(rows.prefix(4)))
        return try dspyc.run(["compile", "--signature", signature, "--trainset", train, "--devset", dev,
                              "--threads", "1", "--json"] + extra)
    }

    @Test("--plan prints every phase and exits without an LM call or a run")
    func planMakesNoCall() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let plan = try compile(dspyc, ["--plan"])
        #expect(plan.status == 0, "\(plan.output)")
        let phases = try #require(try object(plan.output)["phases"] as? [[String: Any]])
        #expect(phases.compactMap { $0["name"] as? String } == [
            "baseline evaluation", "teacher calibration", "bootstrap (teacher runs)", "student calibration",
            "zero-shot comparison", "compiled evaluation",
        ])
        let runs = try dspyc.run(["inspect", "runs", "--json"])
        #expect(!runs.output.contains("\"compile\""), "planning started no run: \(runs.output)")
        let text = try dspyc.run(["compile", "--signature", signature, "--trainset", dspyc.home.appendingPathComponent("train.jsonl").path,
                                  "--devset", dspyc.home.appendingPathComponent("dev.jsonl").path, "--threads", "1", "--plan",
                                  "--optimizer", "mipro"])
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("NOT PLANNED: optimizer 'mipro' has no planner"), "\(text.output)")
    }

    @Test("a labeled compile uses exactly the planned calls and prompt tokens; bootstrap stays in its ranges")
    func planMatchesRun() throws {
        for (optimizer, exact) in [("labeled", true), ("bootstrap", false)] {
            let dspyc = try DSPyCRunner()
            defer { dspyc.remove() }
            let settings = optimizer == "labeled" ? ["--set", "k=2"] : []
            let planned = try object(try compile(dspyc, ["--optimizer", optimizer, "--plan"] + settings).output)
            let ran = try compile(dspyc, ["--optimizer", optimizer] + settings)
            #expect(ran.status == 0, "\(ran.output)")
            let summary = try object(ran.output)
            let calls = try #require(summary["lmCalls"] as? Int)
            let tokens = try #require(summary["promptTokens"] as? Int)
            let plannedCalls = try range(planned["calls"])
            let plannedTokens = try range(planned["promptTokens"])
            if exact {
                #expect(plannedCalls.low == plannedCalls.high && plannedTokens.low == plannedTokens.high)
                #expect(calls == plannedCalls.high)
                #expect(tokens == plannedTokens.high)
            } else {
                #expect(plannedCalls.low <= calls && calls <= plannedCalls.high, "\(calls) vs \(plannedCalls)")
                #expect(plannedTokens.low <= tokens && tokens <= plannedTokens.high, "\(tokens) vs \(plannedTokens)")
            }
        }
    }

    @Test("--budget stops the optimizer at the limit; the stopped result is stored, marked, and not reused without it")
    func budgetStops() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let stopped = try compile(dspyc, ["--budget", "calls=5"])
        #expect(stopped.status == 0, "\(stopped.output)")
        let summary = try object(stopped.output)
        let budget = try #require(summary["budget"] as? [String: Any], "\(stopped.output)")
        #expect(budget["stoppedBy"] as? String == "calls")
        #expect(budget["calls"] as? Int == 5)
        // Baseline and compiled evaluations (4 dev examples each) around the 5 optimizer calls.
        #expect(summary["lmCalls"] as? Int == 4 + 5 + 4)
        let again = try object(try compile(dspyc, ["--budget", "calls=5"]).output)
        #expect(again["cached"] as? Bool == true)
        let unbudgeted = try compile(dspyc, [])
        #expect(unbudgeted.status == 0, "\(unbudgeted.output)")
        let full = try object(unbudgeted.output)
        #expect(full["cached"] as? Bool == false, "a stopped compile is not the complete one")
        #expect(full["budget"] == nil)
        let run = try dspyc.run(["run", "--signature", signature, "--trainset", dspyc.home.appendingPathComponent("train.jsonl").path,
                                 "--devset", dspyc.home.appendingPathComponent("dev.jsonl").path,
                                 "--input", "text=What a lovely day", "--threads", "1", "--json"])
        #expect(run.status == 0, "\(run.output)")
    }

    @Test("a malformed --budget fails before loading the model, naming the part")
    func budgetParseError() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let result = try compile(dspyc, ["--budget", "calls=5,time=soon"])
        #expect(result.status != 0)
        #expect(result.output.contains("budget part 'time=soon': 'soon' is not a duration"), "\(result.output)")
    }
}
