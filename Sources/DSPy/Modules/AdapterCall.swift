import Foundation

/// One predictor call through an adapter: format, call the LM, parse, fall back, log.
///
/// DSPy semantics: if the adapter's parse fails and it has a fallback
/// (ChatAdapter → JSONAdapter), the *whole call* is re-issued through the
/// fallback — a second LM call. Only parse failures fall back; LM errors
/// propagate. Both calls are logged; the prediction says the fallback ran.
/// Choice scores the LM reports in its metadata reach the prediction
/// (``Prediction/choiceScores``).
struct AdapterCall {
    let adapter: any Adapter
    let lm: any LanguageModel
    let parameters: SamplingParameters
    let log: (any CallLog)?
    let path: String?
    var usage: UsageTracker? { DSPySettings.current.usage }

    func run(signature: SignatureSpec, demos: [Example], inputs: JSONObject) async throws -> Prediction {
        do {
            return try await attempt(adapter, signature: signature, demos: demos, inputs: inputs, isFallback: false)
        } catch let error as DSPyError {
            guard case .adapterParse = error, let fallback = adapter.fallback else { throw error }
            var prediction = try await attempt(fallback, signature: signature, demos: demos, inputs: inputs, isFallback: true)
            prediction.usedAdapterFallback = true
            return prediction
        }
    }

    private func attempt(
        _ adapter: any Adapter, signature: SignatureSpec, demos: [Example], inputs: JSONObject, isFallback: Bool
    ) async throws -> Prediction {
        let messages = adapter.format(signature, demos: demos, inputs: inputs)
        let request = LMRequest(messages: messages, parameters: parameters,
                                outputStructure: adapter.outputStructure(for: signature))
        var record = CallRecord(
            modulePath: path, adapter: adapter.name, model: lm.modelIdentifier, request: request, completions: [],
            parsed: nil, error: nil, usage: TokenUsage(), latency: .zero, cacheHit: false,
            isAdapterFallback: isFallback, timestamp: Date())
        record.traceID = DSPySettings.current.traceID
        let clock = ContinuousClock()
        let start = clock.now
        let response: LMResponse
        do {
            response = try await lm.complete(request)
        } catch {
            record.error = "\(error)"
            record.latency = clock.now - start
            await log?.record(record)
            throw error
        }
        usage?.add(response.usage)
        record.completions = response.completions.map(\.text)
        record.usage = response.usage
        record.latency = response.latency == .zero ? clock.now - start : response.latency
        record.cacheHit = response.cacheHit
        record.metadata = response.metadata
        do {
            guard !response.completions.isEmpty else {
                throw DSPyError.adapterParse(adapter: adapter.name, response: "[]",
                    expected: signature.outputs.map(\.name), parsed: nil,
                    message: "The LM returned an empty or null response.")
            }
            let parsed = try response.completions.map { completion -> JSONObject in
                guard !completion.text.isEmpty else {
                    throw DSPyError.adapterParse(adapter: adapter.name, response: completion.text,
                        expected: signature.outputs.map(\.name), parsed: nil,
                        message: "The LM returned an empty or null response.")
                }
                return try adapter.parse(signature, completion: completion.text)
            }
            record.parsed = parsed
            await log?.record(record)
            var prediction = Prediction(completions: parsed)
            prediction.usage = response.usage
            prediction.choiceScores = Prediction.choiceScores(fromMetadata: response.metadata)
            return prediction
        } catch {
            record.error = "\(error)"
            await log?.record(record)
            throw error
        }
    }
}
