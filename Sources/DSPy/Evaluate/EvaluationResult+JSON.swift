import Foundation

extension EvaluationResult {
    /// The result as JSON (score, counts, label distribution, every row), for `--json` output and files.
    public var jsonValue: JSONValue {
        let results: [JSONValue] = rows.map { row in
            var o: JSONObject = [
                "example": .object(row.example.fields), "prediction": .object(row.prediction.fields),
                "score": .double(row.score),
            ]
            if let error = row.error { o["error"] = .string(error) }
            return .object(o)
        }
        return [
            "metric": .string(metricName), "score": .double(score), "total": .double(total), "count": .int(rows.count),
            "errors": .int(errorCount), "label_field": labelField.map(JSONValue.string) ?? .null,
            "label_distribution": .object(JSONObject(labelDistribution.map { ($0.label, JSONValue.int($0.count)) })),
            "elapsed_seconds": .double(elapsed.seconds), "results": .array(results),
        ]
    }
}

extension CompileReport {
    /// The report as JSON, for `--json` output and run records.
    public var jsonValue: JSONValue {
        [
            "optimizer": .string(optimizer), "lm_calls": .int(lmCalls), "cache_hits": .int(cacheHits),
            "errors": .int(errors), "seed": seed.map(JSONValue.int) ?? .null,
            "best_score": bestScore.map(JSONValue.double) ?? .null,
            "demos": .array(demos.map { ["predictor": .string($0.predictor), "total": .int($0.total), "augmented": .int($0.augmented)] }),
            "instructions": .array(instructions.map { ["predictor": .string($0.predictor), "text": .string($0.text)] }),
            "candidates": .array(candidates.map { ["label": .string($0.label), "score": .double($0.score), "minibatch": .bool($0.minibatch)] }),
            "notes": .array(notes.map(JSONValue.string)), "elapsed_seconds": .double(elapsed.seconds),
        ]
    }
}
