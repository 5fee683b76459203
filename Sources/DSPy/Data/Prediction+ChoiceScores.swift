extension Prediction {
    /// The calibrated choice scores an LM reported in its response metadata.
    ///
    /// Reads `metadata["choice_scores"]`, an array of objects
    /// `{"field", "values", "logprobs", "offsets", "chosen"}` (the embedded
    /// engine's format), into field → value → `logprob − offset`. A missing or
    /// malformed `offsets` counts as zeros; entries without a field name or
    /// with `values` and `logprobs` of different lengths are skipped; the
    /// first entry for a field wins. Returns an empty dictionary when the
    /// metadata holds no scores.
    ///
    /// Cost: linear in the number of reported values.
    static func choiceScores(fromMetadata metadata: JSONObject) -> [String: [String: Double]] {
        var result: [String: [String: Double]] = [:]
        for entry in metadata["choice_scores"]?.arrayValue ?? [] {
            guard let field = entry["field"]?.stringValue, result[field] == nil,
                  let values = entry["values"]?.arrayValue?.compactMap(\.stringValue),
                  let logprobs = entry["logprobs"]?.arrayValue?.compactMap(\.doubleValue),
                  !values.isEmpty, values.count == logprobs.count
            else { continue }
            var offsets = entry["offsets"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            if offsets.count != values.count { offsets = Array(repeating: 0, count: values.count) }
            var scores: [String: Double] = [:]
            for (index, value) in values.enumerated() where scores[value] == nil {
                scores[value] = logprobs[index] - offsets[index]
            }
            result[field] = scores
        }
        return result
    }
}
