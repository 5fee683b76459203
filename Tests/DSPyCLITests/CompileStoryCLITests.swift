import DSPyTestSupport
import Foundation
import Testing

private let rows = (0..<8).map { index in
    #"{"text": "review \#(index): \#(index % 2 == 0 ? "a wonderful, lovely film" : "an awful, boring film")", "sentiment": "\#(index % 2 == 0 ? "positive" : "negative")"}"#
}

@Suite("dspyc inspect runs --phases and inspect candidates after a real compile", .serialized)
struct CompileStoryCLITests {
    @Test("A bootstrap compile logs its phases and candidates, and inspect prints both")
    func bootstrapStory() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let train = try dspyc.write("train.jsonl", rows)
        let dev = try dspyc.write("dev.jsonl", Array(rows.prefix(4)))
        let compile = try dspyc.run([
            "compile", "--signature", "text -> sentiment: Literal['positive', 'negative']", "--trainset", train,
            "--devset", dev, "--optimizer", "bootstrap", "--set", "max_bootstrapped_demos=2", "--set", "max_labeled_demos=2",
            "--threads", "1", "--json",
        ])
        #expect(compile.status == 0, "\(compile.output)")

        let phases = try dspyc.run(["inspect", "runs", "latest", "--phases"])
        #expect(phases.status == 0, "\(phases.output)")
        let names = phases.output.split(separator: "\n").map { String($0.prefix { $0 != " " }) }
        #expect(names.first == "PHASE")
        #expect(names.contains("baseline") && names.contains("bootstrap") && names.contains("calibration"), "\(phases.output)")
        #expect(names.contains("compiled-eval") && names.contains("total"), "\(phases.output)")
        // Then the label distribution against the dev set's gold labels, and latency and tokens per call.
        let labels = phases.output.components(separatedBy: "\n").drop { !$0.hasPrefix("LABEL (sentiment)") }
        #expect(labels.first?.split(separator: " ").map(String.init) == ["LABEL", "(sentiment)", "GOLD", "BASELINE", "COMPILED-EVAL"],
                "\(phases.output)")
        #expect(labels.contains { $0.split(separator: " ").prefix(2) == ["positive", "2"] }, "2 positive dev examples: \(phases.output)")
        #expect(phases.output.contains("PER CALL ("), "\(phases.output)")
        let baseline = try #require(phases.output.split(separator: "\n").first { $0.hasPrefix("baseline") })
        #expect(baseline.split(separator: " ")[1] == "4", "4 dev examples, one call each: \(baseline)")

        let json = try dspyc.run(["inspect", "runs", "latest", "--phases", "--json"])
        #expect(json.output.contains("\"phase\":\"compiled-eval\""), "\(json.output)")

        let candidates = try dspyc.run(["inspect", "candidates", "latest"])
        #expect(candidates.status == 0, "\(candidates.output)")
        #expect(candidates.output.contains("baseline"), "\(candidates.output)")
        #expect(candidates.output.contains("chosen  "), "one candidate is chosen, with its reason: \(candidates.output)")
        let chosenRows = candidates.output.split(separator: "\n").filter { $0.hasPrefix("*") }
        #expect(chosenRows.count == 1, "\(candidates.output)")
    }

    @Test("--phases without a run is a clear error")
    func phasesNeedARun() throws {
        let dspyc = try DSPyCRunner()
        defer { dspyc.remove() }
        let result = try dspyc.run(["inspect", "runs", "--phases"])
        #expect(result.status != 0)
        #expect(result.output.contains("--phases needs a run"), "\(result.output)")
    }
}
