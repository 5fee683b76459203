import ArgumentParser
import DSPy
import Foundation
#if canImport(DSPyPrograms)
import DSPyPrograms
#endif

/// Which program a command works on: a registered example program by name, or
/// an ad-hoc one described by a signature and data files.
struct ProgramOptions: ParsableArguments {
    @Argument(help: "A program name (see `dspyc programs`); omit it with --signature.")
    var name: String?

    @Option(help: "An ad-hoc program's signature, e.g. \"text -> sentiment: Literal['positive','negative']\".")
    var signature: String?

    @Option(help: "Instructions for an ad-hoc signature.")
    var instructions: String?

    @Option(help: "Ad-hoc program module: predict or cot.")
    var module: String = "predict"

    @Option(help: "Training examples (JSONL) for an ad-hoc program.")
    var trainset: String?

    @Option(help: "Development examples (JSONL) for an ad-hoc program.")
    var devset: String?

    @Option(help: "Metric for an ad-hoc program: exact_match, f1, contains or prefix.")
    var metric: String = "exact_match"

    func validate() throws {
        if name == nil && signature == nil {
            throw ValidationError("name a program (see `dspyc programs`) or give --signature with --trainset and --devset")
        }
        if name != nil && signature != nil {
            throw ValidationError("give either a program name or --signature, not both")
        }
        if signature != nil && (trainset == nil || devset == nil) {
            throw ValidationError("an ad-hoc --signature program needs --trainset and --devset")
        }
        if !["predict", "cot"].contains(module) {
            throw ValidationError("--module must be predict or cot, got '\(module)'")
        }
    }

    /// The program spec these options name.
    func spec() throws -> ProgramSpec {
        if let name { return try Self.registered(name) }
        guard let signature, let trainset, let devset else { throw CLIError("missing --signature or data files") }
        let parsed = try SignatureSpec(signature, instructions: instructions)
        let metricName = metric.replacingOccurrences(of: "_", with: "-")
        let label = parsed.outputs.last?.name
        let made = try Metric.named(metricName, field: label)
        let module = self.module
        return ProgramSpec(
            name: "ad-hoc:" + signature, summary: "ad-hoc \(module) over \(signature)",
            makeProgram: { () -> any Program in module == "cot" ? ChainOfThought(parsed) : Predict(parsed) },
            trainset: URL(fileURLWithPath: trainset), devset: URL(fileURLWithPath: devset),
            inputKeys: parsed.inputs.map(\.name), metric: made)
    }

    static func registered(_ name: String) throws -> ProgramSpec {
        #if canImport(DSPyPrograms)
        return try ProgramRegistry.named(name)
        #else
        throw CLIError("unknown program '\(name)'; no programs are registered in this build")
        #endif
    }
}
