import Foundation

/// The value several predictions favour together by their choice scores: a
/// soft vote (a dspyc addition; DSPy has only `majority(_:field:normalize:)`).
///
/// When every prediction carries ``Prediction/choiceScores`` for `field` over
/// the same set of values, each prediction's scores become log-probabilities
/// through a log-softmax and are summed per value; the value with the largest
/// sum wins (the product of the members' distributions). Unlike a majority of
/// hard labels, a confident member outweighs members that barely chose: one
/// strong `negative` beats two weak `positive`s. Ties go to the value the
/// earliest member chose, then to the smaller text.
///
/// The result holds the fields of the first prediction whose own answer is the
/// winner; when none chose it (possible with three or more values), those of
/// the prediction that gave it the highest log-probability, with `field` set
/// to it. Its ``Prediction/choiceScores`` for `field` are the summed scores.
///
/// Without usable scores — a prediction has none for the field, the value sets
/// differ, or a prediction's scores are not finite — the result is
/// `majority(_:field:normalize:)` over the predictions' fields. `field`
/// defaults to the last field of the first prediction, as in `majority`.
///
/// ```swift
/// let p = scoreVote([zeroShot, fewShot, otherInstructions], field: "sentiment")
/// p["sentiment"]  // the value with the largest summed log-softmax
/// ```
///
/// Cost: no LM calls; linear in predictions × values.
public func scoreVote(_ predictions: [Prediction], field: String? = nil) -> Prediction {
    guard let field = field ?? predictions.first?.fields.keys.last else { return Prediction() }
    let scores = predictions.map { $0.choiceScores[field] ?? [:] }
    guard let values = scores.first.map({ Set($0.keys) }), !values.isEmpty,
          scores.allSatisfy({ Set($0.keys) == values })
    else { return majority(predictions.map(\.fields), field: field) }
    let distributions = scores.compactMap(logSoftmax)
    guard distributions.count == scores.count else { return majority(predictions.map(\.fields), field: field) }

    var totals: [String: Double] = [:]
    for distribution in distributions {
        for (value, logprob) in distribution { totals[value, default: 0] += logprob }
    }
    // Candidates in tie-break order: the members' own answers first, then the rest by text.
    let labels = predictions.map { chosenValue(of: $0, field: field, among: values) }
    var order: [String] = []
    for label in labels.compactMap({ $0 }) where !order.contains(label) { order.append(label) }
    order += values.subtracting(order).sorted()
    var winner = order[0]
    for value in order.dropFirst() where totals[value]! > totals[winner]! { winner = value }
    guard totals[winner]!.isFinite else { return majority(predictions.map(\.fields), field: field) }

    var fields: JSONObject
    var source: Prediction
    if let index = labels.firstIndex(of: winner) {
        source = predictions[index]
        fields = source.fields
    } else {
        let index = distributions.indices.max { distributions[$0][winner]! < distributions[$1][winner]! }!
        source = predictions[index]
        fields = source.fields
        fields[field] = choiceValue(winner, like: fields[field])
    }
    var choiceScores = source.choiceScores
    choiceScores[field] = totals
    return Prediction(fields, choiceScores: choiceScores)
}

/// `scores` as log-probabilities (each minus the log of the sum of their
/// exponentials); `nil` when one is NaN or the largest is not finite.
private func logSoftmax(_ scores: [String: Double]) -> [String: Double]? {
    guard !scores.values.contains(where: \.isNaN), let top = scores.values.max(), top.isFinite else { return nil }
    let logSum = logSumExp(scores.values, largest: top)
    return scores.mapValues { $0 - logSum }
}

/// `log(Σ exp(v))`, computed stably by factoring out `largest` (the largest of `values`).
func logSumExp<Values: Sequence<Double>>(_ values: Values, largest: Double) -> Double {
    largest + log(values.reduce(0) { $0 + exp($1 - largest) })
}

/// The choice among `values` that a prediction answered for `field`: its
/// value's text, exactly or after ``normalizeText(_:)``.
private func chosenValue(of prediction: Prediction, field: String, among values: Set<String>) -> String? {
    guard let text = prediction.fields[field]?.pythonStr else { return nil }
    if values.contains(text) { return text }
    let normalized = normalizeText(text)
    return values.sorted().first { normalizeText($0) == normalized }
}

/// The choice text as a value of the kind the field already holds (Booleans
/// are Python's `True`/`False`, numbers parse), a string otherwise.
private func choiceValue(_ text: String, like existing: JSONValue?) -> JSONValue {
    switch existing {
    case .bool?: if text == "True" || text == "False" { return .bool(text == "True") }
    case .int?: if let i = Int(text) { return .int(i) }
    case .double?: if let d = Double(text) { return .double(d) }
    default: break
    }
    return .string(text)
}
