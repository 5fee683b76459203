import Foundation

/// GEPA's reflective dataset and instruction proposer, with DSPy 3.4.1's prompt text.
///
/// A record is `{"Inputs": {…}, "Generated Outputs": {…}, "Feedback": "…"}` for one minibatch
/// example: the predictor's inputs and outputs in that run and the metric's feedback. The proposer
/// is DSPy's default `InstructionProposer`: `Predict(ProposeInstruction)` under ``JSONAdapter``
/// with the reflection model, so the reflection model sees byte for byte what DSPy sends
/// (checked against `Tests/DSPyTests/Fixtures/gepa_reflection.json`, rendered by DSPy itself).
public enum GEPAReflection {
    /// DSPy's `ProposeInstruction` signature (fields, descriptions and instructions verbatim).
    public static let proposeInstruction: SignatureSpec = {
        let instructions = [
            "I provided an assistant with instructions to perform a task for me. You are given those instructions, along with examples of different task inputs provided to the assistant, the assistant's response for each of them, and some feedback on how the assistant's response could be better.",
            "Your task is to write a new instruction for the assistant.",
            "Read the inputs carefully and identify the input format and infer detailed task description about the task I wish to solve with the assistant.",
            "Read all the assistant responses and the corresponding feedback. Identify all niche and domain specific factual information about the task and include it in the instruction, as a lot of it may not be available to the assistant in the future. The assistant may have utilized a generalizable strategy to solve the task, if so, include that in the instruction as well.",
        ].joined(separator: "\n\n")
        // The fields are fixed and distinct, so this cannot fail.
        let spec = try! SignatureSpec(
            "current_instruction: str, examples_with_feedback: list[dict[str, Any]] -> new_instruction: str",
            instructions: instructions)
        return spec
            .withUpdatedField("current_instruction", description: "The instructions I provided to the assistant.")
            .withUpdatedField("examples_with_feedback", description: "Task inputs provided to the assistant, the assistant's response for each, and feedback on how the response could be better.")
            .withUpdatedField("new_instruction", description: "The new instruction for the assistant.")
    }()

    /// One reflective record, keys in DSPy's order.
    public static func record(inputs: JSONObject, outputs: JSONObject, feedback: String) -> JSONValue {
        var record = JSONObject()
        record["Inputs"] = .object(inputs)
        record["Generated Outputs"] = .object(outputs)
        record["Feedback"] = .string(feedback)
        return .object(record)
    }

    /// The proposer's inputs for one predictor.
    public static func proposerInputs(currentInstruction: String, records: [JSONValue]) -> JSONObject {
        var inputs = JSONObject()
        inputs["current_instruction"] = .string(currentInstruction)
        inputs["examples_with_feedback"] = .array(records)
        return inputs
    }

    /// The messages the reflection model receives (no model call).
    public static func messages(currentInstruction: String, records: [JSONValue]) -> [ChatMessage] {
        Predict(proposeInstruction).formatted(
            proposerInputs(currentInstruction: currentInstruction, records: records), adapter: JSONAdapter())
    }

    /// Asks the reflection model for a new instruction. `lm` `nil` uses the task model.
    ///
    /// Cost: one LM call.
    /// - Throws: ``OptimizerError/invalidArgument(_:)`` when the model returns an empty instruction,
    ///   or the adapter's or model's error.
    public static func propose(currentInstruction: String, records: [JSONValue], lm: (any LanguageModel)?,
                               rolloutID: Int? = nil) async throws -> String {
        let predictor = Predict(proposeInstruction)
        predictor.lm = lm
        predictor.adapter = JSONAdapter()
        let prediction = try await predictor(
            proposerInputs(currentInstruction: currentInstruction, records: records),
            config: SamplingParameters(rolloutID: rolloutID))
        let text = (prediction["new_instruction"]?.pythonStr ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else {
            throw OptimizerError.invalidArgument("GEPA: the reflection model returned an empty instruction")
        }
        return text
    }
}
