import DSPyStore
import Foundation

extension CompileStoryReport {
    /// What `dspyc inspect runs RUN --phases` prints after the phase table: each choice
    /// field's predicted labels against the gold ones, then latency and tokens per call
    /// (cache hits left out) as median, mean and maximum.
    public static func distributions(run: RunRecord, calls: [LoggedCall], color: Bool = false) -> String {
        var out = ""
        let labels = LabelDistribution.of(run: run, calls: calls)
        if !labels.isEmpty { out += "\n" + self.labels(labels, color: color) }
        let generated = calls.filter { !$0.cacheHit }
        guard !generated.isEmpty else { return out }
        func line(_ name: String, _ values: [Double], _ format: (Double) -> String) -> [String] {
            let sorted = values.sorted()
            let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            let mean = sorted.reduce(0, +) / Double(sorted.count)
            return [name, format(median), format(mean), format(sorted.last ?? 0)]
        }
        let rows = [
            line("latency", generated.map(\.latency), RunsReport.seconds),
            line("prompt tokens", generated.map { Double($0.promptTokens) }) { RunsReport.grouped(Int($0.rounded())) },
            line("completion tokens", generated.map { Double($0.completionTokens) }) { RunsReport.grouped(Int($0.rounded())) },
        ]
        let header = ["PER CALL (\(generated.count) generated)", "MEDIAN", "MEAN", "MAX"]
        let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max() ?? 0 }
        func render(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
        out += "\n" + ANSI(enabled: color).bold(render(header)) + "\n" + rows.map(render).joined(separator: "\n") + "\n"
        return out
    }

    /// What `dspyc inspect candidates RUN` prints after the candidates: the chosen program's
    /// demos, each with the bootstrap calls that produced it (`dspyc inspect --call ID` or
    /// `/calls/ID` on the web page shows one).
    public static func demos(_ candidates: [CompileCandidateRecord], calls: [LoggedCall]) -> String {
        guard let chosen = candidates.first(where: \.chosen) else { return "" }
        let origins = InspectorWebApp.demoOrigins(chosen, calls: calls)
        guard !origins.isEmpty else { return "" }
        var out = "\nDemos of \(chosen.candidate):\n"
        for (index, demo) in origins.enumerated() {
            let fields = demo.fields.map { "\($0.0)=\(($0.1.count > 40 ? String($0.1.prefix(39)) + "…" : $0.1).debugDescription)" }
                .joined(separator: " ")
            let source = !demo.augmented ? "labelled example"
                : demo.calls.isEmpty ? "no bootstrap call found"
                : "from call " + demo.calls.map { "#\($0)" }.joined(separator: ", ")
            out += "  \(index + 1). \(demo.path) \(fields)  (\(source))\n"
        }
        return out
    }
}
