import Foundation

/// A histogram as static SVG: values counted into equal-width bins, drawn as columns.
///
/// Like ``SVGBarChart``: shapes and escaped text only, no script. The bins have a "nice"
/// width (1, 2 or 5 × 10ⁿ, whole numbers for whole-number data) chosen for about
/// ``targetBins`` columns. Cost: linear in the values, plus the bins.
///
/// ```swift
/// let chart = SVGHistogram(title: "Latency per call", unit: "s", values: [0.2, 0.25, 0.9])
/// let svg: HTML = chart.svg
/// ```
struct SVGHistogram: Sendable, Equatable {
    /// One bin: values `v` with `lower <= v < upper` (the last bin includes its upper edge).
    struct Bin: Sendable, Equatable, Codable {
        var lower: Double
        var upper: Double
        var count: Int
    }

    var title: String
    var unit: String
    var bins: [Bin]
    /// Values counted.
    var total: Int
    /// The values' mean and median, if there are values.
    var mean: Double?
    var median: Double?

    static let targetBins = 16
    static let width = 720
    static let height = 220

    init(title: String, unit: String, values: [Double], integral: Bool = false) {
        self.title = title
        self.unit = unit
        let finite = values.filter(\.isFinite).sorted()
        total = finite.count
        mean = finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count)
        median = finite.isEmpty ? nil
            : finite.count % 2 == 1 ? finite[finite.count / 2] : (finite[finite.count / 2 - 1] + finite[finite.count / 2]) / 2
        bins = Self.bin(finite, integral: integral)
    }

    /// Counts sorted finite `values` into nice equal-width bins.
    static func bin(_ values: [Double], integral: Bool) -> [Bin] {
        guard let low = values.first, let high = values.last else { return [] }
        var width = niceWidth((high - low) / Double(targetBins))
        if integral { width = max(1, width.rounded(.up)) }
        if width <= 0 { width = integral ? 1 : max(abs(low) / 10, 1e-3) }
        let start = (low / width).rounded(.down) * width
        let count = max(1, Int(((high - start) / width).rounded(.down)) + 1)
        var bins = (0..<count).map { Bin(lower: start + Double($0) * width, upper: start + Double($0 + 1) * width, count: 0) }
        for value in values {
            let index = min(count - 1, max(0, Int(((value - start) / width).rounded(.down))))
            bins[index].count += 1
        }
        return bins
    }

    /// The smallest of 1, 2, 5 × 10ⁿ at least `raw` (0 for 0).
    static func niceWidth(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 0 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for step in [1.0, 2, 5, 10] where step * magnitude >= raw { return step * magnitude }
        return 10 * magnitude
    }

    /// The chart as an `<svg>` element.
    var svg: HTML {
        let left = 48, right = 16, top = 34, bottom = 40
        let plotWidth = Double(Self.width - left - right)
        let plotHeight = Double(Self.height - top - bottom)
        let largest = bins.map(\.count).max() ?? 0
        var columns: [HTML] = []
        let columnWidth = bins.isEmpty ? 0 : plotWidth / Double(bins.count)
        for (index, bin) in bins.enumerated() {
            let height = largest > 0 ? plotHeight * Double(bin.count) / Double(largest) : 0
            let x = Double(left) + Double(index) * columnWidth
            let y = Double(top) + plotHeight - height
            columns.append("""
                <g class="bin"><title>\(Self.number(bin.lower))–\(Self.number(bin.upper)) \(unit): \(bin.count) \(bin.count == 1 ? "call" : "calls")</title>\
                <rect x="\(Self.format(x + 1))" y="\(Self.format(y))" width="\(Self.format(max(1, columnWidth - 2)))" height="\(Self.format(height))" fill="#6b8fb8"/>\
                \(bin.count > 0 ? "<text x=\"\(Self.format(x + columnWidth / 2))\" y=\"\(Self.format(y - 3))\" text-anchor=\"middle\" font-size=\"11\">\(bin.count)</text>" as HTML : "")</g>
                """)
        }
        if bins.isEmpty {
            columns.append("<text x=\"\(left + 8)\" y=\"\(top + 20)\" fill=\"#666\">nothing to show</text>")
        }
        let axisY = top + Int(plotHeight)
        var ticks: [HTML] = []
        let every = max(1, bins.count / 8)
        for (index, bin) in bins.enumerated() where index % every == 0 {
            let x = Double(left) + Double(index) * columnWidth
            ticks.append("<text x=\"\(Self.format(x))\" y=\"\(axisY + 14)\" fill=\"#666\" font-size=\"11\">\(Self.number(bin.lower))</text>")
        }
        if let last = bins.last {
            ticks.append("<text x=\"\(left + Int(plotWidth))\" y=\"\(axisY + 14)\" fill=\"#666\" font-size=\"11\" text-anchor=\"end\">\(Self.number(last.upper))</text>")
        }
        let stats = [mean.map { "mean " + Self.number($0) }, median.map { "median " + Self.number($0) }]
            .compactMap { $0 }.joined(separator: " · ")
        let caption = "\(total) \(total == 1 ? "call" : "calls")\(stats.isEmpty ? "" : " · " + stats) (\(unit))"
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart histogram" role="img" width="\(Self.width)" height="\(Self.height)" \
            viewBox="0 0 \(Self.width) \(Self.height)" font-family="system-ui, sans-serif" font-size="13">\
            <title>\(title)</title><text x="0" y="18" font-weight="bold" font-size="14">\(title)</text>\
            <text x="\(Self.width - right)" y="18" text-anchor="end" fill="#666" font-size="12">\(caption)</text>\
            \(columns)\
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(axisY)" stroke="#999"/>\
            <line x1="\(left)" y1="\(axisY)" x2="\(left + Int(plotWidth))" y2="\(axisY)" stroke="#999"/>\
            <text x="\(left - 6)" y="\(top + 10)" text-anchor="end" fill="#666" font-size="11">\(largest)</text>\
            <text x="\(left - 6)" y="\(axisY)" text-anchor="end" fill="#666" font-size="11">0</text>\
            \(ticks)<text x="\(left + Int(plotWidth) / 2)" y="\(axisY + 32)" text-anchor="middle" fill="#666" font-size="12">\(unit)</text></svg>
            """
    }

    /// The chart's data, for its JSON twin.
    var json: HistogramJSON {
        HistogramJSON(title: title, unit: unit, total: total, mean: mean, median: median, bins: bins)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// `3` → `3`; `0.25` → `0.25`; `0.125` → `0.125`.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e12 { return String(Int(value)) }
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

/// A histogram's data as its JSON twin serves it.
struct HistogramJSON: Sendable, Equatable, Codable {
    var title: String
    var unit: String
    var total: Int
    var mean: Double?
    var median: Double?
    var bins: [SVGHistogram.Bin]
}
