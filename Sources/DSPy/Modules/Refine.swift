import Foundation

/// BestOfN with feedback: DSPy's `Refine`.
///
/// After each attempt below the threshold, a `Predict(OfferFeedback)` call
/// reads the program's trajectory and reward and writes advice per
/// predictor; on the next attempt each predictor receives its advice as an
/// extra input `hint_` ("A hint to the module from an earlier run").
/// Cost: ≤ N program runs + N−1 feedback calls.
public final class Refine: Program, @unchecked Sendable {
    public let module: any Program
    public let n: Int
    public let threshold: Double
    public let failCount: Int
    let reward: RewardFunction
    public let feedback: Predict

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

    public init(_ module: any Program, n: Int, threshold: Double, failCount: Int? = nil, reward: @escaping RewardFunction) {
        self.module = module
        self.n = n
        self.threshold = threshold
        self.failCount = failCount ?? n
        self.reward = reward
        self.feedback = Predict(Refine.offerFeedback)
    }

    public func deepCopy() -> Refine {
        Refine(module.deepCopy(), n: n, threshold: threshold, failCount: failCount, reward: reward)
    }

    public func forward(_ inputs: JSONObject) async throws -> Prediction {
        try await BestOfN.search(module: module, n: n, threshold: threshold, failCount: failCount, reward: reward,
                                 inputs: inputs) { copy, prediction, trace, score in
            let named = copy.namedPredictors()
            let names = Dictionary(named.map { (ObjectIdentifier($0.predictor), $0.name) }, uniquingKeysWith: { a, _ in a })
            let definitions = named.map { "\($0.name): \($0.predictor.signature.signatureString)" }.joined(separator: "\n")
            let trajectory: [JSONValue] = trace.map { step in
                ["module_name": .string(names[ObjectIdentifier(step.predictor)] ?? "?"),
                 "inputs": .object(step.inputs), "outputs": .object(step.prediction.fields)]
            }
            let advice = try await self.feedback.call([
                "program_code": .string(String(describing: type(of: copy))),
                "modules_defn": .string(definitions),
                "program_inputs": .object(inputs),
                "program_trajectory": .array(trajectory),
                "program_outputs": .object(prediction?.fields ?? JSONObject()),
                "reward_code": "reward function (Swift closure)",
                "target_threshold": .double(self.threshold),
                "reward_value": .double(score),
                "module_names": .array(named.map { .string($0.name) }),
            ])
            var hints: [ObjectIdentifier: String] = [:]
            for (name, predictor) in named {
                hints[ObjectIdentifier(predictor)] = advice["advice"]?[name]?.stringValue ?? "N/A"
            }
            return hints
        }
    }
}
