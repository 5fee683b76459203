import DSPyHTTP
import DSPyStore
import Foundation
import Testing

@testable import DSPyInspector

@Suite("A run's distributions, demo origins, phase tree and token view")
struct CompileStoryPicturesTests {
    func get(_ app: InspectorWebApp, _ path: String) -> (status: Int, type: String, body: String) {
        let response = app.handle(HTTPRequest(method: "GET", path: path))
        guard case .data(let data) = response.body else { return (response.status, "", "") }
        let type = response.headers.first { $0.0.lowercased() == "content-type" }?.1 ?? ""
        return (response.status, type, String(decoding: data, as: UTF8.self))
    }

    @Test("Labels: the last call per example counts, against the stored gold, per evaluation phase")
    func labelDistribution() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let run = try #require(try fixture.store.run(id: fixture.run.id))
        let distributions = LabelDistribution.of(run: run, calls: try fixture.store.calls(CallQuery(runID: run.id)))
        let sentiment = try #require(distributions.first)
        #expect(distributions.count == 1 && sentiment.field == "sentiment")
        #expect(sentiment.gold == ["positive": 2, "negative": 2])
        #expect(sentiment.predictions.map(\.source) == ["baseline", "compiled-eval"])
        #expect(sentiment.predictions[0].counts == ["positive": 4])
        #expect(sentiment.predictions[1].counts == ["positive": 2, "negative": 2])
        #expect(sentiment.labels == ["negative", "positive"])
        // A failed parse followed by a fallback retry counts once, as the retry's label.
        var failed = makeCall(run: "r", completion: "garbled")
        failed.traceID = "t1"
        failed.parsedFields = nil
        failed.parseError = "no sentiment"
        var retry = makeCall(run: "r")
        retry.traceID = "t1"
        retry.adapterFallback = true
        var lost = makeCall(run: "r", completion: "garbled")
        lost.traceID = "t2"
        lost.parsedFields = nil
        lost.parseError = "no sentiment"
        lost.messages[0].content += "\n[[ ## sentiment ## ]]"
        #expect(LabelDistribution.count("sentiment", in: [failed, retry, lost]) == ["positive": 1, LabelDistribution.unparsed: 1])
        #expect(LabelDistribution.choiceFields([{ var c = makeCall(); c.constraint = "chat-headers: sentiment=choice(2), stars=int; scores [1]"; return c }()]) == ["sentiment"])
        let table = CompileStoryReport.labels(distributions)
        #expect(table.split(separator: "\n").map { $0.split(separator: " ").map(String.init) } == [
            ["LABEL", "(sentiment)", "GOLD", "BASELINE", "COMPILED-EVAL"], ["negative", "2", "0", "2"], ["positive", "2", "4", "2"],
        ])
    }

    @Test("Histograms use nice bin widths, count every value once, and say 1 call, not 1 calls")
    func histograms() throws {
        let chart = SVGHistogram(title: "Latency", unit: "s", values: [0.25, 0.5, 0.75, 1.0, 3.0])
        #expect(chart.bins.map(\.count).reduce(0, +) == 5)
        #expect(abs((chart.bins.first?.lower ?? 0) - 0.2) < 1e-9)
        #expect(chart.bins.allSatisfy { abs($0.upper - $0.lower - 0.2) < 1e-9 })
        #expect(chart.bins.last.map { $0.lower <= 3 && 3 <= $0.upper + 1e-9 && $0.count == 1 } == true)
        #expect(chart.median == 0.75)
        let tokens = SVGHistogram(title: "Tokens", unit: "tokens", values: [3, 3, 4], integral: true)
        #expect(tokens.bins.map(\.count) == [2, 1] && tokens.bins.map(\.lower) == [3, 4])
        #expect(SVGHistogram(title: "None", unit: "s", values: []).svg.description.contains("nothing to show"))
        #expect(SVGHistogram(title: "One", unit: "s", values: [1]).svg.description.contains("1 call ·"))
        let phase = PhaseStatistics(phase: "bootstrap", calls: 1, wallTime: 0.5, firstCall: Date())
        let text = try withTemporaryStore { InspectorWebApp(store: $0).phaseChart([phase]).bars[0].text }
        #expect(text.hasSuffix("· 1 call"))
    }

    @Test("Label, latency and token charts are static SVG with JSON twins; the run page shows them")
    func distributionCharts() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let app = InspectorWebApp(store: fixture.store)
        let base = "/runs/\(fixture.run.id)"
        for name in ["labels", "latency", "prompt-tokens", "completion-tokens"] {
            let svg = get(app, "\(base)/\(name).svg")
            #expect(svg.status == 200 && svg.type.hasPrefix("image/svg+xml"), "\(name)")
            #expect(!svg.body.contains("<script") && !svg.body.contains("foreignObject"), "\(name)")
            #expect(get(app, "\(base)/\(name).json").type.hasPrefix("application/json"), "\(name)")
        }
        let labels = try JSONDecoder().decode([LabelDistribution].self, from: Data(get(app, "\(base)/labels.json").body.utf8))
        #expect(labels.first?.predictions.last?.counts == ["positive": 2, "negative": 2])
        let latency = try JSONDecoder().decode(HistogramJSON.self, from: Data(get(app, "/api\(base)/latency").body.utf8))
        #expect(latency.total == 13, "16 calls, 3 cache hits left out")
        #expect(latency.bins.map(\.count).reduce(0, +) == 13)
        let prompt = try JSONDecoder().decode(HistogramJSON.self, from: Data(get(app, "\(base)/prompt-tokens.json").body.utf8))
        #expect(prompt.bins.first?.lower == 100 && prompt.unit == "tokens")
        let page = get(app, base).body
        #expect(page.contains("<h2>Distributions"))
        #expect(page.contains("Labels of “sentiment”: predictions against gold"))
        #expect(page.contains("<table class=\"labels\">"))
        #expect(page.contains("Prompt tokens per call") && page.contains("Completion tokens per call") && page.contains("Latency per call"))
        #expect(!page.contains("<script"))
    }

    @Test("The trace tree is grouped by phase, and the chosen demo links to the bootstrap call that produced it")
    func phaseTreeAndDemos() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let app = InspectorWebApp(store: fixture.store)
        let calls = try fixture.store.calls(CallQuery(runID: fixture.run.id))
        let page = get(app, "/runs/\(fixture.run.id)").body
        let phases = page.components(separatedBy: "<details class=\"phase\" id=\"phase-").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(phases == ["baseline", "bootstrap", "calibration", "compiled-eval"])
        #expect(page.contains("phase → example → module → calls"))
        let producer = try #require(calls.first { $0.phase == "bootstrap" && $0.traceID == "bootstrap-1" }?.id)
        #expect(page.contains("<h2>Demos of the chosen program"))
        #expect(page.contains("<a class=\"id\" href=\"/calls/\(producer)\">#\(producer)</a>"))
        #expect(page.contains("labelled example (no call)"))
        #expect(page.contains("review 1 says &lt;script&gt;"))
        let text = CompileStoryReport.demos(try fixture.store.candidates(runID: fixture.run.id), calls: calls)
        #expect(text.contains("(from call #\(producer))"))
        #expect(text.contains("(labelled example)"))
        let terminal = CompileStoryReport.distributions(run: try #require(try fixture.store.run(id: fixture.run.id)), calls: calls)
        #expect(terminal.contains("COMPILED-EVAL"))
        #expect(terminal.contains("PER CALL (13 generated)"))
    }

    @Test("A program that is one bare predictor counts as one predictor, 'self', with its demos and offsets")
    func barePredictor() {
        let record = CompileCandidateRecord(
            runID: "r", seq: 0, candidate: "demos", label: "demos",
            program: ["demos": .array([.object(["augmented": true, "text": "good", "sentiment": "positive"])]),
                      "lm": .null,
                      "signature": .object(["instructions": "Classify.",
                                            "fields": .array([.object(["choice_offsets": .object(["positive": 0.5])])])])],
            chosen: true)
        #expect(record.predictors.map(\.path) == ["self"])
        #expect(record.predictors.first?.demos == 1 && record.predictors.first?.offsets == ["positive": 0.5])
        var call = makeCall(run: "r", module: "", user: "[[ ## text ## ]]\ngood")
        call.id = 7
        call.phase = "bootstrap"
        #expect(InspectorWebApp.demoOrigins(record, calls: [call]).map(\.calls) == [[7]])
    }

    @Test("The token view marks forced, choice and sampled tokens, bars each choice, and keeps a <script> token as text")
    func tokenView() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let app = InspectorWebApp(store: fixture.store)
        let calls = try fixture.store.calls(CallQuery(runID: fixture.run.id))
        let traced = try #require(calls.first { $0.tokenTrace != nil })
        #expect(traced.tokenTrace == CompileStoryFixture.tokenTrace("positive"), "the trace round-trips through the store")
        let page = get(app, "/calls/\(try #require(traced.id))").body
        #expect(page.contains("4 completion tokens: 2 forced, 1 by choice scoring, 1 sampled"))
        #expect(page.contains("<span class=\"tk choice\""))
        #expect(page.contains("<span class=\"tk forced\""))
        #expect(page.contains(">&lt;script&gt;</span>"))
        #expect(!page.contains("<script"))
        #expect(page.contains("<h3>Choice 1: <code>sentiment</code>"))
        #expect(page.contains("<tr class=\"chosen\"><td>★</td><td><code>positive</code></td><td class=\"n\">-0.400</td><td class=\"n\">+0.250</td><td class=\"n\">-0.650</td>"))
        #expect(page.components(separatedBy: "<svg class=\"bar\"").count - 1 == 3, "two choice bars and the prefix-cache bar")
        #expect(page.contains("<h3>Sampled tokens"))
        #expect(page.contains("77.9 %"))
        #expect(page.contains("40 of 120 prompt tokens came from the prefix cache"))
        #expect(page.contains("<span class=\"cached\" title=\"from the prefix cache\">"))
        let plain = try #require(calls.first { $0.tokenTrace == nil }?.id)
        #expect(get(app, "/calls/\(plain)").body.contains("No token trace was logged for this call"))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let api = try decoder.decode(LoggedCall.self, from: Data(get(app, "/api/calls/\(try #require(traced.id))").body.utf8))
        #expect(api.tokenTrace?.tokens.count == 4)
    }
}
