import ArgumentParser
import DSPy
import Foundation

/// `dspyc compile`: optimize a program against its metric and store the result.
struct CompileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a program: bootstrap demonstrations that raise its metric, score it, store it.",
        discussion: """
            Scores the zero-shot program on the dev set, runs the optimizer on the training set, \
            scores the compiled program, and stores its DSPy-shaped state under a fingerprint of \
            program, data, optimizer, settings, seed and model. An identical compile returns the \
            stored result at once; --force recompiles (LM calls are still served from the cache).
            """)

    @OptionGroup var program: ProgramOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var remote: RemoteModelOptions

    @Option(help: "Optimizer (labeled, bootstrap, random-search, knn, copro, mipro, ensemble, gepa, simba, finetune, better-together); default: the program's.")
    var optimizer: String?

    @Option(help: "Budget level for gepa and mipro: light, medium or heavy (the setting auto=…).")
    var auto: String?

    @Option(help: "gepa: stop after N metric calls (examples run and scored); never exceeded.")
    var maxMetricCalls: Int?

    @Option(help: "simba: optimization steps (max_steps; default 4).")
    var maxSteps: Int?

    @Option(help: "simba: examples per mini-batch (bsize; default 12).")
    var bsize: Int?

    @Option(help: "simba: new candidates per step, and trajectories sampled per example (num_candidates; default 4).")
    var numCandidates: Int?

    @Option(help: """
        gepa: the model that writes new instructions — a catalog name or GGUF path (loaded beside the task model), \
        or an endpoint's model name with --reflection-base-url. Default: the task model.
        """)
    var reflectionModel: String?

    @Option(help: "gepa: an OpenAI-compatible endpoint (e.g. http://127.0.0.1:8080/v1) serving --reflection-model; the key, if any, is read from DSPYC_REFLECTION_API_KEY.")
    var reflectionBaseURL: String?

    @Option(help: "finetune, better-together: LoRA rank (default: the engine's).")
    var rank: Int?

    @Option(help: "finetune, better-together: LoRA alpha; the update is scaled by alpha / rank (default: the engine's).")
    var alpha: Double?

    @Option(help: "finetune, better-together: passes over the training rows (default: the engine's).")
    var epochs: Int?

    @Option(help: "finetune, better-together: the AdamW learning rate (default: the engine's).")
    var learningRate: Double?

    @Option(help: "finetune, better-together: the matrices that get adapters, comma-separated: attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down (default: the engine's).")
    var targets: String?

    @Option(name: .customLong("set"), help: "An optimizer setting, key=value (repeatable), e.g. max_bootstrapped_demos=4.")
    var settings: [String] = []

    @Option(help: "The seed behind every random choice.")
    var seed = 0

    @Option(help: "Score only the first N dev examples.")
    var dev: Int?

    @Option(help: "Examples evaluated concurrently (the engine batches them).")
    var concurrency = 8

    @Flag(name: .customLong("no-structured-decoding"), help: "Let the model write free text (DSPy's behaviour).")
    var noStructuredDecoding = false

    @Flag(help: "Recompile even when a stored result matches.")
    var force = false

    @Option(help: "Also write the compiled state (DSPy's JSON shape) to this file.")
    var output: String?

    @Flag(help: "Print the summary as one JSON object (progress stays on standard error).")
    var json = false

    @Flag(help: "Print the calls, prompt tokens and time each phase will use, then exit without compiling (no LM call).")
    var plan = false

    @Option(help: "Stop the optimizer at a limit and keep the best program so far: calls=N,tokens=N,time=DURATION (any subset; 90s, 5m, 1h).")
    var budget: String?

    func validate() throws {
        if program.signature != nil && (program.trainset == nil || program.devset == nil) {
            throw ValidationError("an ad-hoc --signature program needs --trainset and --devset to compile")
        }
    }

    func run() async throws {
        let spec = try program.spec()
        var merged = spec.optimizer == (optimizer ?? spec.optimizer) ? spec.optimizerSettings : [:]
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--set takes key=value, got '\(setting)'") }
            merged[String(parts[0])] = String(parts[1])
        }
        if let auto { merged["auto"] = auto }
        if let maxMetricCalls { merged["max_metric_calls"] = String(maxMetricCalls) }
        if let maxSteps { merged["max_steps"] = String(maxSteps) }
        if let bsize { merged["bsize"] = String(bsize) }
        if let numCandidates { merged["num_candidates"] = String(numCandidates) }
        if let rank { merged["rank"] = String(rank) }
        if let alpha { merged["alpha"] = String(alpha) }
        if let epochs { merged["epochs"] = String(epochs) }
        if let learningRate { merged["learning_rate"] = String(learningRate) }
        if let targets { merged["targets"] = targets }
        if reflectionBaseURL != nil && reflectionModel == nil {
            throw ValidationError("--reflection-base-url needs --reflection-model (the endpoint's model name)")
        }
        let parsedBudget: CompileBudget?
        do { parsedBudget = try budget.map(CompileBudget.init(parsing:)) } catch { throw ValidationError("--budget: \(error)") }
        var driver = CompileDriver(
            spec: spec, optimizer: optimizer ?? spec.optimizer, settings: merged, seed: seed, devLimit: dev,
            concurrency: concurrency, structuredDecoding: !noStructuredDecoding, modelOptions: modelOptions,
            remote: remote,
            adHocModule: program.signature == nil ? nil : program.module,
            adHocInstructions: program.signature == nil ? nil : program.instructions,
            reflection: reflectionModel.map { ReflectionModel(name: $0, baseURL: reflectionBaseURL) })
        driver.budget = parsedBudget
        if plan {
            let report = try await driver.plan()
            print(json ? try JSONOutput.encode(report) : report.text)
            return
        }
        let summary = try await driver.run(force: force)
        if let output {
            let store = try DSPyStoreAccess.store()
            guard let record = try await store.compiledProgram(fingerprint: summary.fingerprint) else {
                throw CLIError("the compiled program \(summary.fingerprint) is not in the store")
            }
            try Data((record.state + "\n").utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            Log.status("wrote \(output)")
        }
        print(json ? try JSONOutput.encode(summary) : summary.text)
    }
}
