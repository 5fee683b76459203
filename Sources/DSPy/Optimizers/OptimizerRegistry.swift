import Foundation

/// An optimizer and its settings by name, as a program declares it or the CLI passes it
/// (`--optimizer bootstrap --set max_bootstrapped_demos=2`).
public struct OptimizerChoice: Sendable, Hashable {
    public var name: String
    /// Setting values as strings, by DSPy's snake_case names (kebab-case and camelCase are accepted too).
    public var settings: [String: String]

    public init(_ name: String, settings: [String: String] = [:]) {
        self.name = name
        self.settings = settings
    }
}

/// A program that says how it should be compiled by default.
///
/// ```swift
/// final class Sentiment: Program, DeclaresOptimizer {
///     static let defaultOptimizer = OptimizerChoice("bootstrap", settings: ["max_bootstrapped_demos": "4"])
///     …
/// }
/// ```
public protocol DeclaresOptimizer {
    static var defaultOptimizer: OptimizerChoice { get }
}

/// Optimizers by name, built from string settings: `labeled`, `bootstrap`,
/// `random-search`, `knn`, `copro`, `mipro`, `ensemble`, `gepa`, `simba`, `finetune`, `better-together`.
///
/// ```swift
/// let optimizer = try OptimizerRegistry.standard.make(
///     OptimizerChoice("bootstrap", settings: ["max_bootstrapped_demos": "2", "mode": "dspy"]),
///     context: .init(metric: .exactMatch()))
/// ```
///
/// Every optimizer accepts `seed`; an unknown name or setting is an error
/// that lists the known ones.
public struct OptimizerRegistry: Sendable {
    /// What factories may need besides the settings.
    public struct Context: Sendable {
        public var metric: Metric?
        public var embedder: (any Embedder)?
        /// The model that proposes instructions (COPRO, MIPRO); `nil` uses the task model.
        public var promptModel: (any LanguageModel)?
        /// The model for teacher runs; `nil` uses the task model.
        public var teacherLM: (any LanguageModel)?
        /// The model that writes GEPA's new instructions; `nil` uses the task model.
        public var reflectionLM: (any LanguageModel)?
        /// Receives progress lines from optimizers that report them (GEPA).
        public var progress: (@Sendable (String) -> Void)?
        /// Receives every training step of `finetune` and `better-together`.
        public var trainingProgress: (@Sendable (FinetuneProgress) -> Void)?

        public init(metric: Metric? = nil, embedder: (any Embedder)? = nil, promptModel: (any LanguageModel)? = nil,
                    teacherLM: (any LanguageModel)? = nil, reflectionLM: (any LanguageModel)? = nil,
                    progress: (@Sendable (String) -> Void)? = nil,
                    trainingProgress: (@Sendable (FinetuneProgress) -> Void)? = nil) {
            self.trainingProgress = trainingProgress
            self.metric = metric
            self.embedder = embedder
            self.promptModel = promptModel
            self.teacherLM = teacherLM
            self.reflectionLM = reflectionLM
            self.progress = progress
        }
    }

    public typealias Factory = @Sendable (inout OptimizerSettingsReader, Context) throws -> any Optimizer

    public struct Entry: Sendable {
        public let name: String
        public let summary: String
        let factory: Factory
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    /// The known names, in registration order.
    public var names: [String] { entries.map(\.name) }

    /// Adds (or replaces) an optimizer.
    public mutating func register(_ name: String, summary: String, factory: @escaping Factory) {
        entries.removeAll { $0.name == name }
        entries.append(Entry(name: name, summary: summary, factory: factory))
    }

    /// Builds the chosen optimizer.
    ///
    /// - Throws: ``OptimizerError/unknownOptimizer(_:known:)``, ``OptimizerError/unknownSetting(optimizer:key:known:)``,
    ///   ``OptimizerError/invalidSetting(optimizer:key:value:expected:)``, or
    ///   ``OptimizerError/invalidArgument(_:)`` when a metric or embedder is needed but missing.
    public func make(_ choice: OptimizerChoice, context: Context) throws -> any Optimizer {
        guard let entry = entries.first(where: { $0.name == choice.name.lowercased() }) else {
            throw OptimizerError.unknownOptimizer(choice.name, known: names)
        }
        var reader = OptimizerSettingsReader(optimizer: entry.name, values: choice.settings)
        let optimizer = try entry.factory(&reader, context)
        try reader.finish()
        return optimizer
    }

    /// The optimizer for a program: `name` (or the program's declared default, else `bootstrap`),
    /// with the declared settings overridden by `settings`.
    public func make(for program: any Program, name: String? = nil, settings: [String: String] = [:],
                     context: Context) throws -> any Optimizer {
        let declared = (type(of: program) as? any DeclaresOptimizer.Type)?.defaultOptimizer
        var choice = OptimizerChoice(name ?? declared?.name ?? "bootstrap")
        if let declared, declared.name == choice.name { choice.settings = declared.settings }
        for (k, v) in settings { choice.settings[k] = v }
        return try make(choice, context: context)
    }

    /// The standard optimizers.
    public static let standard: OptimizerRegistry = {
        var r = OptimizerRegistry()
        r.register("labeled", summary: "labeled examples as demos, no LM calls") { s, _ in
            LabeledFewShot(k: try s.int("k", 16), sample: try s.bool("sample", true), mode: try s.mode(),
                           seed: try s.int("seed", 0), labelField: s.string("label_field"))
        }
        r.register("bootstrap", summary: "demos bootstrapped from successful runs (stratified by label by default)") { s, c in
            try bootstrap(&s, c)
        }
        r.register("random-search", summary: "bootstrap over seeds -3…N, best on the valset") { s, c in
            try randomSearch(&s, c)
        }
        r.register("knn", summary: "demos from the k nearest training examples per input") { s, c in
            guard let embedder = c.embedder else { throw OptimizerError.invalidArgument("optimizer 'knn' needs an embedder") }
            let k = try s.int("k", 3)
            return KNNFewShot(k: k, embedder: embedder, bootstrap: try bootstrap(&s, c))
        }
        r.register("copro", summary: "instructions proposed and refined by the model") { s, c in
            COPRO(metric: try metric(c, "copro"), breadth: try s.int("breadth", 10), depth: try s.int("depth", 3),
                  initTemperature: try s.double("init_temperature", 1.4), promptModel: c.promptModel,
                  maxConcurrency: try s.int("num_threads", 8), maxErrors: try s.int("max_errors", 10), seed: try s.int("seed", 0))
        }
        r.register("mipro", summary: "instructions and demo sets searched together under a trial budget") { s, c in
            let auto = try s.string("auto").map { value -> MIPRO.Auto? in
                if value == "none" { return nil }
                guard let a = MIPRO.Auto(rawValue: value) else {
                    throw OptimizerError.invalidSetting(optimizer: "mipro", key: "auto", value: value, expected: "light, medium, heavy or none")
                }
                return a
            } ?? .light
            return MIPRO(
                metric: try metric(c, "mipro"), metricThreshold: try s.optionalDouble("metric_threshold"), auto: auto,
                maxBootstrappedDemos: try s.int("max_bootstrapped_demos", 4), maxLabeledDemos: try s.int("max_labeled_demos", 4),
                numInstructionCandidates: try s.optionalInt("num_candidates"), numFewshotSets: try s.optionalInt("num_fewshot_sets"),
                numTrials: try s.optionalInt("num_trials"), minibatchSize: try s.int("minibatch_size", 35),
                minibatchFullEvalSteps: try s.int("minibatch_full_eval_steps", 5),
                initTemperature: try s.double("init_temperature", 1.0), seed: try s.int("seed", 9), promptModel: c.promptModel,
                viewDataBatchSize: try s.int("view_data_batch_size", 10), maxDataBatches: try s.int("max_data_batches", 3),
                maxConcurrency: try s.int("num_threads", 8), maxErrors: try s.int("max_errors", 10), mode: try s.mode(),
                labelField: s.string("label_field"))
        }
        r.register("ensemble", summary: "vote of the best random-search candidates (summed choice scores, else majority)") { s, c in
            let size = try s.int("size", 3)
            return Ensemble(size: size, seed: try s.int("seed", 0), search: try randomSearch(&s, c))
        }
        r.register("gepa", summary: "instructions evolved by reflection on feedback, Pareto frontier over examples") { s, c in
            try gepa(&s, c)
        }
        r.register("simba", summary: "mini-batch ascent: demos and rules from the runs whose scores vary most") { s, c in
            try simba(&s, c)
        }
        r.register("finetune", summary: "LoRA weights fine-tuned on the program's successful runs (DSPy's BootstrapFinetune)") { s, c in
            try finetune(&s, c)
        }
        r.register("better-together", summary: "prompt optimization, fine-tuning, prompt optimization again (strategy p -> w -> p)") { s, c in
            let scoring = try metric(c, "better-together")
            let seed = try s.int("seed", 0)
            let promptName = s.string("p") ?? "bootstrap"
            guard ["bootstrap", "random-search"].contains(promptName) else {
                throw OptimizerError.invalidSetting(optimizer: "better-together", key: "p", value: promptName,
                                                    expected: "bootstrap or random-search")
            }
            let prompt = try OptimizerRegistry.standard.make(OptimizerChoice(promptName, settings: ["seed": String(seed)]), context: c)
            return BetterTogether(
                metric: scoring, prompt: prompt, weights: try finetune(&s, c, seed: seed),
                strategy: s.string("strategy") ?? "p -> w -> p", valsetRatio: try s.double("valset_ratio", 0.1),
                shuffleTrainsetBetweenSteps: try s.bool("shuffle_trainset_between_steps", true), seed: seed,
                maxConcurrency: try s.int("num_threads", 8), progress: c.progress)
        }
        return r
    }()

    private static func gepa(_ s: inout OptimizerSettingsReader, _ c: Context) throws -> GEPA {
        let auto = s.string("auto")
        let maxCalls = try s.optionalInt("max_metric_calls")
        let maxFullEvals = try s.optionalInt("max_full_evals")
        guard [auto != nil, maxCalls != nil, maxFullEvals != nil].filter({ $0 }).count <= 1 else {
            throw OptimizerError.invalidArgument("optimizer 'gepa': set only one of auto, max_metric_calls, max_full_evals")
        }
        var budget = GEPA.Budget.auto(.light)
        if let auto {
            guard let level = GEPABudget(rawValue: auto.lowercased()) else {
                throw OptimizerError.invalidSetting(optimizer: "gepa", key: "auto", value: auto, expected: "light, medium or heavy")
            }
            budget = .auto(level)
        } else if let maxCalls {
            guard maxCalls > 0 else {
                throw OptimizerError.invalidSetting(optimizer: "gepa", key: "max_metric_calls", value: "\(maxCalls)", expected: "a positive integer")
            }
            budget = .maxMetricCalls(maxCalls)
        } else if let maxFullEvals {
            guard maxFullEvals > 0 else {
                throw OptimizerError.invalidSetting(optimizer: "gepa", key: "max_full_evals", value: "\(maxFullEvals)", expected: "a positive integer")
            }
            budget = .maxFullEvals(maxFullEvals)
        }
        let selectionText = s.string("candidate_selection_strategy") ?? "pareto"
        guard let selection = GEPA.Selection(rawValue: selectionText.lowercased()) else {
            throw OptimizerError.invalidSetting(optimizer: "gepa", key: "candidate_selection_strategy", value: selectionText,
                                                expected: "pareto or current_best")
        }
        return GEPA(
            metric: try metric(c, "gepa"), budget: budget, reflectionLM: c.reflectionLM,
            reflectionMinibatchSize: try s.int("reflection_minibatch_size", 3), candidateSelection: selection,
            skipPerfectScore: try s.bool("skip_perfect_score", true), perfectScore: try s.double("perfect_score", 1),
            failureScore: try s.double("failure_score", 0), useMerge: try s.bool("use_merge", true),
            maxMergeInvocations: try s.int("max_merge_invocations", 5), seed: try s.int("seed", 0),
            maxConcurrency: try s.int("num_threads", 8), progress: c.progress)
    }

    /// SIMBA with small defaults for a small local model (DSPy's are bsize 32, 6 candidates, 8 steps).
    private static func simba(_ s: inout OptimizerSettingsReader, _ c: Context) throws -> SIMBA {
        let simba = SIMBA(
            metric: try metric(c, "simba"), bsize: try s.int("bsize", 12), numCandidates: try s.int("num_candidates", 4),
            maxSteps: try s.int("max_steps", 4), maxDemos: try s.int("max_demos", 4), promptModel: c.promptModel,
            teacherLM: c.teacherLM, demoInputFieldMaxlen: try s.int("demo_input_field_maxlen", 100_000),
            temperatureForSampling: try s.double("temperature_for_sampling", 0.2),
            temperatureForCandidates: try s.double("temperature_for_candidates", 0.2), seed: try s.int("seed", 0),
            maxConcurrency: try s.int("num_threads", 8), progress: c.progress)
        for (key, value) in [("bsize", simba.bsize), ("num_candidates", simba.numCandidates)] where value < 1 {
            throw OptimizerError.invalidSetting(optimizer: "simba", key: key, value: "\(value)", expected: "a positive integer")
        }
        guard simba.maxSteps >= 0, simba.maxDemos >= 0 else {
            throw OptimizerError.invalidSetting(optimizer: "simba", key: simba.maxSteps < 0 ? "max_steps" : "max_demos",
                                                value: "\(min(simba.maxSteps, simba.maxDemos))", expected: "a non-negative integer")
        }
        return simba
    }

    /// `finetune`'s settings; each training setting left out takes the trainer's default.
    private static func finetune(_ s: inout OptimizerSettingsReader, _ c: Context, seed: Int? = nil) throws -> BootstrapFinetune {
        let targets = s.string("targets").map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let settings = FinetuneSettings(
            rank: try s.optionalInt("rank"), alpha: try s.optionalDouble("alpha"), dropout: try s.optionalDouble("dropout"),
            targets: targets, epochs: try s.optionalInt("epochs"), learningRate: try s.optionalDouble("learning_rate"),
            seed: try seed ?? s.int("seed", 0))
        for (key, value) in [("rank", settings.rank), ("epochs", settings.epochs)] where (value ?? 1) < 1 {
            throw OptimizerError.invalidSetting(optimizer: s.optimizer, key: key, value: "\(value ?? 0)", expected: "a positive integer")
        }
        if let rate = settings.learningRate, rate <= 0 {
            throw OptimizerError.invalidSetting(optimizer: s.optimizer, key: "learning_rate", value: "\(rate)", expected: "a positive number")
        }
        return BootstrapFinetune(
            metric: c.metric, multitask: try s.bool("multitask", true), settings: settings,
            excludeDemos: try s.bool("exclude_demos", false), maxConcurrency: try s.int("num_threads", 8),
            progress: c.trainingProgress, status: c.progress)
    }

    private static func metric(_ c: Context, _ name: String) throws -> Metric {
        guard let m = c.metric else { throw OptimizerError.invalidArgument("optimizer '\(name)' needs a metric") }
        return m
    }

    private static func bootstrap(_ s: inout OptimizerSettingsReader, _ c: Context) throws -> BootstrapFewShot {
        BootstrapFewShot(
            metric: c.metric, metricThreshold: try s.optionalDouble("metric_threshold"),
            maxBootstrappedDemos: try s.int("max_bootstrapped_demos", 4), maxLabeledDemos: try s.int("max_labeled_demos", 16),
            maxRounds: try s.int("max_rounds", 1), maxErrors: try s.int("max_errors", 10), mode: try s.mode(),
            seed: try s.int("seed", 0), teacherLM: c.teacherLM, maxConcurrency: try s.int("num_threads", 4),
            labelField: s.string("label_field"), calibrateChoices: try s.optionalBool("calibrate"),
            calibrationObjective: try s.calibrationObjective(), compareZeroShot: try s.optionalBool("compare_zero_shot"))
    }

    private static func randomSearch(_ s: inout OptimizerSettingsReader, _ c: Context) throws -> BootstrapFewShotWithRandomSearch {
        BootstrapFewShotWithRandomSearch(
            metric: try metric(c, s.optimizer), metricThreshold: try s.optionalDouble("metric_threshold"),
            maxBootstrappedDemos: try s.int("max_bootstrapped_demos", 4), maxLabeledDemos: try s.int("max_labeled_demos", 16),
            maxRounds: try s.int("max_rounds", 1), numCandidatePrograms: try s.int("num_candidate_programs", 16),
            maxConcurrency: try s.int("num_threads", 8), maxErrors: try s.int("max_errors", 10),
            stopAtScore: try s.optionalDouble("stop_at_score"), mode: try s.mode(), seed: try s.int("seed", 0),
            labelField: s.string("label_field"), calibrateChoices: try s.optionalBool("calibrate"),
            calibrationObjective: try s.calibrationObjective())
    }
}

/// Reads an optimizer's string settings, remembering which names exist so leftovers can be reported.
public struct OptimizerSettingsReader: Sendable {
    public let optimizer: String
    private var values: [String: (key: String, value: String)] = [:]
    private var known: [String] = []

    init(optimizer: String, values: [String: String]) {
        self.optimizer = optimizer
        for (k, v) in values { self.values[Self.normalize(k)] = (k, v) }
    }

    static func normalize(_ key: String) -> String {
        key.lowercased().filter { $0 != "_" && $0 != "-" }
    }

    private mutating func take(_ name: String) -> (key: String, value: String)? {
        if !known.contains(name) { known.append(name) }
        return values.removeValue(forKey: Self.normalize(name))
    }

    public mutating func string(_ name: String) -> String? { take(name)?.value }

    public mutating func int(_ name: String, _ fallback: Int) throws -> Int { try optionalInt(name) ?? fallback }

    public mutating func optionalInt(_ name: String) throws -> Int? {
        guard let (key, value) = take(name) else { return nil }
        guard let v = Int(value.trimmingCharacters(in: .whitespaces)) else {
            throw OptimizerError.invalidSetting(optimizer: optimizer, key: key, value: value, expected: "an integer")
        }
        return v
    }

    public mutating func double(_ name: String, _ fallback: Double) throws -> Double { try optionalDouble(name) ?? fallback }

    public mutating func optionalDouble(_ name: String) throws -> Double? {
        guard let (key, value) = take(name) else { return nil }
        guard let v = Double(value.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw OptimizerError.invalidSetting(optimizer: optimizer, key: key, value: value, expected: "a number")
        }
        return v
    }

    public mutating func bool(_ name: String, _ fallback: Bool) throws -> Bool { try optionalBool(name) ?? fallback }

    public mutating func optionalBool(_ name: String) throws -> Bool? {
        guard let (key, value) = take(name) else { return nil }
        switch value.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw OptimizerError.invalidSetting(optimizer: optimizer, key: key, value: value, expected: "true or false")
        }
    }

    /// `mode=dspy|stratified` (default stratified).
    public mutating func mode() throws -> BootstrapFewShot.Mode {
        guard let (key, value) = take("mode") else { return .stratified }
        guard let mode = BootstrapFewShot.Mode(rawValue: value.lowercased()) else {
            throw OptimizerError.invalidSetting(optimizer: optimizer, key: key, value: value, expected: "dspy or stratified")
        }
        return mode
    }

    /// `calibration=prior|accuracy` (default prior).
    public mutating func calibrationObjective() throws -> ChoiceCalibration.Objective {
        guard let (key, value) = take("calibration") else { return .labelPrior }
        guard let objective = ChoiceCalibration.Objective(rawValue: value.lowercased()) else {
            throw OptimizerError.invalidSetting(optimizer: optimizer, key: key, value: value, expected: "prior or accuracy")
        }
        return objective
    }

    /// Throws for a setting nobody asked for.
    func finish() throws {
        if let leftover = values.values.sorted(by: { $0.key < $1.key }).first {
            throw OptimizerError.unknownSetting(optimizer: optimizer, key: leftover.key, known: known)
        }
    }
}
