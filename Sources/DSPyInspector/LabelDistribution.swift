import DSPyStore
import Foundation

/// How a run's predictions of a choice field are distributed, against the gold labels.
///
/// Predictions come from the logged calls' parsed outputs: per example (trace) and module,
/// the last call counts (an adapter's fallback retry replaces the failed call); a call that
/// did not parse counts as ``unparsed``. For a compile the dev-set evaluations are compared
/// (the `baseline` and `compiled-eval` phases); other runs count every call. The gold counts
/// are the ones `dspyc compile`/`eval` store in the run's summary (`gold_labels`), for the
/// evaluated data set. A field is a choice field when the gold labels name it or the
/// calls' constraint says `field=choice(…)`. Cost: one pass over the calls.
public struct LabelDistribution: Sendable, Equatable, Codable {
    /// One group of predictions (`baseline`, `compiled-eval`, or `predicted`).
    public struct Predictions: Sendable, Equatable, Codable {
        public var source: String
        public var counts: [String: Int]
        public var total: Int { counts.values.reduce(0, +) }
    }

    /// The label a call that did not parse counts as.
    public static let unparsed = "(no parse)"
    /// The evaluation phases of a compile, compared with the gold labels.
    public static let evaluationPhases = ["baseline", "compiled-eval"]

    /// The output field.
    public var field: String
    /// The gold counts, when the run stored them.
    public var gold: [String: Int]?
    /// The prediction groups.
    public var predictions: [Predictions]

    /// Every label seen: gold labels by count (largest first), then predicted-only ones,
    /// ``unparsed`` last.
    public var labels: [String] {
        var order = (gold ?? [:]).sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        var extra: Set<String> = []
        for group in predictions { for label in group.counts.keys where !order.contains(label) { extra.insert(label) } }
        order += extra.filter { $0 != Self.unparsed }.sorted()
        if extra.contains(Self.unparsed) { order.append(Self.unparsed) }
        return order
    }

    /// The distributions of a run's choice fields (none when it has no choice field).
    public static func of(run: RunRecord, calls: [LoggedCall]) -> [LabelDistribution] {
        let gold = goldLabels(run.summary)
        var fields = gold.keys.sorted()
        for field in choiceFields(calls) where !fields.contains(field) { fields.append(field) }
        guard !fields.isEmpty else { return [] }
        let phased = calls.contains { $0.phase.map(evaluationPhases.contains) ?? false }
        var groups: [(String, [LoggedCall])] = []
        if phased {
            for phase in evaluationPhases {
                let selected = calls.filter { $0.phase == phase }
                if !selected.isEmpty { groups.append((phase, selected)) }
            }
        } else {
            groups = [("predicted", calls)]
        }
        return fields.compactMap { field in
            let predictions = groups.compactMap { source, calls -> Predictions? in
                let counts = count(field, in: calls)
                return counts.isEmpty ? nil : Predictions(source: source, counts: counts)
            }
            if predictions.isEmpty && gold[field] == nil { return nil }
            return LabelDistribution(field: field, gold: gold[field], predictions: predictions)
        }
    }

    /// Predicted labels of `field`: the last call per example and module that was asked for it.
    static func count(_ field: String, in calls: [LoggedCall]) -> [String: Int] {
        var order: [String] = []
        var last: [String: LoggedCall] = [:]
        for (index, call) in calls.enumerated() {
            guard asksFor(field, call) else { continue }
            let key = call.traceID.map { $0 + "\u{1}" + call.modulePath } ?? "#\(index)"
            if last[key] == nil { order.append(key) }
            last[key] = call
        }
        var counts: [String: Int] = [:]
        for key in order {
            guard let call = last[key] else { continue }
            let label = call.parsedFields?[field].map(labelText) ?? unparsed
            counts[label, default: 0] += 1
        }
        return counts
    }

    /// Whether the call's output includes `field`: it parsed one, or its prompt names it.
    static func asksFor(_ field: String, _ call: LoggedCall) -> Bool {
        if call.parsedFields?[field] != nil { return true }
        guard call.parsedFields == nil || call.parseError != nil else { return false }
        return call.messages.contains { $0.content.contains("[[ ## \(field) ## ]]") || $0.content.contains("`\(field)`") }
    }

    static func labelText(_ value: StoredJSON) -> String {
        switch value {
        case .string(let text): return text.trimmingCharacters(in: .whitespacesAndNewlines)
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .double(let number): return SVGBarChart.number(number)
        case .null: return "None"
        default: return String(describing: value)
        }
    }

    /// `gold_labels` of a run summary: field → label → count.
    static func goldLabels(_ summary: [String: StoredJSON]?) -> [String: [String: Int]] {
        guard case .object(let fields)? = summary?["gold_labels"] else { return [:] }
        var result: [String: [String: Int]] = [:]
        for (field, value) in fields {
            guard case .object(let counts) = value else { continue }
            result[field] = counts.compactMapValues { $0.doubleValue.map { Int($0) } }
        }
        return result
    }

    /// Fields the calls' constraints decode as choices (`sentiment=choice(2)`), in order.
    static func choiceFields(_ calls: [LoggedCall]) -> [String] {
        var seen: [String] = []
        var constraints: Set<String> = []
        for call in calls {
            guard let constraint = call.constraint, constraints.insert(constraint).inserted else { continue }
            let head = constraint.components(separatedBy: "; scores").first ?? constraint
            for part in head.split(whereSeparator: { $0 == "," || $0 == ":" || $0 == " " }) {
                guard let equals = part.firstIndex(of: "="), part[equals...].hasPrefix("=choice(") else { continue }
                let name = String(part[..<equals])
                if !name.isEmpty, !seen.contains(name) { seen.append(name) }
            }
        }
        return seen
    }
}

extension CompileStoryReport {
    /// Label distributions as a terminal table: one row per label, a column for the gold
    /// count and one per prediction group.
    public static func labels(_ distributions: [LabelDistribution], color: Bool = false) -> String {
        var out = ""
        for distribution in distributions {
            let ansi = ANSI(enabled: color)
            let sources = distribution.predictions.map(\.source)
            let header = ["LABEL (\(distribution.field))"] + (distribution.gold == nil ? [] : ["GOLD"]) + sources.map { $0.uppercased() }
            var widths = header.map(\.count)
            let rows = distribution.labels.map { label -> [String] in
                [label] + (distribution.gold.map { [String($0[label] ?? 0)] } ?? [])
                    + distribution.predictions.map { String($0.counts[label] ?? 0) }
            }
            for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
            func line(_ cells: [String]) -> String {
                cells.enumerated().map { i, cell in
                    i == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                        : String(repeating: " ", count: widths[i] - cell.count) + cell
                }.joined(separator: "  ")
            }
            out += ansi.bold(line(header)) + "\n" + rows.map(line).joined(separator: "\n") + "\n"
        }
        return out
    }
}
