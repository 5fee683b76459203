/// A module that can be run on named inputs — what BestOfN, Refine, Parallel and optimizers call.
///
/// User programs conform by implementing ``forward(_:)`` with their logic:
///
/// ```swift
/// final class QA: Program {
///     let gen = ChainOfThought(try! SignatureSpec("question -> answer"))
///     func forward(_ inputs: JSONObject) async throws -> Prediction { try await gen(inputs) }
///     func deepCopy() -> QA { let c = QA(); c.gen.predict.demos = gen.predict.demos; return c }
/// }
/// ```
public protocol Program: Module {
    /// Runs the program on named inputs.
    func forward(_ inputs: JSONObject) async throws -> Prediction
}

extension Program {
    /// Runs the program on named inputs.
    ///
    /// At the top level (no usage tracker installed) the prediction's ``Prediction/lmUsage`` holds
    /// the token usage of every LM call the program made, per model (DSPy's `get_lm_usage()`).
    public func callAsFunction(_ inputs: JSONObject) async throws -> Prediction {
        if DSPySettings.current.usage != nil { return try await forward(inputs) }
        var (prediction, usage) = try await UsageTracker.measureByModel { try await forward(inputs) }
        prediction.lmUsage = usage
        return prediction
    }

    /// Runs the program on an example's inputs.
    public func callAsFunction(example: Example) async throws -> Prediction {
        try await forward(try example.inputs().fields)
    }
}
