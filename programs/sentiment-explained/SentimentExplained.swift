import DSPy

/// `text, sentiment -> explanation`: why a text has the sentiment already chosen for it.
public struct SentimentExplanation: Signature {
    public static let instructions = "Explain in one sentence why the text has the given sentiment."

    @Input public var text: String = ""
    @Input public var sentiment: Polarity
    @Output(desc: "one short sentence") public var explanation: String

    public init() {}

    public init(text: String, sentiment: Polarity) {
        self.text = text
        self.sentiment = sentiment
    }
}

/// Classify, then justify: a two-step program.
///
/// `classify` (a `Predict` over ``Sentiment``) chooses the label; `justify`
/// (a `ChainOfThought` over ``SentimentExplanation``) then explains that
/// label, seeing the text and the chosen sentiment. The prediction carries
/// `sentiment`, `reasoning` and `explanation`. Two LM calls per example;
/// compiling bootstraps demos for both predictors (`classify` and
/// `justify.predict`) from the same successful traces.
///
/// ```swift
/// let program = ClassifyThenJustify()
/// let p = try await program(["text": "what a lovely day"])
/// p["sentiment"]    // "positive"
/// p["explanation"]  // "The speaker calls the day lovely."
/// ```
public final class ClassifyThenJustify: Program {
    public let classify: Predict
    public let justify: ChainOfThought

    public init() {
        classify = Predict(Sentiment.self)
        justify = ChainOfThought(SentimentExplanation.self)
    }

    private init(classify: Predict, justify: ChainOfThought) {
        self.classify = classify
        self.justify = justify
    }

    public func deepCopy() -> ClassifyThenJustify {
        ClassifyThenJustify(classify: classify.deepCopy(), justify: justify.deepCopy())
    }

    public func forward(_ inputs: JSONObject) async throws -> Prediction {
        let label = try await classify(inputs)
        var justifyInputs = inputs
        justifyInputs["sentiment"] = label["sentiment"]
        let why = try await justify(justifyInputs)
        var result = Prediction(
            ["sentiment": label["sentiment"] ?? .null,
             "reasoning": why["reasoning"] ?? .null,
             "explanation": why["explanation"] ?? .null],
            usage: label.usage + why.usage)
        result.usedAdapterFallback = label.usedAdapterFallback || why.usedAdapterFallback
        return result
    }
}

extension Metric {
    /// Sentiment exact match; while bootstrapping (a trace is present) the explanation
    /// must also be at least three words, so only explained successes become demos.
    static let sentimentExplained = Metric("sentiment-explained") { example, prediction, trace in
        let correct = try await Metric.exactMatch(field: "sentiment")(example, prediction)
        guard trace != nil else { return correct }
        let words = normalizedForMetric(prediction["explanation"]?.pythonStr ?? "").split(separator: " ").count
        return correct == 1 && words >= 3 ? 1 : 0
    }
}

extension ProgramSpec {
    /// Classify-then-justify over the sentiment tweets: scored on the label, BootstrapFewShot 4 + 4.
    public static let sentimentExplained = ProgramSpec(
        name: "sentiment-explained",
        summary: "Classify a tweet's sentiment, then explain it (two predictors: Predict, then ChainOfThought)",
        makeProgram: { ClassifyThenJustify() },
        trainset: ProgramData.url("sentiment", .train),
        devset: ProgramData.url("sentiment", .dev),
        inputKeys: ["text"],
        metric: .sentimentExplained,
        optimizer: "bootstrap",
        optimizerSettings: ["max_bootstrapped_demos": "4", "max_labeled_demos": "4"])
}
