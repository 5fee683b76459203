import DSPy
import DSPyEmbedded
import DSPyEngine
import Foundation

/// Counts tokens with the engine's tokenizer and the model's chat template, as a request would be encoded.
struct EnginePromptCounter: PromptTokenCounter {
    let model: TextModel

    func promptTokens(_ messages: [DSPy.ChatMessage]) throws -> Int {
        try model.encodeChat(messages.map {
            DSPyEngine.ChatMessage(role: DSPyEngine.ChatMessage.Role(rawValue: $0.role.rawValue) ?? .user, content: $0.content)
        }).count
    }

    func textTokens(_ text: String) throws -> Int {
        model.tokenizer.encode(text, parseSpecial: false, addSpecial: false).count
    }
}

/// What `dspyc compile --plan` prints (and returns with `--json`).
struct CompilePlanReport: Codable {
    var program: String
    var optimizer: String
    var model: String
    var phases: [PlanPhase]
    /// Why the optimizer's own phases are not planned, when its optimizer has no planner.
    var unplanned: String?
    var calls: PlanFigure
    var promptTokens: PlanFigure
    var completionTokenBound: Int
    /// The engine's speed, measured at the start of planning (single sequence).
    var promptTokensPerSecond: Double
    var generationTokensPerSecond: Double
    /// Completion tokens a call is expected to generate, for the time estimate.
    var expectedCompletionTokensPerCall: Int
    var estimatedSeconds: Double
    var budget: String?

    var text: String {
        var lines = ["\(program): plan of a compile with \(optimizer) on \(model) (no model call made)"]
        let table = TextTable(header: ["PHASE", "LM CALLS", "PROMPT TOKENS", "COMPLETION ≤", "WHAT DECIDES"])
        for p in phases {
            table.add([p.name, p.calls.description, p.promptTokens.description, "\(p.completionTokenBound)", p.note])
        }
        table.add(["total", calls.description, promptTokens.description, "\(completionTokenBound)", ""])
        lines.append(table.render().trimmingCharacters(in: .newlines))
        if let unplanned { lines.append("NOT PLANNED: \(unplanned)") }
        lines.append(String(format: "estimated wall time: %.0f s (prompt tokens at %.0f t/s prefill + %d completion tokens per call at %.0f t/s; "
            + "the engine measured just now on one sequence, so batching makes real runs faster)",
            estimatedSeconds, promptTokensPerSecond, expectedCompletionTokensPerCall, generationTokensPerSecond))
        lines.append("exact: rendered with the adapter and counted with the model's tokenizer; a range's high end is an upper bound "
            + "(bootstrapping decides); completion ≤ is calls × max_tokens. LM cache hits would make the real run cheaper.")
        if let budget { lines.append("budget \(budget) bounds the optimizer phases (between the two evaluations)") }
        return lines.joined(separator: "\n")
    }
}

extension CompileDriver {
    /// Plans this compile without any LM call: loads the model (for its tokenizer, chat template
    /// and a speed measurement), renders every prompt the plan can know and counts its tokens.
    ///
    /// Cost: the model load, one short engine benchmark (a 256-token prefill and 32 generated
    /// tokens; not an LM call: no request, log or cache entry), one rendering per example and demo.
    func plan() async throws -> CompilePlanReport {
        let labelKeys = try spec.labelKeys()
        let trainset = try DatasetLoader.load(spec.trainset, inputKeys: spec.inputKeys, labelKeys: labelKeys)
        var devset = try DatasetLoader.load(spec.devset, inputKeys: spec.inputKeys, labelKeys: labelKeys)
        if let devLimit { devset = Array(devset.prefix(devLimit)) }
        let model = try modelOptions.load()
        let lm = EmbeddedLM(model: model, structuredDecoding: structuredDecoding)
        let context = PlanContext(counter: EnginePromptCounter(model: model), maxTokens: lm.defaultParameters.maxTokens ?? 512)
        let program = try spec.makeProgram()
        let planner = try PromptPlanner(program, context: context)
        let optimizer = try makeOptimizer(embedder: EngineEmbedder(model: model))

        let plan = try CompilePlan.make(program, optimizer: optimizer, trainset: trainset, devset: devset, context: context)

        Log.status("plan: measuring the engine (256-token prefill, 32 generated tokens)")
        var benchmark = EngineBenchmark()
        benchmark.promptTokens = 256
        benchmark.generatedTokens = 32
        benchmark.batchSequences = 2
        benchmark.prefixTokens = 64
        benchmark.repetitions = 1
        benchmark.measuresPeak = false
        benchmark.measuresSpeculation = false
        let speed = try await benchmark.run(on: model)
        let perCall = try expectedCompletionTokens(planner: planner, maxTokens: context.maxTokens)
        let seconds = Double(plan.promptTokens.high) / max(1, speed.promptTokensPerSecond)
            + Double(plan.calls.high * perCall) / max(1, speed.generationTokensPerSecond)
        return CompilePlanReport(
            program: spec.name, optimizer: optimizer.name, model: lm.modelIdentifier, phases: plan.phases, unplanned: plan.unplanned,
            calls: plan.calls, promptTokens: plan.promptTokens, completionTokenBound: plan.completionTokenBound,
            promptTokensPerSecond: speed.promptTokensPerSecond, generationTokensPerSecond: speed.generationTokensPerSecond,
            expectedCompletionTokensPerCall: perCall, estimatedSeconds: seconds, budget: budget?.description)
    }

    /// With structured decoding and only choice outputs, the longest answer the structure allows
    /// (`[[ ## field ## ]]` headers, the longest choice, the completion marker); else `max_tokens`.
    private func expectedCompletionTokens(planner: PromptPlanner, maxTokens: Int) throws -> Int {
        let fields = OutputStructure(style: .chatHeaders, signature: planner.predictor.signature).fields
        guard structuredDecoding, !fields.isEmpty, fields.allSatisfy({ ($0.choices?.count ?? 0) > 1 }) else { return maxTokens }
        var text = ""
        for field in fields {
            let longest = field.choices?.max { $0.count < $1.count } ?? ""
            text += "[[ ## \(field.name) ## ]]\n\(longest)\n\n"
        }
        text += "[[ ## completed ## ]]"
        return min(maxTokens, try planner.context.counter.textTokens(text) + 1)
    }
}
