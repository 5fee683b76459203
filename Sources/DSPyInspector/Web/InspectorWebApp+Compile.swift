import DSPyHTTP
import DSPyStore
import Foundation

// A compile's story on its run page: calls per phase, the optimizer's candidates and its
// decision, and two static SVG charts (score per candidate, time per phase), each also
// served alone at /runs/{id}/{scores,phases}.svg with a JSON twin at ….json.

extension InspectorWebApp {
    /// The charts a run has, by the name in their URL.
    static let chartNames = ["scores", "phases"] + distributionChartNames

    /// The phase and candidate sections of a run page (empty when the run logged no phases
    /// and recorded no candidates, e.g. an `eval` or a run logged before phases existed).
    func compileSection(_ run: RunRecord, calls: [LoggedCall]) throws -> HTML {
        let phases = try store.phaseStatistics(runID: run.id)
        let candidates = try store.candidates(runID: run.id)
        var content: HTML = ""
        if phases.contains(where: { $0.phase != nil }) {
            let worked = phases.contains { !$0.work.isEmpty }
            let rows = phases.map { p -> HTML in
                let work: HTML = !worked ? "" : p.work.isEmpty ? "<td class=\"n\">–</td><td class=\"n\">–</td>" : """
                    <td class="n">\(WebFormat.count(p.steps))</td><td class="n">\(CompileStoryReport.lossText(p.finalLosses))</td>
                    """
                return """
                    <tr\(p.work.isEmpty ? "" : " class=\"work\"" as HTML)><td>\(p.phase ?? "(no phase)")</td>\
                    <td class="n">\(WebFormat.count(p.calls))</td>\
                    <td class="n">\(WebFormat.count(p.cacheHits))</td><td class="n">\(WebFormat.count(p.candidates))</td>\
                    <td class="n">\(tokensCell(p))</td>\
                    <td class="n">\(WebFormat.duration(p.callTime))</td><td class="n">\(WebFormat.duration(p.wallTime))</td>\
                    \(work)</tr>
                    """
            }
            let jobs: [HTML] = phases.flatMap { p in
                p.work.map { "<li>\(p.phase ?? "(no phase)"): \(CompileStoryReport.workText($0))</li>" as HTML }
            }
            content += """
                <h2>Phases <small class="muted">where the calls \(worked ? "and the training " as HTML : "")went</small></h2>
                <div class="scroll"><table class="phases">
                <thead><tr><th>Phase</th><th class="n">Calls</th><th class="n">Cache hits</th><th class="n">Candidates</th>\
                <th class="n" title="prompt → completion tokens, cache hits left out; tokens trained on, all epochs">Tokens</th>\
                <th class="n">Call time</th><th class="n" title="first start to last end">Wall time</th>\
                \(worked ? "<th class=\"n\" title=\"optimizer steps\">Steps</th><th class=\"n\">Final loss</th>" as HTML : "")</tr></thead>
                <tbody>\(rows)</tbody></table></div>
                \(jobs.isEmpty ? "" : "<ul class=\"muted work\">\(jobs)</ul>" as HTML)
                <figure>\(phaseChart(phases).svg)<figcaption>\(chartLinks(run, "phases"))</figcaption></figure>
                """
        }
        if !candidates.isEmpty {
            let splits = CompileStoryReport.scoreSplits(candidates)
            let tuned = candidates.contains { !$0.adapters.isEmpty }
            let head: [HTML] = splits.map { "<th class=\"n\">\($0)</th>" }
            let rows = candidates.map { c -> HTML in
                let scores: [HTML] = splits.map { split in
                    "<td class=\"n\">\(c.score(on: split).map { String(format: "%.2f", $0) } ?? "–")</td>"
                }
                let instructions = c.predictors.map(\.instruction).filter { !$0.isEmpty }.joined(separator: " | ")
                return """
                    <tr\(c.chosen ? " class=\"chosen\"" as HTML : "")><td>\(c.chosen ? "★ chosen" : "")</td>\
                    <td class="mono" title="\(c.label)">\(c.candidate)</td><td class="n">\(c.round.map { String($0) } ?? "–")</td>\
                    <td class="n">\(CompileStoryReport.demosText(c))</td><td>\(CompileStoryReport.offsetsText(c))</td>\
                    \(tuned ? adapterCell(c) : "")\(scores)<td class="instr">\(WebFormat.oneLine(instructions, limit: 120))</td><td>\(c.decision ?? "")</td></tr>
                    """
            }
            content += """
                <h2>Candidates <small class="muted">what the optimizer tried and why it chose</small></h2>
                <div class="scroll"><table class="candidates">
                <thead><tr><th></th><th>Candidate</th><th class="n">Round</th><th class="n">Demos</th><th>Offsets</th>\
                \(tuned ? "<th>Adapter</th>" as HTML : "")\(head)<th>Instruction</th><th>Decision</th></tr></thead>
                <tbody>\(rows)</tbody></table></div>
                <figure>\(scoreChart(candidates).svg)<figcaption>\(chartLinks(run, "scores"))</figcaption></figure>
                """
        }
        content += demoSection(candidates, calls: calls)
        return content
    }

    /// Score per candidate: each candidate's last measured score (its split named), the
    /// chosen one marked.
    func scoreChart(_ candidates: [CompileCandidateRecord]) -> SVGBarChart {
        let bars = candidates.compactMap { c -> SVGBarChart.Bar? in
            guard let last = c.scores.last else { return nil }
            return .init(label: c.candidate, value: last.score,
                         text: String(format: "%.2f %% ", last.score) + "(\(last.split), \(last.examples))",
                         marked: c.chosen, note: c.chosen ? "chosen" : nil)
        }
        return SVGBarChart(title: "Score per candidate (last measured split)", unit: "%", bars: bars,
                           maximum: max(100, bars.map(\.value).max() ?? 0))
    }

    /// Time per phase: wall time from its first start (call or training job) to its last end.
    func phaseChart(_ phases: [PhaseStatistics]) -> SVGBarChart {
        SVGBarChart(title: "Time per phase (wall)", unit: "s", bars: phases.map { p in
            var facts = p.calls > 0 || p.work.isEmpty ? [plural(p.calls, "call")] : []
            if !p.work.isEmpty {
                facts.append(plural(p.steps, "step"))
                facts.append("loss " + CompileStoryReport.lossText(p.finalLosses))
            }
            return .init(label: p.phase ?? "(no phase)", value: p.wallTime,
                         text: ([WebFormat.duration(p.wallTime)] + facts).joined(separator: " · "))
        })
    }

    /// The phases chart's JSON twin: the bars, and each phase's totals and work as
    /// ``CompileStoryReport/phasesJSON(_:)`` writes them.
    struct PhaseChartJSON: Encodable, Sendable {
        var title: String
        var unit: String
        var bars: [SVGBarChart.Bar]
        var phases: StoredJSON

        init(_ chart: SVGBarChart, phases: [PhaseStatistics]) {
            (title, unit, bars) = (chart.title, chart.unit, chart.bars)
            self.phases = CompileStoryReport.phasesJSON(phases)
        }
    }

    /// A phase's Tokens cell: prompt → completion tokens of its calls, and the tokens its
    /// work trained on.
    func tokensCell(_ p: PhaseStatistics) -> String {
        var parts: [String] = []
        if p.calls > 0 || p.work.isEmpty { parts.append("\(WebFormat.count(p.promptTokens)) → \(WebFormat.count(p.completionTokens))") }
        if !p.work.isEmpty { parts.append("\(WebFormat.count(p.workTokens)) trained") }
        return parts.joined(separator: " + ")
    }

    /// A candidate's Adapter cell: per fine-tuned predictor, the digest prefix, rank, alpha,
    /// rows, steps and final loss (the full digest in the tooltip).
    func adapterCell(_ c: CompileCandidateRecord) -> HTML {
        let adapters: [HTML] = c.adapters.map { path, a in
            var facts: [String] = []
            if let rank = a.rank { facts.append("rank \(rank)") }
            if let alpha = a.alpha { facts.append("alpha \(CompileStoryReport.number(alpha))") }
            if let rows = a.rows { facts.append(plural(rows, "row")) }
            if let steps = a.steps { facts.append(plural(steps, "step")) }
            if let loss = a.finalLoss { facts.append("final loss " + String(format: "%.4f", loss)) }
            let owner = c.adapters.count > 1 ? path + " " : ""
            return """
                <div class="adapter" title="\(a.digest)\(a.baseModel.map { " on " + $0 } ?? "")">\(owner)\
                <code>\(String(a.digest.prefix(12)))</code> \(facts.joined(separator: " · "))</div>
                """
        }
        return "<td>\(adapters)</td>"
    }

    /// Links to a chart's standalone SVG and its JSON.
    func chartLinks(_ run: RunRecord, _ name: String) -> HTML {
        let base = runHref(run.id) + "/" + name
        return "<a href=\"\(base).svg\">SVG</a> · <a href=\"\(base).json\">JSON</a>"
    }

    /// `/runs/{id}/{chart}.svg` or `.json` (`/api/runs/{id}/{chart}` is the JSON too).
    func chartResponse(_ run: RunRecord, _ file: String, api: Bool) throws -> HTTPResponse {
        let name = file.hasSuffix(".svg") || file.hasSuffix(".json")
            ? String(file.prefix { $0 != "." }) : file
        let chart: ServedChart
        switch name {
        case "scores":
            let bars = scoreChart(try store.candidates(runID: run.id))
            chart = ServedChart(svg: bars.svg, data: bars.json)
        case "phases":
            let phases = try store.phaseStatistics(runID: run.id)
            let bars = phaseChart(phases)
            chart = ServedChart(svg: bars.svg, data: PhaseChartJSON(bars, phases: phases))
        default:
            guard let found = try distributionChart(name, run: run) else {
                throw WebFailure(status: 404, title: "Not found",
                                 message: "A run has the charts \(Self.chartNames.map { $0 + ".svg" }.joined(separator: ", ")) and their .json twins, not “\(file)”.")
            }
            chart = found
        }
        if api || file.hasSuffix(".json") { return try json(chart.data) }
        guard file.hasSuffix(".svg") else {
            throw WebFailure(status: 404, title: "Not found", message: "Ask for \(name).svg or \(name).json.")
        }
        return HTTPResponse(
            status: 200,
            headers: [("Content-Type", "image/svg+xml; charset=utf-8")] + Self.securityHeaders,
            body: .data(Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + chart.svg.description).utf8)))
    }
}
