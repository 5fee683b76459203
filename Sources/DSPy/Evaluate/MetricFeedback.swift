import Foundation

/// A score with text that says what was right or wrong: what a DSPy metric returns as
/// `dspy.Prediction(score=…, feedback=…)` for GEPA.
public struct ScoreWithFeedback: Sendable, Hashable {
    public var score: Double
    /// `nil` lets the optimizer use DSPy's default text (``defaultText(score:)``).
    public var feedback: String?

    public init(score: Double, feedback: String? = nil) {
        self.score = score
        self.feedback = feedback
    }

    /// DSPy's text for a metric without feedback: `This trajectory got a score of {score}.`,
    /// the score printed as Python prints a float.
    public static func defaultText(score: Double) -> String {
        "This trajectory got a score of \(pythonFloatText(score))."
    }
}

extension Metric {
    /// The signature of a metric that explains its score: DSPy's
    /// `metric(gold, pred, trace, pred_name, pred_trace)`. `predictor` is the name of the predictor
    /// being improved (`nil` while scoring the whole program); `trace` holds the run's predictor calls.
    public typealias FeedbackFunction = @Sendable (Example, Prediction, [TraceStep]?, String?) async throws -> ScoreWithFeedback

    /// A metric that returns a score with feedback. Used as a plain metric (``Evaluate``, the other
    /// optimizers) it gives the score alone; GEPA shows the feedback to the reflection model.
    ///
    /// ```swift
    /// let metric = Metric("exact-with-feedback") { example, prediction, _, _ in
    ///     let right = example["answer"] == prediction["answer"]
    ///     return ScoreWithFeedback(score: right ? 1 : 0,
    ///                              feedback: right ? "Correct." : "The answer is \(example["answer"]!.pythonStr).")
    /// }
    /// ```
    public init(_ name: String, feedback: @escaping FeedbackFunction) {
        self.name = name
        self.function = { example, prediction, trace in try await feedback(example, prediction, trace, nil).score }
        self.feedbackFunction = feedback
    }

    /// True when the metric gives feedback text of its own.
    public var givesFeedback: Bool { feedbackFunction != nil }

    /// The score with feedback for one prediction; a score-only metric gets DSPy's default text.
    ///
    /// Cost: one metric call.
    public func scoreWithFeedback(_ example: Example, _ prediction: Prediction, trace: [TraceStep]? = nil,
                                  predictor: String? = nil) async throws -> ScoreWithFeedback {
        if let feedbackFunction {
            var result = try await feedbackFunction(example, prediction, trace, predictor)
            if result.feedback == nil { result.feedback = ScoreWithFeedback.defaultText(score: result.score) }
            return result
        }
        let score = try await function(example, prediction, trace)
        return ScoreWithFeedback(score: score, feedback: ScoreWithFeedback.defaultText(score: score))
    }
}
