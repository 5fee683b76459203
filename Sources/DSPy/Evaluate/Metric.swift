import Foundation

/// A score for one prediction against its gold example: DSPy's `metric(example, pred, trace=None)`.
///
/// `trace` is the list of predictor calls behind the prediction while an
/// optimizer bootstraps (so a metric can be stricter then), and `nil` during
/// evaluation. Scores are usually in 0...1; `true`/`false` metrics return 1/0.
/// A metric that throws is counted as an error for that example (never a crash).
///
/// ```swift
/// let metric = Metric("exact") { example, prediction, _ in
///     example["answer"] == prediction["answer"] ? 1 : 0
/// }
/// ```
public struct Metric: Sendable {
    public typealias Function = @Sendable (Example, Prediction, [TraceStep]?) async throws -> Double

    /// The name shown in reports and errors.
    public let name: String
    let function: Function
    /// Set when the metric can explain its score (``init(_:feedback:)``); GEPA reads it.
    let feedbackFunction: FeedbackFunction?

    public init(_ name: String, _ function: @escaping Function) {
        self.name = name
        self.function = function
        self.feedbackFunction = nil
    }

    /// Scores one prediction.
    public func callAsFunction(_ example: Example, _ prediction: Prediction, trace: [TraceStep]? = nil) async throws -> Double {
        try await function(example, prediction, trace)
    }
}

/// The metric failed on an example; Evaluate and the optimizers count it as an error.
public struct MetricError: Error, CustomStringConvertible, Sendable {
    public let metric: String
    public let message: String
    public var description: String { "metric `\(metric)` failed: \(message)" }
}

// MARK: - Built-in metrics

extension Metric {
    /// The names accepted by ``named(_:field:)``.
    public static let builtInNames = ["exact-match", "f1", "contains", "prefix"]

    /// A built-in metric by name (`exact-match` or `em`, `f1`, `contains`, `prefix`).
    ///
    /// - Parameters:
    ///   - name: the metric's name (case-insensitive; `_` reads as `-`).
    ///   - field: the output to compare; `nil` compares every label field of the example
    ///     (its non-input keys) that the prediction has, and averages.
    /// - Throws: ``OptimizerError/unknownMetric(_:known:)``.
    public static func named(_ name: String, field: String? = nil) throws -> Metric {
        switch name.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "exact-match", "em", "exact": return exactMatch(field: field)
        case "f1", "token-f1": return f1(field: field)
        case "contains": return contains(field: field)
        case "prefix": return prefix(field: field)
        default: throw OptimizerError.unknownMetric(name, known: builtInNames)
        }
    }

    /// Normalized exact match (DSPy's `EM` with `normalize_text`): 1 when every compared field matches.
    public static func exactMatch(field: String? = nil) -> Metric {
        fieldwise("exact-match", field: field) { gold, predicted in
            normalizedForMetric(gold) == normalizedForMetric(predicted) ? 1 : 0
        }
    }

    /// Token F1 over normalized words (DSPy's `F1`).
    public static func f1(field: String? = nil) -> Metric {
        fieldwise("f1", field: field) { gold, predicted in tokenF1(predicted, gold) }
    }

    /// 1 when the normalized gold text occurs in the normalized prediction.
    public static func contains(field: String? = nil) -> Metric {
        fieldwise("contains", field: field) { gold, predicted in
            let g = normalizedForMetric(gold)
            let p = normalizedForMetric(predicted)
            return !g.isEmpty && (" " + p + " ").contains(" " + g + " ") ? 1 : 0
        }
    }

    /// 1 when the normalized prediction starts with the normalized gold text (whole words).
    public static func prefix(field: String? = nil) -> Metric {
        fieldwise("prefix", field: field) { gold, predicted in
            let g = normalizedForMetric(gold)
            let p = normalizedForMetric(predicted)
            return !g.isEmpty && (p == g || p.hasPrefix(g + " ")) ? 1 : 0
        }
    }

    static func fieldwise(_ name: String, field: String?, score: @escaping @Sendable (String, String) -> Double) -> Metric {
        Metric(name) { example, prediction, _ in
            let keys = try labelKeys(example, field: field)
            var total = 0.0
            for key in keys {
                guard let gold = example[key] else {
                    throw MetricError(metric: name, message: "the example has no field `\(key)`")
                }
                let predicted = prediction[key]?.pythonStr ?? ""
                total += score(gold.pythonStr, predicted)
            }
            if name == "exact-match" { return total == Double(keys.count) ? 1 : 0 }
            return total / Double(keys.count)
        }
    }

    /// The gold fields a built-in metric compares.
    static func labelKeys(_ example: Example, field: String?) throws -> [String] {
        if let field { return [field] }
        let keys = example.keys.filter { !(example.inputKeys ?? []).contains($0) && $0 != "augmented" }
        guard !keys.isEmpty else {
            throw MetricError(metric: "built-in", message: "the example has no label fields (set its inputs with withInputs)")
        }
        return keys
    }
}

/// DSPy's `normalize_text`, exactly: NFD, lower case, ASCII punctuation (`string.punctuation`)
/// removed, the words `a`/`an`/`the` removed, whitespace collapsed.
public func normalizedForMetric(_ text: String) -> String {
    let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)
    let lowered = text.decomposedStringWithCanonicalMapping.lowercased()
    let kept = String(String.UnicodeScalarView(lowered.unicodeScalars.filter { !punctuation.contains($0) }))
    return kept.split(whereSeparator: \.isWhitespace)
        .filter { $0 != "a" && $0 != "an" && $0 != "the" }
        .joined(separator: " ")
}

/// DSPy's `f1_score`: harmonic mean of precision and recall over normalized word counts.
public func tokenF1(_ prediction: String, _ gold: String) -> Double {
    let p = normalizedForMetric(prediction).split(separator: " ").map(String.init)
    let g = normalizedForMetric(gold).split(separator: " ").map(String.init)
    var counts: [String: Int] = [:]
    for w in g { counts[w, default: 0] += 1 }
    var same = 0
    for w in p where (counts[w] ?? 0) > 0 {
        counts[w]! -= 1
        same += 1
    }
    guard same > 0 else { return 0 }
    let precision = Double(same) / Double(p.count)
    let recall = Double(same) / Double(g.count)
    return 2 * precision * recall / (precision + recall)
}
