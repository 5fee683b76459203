/// A tool-using agent: DSPy's `ReAct`.
///
/// Each step, the `react` predictor (inputs + `trajectory` → `next_thought`,
/// `next_tool_name: Literal[tools…, 'finish']`, `next_tool_args: dict[str, Any]`)
/// picks a tool; the tool runs and its observation joins the trajectory,
/// rendered as `[[ ## thought_0 ## ]]…` sections inside the `trajectory`
/// input. The loop ends at `finish` or after `maxIterations`; then
/// `extract` (a ``ChainOfThought`` over inputs + trajectory → outputs)
/// produces the answer. A tool that throws is reported to the model as the
/// observation `Execution error in <tool>: <error>`. A step whose output
/// cannot be parsed ends the loop (DSPy logs a warning and does the same).
/// Cost: at most `maxIterations + 1` LM calls.
public final class ReAct: Program, @unchecked Sendable {
    public let react: Predict
    public let extract: ChainOfThought
    public let tools: [Tool]
    public let maxIterations: Int
    let signature: SignatureSpec

    public init(_ signature: SignatureSpec, tools: [Tool], maxIterations: Int = 20) throws {
        let finishOutputs = signature.outputs.map { "`\($0.name)`" }.joined(separator: ", ")
        let finish = Tool("finish",
            description: "Marks the task as complete. That is, signals that all information for producing the outputs, i.e. \(finishOutputs), are now available to be extracted.") { _ in
            .string("Completed.")
        }
        var all = tools.filter { $0.name != "finish" }
        all.append(finish)
        let inputs = signature.inputs.map { "`\($0.name)`" }.joined(separator: ", ")
        var instr: [String] = signature.instructions.isEmpty ? [] : ["\(signature.instructions)\n"]
        instr += [
            "You are an Agent. In each episode, you will be given the fields \(inputs) as input. And you can see your past trajectory so far.",
            "Your goal is to use one or more of the supplied tools to collect any necessary information for producing \(finishOutputs).\n",
            "To do this, you will interleave next_thought, next_tool_name, and next_tool_args in each turn, and also when finishing the task.",
            "After each tool call, you receive a resulting observation, which gets appended to your trajectory.\n",
            "When writing next_thought, you may reason about the current situation and plan for future steps.",
            "When selecting the next_tool_name and its next_tool_args, the tool must be one of:\n",
        ]
        for (i, tool) in all.enumerated() { instr.append("(\(i + 1)) \(tool.promptDescription)") }
        instr.append("When providing `next_tool_args`, the value inside the field must be in JSON format")
        let reactSignature = try SignatureSpec(
            inputs: signature.inputs + [.input("trajectory")],
            outputs: [.output("next_thought"), .output("next_tool_name", .literal(all.map { .string($0.name) })),
                      .output("next_tool_args", .dict(key: .string, value: .any))],
            instructions: instr.joined(separator: "\n"))
        let extractSignature = try SignatureSpec(
            inputs: signature.inputs + [.input("trajectory")], outputs: signature.outputs,
            instructions: signature.instructions)
        self.react = Predict(reactSignature)
        self.extract = ChainOfThought(extractSignature)
        self.tools = all
        self.maxIterations = maxIterations
        self.signature = signature
    }

    public convenience init(_ signature: String, tools: [Tool], maxIterations: Int = 20) throws {
        try self.init(try SignatureSpec(signature), tools: tools, maxIterations: maxIterations)
    }

    private init(copying other: ReAct) {
        react = other.react.deepCopy()
        extract = other.extract.deepCopy()
        tools = other.tools
        maxIterations = other.maxIterations
        signature = other.signature
    }

    public func deepCopy() -> ReAct { ReAct(copying: self) }

    public func forward(_ inputs: JSONObject) async throws -> Prediction {
        var trajectory = JSONObject()
        for index in 0..<maxIterations {
            let step: Prediction
            do { step = try await callWithTruncation(react, inputs: inputs, trajectory: &trajectory) } catch let error as DSPyError {
                switch error {
                case .adapterParse, .contextWindowExceeded: break
                default: throw error
                }
                break
            }
            let toolName = step["next_tool_name"]?.stringValue ?? ""
            let args = step["next_tool_args"]?.objectValue ?? JSONObject()
            trajectory["thought_\(index)"] = step["next_thought"] ?? .null
            trajectory["tool_name_\(index)"] = .string(toolName)
            trajectory["tool_args_\(index)"] = .object(args)
            do {
                guard let tool = tools.first(where: { $0.name == toolName }) else {
                    throw DSPyError.tool(name: toolName, message: "unknown tool")
                }
                trajectory["observation_\(index)"] = try await tool(args)
            } catch {
                trajectory["observation_\(index)"] = .string("Execution error in \(toolName): \(error)")
            }
            if toolName == "finish" { break }
        }
        var result = try await callWithTruncation(extract.predict, inputs: inputs, trajectory: &trajectory)
        var fields = JSONObject()
        fields["trajectory"] = .object(trajectory)
        for (k, v) in result.fields { fields[k] = v }
        result.fields = fields
        result.completions = [fields]
        return result
    }

    /// Calls `predictor` with the trajectory; on a context-window error drops the
    /// oldest tool call (4 keys) and retries, up to 3 attempts (DSPy's behaviour).
    func callWithTruncation(_ predictor: Predict, inputs: JSONObject, trajectory: inout JSONObject) async throws -> Prediction {
        for _ in 0..<3 {
            var callInputs = inputs
            callInputs["trajectory"] = .string(formatTrajectory(trajectory))
            do {
                return try await predictor.call(callInputs)
            } catch DSPyError.contextWindowExceeded {
                guard trajectory.count > 4 else {
                    throw DSPyError.contextWindowExceeded(
                        "The trajectory is too long so your prompt exceeded the context window, but the trajectory cannot be truncated because it only has one tool call.")
                }
                for key in trajectory.keys.prefix(4) { trajectory[key] = nil }
            }
        }
        throw DSPyError.contextWindowExceeded(
            "The context window was exceeded even after 3 attempts to truncate the trajectory.")
    }

    /// The trajectory as `[[ ## key ## ]]` sections (DSPy's `_format_trajectory`).
    func formatTrajectory(_ trajectory: JSONObject) -> String {
        let fields = trajectory.keys.map { FieldSpec.input($0) }
        guard let signature = try? SignatureSpec(inputs: fields, outputs: [.output("x")]) else { return "" }
        return ChatAdapter().userMessageContent(signature, inputs: trajectory)
    }
}
