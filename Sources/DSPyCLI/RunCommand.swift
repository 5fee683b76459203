import ArgumentParser
import DSPy
import DSPyEmbedded
import DSPyStore
import Foundation

/// Opens the store, mapping its errors for the CLI.
enum DSPyStoreAccess {
    static func store() throws -> Store { try Store.open() }

    /// The latest compiled state of a registered program, loaded into a fresh instance.
    static func compiledProgram(_ spec: ProgramSpec, required: Bool) throws -> (any Program, CompiledProgramRecord?) {
        let program = try spec.makeProgram()
        guard let record = try store().latestCompiledProgram(named: spec.name) else {
            if required {
                throw CLIError("\(spec.name) has not been compiled yet; run `\(Shell.command(["dspyc", "compile", spec.name]))`")
            }
            return (program, nil)
        }
        try program.loadState(try DSPy.JSONValue.parse(record.state))
        return (program, record)
    }

    /// A program compiled by `knn` stores no demos (they are chosen per call from the nearest
    /// training examples), so it is rebuilt with the stored settings over the engine's
    /// embeddings, and the seed it was compiled with. Other programs come back as they are.
    ///
    /// Cost for `knn`: one embedding per training example.
    /// A fine-tuned program's predictors get their stored adapters here too (``CompiledAdapters``).
    static func restoringPerCallDemos(_ resolved: ResolvedProgram, session: ProgramSession) async throws -> any Program {
        let (program, spec) = (resolved.program, resolved.spec)
        try await CompiledAdapters.attach(to: program, record: resolved.record, session: session)
        guard let record = resolved.record, case .string("knn")? = record.metadata["optimizer"] else { return program }
        var settings: [String: String] = [:]
        if case .string(let text)? = record.metadata["summary"],
           let summary = try? JSONDecoder().decode(CompileSummary.self, from: Data(text.utf8)) {
            settings = summary.settings
            if settings["seed"] == nil, let seed = summary.seed { settings["seed"] = String(seed) }
        }
        let trainset = try DatasetLoader.load(try resolved.trainset(), inputKeys: spec.inputKeys, labelKeys: try spec.labelKeys())
        let optimizer = try OptimizerRegistry.standard.make(
            OptimizerChoice("knn", settings: settings),
            context: .init(metric: spec.metric, embedder: session.embedder))
        Log.status("knn: embedding \(trainset.count) training examples to choose demos per call")
        return try await session.with { try await optimizer.compile(program, trainset: trainset).program }
    }
}

/// How `run`, `eval` and `export` choose the compile of an ad-hoc program (their `--help` says it).
let adHocCompileChoice = """
    An ad-hoc --signature program uses the latest compile with the same signature, --instructions and \
    --module whose data match the --trainset, --devset and --metric given (files compared by content; \
    once one of them is given, --metric's default exact_match counts). With none of them it uses the \
    latest compile of the signature and names the data it was compiled on.
    """

/// `dspyc run`: run a compiled program on one input.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a program (its latest compiled state) on one input.",
        discussion: adHocCompileChoice)

    @OptionGroup var program: ProgramOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var remote: RemoteModelOptions

    @Option(name: .customLong("input"), help: "An input field, name=value (repeatable); list values as JSON.")
    var inputs: [String] = []

    @Flag(help: "Run the uncompiled (zero-shot) program.")
    var uncompiled = false

    @Flag(help: "Print the prediction and the token usage per model as JSON ({\"prediction\", \"lm_usage\", \"run\"}); with --stream, one JSON object per line.")
    var json = false

    @Flag(help: "Print output fields as the model decodes them (fields of ChatAdapter and XMLAdapter calls).")
    var stream = false

    @Option(help: "The adapter of every predictor: \(AdapterChoice.names) (two-step extracts the fields with the same model). Default: the program's (chat).")
    var adapter: String?

    func run() async throws {
        let resolved = try program.resolve(compiled: !uncompiled, required: false)
        let spec = resolved.spec
        let fields = try InputValues.parse(inputs)
        let missing = spec.inputKeys.filter { fields[$0] == nil }
        guard missing.isEmpty else {
            throw ValidationError("missing input \(missing.map { "'\($0)'" }.joined(separator: ", ")); pass --input \(missing[0])=…")
        }
        let session = try ProgramSession.open(
            kind: .run, program: spec.name, modelOptions: modelOptions, remote: remote, structuredDecoding: true, useCache: true)
        let instance = try await DSPyStoreAccess.restoringPerCallDemos(resolved, session: session)
        let chosen = try adapter.map { try AdapterChoice.make($0, extractionModel: session.settings.lm ?? session.lm) }
        let printer = StreamPrinter(json: json, multiplePredictors: instance.predictors().count > 1)
        let prediction = try await session.with {
            try await DSPySettings.with({ s in
                s.traceID = UUID().uuidString
                if let chosen { s.adapter = chosen }
            }) {
                guard stream else { return try await instance(fields) }
                return try await printer.run(instance, fields)
            }
        }
        var summary: [String: StoredJSON] = ["calls": .int(session.recorder.snapshot.calls)]
        if let usage = try? StoredJSON.parse(DSPy.JSONValue.object(prediction.getLMUsage()).pythonJSON()) {
            summary["lm_usage"] = usage
        }
        session.finish(status: .succeeded, summary: summary)
        if json {
            let result: DSPy.JSONObject = [
                "prediction": .object(prediction.fields), "lm_usage": .object(prediction.getLMUsage()),
                "run": .string(session.run.id),
            ]
            print(DSPy.JSONValue.object(result).pythonJSON(indent: stream ? nil : 2))
        } else {
            for (key, value) in prediction.fields where !printer.printed.contains(key) {
                print("\(key): \(value.stringValue ?? value.pythonJSON())")
            }
            for (model, usage) in prediction.lmUsage {
                Log.status("usage: \(model): \(usage.promptTokens) prompt + \(usage.completionTokens) completion = \(usage.totalTokens) tokens (\(usage.cachedPromptTokens) prompt tokens from the prefix cache)")
            }
        }
    }
}

/// `dspyc eval`: score a program on its dev (or test) set.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Score a program (its latest compiled state) on its dev set.",
        discussion: adHocCompileChoice)

    @OptionGroup var program: ProgramOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var remote: RemoteModelOptions

    @Option(help: "A JSONL file to score instead of the program's dev set (e.g. its test split).")
    var data: String?

    @Option(help: "Score only the first N examples.")
    var limit: Int?

    @Flag(help: "Score the uncompiled (zero-shot) program.")
    var uncompiled = false

    @Option(help: "Examples evaluated concurrently.")
    var concurrency = 8

    @Flag(help: "Print the per-example results table.")
    var table = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let given = data.map { URL(fileURLWithPath: $0) }
        let resolved = try program.resolve(compiled: !uncompiled, required: !uncompiled, fallbackData: given)
        let spec = resolved.spec
        let url = try given ?? resolved.devset()
        var examples = try DatasetLoader.load(url, inputKeys: spec.inputKeys, labelKeys: try spec.labelKeys())
        if let limit { examples = Array(examples.prefix(limit)) }
        let session = try ProgramSession.open(
            kind: .eval, program: spec.name, modelOptions: modelOptions, remote: remote, structuredDecoding: true, useCache: true)
        let instance = try await DSPyStoreAccess.restoringPerCallDemos(resolved, session: session)
        let evaluate = Evaluate(devset: examples, metric: spec.metric, maxConcurrency: concurrency, maxErrors: nil,
                                displayProgress: true, progressOutput: { Log.write($0) })
        let result = try await session.with { try await evaluate(instance) }
        session.finish(status: .succeeded, summary: [
            "score": .double(result.score),
            "gold_labels": GoldLabels.summary(examples, keys: try spec.labelKeys()) ?? .null,
        ].filter { $0.value != .null })
        if json {
            print(try JSONOutput.encode(ScoreSummary(result)))
            return
        }
        if table { print(result.table()) }
        print(String(format: "%@: %.2f%% on %d examples (%d errors); predictions: %@", spec.name, result.score,
                     result.rows.count, result.errorCount, result.distributionLine))
        print("run \(session.run.id)  (dspyc inspect --run \(session.run.id.prefix(8)))")
    }
}

/// `dspyc export`: print a compiled program's state in DSPy's JSON shape.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Print a compiled program's state as DSPy's save() JSON.",
        discussion: adHocCompileChoice)

    @OptionGroup var program: ProgramOptions

    @Option(help: "Write to this file instead of standard output (a fine-tuned program's adapter is written beside it as a GGUF file llama.cpp loads with --lora).")
    var output: String?

    func run() async throws {
        let resolved = try program.resolve(compiled: true, required: true)
        let instance = resolved.program
        if let output {
            try instance.save(to: URL(fileURLWithPath: output))
            Log.status("wrote \(output)")
            if let record = resolved.record { try CompiledAdapters.export(record, beside: URL(fileURLWithPath: output)) }
        } else {
            print(instance.savedStateJSON())
            if let record = resolved.record, !(try CompiledAdapters.digests(in: record)).isEmpty {
                Log.status("note: \(record.program) has a fine-tuned adapter; pass --output FILE to write it beside the program")
            }
        }
    }
}
