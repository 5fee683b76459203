import DSPyUtilities
import Foundation

/// Scores a program on a dev set: DSPy's `dspy.Evaluate`.
///
/// Examples run concurrently (at most ``maxConcurrency`` at once, so the
/// embedded engine can batch them); each prediction is scored with the metric.
/// A program or metric error does not abort the run: the example gets
/// ``failureScore``, still counts in the denominator (as in DSPy), and the
/// error is kept in its row. Once ``maxErrors`` errors have happened the
/// remaining work is cancelled and ``OptimizerError/tooManyErrors(count:lastError:)`` is thrown.
///
/// The score is a percentage rounded to two decimals as DSPy rounds it
/// (`round(100 * sum / n, 2)`). The result also counts the predicted labels,
/// so a program that always answers one label is visible at a glance.
///
/// ```swift
/// let evaluate = Evaluate(devset: dev, metric: .exactMatch())
/// let result = try await evaluate(program)
/// print(result.summary)        // Average Metric: 150.00 / 200 (75.0%)
/// ```
public struct Evaluate: Sendable {
    public var devset: [Example]
    public var metric: Metric
    /// How many examples run at once (DSPy's `num_threads`).
    public var maxConcurrency: Int
    /// Errors after which the run is cancelled (DSPy's `max_errors`, default 10); `nil` never cancels.
    public var maxErrors: Int?
    /// The score given to an example whose program or metric failed.
    public var failureScore: Double
    /// Show a progress bar (rate and ETA) on standard error.
    public var displayProgress: Bool
    /// The field whose values are counted in ``EvaluationResult/labelDistribution``;
    /// `nil` uses the first label field of the first example.
    public var labelField: String?
    /// Where the progress bar writes; `nil` is standard error.
    public var progressOutput: (@Sendable (String) -> Void)?

    public init(
        devset: [Example], metric: Metric, maxConcurrency: Int = 8, maxErrors: Int? = 10,
        failureScore: Double = 0, displayProgress: Bool = false, labelField: String? = nil,
        progressOutput: (@Sendable (String) -> Void)? = nil
    ) {
        self.devset = devset
        self.metric = metric
        self.maxConcurrency = max(1, maxConcurrency)
        self.maxErrors = maxErrors
        self.failureScore = failureScore
        self.displayProgress = displayProgress
        self.labelField = labelField
        self.progressOutput = progressOutput
    }

    /// Runs `program` over the dev set.
    ///
    /// - Throws: ``OptimizerError/tooManyErrors(count:lastError:)`` once ``maxErrors`` is reached;
    ///   `CancellationError` when the task is cancelled.
    public func callAsFunction(_ program: any Program) async throws -> EvaluationResult {
        let progress = displayProgress
            ? ProgressBar(title: "Evaluating", total: Int64(devset.count), unit: .items("examples"),
                          write: progressOutput)
            : nil
        let clock = ContinuousClock()
        let start = clock.now
        let devset = self.devset
        let maxConcurrency = self.maxConcurrency
        let maxErrors = self.maxErrors
        let slots = ResultSlots<EvaluationResult.Row>(count: devset.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, example) in devset.enumerated() {
                if index >= maxConcurrency { try await group.next() }
                try Task.checkCancellation()
                group.addTask {
                    let row = try await DSPySettings.with({ $0.traceID = UUID().uuidString }) {
                        try await self.score(program, example)
                    }
                    let errors = slots.set(index, row, failed: row.error != nil)
                    progress?.advance()
                    if row.error != nil, let maxErrors, errors >= maxErrors {
                        throw OptimizerError.tooManyErrors(count: errors, lastError: row.error ?? "")
                    }
                }
            }
            do {
                try await group.waitForAll()
            } catch {
                progress?.finish("cancelled")
                throw error
            }
        }
        let rows = slots.values
        let finalRows = devset.indices.map { rows[$0] ?? EvaluationResult.Row(example: Example(JSONObject()), prediction: Prediction(), score: failureScore, error: "not run") }
        let result = EvaluationResult(rows: finalRows, metricName: metric.name,
                                      labelField: labelField ?? Self.defaultLabelField(devset),
                                      elapsed: clock.now - start)
        progress?.finish(result.summary)
        return result
    }

    /// One example's row; a spent compile budget (``BudgetExhausted``) is rethrown, not scored.
    private func score(_ program: any Program, _ example: Example) async throws -> EvaluationResult.Row {
        let prediction: Prediction
        do {
            prediction = try await program.forward(try example.inputs().fields)
        } catch let error as BudgetExhausted {
            throw error
        } catch {
            return .init(example: example, prediction: Prediction(), score: failureScore, error: "\(error)")
        }
        do {
            let value = try await metric(example, prediction)
            guard value.isFinite else {
                return .init(example: example, prediction: prediction, score: failureScore,
                             error: "\(MetricError(metric: metric.name, message: "returned \(value)"))")
            }
            return .init(example: example, prediction: prediction, score: value, error: nil)
        } catch let error as MetricError {
            return .init(example: example, prediction: prediction, score: failureScore, error: "\(error)")
        } catch {
            return .init(example: example, prediction: prediction, score: failureScore,
                         error: "\(MetricError(metric: metric.name, message: "\(error)"))")
        }
    }

    static func defaultLabelField(_ devset: [Example]) -> String? {
        guard let first = devset.first else { return nil }
        return first.keys.first { !(first.inputKeys ?? []).contains($0) && $0 != "augmented" }
    }
}

/// What ``Evaluate`` returns: the score, every row, errors and the label distribution.
public struct EvaluationResult: Sendable, CustomStringConvertible {
    /// One example's outcome.
    public struct Row: Sendable {
        public let example: Example
        /// The prediction; empty when the program failed.
        public let prediction: Prediction
        public let score: Double
        /// The program's or metric's error, when it failed.
        public let error: String?
    }

    public let rows: [Row]
    public let metricName: String
    /// The field counted in ``labelDistribution``.
    public let labelField: String?
    public let elapsed: Duration

    /// Σ scores (failures contribute their failure score).
    public var total: Double { rows.reduce(0) { $0 + $1.score } }
    /// The percentage, `round(100 × Σ / n, 2)` with Python's rounding; 0 for an empty set.
    public var score: Double { rows.isEmpty ? 0 : pythonRound(100 * total / Double(rows.count), digits: 2) }
    /// How many examples failed (program or metric error).
    public var errorCount: Int { rows.filter { $0.error != nil }.count }
    /// The per-example scores in dev-set order.
    public var scores: [Double] { rows.map(\.score) }

    /// Predicted values of ``labelField`` (normalized) with counts, most frequent first;
    /// failed examples count as `<error>`, missing values as `<none>`.
    public var labelDistribution: [(label: String, count: Int)] {
        guard let labelField else { return [] }
        var counts: [String: Int] = [:]
        var order: [String] = []
        for row in rows {
            let label = row.error != nil && row.prediction.fields.isEmpty ? "<error>"
                : row.prediction[labelField].map { normalizedForMetric($0.pythonStr) } ?? "<none>"
            if counts[label] == nil { order.append(label) }
            counts[label, default: 0] += 1
        }
        return order.map { ($0, counts[$0]!) }.sorted { $0.count > $1.count }
    }

    /// DSPy's log line: `Average Metric: 8.00 / 8 (100.0%)`.
    public var summary: String {
        String(format: "Average Metric: %.2f / %d (", total, rows.count) + "\(pythonFloatText(score))%)"
            + (errorCount > 0 ? ", \(errorCount) error\(errorCount == 1 ? "" : "s")" : "")
    }

    public var description: String { "EvaluationResult(score=\(pythonFloatText(score)), results=<list of \(rows.count) results>)" }

    /// The label distribution as one line: `predicted sentiment: positive 180, negative 20`.
    public var distributionLine: String {
        guard let labelField else { return "" }
        let dist = labelDistribution
        let shown = dist.prefix(8).map { "\($0.label) \($0.count)" }.joined(separator: ", ")
        let more = dist.count > 8 ? ", … (\(dist.count) distinct)" : ""
        var line = "predicted \(labelField): \(shown)\(more)"
        if dist.count == 1, rows.count > 1 { line += "  ← every prediction is the same" }
        return line
    }

    /// A per-example table (inputs, gold labels, predicted outputs, score), cells cut to `width`.
    public func table(limit: Int? = nil, width: Int = 40) -> String {
        let shownRows = limit.map { Array(rows.prefix($0)) } ?? rows
        guard let first = shownRows.first?.example else { return "" }
        let inputKeys = first.inputKeys ?? []
        let labelKeys = first.keys.filter { !inputKeys.contains($0) && $0 != "augmented" }
        var outputKeys: [String] = []
        for row in shownRows { for k in row.prediction.fields.keys where !outputKeys.contains(k) { outputKeys.append(k) } }
        let header = ["#"] + inputKeys + labelKeys.map { "gold \($0)" } + outputKeys.map { "pred \($0)" } + [metricName]
        var body: [[String]] = []
        for (i, row) in shownRows.enumerated() {
            var cells = ["\(i + 1)"]
            cells += inputKeys.map { row.example[$0]?.pythonStr ?? "" }
            cells += labelKeys.map { row.example[$0]?.pythonStr ?? "" }
            cells += outputKeys.map { row.prediction[$0]?.pythonStr ?? "" }
            cells.append(row.error.map { "✗ error: \($0)" } ?? (row.score >= 1 ? "✔ \(pythonFloatText(row.score))" : pythonFloatText(row.score)))
            body.append(cells.map { Self.cell($0, width: width) })
        }
        var widths = header.map(\.count)
        for cells in body { for (i, c) in cells.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: " | ")
                .trimmingCharacters(in: .whitespaces)
        }
        var out = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "-+-")]
        out += body.map(line)
        if let limit, rows.count > limit { out.append("… \(rows.count - limit) more rows") }
        return out.joined(separator: "\n")
    }

    static func cell(_ text: String, width: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }
}

/// Python's `round(x, digits)` for floats: the exact binary value rounded half-to-even.
public func pythonRound(_ x: Double, digits: Int) -> Double {
    guard x.isFinite else { return x }
    return Double(String(format: "%.\(digits)f", x)) ?? x
}

/// Python's `repr` of a float (`100.0`, `66.67`).
public func pythonFloatText(_ x: Double) -> String {
    if x.isFinite, x == x.rounded(), abs(x) < 1e16 { return String(format: "%.1f", x) }
    return "\(x)"
}
