import Foundation

/// The most common value of a field across completions: DSPy's `majority`.
///
/// Values are compared after `normalize` (default ``normalizeText(_:)``);
/// completions whose normalized value is `nil` are ignored; a tie goes to
/// the earliest. `field` defaults to the last field of the first completion.
/// Returns a prediction holding that one completion.
public func majority(
    _ completions: [JSONObject], field: String? = nil,
    normalize: (String) -> String? = { normalizeText($0) }
) -> Prediction {
    guard let field = field ?? completions.first?.keys.last else { return Prediction() }
    var counts: [String: Int] = [:]
    var order: [String] = []
    for c in completions {
        guard let value = c[field], let key = normalize(value.pythonStr) else { continue }
        if counts[key] == nil { order.append(key) }
        counts[key, default: 0] += 1
    }
    var bestKey: String? = nil
    for key in order where bestKey == nil || counts[key]! > counts[bestKey!]! { bestKey = key }
    guard let bestKey,
        let winner = completions.first(where: { $0[field].flatMap { normalize($0.pythonStr) } == bestKey })
    else { return Prediction(completions.first ?? JSONObject()) }
    return Prediction(winner)
}

/// ``majority(_:field:normalize:)`` over a prediction's completions.
public func majority(_ prediction: Prediction, field: String? = nil,
                     normalize: (String) -> String? = { normalizeText($0) }) -> Prediction {
    majority(prediction.completions, field: field, normalize: normalize)
}

/// DSPy's `normalize_text`: NFD, lower case, no punctuation, no articles, single spaces.
public func normalizeText(_ s: String) -> String {
    let lowered = s.decomposedStringWithCanonicalMapping.lowercased()
    let noPunct = String(lowered.unicodeScalars.filter { !(CharacterSet.punctuationCharacters.contains($0)
        || CharacterSet.symbols.contains($0) && $0.isASCII) }.map(Character.init))
    let words = noPunct.split(whereSeparator: \.isWhitespace).filter { !["a", "an", "the"].contains($0) }
    return words.joined(separator: " ")
}
