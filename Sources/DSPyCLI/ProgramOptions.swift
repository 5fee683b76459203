import ArgumentParser
import DSPy
import Foundation
import DSPyPrograms

/// Which program a command works on: a registered example program by name, or
/// an ad-hoc one described by a signature and data files.
///
/// An ad-hoc program is its signature, `--instructions` and `--module`; the
/// data it is compiled on (`--trainset`, `--devset`, `--metric`) are part of
/// which compile `run`, `eval` and `export` use (see ``resolve(compiled:required:fallbackData:)``).
struct ProgramOptions: ParsableArguments {
    @Argument(help: "A program name (see `dspyc programs`); omit it with --signature.")
    var name: String?

    @Option(help: "An ad-hoc program's signature, e.g. \"text -> sentiment: Literal['positive','negative']\".")
    var signature: String?

    @Option(help: "Instructions for an ad-hoc signature.")
    var instructions: String?

    @Option(help: "Ad-hoc program module: predict or cot.")
    var module: String = "predict"

    @Option(help: "Training examples (JSONL) for an ad-hoc program (compile needs it).")
    var trainset: String?

    @Option(help: "Development examples (JSONL) for an ad-hoc program (compile needs it).")
    var devset: String?

    @Option(help: "Metric for an ad-hoc program: exact_match (default), f1, contains or prefix.")
    var metric: String?

    func validate() throws {
        if name == nil && signature == nil {
            throw ValidationError("name a program (see `dspyc programs`) or give --signature with --trainset and --devset")
        }
        if name != nil && signature != nil {
            throw ValidationError("give either a program name or --signature, not both")
        }
        if let name {
            let adHocOnly = [("--trainset", trainset), ("--devset", devset), ("--metric", metric),
                             ("--instructions", instructions)].filter { $0.1 != nil }.map(\.0)
            if !adHocOnly.isEmpty {
                throw ValidationError("\(adHocOnly.joined(separator: ", ")) describe an ad-hoc --signature program; \(name) has its own data and metric")
            }
        }
        if !["predict", "cot"].contains(module) {
            throw ValidationError("--module must be predict or cot, got '\(module)'")
        }
    }

    /// The ad-hoc program's name as runs and compiled programs record it.
    var adHocName: String? { signature.map { "ad-hoc:" + $0 } }

    /// The program spec these options name, with its data: a registered program,
    /// or an ad-hoc one whose `--trainset` and `--devset` were both given (what `compile` needs).
    ///
    /// - Throws: ``CLIError`` for an ad-hoc program without both data files, or a bad signature or metric.
    func spec() throws -> ProgramSpec {
        if let name { return try Self.registered(name) }
        guard let trainset, let devset else {
            throw CLIError("an ad-hoc --signature program needs --trainset and --devset to compile; e.g. \(compileCommand())")
        }
        return try adHocSpec(
            trainset: URL(fileURLWithPath: trainset), devset: URL(fileURLWithPath: devset), metric: metric)
    }

    /// The ad-hoc spec over the given data files and metric (`nil`: exact match).
    func adHocSpec(trainset: URL, devset: URL, metric: String?) throws -> ProgramSpec {
        guard let signature, let name = adHocName else { throw CLIError("not an ad-hoc --signature program") }
        let parsed = try SignatureSpec(signature, instructions: instructions)
        let made = try adHocMetric(metric, for: parsed)
        let module = self.module
        return ProgramSpec(
            name: name, summary: "ad-hoc \(module) over \(signature)",
            makeProgram: { () -> any Program in module == "cot" ? ChainOfThought(parsed) : Predict(parsed) },
            trainset: trainset, devset: devset, inputKeys: parsed.inputs.map(\.name), metric: made)
    }

    /// The metric named `name` (`nil`: exact match) over the signature's last output field.
    func adHocMetric(_ name: String?, for parsed: SignatureSpec) throws -> Metric {
        try Metric.named((name ?? "exact_match").replacingOccurrences(of: "_", with: "-"), field: parsed.outputs.last?.name)
    }

    /// A command that compiles the program these options name, shell-quoted so it can be
    /// pasted: `dspyc compile sentiment`, or for an ad-hoc program every flag that
    /// identifies it, with `TRAIN.jsonl` / `DEV.jsonl` standing in for data files not given.
    func compileCommand(trainset recordedTrainset: String? = nil, devset recordedDevset: String? = nil) -> String {
        guard let signature else { return Shell.command(["dspyc", "compile", name ?? "NAME"]) }
        var words = ["dspyc", "compile", "--signature", signature]
        if let instructions { words += ["--instructions", instructions] }
        if module != "predict" { words += ["--module", module] }
        var command = Shell.command(words)
        for (flag, given, placeholder) in [("--trainset", trainset ?? recordedTrainset, "TRAIN.jsonl"),
                                           ("--devset", devset ?? recordedDevset, "DEV.jsonl")] {
            command += " \(flag) " + (given.map(Shell.quote) ?? placeholder)
        }
        if let metric { command += " --metric " + Shell.quote(metric) }
        return command
    }

    static func registered(_ name: String) throws -> ProgramSpec {
        try ProgramRegistry.named(name)
    }
}
