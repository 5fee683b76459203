import DSPy

/// A text's sentiment, as the model must answer it (a `Literal['positive', 'negative']`).
public enum Polarity: String, CaseIterable, Codable, Sendable {
    case positive, negative
}

/// `text -> sentiment: Literal['positive', 'negative']`.
///
/// ```swift
/// let classify = Predict(Sentiment.self)
/// let result = try await classify(Sentiment(text: "what a lovely day"))
/// result.sentiment // .positive
/// ```
public struct Sentiment: Signature {
    public static let instructions = "Classify the sentiment of a short text."

    @Input public var text: String = ""
    @Output(desc: "positive or negative") public var sentiment: Polarity

    public init() {}

    public init(text: String) { self.text = text }
}

extension ProgramSpec {
    /// Tweet sentiment: one `Predict` over ``Sentiment``, VADER tweets, BootstrapFewShot 4 + 4.
    public static let sentiment = ProgramSpec(
        name: "sentiment",
        summary: "Tweet sentiment, positive or negative (Predict over a typed signature; VADER tweets)",
        makeProgram: { Predict(Sentiment.self) },
        trainset: ProgramData.url("sentiment", .train),
        devset: ProgramData.url("sentiment", .dev),
        inputKeys: ["text"],
        metric: .exactMatch(field: "sentiment"),
        optimizer: "bootstrap",
        optimizerSettings: ["max_bootstrapped_demos": "4", "max_labeled_demos": "4"])
}
