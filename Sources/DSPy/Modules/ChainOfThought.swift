/// Reasoning before answering: DSPy's `ChainOfThought`.
///
/// Prepends an output field `reasoning` (no description, prefix
/// `Reasoning:`) to the signature and wraps one ``Predict`` at `predict`, so
/// inside a program stored at `gen` its predictor is `gen.predict`. The
/// prediction has `reasoning` plus the original outputs. Cost: one LM call.
public final class ChainOfThought: Program, @unchecked Sendable {
    public let predict: Predict

    /// Wraps `signature` with a leading reasoning output.
    public init(_ signature: SignatureSpec, rationaleField: FieldSpec = .output("reasoning"),
                config: SamplingParameters = SamplingParameters()) {
        do {
            predict = Predict(try signature.prepending(rationaleField), config: config)
        } catch {
            predict = Predict(signature, declarationError: error as? DSPyError ?? .module("\(error)"), config: config)
        }
    }

    /// Wraps a DSPy signature string.
    public convenience init(_ signature: String, instructions: String? = nil,
                            config: SamplingParameters = SamplingParameters()) throws {
        self.init(try SignatureSpec(signature, instructions: instructions), config: config)
    }

    /// Wraps a typed signature; the result's extra `reasoning` is in ``TypedPrediction/prediction``.
    public convenience init<S: Signature>(_ type: S.Type, config: SamplingParameters = SamplingParameters()) {
        let (spec, error) = Predict.typedSpec(S.self)
        if let error {
            self.init(predict: Predict(spec, declarationError: error, config: config))
        } else {
            self.init(spec, config: config)
        }
    }

    private init(predict: Predict) { self.predict = predict }

    public func deepCopy() -> ChainOfThought { ChainOfThought(predict: predict.deepCopy()) }

    public func forward(_ inputs: JSONObject) async throws -> Prediction { try await predict.call(inputs) }

    /// Runs on named inputs with optional sampling overrides.
    public func callAsFunction(_ inputs: JSONObject, config: SamplingParameters? = nil) async throws -> Prediction {
        try await predict.call(inputs, config: config)
    }

    /// Runs on a typed input and returns it with outputs filled.
    public func callAsFunction<S: Signature>(_ input: S) async throws -> S { try await predict.run(input).output }

    /// Runs on a typed input; `result.prediction["reasoning"]` holds the reasoning.
    public func run<S: Signature>(_ input: S) async throws -> TypedPrediction<S> { try await predict.run(input) }
}
