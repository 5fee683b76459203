import Foundation

/// Horizontal bars in groups as static SVG: one row per category, one thin bar per series
/// (gold, baseline predictions, compiled predictions), with a legend.
///
/// Like ``SVGBarChart``: shapes and escaped text only, no script. Cost: linear in rows × series.
///
/// ```swift
/// let chart = SVGGroupedBars(title: "sentiment", unit: "examples", series: ["gold", "predicted"],
///                            rows: [.init(label: "positive", values: [100, 131])])
/// ```
struct SVGGroupedBars: Sendable, Equatable {
    /// One category and its value in each series.
    struct Row: Sendable, Equatable, Codable {
        var label: String
        var values: [Double]
    }

    var title: String
    var unit: String
    /// The series' names, in the order of each row's values.
    var series: [String]
    var rows: [Row]

    static let width = 720
    static let labelWidth = 180
    static let barHeight = 12
    static let palette = ["#b0883a", "#8a9bb0", "#1f7a3a", "#7a4fa0", "#b04a4a"]

    /// The chart as an `<svg>` element.
    var svg: HTML {
        let plotWidth = Double(Self.width - Self.labelWidth - 80)
        let top = 52
        let rowHeight = max(1, series.count) * Self.barHeight + 10
        let height = top + max(1, rows.count) * rowHeight + 12
        let largest = rows.flatMap(\.values).max() ?? 0
        let scale = largest > 0 ? plotWidth / largest : 0
        var legend: [HTML] = []
        var x = Self.labelWidth
        for (index, name) in series.enumerated() {
            legend.append("""
                <rect x="\(x)" y="28" width="12" height="12" fill="\(Self.palette[index % Self.palette.count])"/>\
                <text x="\(x + 16)" y="38" font-size="12">\(name)</text>
                """)
            x += 24 + 8 * name.count
        }
        var bars: [HTML] = []
        for (rowIndex, row) in rows.enumerated() {
            let y = top + rowIndex * rowHeight
            let label = row.label.count > 24 ? String(row.label.prefix(23)) + "…" : row.label
            let middle = y + (series.count * Self.barHeight) / 2 + 4
            var group: HTML = "<text x=\"\(Self.labelWidth - 8)\" y=\"\(middle)\" text-anchor=\"end\">\(label)</text>"
            for (index, value) in row.values.enumerated() where index < series.count {
                let length = max(0, value.isFinite ? value : 0) * scale
                let barY = y + index * Self.barHeight
                group += """
                    <g><title>\(row.label) · \(series[index]): \(SVGBarChart.number(value)) \(unit)</title>\
                    <rect x="\(Self.labelWidth)" y="\(barY)" width="\(String(format: "%.1f", length))" height="\(Self.barHeight - 2)" \
                    fill="\(Self.palette[index % Self.palette.count])"/>\
                    <text x="\(Self.labelWidth + Int(length.rounded()) + 4)" y="\(barY + 9)" font-size="10">\(SVGBarChart.number(value))</text></g>
                    """
            }
            bars.append("<g class=\"group\">\(group)</g>")
        }
        if rows.isEmpty {
            bars.append("<text x=\"\(Self.labelWidth)\" y=\"\(top + 14)\" fill=\"#666\">nothing to show</text>")
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart grouped" role="img" width="\(Self.width)" height="\(height)" \
            viewBox="0 0 \(Self.width) \(height)" font-family="system-ui, sans-serif" font-size="13">\
            <title>\(title)</title><text x="0" y="18" font-weight="bold" font-size="14">\(title)</text>\
            \(legend)\(bars)\
            <line x1="\(Self.labelWidth)" y1="\(top - 4)" x2="\(Self.labelWidth)" y2="\(height - 8)" stroke="#999"/></svg>
            """
    }

    var json: GroupedBarsJSON { GroupedBarsJSON(title: title, unit: unit, series: series, rows: rows) }
}

/// A grouped bar chart's data as its JSON twin serves it.
struct GroupedBarsJSON: Sendable, Equatable, Codable {
    var title: String
    var unit: String
    var series: [String]
    var rows: [SVGGroupedBars.Row]
}
