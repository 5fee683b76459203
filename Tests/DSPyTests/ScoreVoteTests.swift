import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// Answers `sentiment` with a fixed label and reports choice scores as the embedded engine does.
final class ScoredChoiceLM: LanguageModel, @unchecked Sendable {
    let modelIdentifier = "scored-choice"
    let label: String
    let logprobs: [Double]
    let offsets: [Double]

    /// `logprobs` and `offsets` are for `positive`, `negative`, in that order.
    init(label: String, logprobs: [Double], offsets: [Double] = [0, 0]) {
        self.label = label
        self.logprobs = logprobs
        self.offsets = offsets
    }

    func complete(_ request: LMRequest) async throws -> LMResponse {
        let metadata: JSONObject = ["choice_scores": [[
            "field": "sentiment", "values": ["positive", "negative"],
            "logprobs": .array(logprobs.map(JSONValue.double)), "offsets": .array(offsets.map(JSONValue.double)),
            "chosen": .string(label),
        ]]]
        return LMResponse(completions: [LMCompletion(text: "[[ ## sentiment ## ]]\n\(label)\n\n[[ ## completed ## ]]")],
                          metadata: metadata)
    }
}

@Suite("Choice scores on predictions and the soft vote")
struct ScoreVoteTests {
    let signature = "text -> sentiment: Literal['positive', 'negative']"

    @Test("Predict exposes the reported choice scores minus their calibration offsets")
    func predictExposesScores() async throws {
        let lm = ScoredChoiceLM(label: "positive", logprobs: [-0.25, -1.5], offsets: [0.5, -0.25])
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await Predict(signature)(["text": "fine"]) }
        #expect(p["sentiment"] == "positive")
        let scores = try #require(p.choiceScores["sentiment"])
        #expect(scores == ["positive": -0.75, "negative": -1.25])
        // Scores are not fields, and do not take part in equality.
        #expect(p.fields.keys == ["sentiment"])
        #expect(p == Prediction(["sentiment": "positive"]))
    }

    @Test("A model that reports no scores leaves the prediction's scores empty")
    func noScoresWithoutMetadata() async throws {
        let lm = DummyLM([["sentiment": "positive"]])
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await Predict(signature)(["text": "fine"]) }
        #expect(p["sentiment"] == "positive")
        #expect(p.choiceScores.isEmpty)
    }
}
