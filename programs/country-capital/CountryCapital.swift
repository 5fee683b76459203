import DSPy

/// `country -> capital`, answered after a line of reasoning.
///
/// ```swift
/// let answer = ChainOfThought(CountryCapital.self)
/// let result = try await answer.run(CountryCapital(country: "Sweden"))
/// result.capital                   // "Stockholm"
/// result.prediction["reasoning"]   // the model's reasoning
/// ```
public struct CountryCapital: Signature {
    public static let instructions = "Name the capital city of a country."

    @Input public var country: String = ""
    @Output(desc: "the name of the capital city only") public var capital: String

    public init() {}

    public init(country: String) { self.country = country }
}

extension ProgramSpec {
    /// Country to capital: `ChainOfThought` over ``CountryCapital``, normalized exact match
    /// (case, punctuation and articles ignored), BootstrapFewShot 4 + 4.
    public static let countryCapital = ProgramSpec(
        name: "country-capital",
        summary: "Country to capital city (ChainOfThought; normalized exact match)",
        makeProgram: { ChainOfThought(CountryCapital.self) },
        trainset: ProgramData.url("country-capital", .train),
        devset: ProgramData.url("country-capital", .dev),
        inputKeys: ["country"],
        metric: .exactMatch(field: "capital"),
        optimizer: "bootstrap",
        optimizerSettings: ["max_bootstrapped_demos": "4", "max_labeled_demos": "4"])
}
