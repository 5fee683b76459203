import DSPy

/// The five world regions of the `country-region` dataset.
public enum WorldRegion: String, CaseIterable, Codable, Sendable {
    case africa = "Africa"
    case americas = "Americas"
    case asia = "Asia"
    case europe = "Europe"
    case oceania = "Oceania"
}

/// `country -> region: Literal['Africa', 'Americas', 'Asia', 'Europe', 'Oceania']`.
///
/// ```swift
/// let locate = Predict(CountryRegion.self)
/// let result = try await locate(CountryRegion(country: "Peru"))
/// result.region // .americas
/// ```
public struct CountryRegion: Signature {
    public static let instructions = "Name the world region a country belongs to."

    @Input public var country: String = ""
    @Output(desc: "the country's world region") public var region: WorldRegion

    public init() {}

    public init(country: String) { self.country = country }
}

extension ProgramSpec {
    /// Country to world region: one `Predict` over ``CountryRegion``, BootstrapFewShot 4 + 4.
    public static let countryRegion = ProgramSpec(
        name: "country-region",
        summary: "Country to world region, one of five (Predict over a typed signature)",
        makeProgram: { Predict(CountryRegion.self) },
        trainset: ProgramData.url("country-region", .train),
        devset: ProgramData.url("country-region", .dev),
        inputKeys: ["country"],
        metric: .exactMatch(field: "region"),
        optimizer: "bootstrap",
        optimizerSettings: ["max_bootstrapped_demos": "4", "max_labeled_demos": "4"])
}
