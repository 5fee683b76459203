import DSPy

/// The example programs `dspyc compile NAME` knows, by name.
///
/// ```swift
/// let spec = try ProgramRegistry.named("sentiment")
/// let program = try spec.makeProgram()
/// let train = try JSONL.load(spec.trainset, inputKeys: spec.inputKeys)
/// ```
public enum ProgramRegistry {
    /// Every example program, in the order `dspyc` lists them.
    public static let all: [ProgramSpec] = [
        .sentiment,
        .countryRegion,
        .countryCapital,
        .sentimentExplained,
    ]

    /// The names of ``all``, in order.
    public static var names: [String] { all.map(\.name) }

    /// The program called `name`.
    ///
    /// - Throws: ``UnknownProgramError`` listing the available programs.
    public static func named(_ name: String) throws -> ProgramSpec {
        if let spec = all.first(where: { $0.name == name }) { return spec }
        throw UnknownProgramError(name: name, available: names)
    }
}

/// A program name that is not in the registry.
///
/// Its description names the program asked for and every available one:
/// `unknown program 'sentimnet'; available programs: sentiment, country-region, …`.
public struct UnknownProgramError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The name that was asked for.
    public let name: String
    /// The registered names, in registry order.
    public let available: [String]

    public init(name: String, available: [String]) {
        self.name = name
        self.available = available
    }

    public var description: String {
        "unknown program '\(name)'; available programs: \(available.joined(separator: ", "))"
    }
}
