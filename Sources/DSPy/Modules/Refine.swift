import Foundation

/// BestOfN with feedback: DSPy's `Refine`.
///
/// After each attempt below the threshold, a `Predict(OfferFeedback)` call
/// reads the program's trajectory and reward and writes advice per
/// predictor; on the next attempt each predictor receives its advice as an
/// extra input `hint_` ("A hint to the module from an earlier run").
///
/// The feedback prompt is DSPy 3.4.1's byte for byte (checked against
/// `Tests/DSPyTests/Fixtures/offer_feedback.json`) except for two inputs DSPy fills with Python
/// source code: `program_code` (`inspect.getsource` of the module's class) gets an honest
/// description of the Swift module instead (``ProgramDescription/sourceSubstitute(_:)``: its
/// type, module tree, predictors, signatures and instructions), and `reward_code` (the reward
/// function's source) gets ``rewardDescription``, which the caller should write (what the
/// reward measures and its scale); without one it says that the reward is a Swift closure
/// whose source is not available. Non-string inputs are 2-space JSON, as DSPy's orjson dump.
/// Cost: ≤ N program runs + N−1 feedback calls.
public final class Refine: Program, @unchecked Sendable {
    public let module: any Program
    public let n: Int
    public let threshold: Double
    public let failCount: Int
    let reward: RewardFunction
    /// What the feedback model reads where DSPy shows the reward function's source.
    public let rewardDescription: String
    public let feedback: Predict

    /// The `reward_code` text when the caller gives no description.
    public static let undescribedReward = "A Swift reward closure `(inputs, prediction) -> Double`, "
        + "scoring the program's outputs; its source is not available at run time and no description was given."

    static let offerFeedback: SignatureSpec = {
        let instructions = """
            In the discussion, assign blame to each module that contributed to the final reward being below the threshold, if
            any. Then, prescribe concrete advice of how the module should act on its future input when we retry the process, if
            it were to receive the same or similar inputs. If a module is not to blame, the advice should be N/A.
            The module will not see its own history, so it needs to rely on entirely concrete and actionable advice from you
            to avoid the same mistake on the same or similar inputs.
            """
        return try! SignatureSpec(
            inputs: [
                .input("program_code", desc: "The code of the program that we are analyzing"),
                .input("modules_defn", desc: "The definition of each module in the program, including its I/O"),
                .input("program_inputs", desc: "The inputs to the program that we are analyzing"),
                .input("program_trajectory", desc: "The trajectory of the program's execution, showing each module's I/O"),
                .input("program_outputs", desc: "The outputs of the program that we are analyzing"),
                .input("reward_code", desc: "The code of the reward function that we are analyzing"),
                .input("target_threshold", .float, desc: "The target threshold for the reward function"),
                .input("reward_value", .float, desc: "The reward value assigned to the program's outputs"),
                .input("module_names", .list(.string), desc: "The names of the modules in the program, for which we seek advice"),
            ],
            outputs: [
                .output("discussion", desc: "Discussing blame of where each module went wrong, if it did"),
                .output("advice", .dict(key: .string, value: .string),
                    desc: "For each module, describe very concretely, in this order: the specific scenarios in which it has made mistakes in the past and what each mistake was, followed by what it should do differently in that kind ofscenario in the future. If the module is not to blame, write N/A."),
            ],
            instructions: instructions, name: "OfferFeedback")
    }()

    /// - Parameter rewardDescription: what the reward measures, sent where DSPy sends its source.
    public init(_ module: any Program, n: Int, threshold: Double, failCount: Int? = nil,
                rewardDescription: String? = nil, reward: @escaping RewardFunction) {
        self.module = module
        self.n = n
        self.threshold = threshold
        self.failCount = failCount ?? n
        self.reward = reward
        self.rewardDescription = rewardDescription ?? Refine.undescribedReward
        self.feedback = Predict(Refine.offerFeedback)
    }

    public func deepCopy() -> Refine {
        Refine(module.deepCopy(), n: n, threshold: threshold, failCount: failCount, rewardDescription: rewardDescription,
               reward: reward)
    }

    /// The feedback call's inputs after an attempt (all strings, as DSPy sends them).
    func feedbackInputs(copy: any Program, inputs: JSONObject, prediction: Prediction?, trace: [TraceStep],
                        score: Double) -> JSONObject {
        let named = copy.namedPredictors()
        let names = Dictionary(named.map { (ObjectIdentifier($0.predictor), $0.name) }, uniquingKeysWith: { a, _ in a })
        let trajectory: [JSONValue] = trace.map { step in
            ["module_name": .string(names[ObjectIdentifier(step.predictor)] ?? "?"),
             "inputs": .object(step.inputs), "outputs": .object(step.prediction.fields)]
        }
        let values: JSONObject = [
            "program_code": .string(ProgramDescription.sourceSubstitute(module)),
            "modules_defn": .string(ProgramDescription.moduleDefinitions(copy)),
            "program_inputs": .object(inputs),
            "program_trajectory": .array(trajectory),
            "program_outputs": .object(prediction?.fields ?? JSONObject()),
            "reward_code": .string(rewardDescription),
            "target_threshold": .double(threshold),
            "reward_value": .double(score),
            "module_names": .array(named.map { .string($0.name) }),
        ]
        return JSONObject(values.map { ($0.key, JSONValue.string(ProgramDescription.feedbackText($0.value))) })
    }

    public func forward(_ inputs: JSONObject) async throws -> Prediction {
        try await BestOfN.search(module: module, n: n, threshold: threshold, failCount: failCount, reward: reward,
                                 inputs: inputs) { copy, prediction, trace, score in
            let advice = try await self.feedback.call(
                self.feedbackInputs(copy: copy, inputs: inputs, prediction: prediction, trace: trace, score: score))
            let named = copy.namedPredictors()
            var hints: [ObjectIdentifier: String] = [:]
            for (name, predictor) in named {
                hints[ObjectIdentifier(predictor)] = advice["advice"]?[name]?.stringValue ?? "N/A"
            }
            return hints
        }
    }
}
