import Foundation

/// The basic module: one signature, its demos and settings, one LM call per completion set.
///
/// Calling it formats the signature, demos and inputs with the adapter,
/// calls the LM, and parses the completions (retrying once through the
/// JSON adapter when ChatAdapter cannot parse, as DSPy does; the retry is
/// flagged in the prediction and logged). When a trace is being recorded
/// (``TraceRecorder``) the call is appended to it.
///
/// ```swift
/// let qa = try Predict("question -> answer")
/// let p = try await qa(["question": "What is 2+2?"])
/// p["answer"] // "4"
/// ```
///
/// State (demos, signature instructions and descriptions, config) is what
/// optimizers change and what ``dumpState()`` saves.
public final class Predict: Program, @unchecked Sendable {
    private let lock = NSLock()
    private var _signature: SignatureSpec
    private var _demos: [Example] = []
    private var _config: SamplingParameters
    private var _lm: (any LanguageModel)?
    private var _adapter: (any Adapter)?
    private var _path: String?
    /// The error found when building a typed signature; thrown by every call.
    let declarationError: DSPyError?

    /// A predictor for `signature`.
    public init(_ signature: SignatureSpec, config: SamplingParameters = SamplingParameters()) {
        self._signature = signature
        self._config = config
        self.declarationError = nil
    }

    /// A predictor for a DSPy signature string.
    ///
    /// - Throws: the signature's parse error.
    public convenience init(_ signature: String, instructions: String? = nil,
                            config: SamplingParameters = SamplingParameters()) throws {
        self.init(try SignatureSpec(signature, instructions: instructions), config: config)
    }

    /// A predictor for a typed signature. A declaration error is thrown by the first call.
    public convenience init<S: Signature>(_ type: S.Type, config: SamplingParameters = SamplingParameters()) {
        let (spec, error) = Predict.typedSpec(S.self)
        self.init(spec, declarationError: error, config: config)
    }

    init(_ signature: SignatureSpec, declarationError: DSPyError?, config: SamplingParameters) {
        self._signature = signature
        self._config = config
        self.declarationError = declarationError
    }

    /// The spec of a typed signature, or a placeholder and the declaration error.
    static func typedSpec<S: Signature>(_ type: S.Type) -> (SignatureSpec, DSPyError?) {
        do {
            return (try S.signatureSpec(), nil)
        } catch {
            let placeholder = (try? SignatureSpec(inputs: [], outputs: [], name: String(describing: S.self)))!
            return (placeholder, error as? DSPyError ?? .invalidDeclaration(type: "\(S.self)", message: "\(error)"))
        }
    }

    private init(copying other: Predict) {
        (_signature, _demos, _config, _lm, _adapter, _path) = other.lock.withLock {
            (other._signature, other._demos, other._config, other._lm, other._adapter, other._path)
        }
        declarationError = other.declarationError
    }

    public var signature: SignatureSpec {
        get { lock.withLock { _signature } }
        set { lock.withLock { _signature = newValue } }
    }
    /// Few-shot demonstrations rendered before the inputs.
    public var demos: [Example] {
        get { lock.withLock { _demos } }
        set { lock.withLock { _demos = newValue } }
    }
    /// Default sampling parameters of this predictor (DSPy's `config`).
    public var config: SamplingParameters {
        get { lock.withLock { _config } }
        set { lock.withLock { _config = newValue } }
    }
    /// A per-predictor LM overriding the settings' LM.
    public var lm: (any LanguageModel)? {
        get { lock.withLock { _lm } }
        set { lock.withLock { _lm = newValue } }
    }
    /// A per-predictor adapter overriding the settings' adapter.
    public var adapter: (any Adapter)? {
        get { lock.withLock { _adapter } }
        set { lock.withLock { _adapter = newValue } }
    }
    /// The predictor's path in its program, used in call logs (see ``Module/assignPaths(prefix:)``).
    public var path: String? {
        get { lock.withLock { _path } }
        set { lock.withLock { _path = newValue } }
    }

    public func deepCopy() -> Predict { Predict(copying: self) }

    /// Clears demos and the per-predictor LM (DSPy's `reset`).
    public func reset() {
        lock.withLock {
            _demos = []
            _lm = nil
        }
    }

    // MARK: Calling

    /// Runs the predictor on named inputs.
    ///
    /// - Parameters:
    ///   - inputs: values by input field name; missing inputs take their defaults, extra ones are ignored.
    ///   - config: sampling overrides for this call.
    ///   - lm: an LM for this call only.
    /// - Throws: ``DSPyError/missingInputs(signature:names:)``, ``DSPyError/noLanguageModel``,
    ///   ``DSPyError/adapterParse(adapter:response:expected:parsed:message:)``, or the LM's error.
    public func callAsFunction(
        _ inputs: JSONObject, config: SamplingParameters? = nil, lm: (any LanguageModel)? = nil
    ) async throws -> Prediction {
        try await call(inputs, config: config, lm: lm)
    }

    public func forward(_ inputs: JSONObject) async throws -> Prediction { try await call(inputs) }

    /// Runs the predictor on a typed signature instance and returns it with its outputs filled.
    public func callAsFunction<S: Signature>(_ input: S, config: SamplingParameters? = nil) async throws -> S {
        try await run(input, config: config).output
    }

    /// Runs the predictor on a typed input, returning the typed output and the full prediction.
    public func run<S: Signature>(_ input: S, config: SamplingParameters? = nil) async throws -> TypedPrediction<S> {
        if let declarationError { throw declarationError }
        let prediction = try await call(try input.inputValues(), config: config, lm: nil)
        return try TypedPrediction(input: input, prediction: prediction)
    }

    /// The core call, with an optional signature and demos override (used by modules such as ReAct).
    public func call(
        _ inputs: JSONObject, signature overrideSignature: SignatureSpec? = nil, demos overrideDemos: [Example]? = nil,
        config overrideConfig: SamplingParameters? = nil, lm overrideLM: (any LanguageModel)? = nil
    ) async throws -> Prediction {
        if let declarationError { throw declarationError }
        let settings = DSPySettings.current
        let (storedSignature, storedDemos, storedConfig, storedLM, storedAdapter, path) = lock.withLock {
            (_signature, _demos, _config, _lm, _adapter, _path)
        }
        var signature = overrideSignature ?? storedSignature
        var inputs = inputs
        if let hint = settings.hints[ObjectIdentifier(self)] {
            // Refine's advice reaches the predictor as an extra input (DSPy's `hint_`).
            signature = try signature.appending(
                FieldSpec(name: "hint_", kind: .input, description: "A hint to the module from an earlier run"))
            inputs["hint_"] = .string(hint)
        }
        let demos = overrideDemos ?? storedDemos
        guard let lm = overrideLM ?? storedLM ?? settings.lm else { throw DSPyError.noLanguageModel }
        let adapter = storedAdapter ?? settings.adapter ?? ChatAdapter()

        var callInputs = JSONObject()
        var missing: [String] = []
        for field in signature.inputs {
            if let v = inputs[field.name] { callInputs[field.name] = v } else if let d = field.defaultValue {
                callInputs[field.name] = d
            } else if field.type.allowsNull {
                continue
            } else {
                missing.append(field.name)
            }
        }
        guard missing.isEmpty else {
            throw DSPyError.missingInputs(signature: signature.signatureString, names: missing)
        }

        var parameters = lm.defaultParameters.merged(with: storedConfig)
        if let overrideConfig { parameters = parameters.merged(with: overrideConfig) }
        if let ambient = settings.samplingOverride { parameters = parameters.merged(with: ambient) }
        if parameters.n > 1, (parameters.temperature ?? 0) <= 0.15 { parameters.temperature = 0.7 }

        let runner = AdapterCall(adapter: adapter, lm: lm, parameters: parameters, log: settings.callLog, path: path)
        let prediction = try await runner.run(signature: signature, demos: demos, inputs: callInputs)
        settings.trace?.append(TraceStep(predictor: self, inputs: callInputs, prediction: prediction))
        return prediction
    }

    /// The messages this predictor would send for `inputs`, without calling a model.
    public func formatted(_ inputs: JSONObject, adapter: (any Adapter)? = nil) -> [ChatMessage] {
        let (signature, demos, stored) = lock.withLock { (_signature, _demos, _adapter) }
        let a = adapter ?? stored ?? DSPySettings.current.adapter ?? ChatAdapter()
        return a.format(signature, demos: demos, inputs: inputs)
    }
}

/// A typed module result: the signature struct with its outputs, plus the raw prediction.
///
/// Output properties read straight through (`result.sentiment`); fields the
/// struct does not declare (e.g. ChainOfThought's `reasoning`) are in
/// ``prediction``.
@dynamicMemberLookup
public struct TypedPrediction<S: Signature>: Sendable {
    public let output: S
    public let prediction: Prediction

    init(input: S, prediction: Prediction) throws {
        var values = try input.inputValues()
        for (k, v) in prediction.fields { values[k] = v }
        self.output = try S.decode(from: values)
        self.prediction = prediction
    }

    public subscript<T>(dynamicMember keyPath: KeyPath<S, T>) -> T { output[keyPath: keyPath] }
}
