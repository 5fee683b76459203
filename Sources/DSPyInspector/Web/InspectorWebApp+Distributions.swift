import DSPyHTTP
import DSPyStore
import Foundation

// A run's distributions on its run page: predicted labels against gold, latency per call and
// tokens per call, as static SVG histograms served alone at /runs/{id}/{name}.svg with a JSON
// twin at ….json.

extension InspectorWebApp {
    /// A chart the inspector serves: its SVG and the data behind it.
    struct ServedChart {
        var svg: HTML
        var data: any Encodable & Sendable
    }

    /// The distribution charts of a run, by the name in their URL.
    static let distributionChartNames = ["labels", "latency", "prompt-tokens", "completion-tokens"]

    /// Calls whose latency and tokens are their own (cache hits cost no tokens and their
    /// latency is a lookup).
    static func generated(_ calls: [LoggedCall]) -> [LoggedCall] { calls.filter { !$0.cacheHit } }

    /// Latency per call (cache hits left out).
    func latencyHistogram(_ calls: [LoggedCall]) -> SVGHistogram {
        SVGHistogram(title: "Latency per call", unit: "s", values: Self.generated(calls).map(\.latency))
    }

    /// Prompt or completion tokens per call (cache hits left out).
    func tokenHistogram(_ calls: [LoggedCall], prompt: Bool) -> SVGHistogram {
        SVGHistogram(
            title: prompt ? "Prompt tokens per call" : "Completion tokens per call", unit: "tokens",
            values: Self.generated(calls).map { Double(prompt ? $0.promptTokens : $0.completionTokens) }, integral: true)
    }

    /// One chart per choice field: the gold counts and each group of predictions, per label.
    func labelCharts(_ distributions: [LabelDistribution]) -> [SVGGroupedBars] {
        distributions.map { d in
            let series = (d.gold == nil ? [] : ["gold"]) + d.predictions.map(\.source)
            let rows = d.labels.map { label in
                SVGGroupedBars.Row(
                    label: label,
                    values: (d.gold.map { [Double($0[label] ?? 0)] } ?? []) + d.predictions.map { Double($0.counts[label] ?? 0) })
            }
            return SVGGroupedBars(title: "Labels of “\(d.field)”: predictions against gold", unit: "examples",
                                  series: series, rows: rows)
        }
    }

    /// The distributions section of a run page (empty for a run without calls).
    func distributionSection(_ run: RunRecord, calls: [LoggedCall]) -> HTML {
        guard !calls.isEmpty else { return "" }
        var content: HTML = "<h2>Distributions <small class=\"muted\">labels, latency and tokens per call</small></h2>"
        let distributions = LabelDistribution.of(run: run, calls: calls)
        for (chart, distribution) in zip(labelCharts(distributions), distributions) {
            let table = labelTable(distribution)
            content += "<figure>\(chart.svg)<figcaption>\(chartLinks(run, "labels")) \(table)</figcaption></figure>"
        }
        if Self.generated(calls).isEmpty {
            content += "<p class=\"empty\">Every call of this run was a cache hit: no latency or token histogram.</p>"
            return content
        }
        content += """
            <figure>\(latencyHistogram(calls).svg)<figcaption>\(chartLinks(run, "latency"))</figcaption></figure>
            <figure>\(tokenHistogram(calls, prompt: true).svg)<figcaption>\(chartLinks(run, "prompt-tokens"))</figcaption></figure>
            <figure>\(tokenHistogram(calls, prompt: false).svg)<figcaption>\(chartLinks(run, "completion-tokens"))</figcaption></figure>
            """
        return content
    }

    /// The numbers behind a label chart, as a small table.
    func labelTable(_ d: LabelDistribution) -> HTML {
        let head: [HTML] = ((d.gold == nil ? [] : ["gold"]) + d.predictions.map(\.source)).map { "<th class=\"n\">\($0)</th>" }
        let rows = d.labels.map { label -> HTML in
            let gold: HTML = d.gold.map { "<td class=\"n\">\($0[label] ?? 0)</td>" } ?? ""
            let predicted: [HTML] = d.predictions.map { "<td class=\"n\">\($0.counts[label] ?? 0)</td>" }
            return "<tr><td>\(label)</td>\(gold)\(predicted)</tr>"
        }
        return "<table class=\"labels\"><thead><tr><th>\(d.field)</th>\(head)</tr></thead><tbody>\(rows)</tbody></table>"
    }

    /// A distribution chart by name, or `nil` when `name` is not one.
    func distributionChart(_ name: String, run: RunRecord) throws -> ServedChart? {
        guard Self.distributionChartNames.contains(name) else { return nil }
        let calls = try store.calls(CallQuery(runID: run.id))
        switch name {
        case "labels":
            let distributions = LabelDistribution.of(run: run, calls: calls)
            let charts = labelCharts(distributions)
            let svg: HTML = charts.isEmpty
                ? SVGGroupedBars(title: "No choice field in this run", unit: "examples", series: [], rows: []).svg
                : charts.count == 1 ? charts[0].svg : Self.stacked(charts.map(\.svg), heights: charts.map(\.height))
            return ServedChart(svg: svg, data: distributions)
        case "latency":
            let chart = latencyHistogram(calls)
            return ServedChart(svg: chart.svg, data: chart.json)
        default:
            let chart = tokenHistogram(calls, prompt: name == "prompt-tokens")
            return ServedChart(svg: chart.svg, data: chart.json)
        }
    }

    /// Several SVG charts one above the other in one `<svg>`.
    static func stacked(_ charts: [HTML], heights: [Int]) -> HTML {
        var y = 0
        var parts: [HTML] = []
        for (chart, height) in zip(charts, heights) {
            parts.append("<g transform=\"translate(0 \(y))\">\(chart)</g>")
            y += height + 8
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVGGroupedBars.width)\" height=\"\(y)\" viewBox=\"0 0 \(SVGGroupedBars.width) \(y)\">\(parts)</svg>"
    }
}

extension SVGGroupedBars {
    /// The chart's height in pixels, as ``svg`` draws it.
    var height: Int { 52 + max(1, rows.count) * (max(1, series.count) * Self.barHeight + 10) + 12 }
}
