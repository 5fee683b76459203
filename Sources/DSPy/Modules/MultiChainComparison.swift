/// Compares `M` reasoning attempts and answers once more: DSPy's `MultiChainComparison`.
///
/// Appends inputs `reasoning_attempt_1…M` and prepends an output
/// `rationale`; each attempt is shown as
/// `«I'm trying to <first line of rationale> I'm not sure but my prediction is <answer>»`.
/// Cost: one LM call (the attempts come from earlier calls, e.g. a
/// ChainOfThought with `n = M`).
public final class MultiChainComparison: Program, @unchecked Sendable {
    public let predict: Predict
    public let m: Int
    let lastKey: String

    public init(_ signature: SignatureSpec, m: Int = 3, temperature: Double = 0.7) throws {
        var sig = signature
        for i in 1...max(1, m) {
            sig = try sig.appending(FieldSpec(name: "reasoning_attempt_\(i)", kind: .input,
                description: "${reasoning attempt}", prefix: "Student Attempt #\(i):"))
        }
        sig = try sig.prepending(FieldSpec(name: "rationale", kind: .output, description: "${corrected reasoning}",
            prefix: "Accurate Reasoning: Thank you everyone. Let's now holistically"))
        self.predict = Predict(sig, config: SamplingParameters(temperature: temperature))
        self.m = m
        self.lastKey = signature.outputs.last?.name ?? ""
    }

    private init(copying other: MultiChainComparison) {
        predict = other.predict.deepCopy()
        m = other.m
        lastKey = other.lastKey
    }

    public func deepCopy() -> MultiChainComparison { MultiChainComparison(copying: self) }

    /// Compares `completions` (each with `rationale` or `reasoning` and the last output field).
    ///
    /// - Throws: ``DSPyError/module(_:)`` when the number of completions is not `M`.
    public func callAsFunction(_ completions: [JSONObject], inputs: JSONObject) async throws -> Prediction {
        let attempts = completions.map { c -> String in
            let rationale = firstLine((c["rationale"] ?? c["reasoning"])?.pythonStr ?? "")
            let answer = firstLine(c[lastKey]?.pythonStr ?? "")
            return "«I'm trying to \(rationale) I'm not sure but my prediction is \(answer)»"
        }
        guard attempts.count == m else {
            throw DSPyError.module(
                "The number of attempts (\(attempts.count)) doesn't match the expected number M (\(m)). Please set the correct value for M when initializing MultiChainComparison.")
        }
        var all = JSONObject()
        for (i, a) in attempts.enumerated() { all["reasoning_attempt_\(i + 1)"] = .string(a) }
        for (k, v) in inputs { all[k] = v }
        return try await predict.call(all)
    }

    /// Expects the attempts in `inputs["completions"]` as an array of objects.
    public func forward(_ inputs: JSONObject) async throws -> Prediction {
        var rest = inputs
        let completions = (inputs["completions"]?.arrayValue ?? []).compactMap(\.objectValue)
        rest["completions"] = nil
        return try await self(completions, inputs: rest)
    }

    private func firstLine(_ s: String) -> String {
        (s.trimmed.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? "").trimmed
    }
}
