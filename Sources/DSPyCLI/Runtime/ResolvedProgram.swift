import DSPy
import DSPyStore
import Foundation

/// A program as `run`, `eval` and `export` use it: its spec, a fresh instance with
/// the chosen compiled state loaded, and the record that state came from.
struct ResolvedProgram {
    var spec: ProgramSpec
    var program: any Program
    /// The compile whose state `program` holds; `nil` for the uncompiled program.
    var record: CompiledProgramRecord?
    /// The ad-hoc program's explicit data files (`nil` for flags not given, and for registered programs).
    var givenTrainset: URL?
    var givenDevset: URL?
    /// What the chosen compile was compiled from, when it recorded it.
    var compiledFrom: CompiledFrom?
    var isAdHoc: Bool

    /// The training set to rebuild per-call demos from: the program's own, the `--trainset`
    /// given, or the file the compile used (which must not have changed since).
    func trainset() throws -> URL {
        guard isAdHoc else { return spec.trainset }
        if let givenTrainset { return givenTrainset }
        guard let compiledFrom else { throw CLIError("pass --trainset FILE") }
        return try compiledFrom.trainset.unchanged(flag: "--trainset")
    }

    /// The examples to score by default: the program's dev set, the `--devset` given, or the
    /// file the compile used (which must not have changed since).
    func devset() throws -> URL {
        guard isAdHoc else { return spec.devset }
        if let givenDevset { return givenDevset }
        guard let compiledFrom else { throw CLIError("pass --devset FILE (or --data FILE)") }
        return try compiledFrom.devset.unchanged(flag: "--devset")
    }
}

extension ProgramOptions {
    /// The program with the compiled state these options name.
    ///
    /// A registered program uses its latest compile. An ad-hoc program uses the
    /// latest compile of the same signature, `--instructions` and `--module` whose
    /// data match every one of `--trainset`, `--devset` and `--metric` that was given
    /// (files by content; once any of the three is given, the metric's default,
    /// exact_match, counts as given). With none of them, it is the latest compile of
    /// the signature, and the data it was compiled on are named on standard error.
    /// A compile answered from the store counts as compiled again, so "latest" is the
    /// one most recently compiled (see ``CompileDriver``).
    ///
    /// - Parameters:
    ///   - compiled: `false` for the uncompiled program (no lookup).
    ///   - required: Whether a missing compile is an error (`eval`, `export`) or a note (`run`).
    ///   - fallbackData: A data file to stand in for the ad-hoc program's data when neither
    ///     the flags nor a compile name one (what `eval --data` scores).
    /// - Throws: ``CLIError`` when `required` and nothing matches, with a `dspyc compile`
    ///   command that makes one.
    func resolve(compiled: Bool, required: Bool, fallbackData: URL? = nil) throws -> ResolvedProgram {
        guard let signature, let name = adHocName else {
            let spec = try spec()
            let record = compiled ? try DSPyStoreAccess.store().latestCompiledProgram(named: spec.name) : nil
            if record == nil && compiled {
                let message = "\(spec.name) has not been compiled yet; run `\(compileCommand())`"
                if required { throw CLIError(message) }
                Log.status("note: \(message)\nnote: running it zero-shot")
            }
            let program = try spec.makeProgram()
            if let record { try program.loadState(try DSPy.JSONValue.parse(record.state)) }
            return ResolvedProgram(spec: spec, program: program, record: record, compiledFrom: record.flatMap(CompiledFrom.init),
                                   isAdHoc: false)
        }
        let parsed = try SignatureSpec(signature, instructions: instructions)
        let givenTrainset = trainset.map { URL(fileURLWithPath: $0) }
        let givenDevset = devset.map { URL(fileURLWithPath: $0) }
        let namesData = trainset != nil || devset != nil || metric != nil
        let query = AdHocQuery(
            module: module, instructions: instructions,
            trainset: try givenTrainset.map(DataFile.init), devset: try givenDevset.map(DataFile.init),
            metric: namesData ? try adHocMetric(metric, for: parsed).name : nil)

        var record: CompiledProgramRecord?
        var from: CompiledFrom?
        if compiled {
            let candidates = try DSPyStoreAccess.store().compiledPrograms(named: name)
            for candidate in candidates {
                if let described = CompiledFrom(record: candidate), query.matches(described) {
                    (record, from) = (candidate, described)
                    break
                }
            }
            if record == nil {
                let message = notCompiledMessage(name: name, others: candidates.compactMap(CompiledFrom.init), namesData: namesData)
                if required { throw CLIError(message) }
                Log.status("note: \(message)\nnote: running it zero-shot")
            } else if let from, !namesData {
                Log.status("note: using the latest compile of \(name), compiled on \(from.flags); "
                           + "pass --trainset and --devset to choose the compile on other data")
            }
        }
        let placeholder = URL(fileURLWithPath: "(no --trainset or --devset given)")
        let trainURL = givenTrainset ?? from.map { URL(fileURLWithPath: $0.trainset.path) } ?? givenDevset ?? fallbackData ?? placeholder
        let devURL = givenDevset ?? from.map { URL(fileURLWithPath: $0.devset.path) } ?? givenTrainset ?? fallbackData ?? placeholder
        let spec = try adHocSpec(trainset: trainURL, devset: devURL, metric: metric ?? from?.metric)
        let program = try spec.makeProgram()
        if let record { try program.loadState(try DSPy.JSONValue.parse(record.state)) }
        return ResolvedProgram(
            spec: spec, program: program, record: record, givenTrainset: givenTrainset, givenDevset: givenDevset,
            compiledFrom: from, isAdHoc: true)
    }

    /// Why no compile matched, what the signature was compiled on instead, and the command that compiles it.
    private func notCompiledMessage(name: String, others: [CompiledFrom], namesData: Bool) -> String {
        let sameProgram = others.filter { $0.module == module && $0.instructions == instructions }
        var message = "\(name) has not been compiled"
        if namesData {
            message += " on these data"
        } else if module != "predict" || instructions != nil {
            message += " with this --module and --instructions"
        }
        message += " yet; run `\(compileCommand())`"
        if !sameProgram.isEmpty {
            let listed = sameProgram.prefix(3).map { "  " + $0.flags }.joined(separator: "\n")
            let more = sameProgram.count > 3 ? "\n  (and \(sameProgram.count - 3) more)" : ""
            message += "\nit has been compiled on (latest first):\n" + listed + more
        }
        return message
    }
}
