import DSPy
import DSPyStore

/// The gold label distribution of a data set, stored in a run's summary (`gold_labels`) so the
/// inspector can draw predictions against it.
///
/// Only label fields that look like a choice are kept: every example has a short text, number
/// or Boolean there and there are at most ``maximumValues`` distinct values. Cost: one pass.
enum GoldLabels {
    static let maximumValues = 24
    static let maximumLength = 40

    /// `{field: {label: count}}` for the choice-like fields of `keys`, or `nil` when there is none.
    static func summary(_ examples: [Example], keys: [String]) -> StoredJSON? {
        var fields: [String: StoredJSON] = [:]
        for key in keys {
            var counts: [String: Int] = [:]
            var choiceLike = !examples.isEmpty
            for example in examples {
                guard let value = example[key] else { continue }
                switch value {
                case .string, .int, .bool: break
                default: choiceLike = false
                }
                let label = value.pythonStr.trimmingCharacters(in: .whitespacesAndNewlines)
                if label.count > maximumLength { choiceLike = false }
                counts[label, default: 0] += 1
                if !choiceLike || counts.count > maximumValues { choiceLike = false; break }
            }
            if choiceLike, !counts.isEmpty {
                fields[key] = .object(counts.mapValues { .int($0) })
            }
        }
        return fields.isEmpty ? nil : .object(fields)
    }
}
