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

/// A prediction answering `field` with `value`, carrying calibrated `scores`.
private func scored(_ value: String, _ scores: [String: Double], field: String = "sentiment") -> Prediction {
    Prediction(["reasoning": .string("because \(value)"), field: .string(value)],
               choiceScores: scores.isEmpty ? [:] : [field: scores])
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

    @Test("The soft vote picks the largest summed log-softmax even against the majority")
    func softVoteBeatsMajority() throws {
        // Two hesitant positives and one confident negative.
        let predictions = [
            scored("positive", ["positive": -0.6, "negative": -0.8]),
            scored("positive", ["positive": -0.6, "negative": -0.8]),
            scored("negative", ["positive": -4.0, "negative": -0.02]),
        ]
        #expect(majority(predictions.map(\.fields))["sentiment"] == "positive")
        let vote = scoreVote(predictions, field: "sentiment")
        #expect(vote["sentiment"] == "negative")
        #expect(vote["reasoning"] == "because negative")
        let totals = try #require(vote.choiceScores["sentiment"])
        #expect(totals["negative"]! > totals["positive"]!)
        // The field defaults to the last one, as in majority.
        #expect(scoreVote(predictions)["sentiment"] == "negative")
    }

    @Test("The soft vote can pick a value no member chose, keeping the field's kind")
    func softVoteCompromise() {
        let predictions = [
            Prediction(["grade": 1], choiceScores: ["grade": ["1": 0, "2": -0.1, "3": -6]]),
            Prediction(["grade": 3], choiceScores: ["grade": ["1": -6, "2": -0.1, "3": 0]]),
        ]
        let vote = scoreVote(predictions, field: "grade")
        #expect(vote["grade"] == 2)
    }

    @Test("Without scores for every member over the same values the soft vote is the majority")
    func fallsBackToMajority() {
        let unscored = [scored("positive", [:]), scored("negative", [:]), scored("negative", [:])]
        #expect(scoreVote(unscored)["sentiment"] == "negative")
        let partly = [
            scored("positive", ["positive": -0.1, "negative": -9]),
            scored("negative", [:]), scored("negative", [:]),
        ]
        #expect(scoreVote(partly)["sentiment"] == "negative")
        let otherValues = [
            scored("positive", ["positive": -0.1, "negative": -9]),
            scored("negative", ["negative": -0.5, "neutral": -0.9]),
            scored("negative", ["negative": -0.5, "neutral": -0.9]),
        ]
        #expect(scoreVote(otherValues)["sentiment"] == "negative")
        #expect(scoreVote([]) == Prediction())
    }

    @Test("Ensemble votes by summed scores by default, and an explicit reduce still wins")
    func ensembleUsesSoftVote() async throws {
        func member(_ lm: ScoredChoiceLM) -> SimpleModule {
            let m = SimpleModule(signature)
            m.predictor.lm = lm
            return m
        }
        let members = [
            member(ScoredChoiceLM(label: "positive", logprobs: [-0.6, -0.8])),
            member(ScoredChoiceLM(label: "positive", logprobs: [-0.6, -0.8])),
            member(ScoredChoiceLM(label: "negative", logprobs: [-4.0, -0.02])),
        ]
        let soft = try Ensemble().combine(members)
        #expect(try await soft(["text": "meh"])["sentiment"] == "negative")
        let hard = try Ensemble(reduce: { majority($0.map(\.fields)) }).combine(members)
        #expect(try await hard(["text": "meh"])["sentiment"] == "positive")
    }
}
