import Foundation

/// One sampled run of a candidate program in SIMBA: DSPy's `wrap_program` output.
struct SIMBARun: Sendable {
    /// One predictor call: the predictor's name in its program, inputs and outputs.
    struct Step: Sendable {
        var name: String?
        var inputs: JSONObject
        var outputs: JSONObject
    }

    /// `nil` when the program threw.
    var prediction: Prediction?
    var steps: [Step]
    var score: Double
    var example: Example
    /// The metric's extra information (DSPy's `output_metadata`): `feedback` when the metric gives it.
    var rewardInfo: JSONObject
    var failed: Bool
}

/// SIMBA's two ways to build a candidate from a bucket of runs on one example, with DSPy
/// 3.4.1's `OfferFeedback` prompt (`simba_utils.py`).
///
/// - ``appendADemo(bucket:to:maxInputLength:p10:)``: the best run's last call of each
///   predictor becomes an augmented demo of that predictor.
/// - ``appendARule(bucket:to:p10:p90:promptModel:)``: the prompt model contrasts the best and
///   worst runs and writes advice per predictor, appended to its instructions.
///
/// Where DSPy sends the program's Python source (`program_code`), dspyc sends
/// ``ProgramDescription/sourceSubstitute(_:)``; every other input is byte-equal to DSPy's
/// (checked against `Tests/DSPyTests/Fixtures/offer_feedback.json`).
public enum SIMBAStrategies {
    /// DSPy's SIMBA `OfferFeedback` signature (instructions, fields and descriptions verbatim).
    public static let offerFeedback: SignatureSpec = {
        let instructions = """
            You will be given two trajectories of an LLM-driven program's execution. Your goal is to help the program's modules
            build up experience on how to maximize the reward value assigned to the program's outputs if it were to receive
            similar inputs in the future.

            The module won't see its own history. It will rely on your advice balancing being concrete and being generalizable.

            In your advice:
            - Avoid boilerplate. Offer advice that would change the module's behavior for the better in the future.
            - Ensure that advice offered to a module M is specific to that M's specific sub-task, not the overall program.
            - Rely on contrasting the behavior of the worse trajectory against the better trajectory in making recommendations.
            - Ensure each unique module name appears exactly once as a key in the advice dictionary.
            """
        let trajectory = "The trajectory of the program's execution, showing each module's I/O"
        let outputs = "The outputs of the program that we are analyzing"
        let value = "The reward value assigned to the program's outputs"
        let info = "Additional information that might be helpful to understanding the assigned reward value."
        let advice = "For each module, describe very concretely: If the module receives ${description of input or patterns "
            + "therein}, then it should ${description of content, behavior, or strategies to adopt and/or others to avoid}. "
            + "Basically, your advice be such that if the module has access to your tip, it would be much more likely to act "
            + "like the successful trajectory rather than the lower-scoring trajectory."
        // Fixed, distinct field names: this cannot throw.
        return try! SignatureSpec(
            inputs: [
                .input("program_code", desc: "The code of the program that we are analyzing"),
                .input("modules_defn", desc: "The definition of each module in the program, including its I/O"),
                .input("program_inputs", desc: "The inputs to the program that we are analyzing"),
                .input("oracle_metadata", desc: "Any (hidden) metadata about the training set instance we're analyzing"),
                .input("worse_program_trajectory", desc: trajectory),
                .input("worse_program_outputs", desc: outputs),
                .input("worse_reward_value", .float, desc: value),
                .input("worse_reward_info", desc: info),
                .input("better_program_trajectory", desc: trajectory),
                .input("better_program_outputs", desc: outputs),
                .input("better_reward_value", .float, desc: value),
                .input("better_reward_info", desc: info),
                .input("module_names", .list(.string), desc: "The names of the modules in the program, for which we seek advice"),
            ],
            outputs: [
                .output("discussion", desc: "Discussing blame of where each module went wrong, if it did"),
                .output("module_advice", .dict(key: .string, value: .string), desc: advice),
            ],
            instructions: instructions, name: "OfferFeedback")
    }()

    /// DSPy's `append_a_demo`: unless the best run scores at or below the batch's 10th percentile,
    /// each predictor's last call in the best run is appended to that predictor as
    /// `Example(augmented=True, **inputs, **outputs)`; inputs longer than `maxInputLength`
    /// characters are cut and marked `\n\t\t... <TRUNCATED FOR BREVITY>`.
    ///
    /// - Returns: false when skipped. Cost: no model calls.
    @discardableResult
    static func appendADemo(bucket: [SIMBARun], to system: any Program, maxInputLength: Int, p10: Double) -> Bool {
        guard let good = bucket.first, good.score > p10 else { return false }
        var demos: [(String, Example)] = []
        for step in good.steps {
            guard let name = step.name else { continue }
            var fields: JSONObject = ["augmented": true]
            for (key, value) in step.inputs {
                // Python counts and cuts code points.
                let text = value.pythonStr.unicodeScalars
                if maxInputLength > 0, text.count > maxInputLength {
                    var cut = String.UnicodeScalarView()
                    cut.append(contentsOf: text.prefix(maxInputLength))
                    fields[key] = .string(String(cut) + "\n\t\t... <TRUNCATED FOR BREVITY>")
                } else {
                    fields[key] = value
                }
            }
            for (key, value) in step.outputs { fields[key] = value }
            demos.removeAll { $0.0 == name }
            demos.append((name, Example(fields)))
        }
        let predictors = Dictionary(system.namedPredictors().map { ($0.name, $0.predictor) }, uniquingKeysWith: { a, _ in a })
        for (name, demo) in demos { if let p = predictors[name] { p.demos.append(demo) } }
        return true
    }

    /// The string inputs of the feedback call for a contrast of `better` and `worse` (after
    /// DSPy's blanking), each non-string value as 2-space JSON (``ProgramDescription/feedbackText(_:)``).
    ///
    /// - Throws: ``OptimizerError/invalidArgument(_:)`` when the better run has no prediction
    ///   (DSPy fails on `dict(None)` there too).
    static func feedbackInputs(better: SIMBARun, worse: SIMBARun, blankBetter: Bool, blankWorse: Bool,
                               system: any Program) throws -> JSONObject {
        func trajectory(_ run: SIMBARun, blank: Bool) -> JSONValue {
            if blank { return .array([]) }
            return .array(run.steps.compactMap { step in
                guard let name = step.name else { return nil }
                return .object(["module_name": .string(name), "inputs": .object(step.inputs), "outputs": .object(step.outputs)])
            })
        }
        let notAvailable: JSONValue = .object(["N/A": "Prediction not available"])
        guard blankBetter || better.prediction != nil else {
            throw OptimizerError.invalidArgument("SIMBA append_a_rule: the better run has no prediction")
        }
        let example = better.example
        var inputs = JSONObject()
        inputs["program_code"] = .string(ProgramDescription.sourceSubstitute(system))
        inputs["modules_defn"] = .string(ProgramDescription.moduleDefinitions(system))
        inputs["program_inputs"] = .object((try? example.inputs().fields) ?? JSONObject())
        inputs["oracle_metadata"] = .object((try? example.labels().fields) ?? JSONObject())
        inputs["better_program_trajectory"] = trajectory(better, blank: blankBetter)
        inputs["better_program_outputs"] = blankBetter ? notAvailable : .object(better.prediction?.fields ?? JSONObject())
        inputs["worse_program_trajectory"] = trajectory(worse, blank: blankWorse)
        inputs["worse_program_outputs"] = blankWorse ? notAvailable : .object(worse.prediction?.fields ?? JSONObject())
        inputs["worse_reward_value"] = blankWorse ? "N/A" : .double(worse.score)
        inputs["better_reward_value"] = blankBetter ? "N/A" : .double(better.score)
        inputs["worse_reward_info"] = .object(worse.rewardInfo)
        inputs["better_reward_info"] = .object(better.rewardInfo)
        inputs["module_names"] = .array(system.namedPredictors().map { .string($0.name) })
        var texts = JSONObject()
        for (key, value) in inputs { texts[key] = .string(ProgramDescription.feedbackText(value)) }
        return texts
    }

    /// DSPy's `append_a_rule`: skipped when the best run is at or below the batch's 10th
    /// percentile or the worst at or above its 90th. When best and worst tie, one side is shown
    /// as unavailable (the worse side if the best is above the 90th percentile, else the better
    /// side). The prompt model's advice for each named predictor is appended to its instructions
    /// after a blank line.
    ///
    /// - Returns: false when skipped. Cost: one prompt-model call when not skipped.
    /// - Throws: the feedback call's error (the candidate is then dropped, as in DSPy).
    @discardableResult
    static func appendARule(bucket: [SIMBARun], to system: any Program, p10: Double, p90: Double,
                            promptModel: (any LanguageModel)?) async throws -> Bool {
        guard let good = bucket.first, let bad = bucket.last else { return false }
        if good.score <= p10 || bad.score >= p90 { return false }
        var blankBetter = false, blankWorse = false
        if good.score <= bad.score {
            if good.score > p90 { blankWorse = true } else { blankBetter = true }
        }
        let inputs = try feedbackInputs(better: good, worse: bad, blankBetter: blankBetter, blankWorse: blankWorse, system: system)
        let predictor = Predict(offerFeedback)
        let prediction = try await DSPySettings.with({ $0.trace = nil }) {
            try await predictor(inputs, lm: promptModel)
        }
        guard case .object(let advice)? = prediction["module_advice"] else {
            throw OptimizerError.invalidArgument("SIMBA append_a_rule: module_advice is not a dictionary")
        }
        for (name, p) in system.namedPredictors() {
            guard let text = advice[name] else { continue }
            p.signature = p.signature.withInstructions(p.signature.instructions + "\n\n" + text.pythonStr)
        }
        return true
    }
}
