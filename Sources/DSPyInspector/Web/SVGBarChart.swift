import Foundation

/// A horizontal bar chart as static SVG: one labelled bar per row, drawn on the server.
///
/// No script, no external asset, no `<foreignObject>`: the markup is shapes and text only,
/// and every label goes through ``HTML`` escaping, so a label holding markup stays text.
/// Inlined in a page or served alone (`image/svg+xml`), it works under the inspector's
/// Content-Security-Policy. Cost: linear in the number of bars.
///
/// ```swift
/// let chart = SVGBarChart(title: "Score per candidate", unit: "%", bars: [
///     .init(label: "baseline", value: 48, text: "48.00 %"),
///     .init(label: "demos", value: 75, text: "75.00 %", marked: true, note: "chosen"),
/// ])
/// let svg: HTML = chart.svg
/// ```
struct SVGBarChart: Sendable, Equatable {
    /// One bar.
    struct Bar: Sendable, Equatable, Codable {
        /// The row label (left of the bar).
        var label: String
        /// The length of the bar, in the chart's unit (negative values draw as zero).
        var value: Double
        /// The value as shown at the end of the bar.
        var text: String
        /// Whether the bar is highlighted (the chosen candidate).
        var marked: Bool = false
        /// A short note after the value (`chosen`), if any.
        var note: String? = nil
    }

    /// The chart's title, also its accessible name.
    var title: String
    /// The unit of ``Bar/value`` (`%`, `s`), named on the axis.
    var unit: String
    /// The bars, top to bottom.
    var bars: [Bar]
    /// The value the axis ends at; the largest bar's when `nil`.
    var maximum: Double? = nil

    static let width = 720
    static let rowHeight = 26
    static let labelWidth = 220
    static let valueWidth = 190

    /// The chart as an `<svg>` element.
    var svg: HTML {
        let plotWidth = Double(Self.width - Self.labelWidth - Self.valueWidth)
        let top = 34
        let height = top + max(1, bars.count) * Self.rowHeight + 24
        let largest = maximum ?? bars.map(\.value).max() ?? 0
        let scale = largest > 0 ? plotWidth / largest : 0
        var rows: [HTML] = []
        for (index, bar) in bars.enumerated() {
            let y = top + index * Self.rowHeight
            let length = max(0, bar.value.isFinite ? bar.value : 0) * scale
            let fill = bar.marked ? "#1f7a3a" : "#6b8fb8"
            let label = bar.label.count > 30 ? String(bar.label.prefix(29)) + "…" : bar.label
            let note = bar.note.map { " · " + $0 } ?? ""
            rows.append("""
                <g class="bar\(bar.marked ? " marked" : "")"><title>\(bar.label): \(bar.text)\(note)</title>\
                <text x="\(Self.labelWidth - 8)" y="\(y + 17)" text-anchor="end">\(label)</text>\
                <rect x="\(Self.labelWidth)" y="\(y + 4)" width="\(String(format: "%.1f", length))" height="\(Self.rowHeight - 8)" fill="\(fill)"/>\
                <text x="\(Self.labelWidth + Int(length.rounded()) + 6)" y="\(y + 17)"\(bar.marked ? " font-weight=\"bold\"" as HTML : "")>\(bar.text)\(note)</text></g>
                """)
        }
        if bars.isEmpty {
            rows.append("<text x=\"\(Self.labelWidth)\" y=\"\(top + 17)\" fill=\"#666\">nothing to show</text>")
        }
        let axisY = top + max(1, bars.count) * Self.rowHeight + 4
        let axisEnd = Self.labelWidth + Int(plotWidth)
        let axis: HTML = """
            <line x1="\(Self.labelWidth)" y1="\(top)" x2="\(Self.labelWidth)" y2="\(axisY)" stroke="#999"/>\
            <line x1="\(Self.labelWidth)" y1="\(axisY)" x2="\(axisEnd)" y2="\(axisY)" stroke="#999"/>\
            <text x="\(Self.labelWidth)" y="\(axisY + 16)" fill="#666">0</text>\
            <text x="\(axisEnd)" y="\(axisY + 16)" fill="#666" text-anchor="end">\(Self.number(largest)) \(unit)</text>
            """
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="\(Self.width)" height="\(height)" \
            viewBox="0 0 \(Self.width) \(height)" font-family="system-ui, sans-serif" font-size="13">\
            <title>\(title)</title><text x="0" y="18" font-weight="bold" font-size="14">\(title)</text>\
            \(rows)\(axis)</svg>
            """
    }

    /// The chart's data, for its JSON twin.
    var json: ChartJSON { ChartJSON(title: title, unit: unit, bars: bars) }

    /// `75` → `75`; `12.25` → `12.25`.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int(value)) : String(format: "%.2f", value)
    }
}

/// A chart's data as the JSON twin of its SVG serves it.
struct ChartJSON: Sendable, Equatable, Codable {
    var title: String
    var unit: String
    var bars: [SVGBarChart.Bar]
}
