import Foundation

/// Renders a single-predictor program's prompts and counts their tokens, for compile plans.
///
/// Every figure comes from the adapter's real rendering and the model's tokenizer. Demos are
/// separate chat messages, and the chat template's special tokens split the tokenization at
/// message boundaries, so the cost of a demo set is the sum of each demo's cost
/// (``demoCost(_:)``: tokens with the demo minus tokens without, measured on one example);
/// bounds for unknown demo sets take the most expensive demos the pool holds.
///
/// Cost: one rendering and tokenization per example (and per demo candidate).
public struct PromptPlanner: Sendable {
    public let predictor: Predict
    public let context: PlanContext

    /// The planner of `program`'s only predictor.
    ///
    /// - Throws: ``OptimizerError/invalidArgument(_:)`` for a program with several predictors,
    ///   whose later inputs come from earlier model outputs and so cannot be rendered ahead.
    public init(_ program: any Program, context: PlanContext) throws {
        let named = program.namedPredictors()
        guard named.count == 1, let only = named.first else {
            throw OptimizerError.invalidArgument(
                "no plan for a program with \(named.count) predictors: the inputs of later predictors come from model outputs")
        }
        predictor = only.predictor
        self.context = context
    }

    /// The prompt tokens of running the predictor on `example` with `demos`.
    public func tokens(_ example: Example, demos: [Example]) throws -> Int {
        let signature = predictor.signature
        let fields = try example.inputs().fields
        var inputs = JSONObject()
        for field in signature.inputs {
            if let value = fields[field.name] { inputs[field.name] = value } else if let d = field.defaultValue { inputs[field.name] = d }
        }
        let adapter = context.adapter ?? predictor.adapter ?? ChatAdapter()
        return try context.counter.promptTokens(adapter.format(signature, demos: demos, inputs: inputs))
    }

    /// Prompt tokens per example with no demos.
    public func zeroShot(_ examples: [Example]) throws -> [Int] { try examples.map { try tokens($0, demos: []) } }

    /// The tokens `demo` adds to a prompt, measured on `probe`.
    public func demoCost(_ demo: Example, probe: Example) throws -> Int {
        try tokens(probe, demos: [demo]) - tokens(probe, demos: [])
    }

    /// The sum of the `k` most expensive demos in `pool` (the most a `k`-demo set can add).
    public func mostExpensiveDemos(_ k: Int, pool: [Example]) throws -> Int {
        guard k > 0, let probe = pool.first else { return 0 }
        let costs = try pool.map { try demoCost($0, probe: probe) }.sorted(by: >)
        return costs.prefix(k).reduce(0, +)
    }

    /// The completion-token bound of one call: `max_tokens`.
    public var completionBoundPerCall: Int { context.maxTokens }

    /// A phase that runs the program once on each example with known demos: exact.
    public func exactRuns(_ name: String, _ examples: [Example], demos: [Example], note: String) throws -> PlanPhase {
        let tokens = try examples.reduce(0) { $0 + (try self.tokens($1, demos: demos)) }
        return PlanPhase(name: name, calls: PlanFigure(exactly: examples.count), promptTokens: PlanFigure(exactly: tokens),
                         completionTokenBound: examples.count * completionBoundPerCall, note: note)
    }

    /// The evaluation of a compiled program on `devset`: exact when the program is known,
    /// else bounded by the `maxDemos` most expensive demos of `demoPool`.
    public func evaluation(_ name: String, devset: [Example], exact program: (any Program)?, maxDemos: Int,
                           demoPool: [Example]) throws -> PlanPhase {
        if let program {
            let demos = program.namedPredictors().first?.predictor.demos ?? []
            return try exactRuns(name, devset, demos: demos, note: "one call per dev example, demos known")
        }
        let zero = try zeroShot(devset).reduce(0, +)
        let extra = try mostExpensiveDemos(maxDemos, pool: demoPool)
        return PlanPhase(
            name: name, calls: PlanFigure(exactly: devset.count),
            promptTokens: PlanFigure(low: zero, high: zero + devset.count * extra),
            completionTokenBound: devset.count * completionBoundPerCall,
            note: "one call per dev example; tokens depend on the demos the optimizer keeps (0…\(maxDemos))")
    }

    /// Whether calibration runs every example: the predictor has a choice output and the model reports scores.
    public var calibrates: Bool {
        context.reportsChoiceScores
            && OutputStructure(style: .chatHeaders, signature: predictor.signature).fields.contains { ($0.choices?.count ?? 0) > 1 }
    }
}
