import DSPyHTTP
import DSPyStore
import Foundation
import Testing

@testable import DSPyInspector

/// A compile run with phases and candidates: a baseline, a bootstrap, two calibrated
/// candidates (demos chosen over zero-shot), a fine-tuning job (the `training` phase, no
/// LM calls) whose candidate is set aside, and the compiled evaluation. A logged prompt
/// and a candidate's decision hold `<script>`.
struct CompileStoryFixture {
    static let hostile = "<script>alert(1)</script>"
    /// The fine-tuned candidate's adapter.
    static let adapterDigest = "3f9a0c7e5b21" + String(repeating: "d4", count: 26)

    let directory: URL
    let store: Store
    let run: RunRecord

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dspyc-story-\(UUID().uuidString)", isDirectory: true)
        store = try Store(path: directory.appendingPathComponent("dspyc.sqlite").path)
        let start = Date().addingTimeInterval(-120)
        run = try store.beginRun(kind: .compile, program: "sentiment", startedAt: start)
        var calls: [LoggedCall] = []
        func add(_ phase: String, _ candidate: String?, count: Int, from offset: TimeInterval, hit: Bool = false,
                 label: (Int) -> String = { _ in "positive" }) {
            for i in 0..<count {
                var call = makeCall(run: run.id, user: "[[ ## text ## ]]\nreview \(i) says \(Self.hostile)",
                                    at: start.timeIntervalSince1970 + offset + Double(i), cacheHit: hit)
                call.runKind = .compile
                call.traceID = "\(phase)-\(i)"
                call.phase = phase
                call.candidate = candidate
                call.parsedFields = ["sentiment": .string(label(i))]
                call.latency = 0.25 * Double(i + 1)
                call.promptTokens = 100 + 10 * i
                if phase == "compiled-eval" { call.tokenTrace = Self.tokenTrace(label(i)) }
                calls.append(call)
            }
        }
        add("baseline", "baseline", count: 4, from: 0)
        add("bootstrap", nil, count: 2, from: 10)
        add("calibration", "demos", count: 3, from: 20)
        add("calibration", "zero-shot", count: 3, from: 30, hit: true)
        add("compiled-eval", "demos", count: 4, from: 40) { $0 % 2 == 0 ? "positive" : "negative" }
        try store.log(calls)
        func state(demos: Int, offsets: [String: StoredJSON], lm: StoredJSON = .null) -> [String: StoredJSON] {
            ["classify.predict": .object([
                "demos": .array((0..<demos).map { i in
                    i == 0 ? .object(["augmented": true, "text": .string("review 1 says \(Self.hostile)"), "sentiment": "positive"])
                        : .object(["text": "fine", "sentiment": "positive"])
                }),
                "signature": .object(["instructions": "Classify the sentiment.",
                                      "fields": .array([.object(["prefix": "Sentiment:", "choice_offsets": .object(offsets)])])]),
                "lm": lm,
            ])]
        }
        // Fine-tuning between calibration and the compiled evaluation, as BootstrapFinetune records it.
        try store.savePhaseWork([
            PhaseWorkRecord(runID: run.id, seq: 0, phase: "training", candidate: "finetune", startedAt: start.addingTimeInterval(33),
                            wallTime: 5, tokens: 812, steps: 4, rows: 4, finalLoss: 0.6931, adapterDigest: Self.adapterDigest,
                            adapterRank: 2, adapterAlpha: 4),
        ], runID: run.id)
        let adapter: StoredJSON = ["model": "SmolLM2-135M-Instruct.Q4_1", "adapter": [
            "digest": .string(Self.adapterDigest), "format": "gguf-lora", "bytes": 40960, "rank": 2, "alpha": 4.0,
            "targets": ["attn_q", "attn_v"], "rows": 4, "steps": 4, "tokens": 812, "final_loss": 0.6931,
        ]]
        try store.saveCandidates([
            CompileCandidateRecord(runID: run.id, seq: 0, candidate: "baseline", label: "the program as given",
                                   program: state(demos: 0, offsets: [:]), scores: [.init(split: "dev", score: 48, examples: 4)],
                                   decision: "the reference"),
            CompileCandidateRecord(runID: run.id, seq: 1, candidate: "demos", label: "4 demos",
                                   program: state(demos: 4, offsets: ["positive": 0.25, "negative": -0.25]),
                                   scores: [.init(split: "held-out train", score: 70, examples: 3), .init(split: "dev", score: 75, examples: 4)],
                                   chosen: true, decision: "demos win: 3/3 vs 2/3"),
            CompileCandidateRecord(runID: run.id, seq: 2, candidate: "zero-shot", label: "no demos",
                                   program: state(demos: 0, offsets: ["positive": 0.5, "negative": -0.5]),
                                   scores: [.init(split: "held-out train", score: 66.67, examples: 3)],
                                   decision: "set aside \(Self.hostile)"),
            CompileCandidateRecord(runID: run.id, seq: 3, candidate: "finetune", label: "adapter 3f9a0c7e5b21",
                                   program: state(demos: 0, offsets: [:], lm: adapter),
                                   scores: [.init(split: "held-out train", score: 60, examples: 3)],
                                   decision: "set aside: below the demos' held-out score"),
        ], runID: run.id)
        try store.finishRun(run.id, status: .succeeded,
                            summary: ["gold_labels": .object(["sentiment": .object(["positive": 2, "negative": 2])])],
                            finishedAt: start.addingTimeInterval(60))
    }

    /// A compiled-eval call's token trace: forced headers, the label by scored choice, a
    /// sampled token that holds markup, and 40 prefix-cached prompt tokens.
    static func tokenTrace(_ label: String) -> TokenTrace {
        TokenTrace(
            promptTokens: 120, cachedPromptTokens: 40, cachedCharacters: [30, 0],
            tokens: [
                .init(text: "[[ ## sentiment ## ]]\n", origin: .forced),
                .init(text: label, origin: .choice, choice: 0),
                .init(text: "<script>", origin: .sampled, logprob: -0.25,
                      top: [.init(text: "<script>", logprob: -0.25), .init(text: " ok", logprob: -2.5)]),
                .init(text: "\n\n[[ ## completed ## ]]", origin: .forced),
            ],
            choices: [.init(field: "sentiment", values: ["positive", "negative"], logprobs: [-0.4, -1.3],
                            offsets: [0.25, -0.25], chosen: label == "positive" ? 0 : 1)])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// The id of the first call with a token trace.
    func tracedCallID() throws -> Int64 {
        let calls = try store.calls(CallQuery(runID: run.id))
        guard let id = calls.first(where: { $0.tokenTrace != nil })?.id else {
            throw StoreError.unknownRun("no traced call in \(run.id)")
        }
        return id
    }
}

@Suite("A compile's phases, candidates and charts")
struct CompileStoryTests {
    func get(_ app: InspectorWebApp, _ path: String) -> (status: Int, type: String, body: String, csp: String) {
        let response = app.handle(HTTPRequest(method: "GET", path: path))
        guard case .data(let data) = response.body else { return (response.status, "", "", "") }
        let header = { (name: String) in response.headers.first { $0.0.lowercased() == name.lowercased() }?.1 ?? "" }
        return (response.status, header("Content-Type"), String(decoding: data, as: UTF8.self), header("Content-Security-Policy"))
    }

    @Test("The terminal phase table lists each phase with its calls, hits, tokens and a total")
    func terminalPhases() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let text = CompileStoryReport.phases(try fixture.store.phaseStatistics(runID: fixture.run.id))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("PHASE") == true)
        let table = lines.prefix { !$0.hasPrefix("training:") }
        #expect(table.map { String($0.prefix { $0 != " " }) }
                == ["PHASE", "baseline", "bootstrap", "calibration", "training", "compiled-eval", "total"])
        #expect(lines.first?.hasSuffix("TRAIN TOK  STEPS  FINAL LOSS") == true)
        let calibration = try #require(lines.first { $0.hasPrefix("calibration") })
        #expect(calibration.split(separator: " ").prefix(4) == ["calibration", "6", "3", "2"])
        let training = try #require(lines.first { $0.hasPrefix("training ") })
        #expect(training.split(separator: " ").prefix(2) == ["training", "0"], "training makes no LM calls")
        #expect(training.split(separator: " ").suffix(5) == ["5.0", "s", "812", "4", "0.6931"], "wall time, tokens, steps, loss")
        #expect(table.last?.split(separator: " ").prefix(3) == ["total", "16", "3"])
        #expect(lines.last == "training: adapter 3f9a0c7e5b21 (rank 2, alpha 4) for finetune: 4 rows, 4 steps, 812 tokens, "
                + "final loss 0.6931, 5.0 s")
    }

    @Test("The phases as JSON hold the training row with its totals and its job's adapter")
    func phasesJSON() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let json = CompileStoryReport.phasesJSON(try fixture.store.phaseStatistics(runID: fixture.run.id))
        guard case .array(let phases) = json else { Issue.record("not an array: \(json)"); return }
        #expect(phases.map { $0.objectValue?["phase"]?.stringValue } == ["baseline", "bootstrap", "calibration", "training", "compiled-eval"])
        let training = try #require(phases[3].objectValue)
        #expect(training["calls"] == 0 && training["wall_time_s"] == 5)
        #expect(training["trained_tokens"] == 812 && training["steps"] == 4 && training["rows"] == 4)
        #expect(training["final_loss"] == 0.6931)
        let job = try #require(training["work"].flatMap { if case .array(let jobs) = $0 { jobs.first } else { nil } }?.objectValue)
        #expect(job["candidate"] == "finetune")
        #expect(job["adapter"] == ["digest": .string(CompileStoryFixture.adapterDigest), "rank": 2, "alpha": 4])
        #expect(phases[0].objectValue?["work"] == [], "a phase of calls has no work")
        #expect(phases[0].objectValue?["steps"] == nil)
    }

    @Test("The terminal candidate table marks the chosen one and prints every decision")
    func terminalCandidates() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let text = CompileStoryReport.candidates(try fixture.store.candidates(runID: fixture.run.id))
        let demosRow = try #require(text.split(separator: "\n").first { $0.contains(" demos ") })
        #expect(demosRow.hasPrefix("*"))
        #expect(demosRow.contains("negative -0.25, positive 0.25"))
        #expect(demosRow.contains("70.00") && demosRow.contains("75.00"))
        #expect(text.contains("chosen  demos: demos win: 3/3 vs 2/3"))
        #expect(text.contains("zero-shot: set aside <script>"))
        #expect(text.split(separator: "\n").first?.contains("ADAPTER") == true)
        let finetuneRow = try #require(text.split(separator: "\n").first { $0.contains(" finetune ") })
        #expect(finetuneRow.contains("3f9a0c7e5b21") && finetuneRow.contains("60.00"))
        #expect(text.contains("finetune classify.predict adapter: 3f9a0c7e5b21 (rank 2, alpha 4): 4 rows, 4 steps, 812 tokens, "
                              + "final loss 0.6931\n"))
        let json = CompileStoryReport.candidatesJSON(try fixture.store.candidates(runID: fixture.run.id)).jsonText
        #expect(json.contains("\"adapter\":{\"alpha\":4,\"base_model\":\"SmolLM2-135M-Instruct.Q4_1\",\"digest\":\"\(CompileStoryFixture.adapterDigest)\""))
    }

    @Test("The run page shows the phase table, the candidates with the chosen one, and both charts inline")
    func runPage() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let page = get(InspectorWebApp(store: fixture.store), "/runs/\(fixture.run.id)")
        #expect(page.status == 200)
        #expect(page.body.contains("<h2>Phases"))
        #expect(page.body.contains("<td>compiled-eval</td><td class=\"n\">4</td>"))
        #expect(page.body.contains("<tr class=\"work\"><td>training</td><td class=\"n\">0</td>"))
        #expect(page.body.contains("<td class=\"n\">812 trained</td>"))
        #expect(page.body.contains("<td class=\"n\">5.00 s</td><td class=\"n\">4</td><td class=\"n\">0.6931</td></tr>"),
                "training's wall time, steps and final loss")
        #expect(page.body.contains("<li>training: adapter 3f9a0c7e5b21 (rank 2, alpha 4) for finetune: 4 rows"))
        #expect(page.body.contains("<th>Adapter</th>"))
        #expect(page.body.contains("<code>3f9a0c7e5b21</code> rank 2 · alpha 4 · 4 rows · 4 steps · final loss 0.6931</div>"),
                "the fine-tuned candidate's adapter")
        #expect(page.body.contains("<tr class=\"chosen\"><td>★ chosen</td>"))
        #expect(page.body.contains("set aside &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!page.body.contains("<script"))
        #expect(page.body.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\""))
        #expect(page.body.contains("href=\"/runs/\(fixture.run.id)/scores.svg\""))
        #expect(page.csp.contains("default-src 'none'"))
    }

    @Test("The score chart is static SVG with the chosen bar marked, and its JSON twin holds the same bars")
    func scoreChart() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let app = InspectorWebApp(store: fixture.store)
        let svg = get(app, "/runs/\(fixture.run.id)/scores.svg")
        #expect(svg.status == 200)
        #expect(svg.type.hasPrefix("image/svg+xml"))
        #expect(svg.csp.contains("default-src 'none'"))
        #expect(svg.body.contains("<g class=\"bar marked\"><title>demos: 75.00 % (dev, 4) · chosen</title>"))
        #expect(svg.body.components(separatedBy: "<rect ").count == 5)
        #expect(!svg.body.contains("<script") && !svg.body.contains("foreignObject"))
        let json = get(app, "/runs/\(fixture.run.id)/scores.json")
        #expect(json.type.hasPrefix("application/json"))
        let chart = try JSONDecoder().decode(ChartJSON.self, from: Data(json.body.utf8))
        #expect(chart.bars.map(\.label) == ["baseline", "demos", "zero-shot", "finetune"])
        #expect(chart.bars.map(\.value) == [48, 75, 66.67, 60])
        #expect(chart.bars.map(\.marked) == [false, true, false, false])
        #expect(try JSONDecoder().decode(ChartJSON.self, from: Data(get(app, "/api/runs/\(fixture.run.id)/scores").body.utf8)) == chart)
    }

    @Test("The phase chart has one bar per phase in order; an unknown chart is a 404 naming the charts")
    func phaseChart() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let app = InspectorWebApp(store: fixture.store)
        let chart = try JSONDecoder().decode(ChartJSON.self, from: Data(get(app, "/runs/\(fixture.run.id)/phases.json").body.utf8))
        #expect(chart.bars.map(\.label) == ["baseline", "bootstrap", "calibration", "training", "compiled-eval"])
        #expect(chart.unit == "s")
        #expect(chart.bars[2].text.hasSuffix("6 calls"))
        #expect(chart.bars[3].value == 5 && chart.bars[3].text == "5.00 s · 4 steps · loss 0.6931")
        let twin = try JSONSerialization.jsonObject(with: Data(get(app, "/runs/\(fixture.run.id)/phases.json").body.utf8)) as? [String: Any]
        let phases = twin?["phases"] as? [[String: Any]] ?? []
        #expect(phases.map { $0["phase"] as? String } == chart.bars.map(\.label), "the JSON twin carries the phase data too")
        #expect(phases.count == 5 && phases[3]["steps"] as? Int == 4 && phases[3]["trained_tokens"] as? Int == 812)
        let svg = get(app, "/runs/\(fixture.run.id)/phases.svg")
        #expect(svg.body.components(separatedBy: "<rect ").count == 6)
        #expect(svg.body.contains("<title>training: 5.00 s · 4 steps · loss 0.6931</title>"))
        #expect(!chart.bars.map(\.text).contains { $0.hasSuffix(" 1 calls") })
        let missing = get(app, "/runs/\(fixture.run.id)/nonsense.svg")
        #expect(missing.status == 404)
        #expect(missing.body.contains("scores.svg"))
    }

    @Test("A run without phases or candidates shows neither section")
    func plainRun() throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let page = get(InspectorWebApp(store: fixture.store), "/runs/\(fixture.compile.id)")
        #expect(page.status == 200)
        #expect(!page.body.contains("<h2>Phases"))
        #expect(!page.body.contains("<h2>Candidates"))
    }
}
