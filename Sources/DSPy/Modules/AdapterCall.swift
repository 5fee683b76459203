import Foundation

/// One predictor call through an adapter: format, call the LM, parse, fall back, log.
///
/// DSPy semantics: if the adapter's parse fails and it has a fallback
/// (ChatAdapter → JSONAdapter), the *whole call* is re-issued through the
/// fallback — a second LM call. Only parse failures fall back; LM errors
/// propagate. Both calls are logged; the prediction says the fallback ran.
/// Choice scores the LM reports in its metadata reach the prediction
/// (``Prediction/choiceScores``). The prediction's usage covers every LM call
/// of the predictor call (fallback and extraction included), per model; each
/// call is also added to the ambient ``UsageTracker``. With a ``StreamSink``
/// installed, the first completion's fields stream while the model decodes.
struct AdapterCall {
    let adapter: any Adapter
    let lm: any LanguageModel
    let parameters: SamplingParameters
    let log: (any CallLog)?
    let path: String?
    var usage: UsageTracker? { DSPySettings.current.usage }

    /// Runs the call; `collector` (when given) also receives the usage of every LM call made.
    func run(signature: SignatureSpec, demos: [Example], inputs: JSONObject, collector: UsageTracker? = nil) async throws -> Prediction {
        let local = collector ?? UsageTracker()
        do {
            return try await attempt(adapter, signature: signature, demos: demos, inputs: inputs, isFallback: false, local: local)
        } catch let error as DSPyError {
            guard case .adapterParse = error, let fallback = adapter.fallback else { throw error }
            var prediction = try await attempt(
                fallback, signature: signature, demos: demos, inputs: inputs, isFallback: true, local: local)
            prediction.usedAdapterFallback = true
            return prediction
        }
    }

    private func attempt(
        _ adapter: any Adapter, signature: SignatureSpec, demos: [Example], inputs: JSONObject, isFallback: Bool,
        local: UsageTracker
    ) async throws -> Prediction {
        let messages = adapter.format(signature, demos: demos, inputs: inputs)
        let request = LMRequest(messages: messages, parameters: parameters,
                                outputStructure: adapter.requestStructure(for: signature))
        var record = CallRecord(
            modulePath: path, adapter: adapter.name, model: lm.modelIdentifier, request: request, completions: [],
            parsed: nil, error: nil, usage: TokenUsage(), latency: .zero, cacheHit: false,
            isAdapterFallback: isFallback, timestamp: Date())
        record.traceID = DSPySettings.current.traceID
        record.phase = CompileContext.currentPhase?.rawValue
        record.candidate = CompileContext.currentCandidate
        let clock = ContinuousClock()
        let start = clock.now
        let response: LMResponse
        let streaming = streamer(for: adapter, signature: signature)
        // A call the budget refuses is not sent and not logged.
        let meter = BudgetMeter.current
        try meter?.admit()
        do {
            if let streaming {
                response = try await lm.stream(request) { streaming.receive($0) }
                streaming.finish()
            } else {
                response = try await lm.complete(request)
            }
        } catch {
            record.error = "\(error)"
            record.latency = clock.now - start
            await log?.record(record)
            throw error
        }
        meter?.record(response.usage, cacheHit: response.cacheHit)
        usage?.add(response.usage, model: lm.modelIdentifier, cacheHit: response.cacheHit)
        local.add(response.usage, model: lm.modelIdentifier, cacheHit: response.cacheHit)
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
            let context = AdapterContext(log: log, path: path, usage: local)
            var parsed: [JSONObject] = []
            for completion in response.completions {
                guard !completion.text.isEmpty else {
                    throw DSPyError.adapterParse(adapter: adapter.name, response: completion.text,
                        expected: signature.outputs.map(\.name), parsed: nil,
                        message: "The LM returned an empty or null response.")
                }
                parsed.append(try await adapter.extract(signature, completion: completion.text, context: context))
            }
            record.parsed = parsed
            await log?.record(record)
            var prediction = Prediction(completions: parsed)
            prediction.usage = local.usage
            prediction.lmUsage = local.lmUsage
            prediction.choiceScores = Prediction.choiceScores(fromMetadata: response.metadata)
            return prediction
        } catch {
            record.error = "\(error)"
            await log?.record(record)
            throw error
        }
    }

    /// The field streamer of this call, when a stream sink wants fields this adapter can stream.
    private func streamer(for adapter: any Adapter, signature: SignatureSpec) -> FieldStreamer? {
        guard let sink = DSPySettings.current.stream else { return nil }
        let style: FieldStreamSplitter.Style
        switch adapter.requestStructure(for: signature)?.style {
        case .chatHeaders?: style = .chatHeaders
        case .xmlTags?: style = .xmlTags
        default: return nil
        }
        let name = path ?? "self"
        let fields = sink.fields(of: signature, predictor: name)
        guard !fields.isEmpty else { return nil }
        return FieldStreamer(FieldStreamSplitter(style: style, fields: fields), predictor: name, sink: sink)
    }
}

/// A ``FieldStreamSplitter`` fed from the engine's callback, delivering to a sink.
final class FieldStreamer: @unchecked Sendable {
    private let lock = NSLock()
    private var splitter: FieldStreamSplitter
    private let predictor: String
    private let sink: StreamSink

    init(_ splitter: FieldStreamSplitter, predictor: String, sink: StreamSink) {
        self.splitter = splitter
        self.predictor = predictor
        self.sink = sink
    }

    func receive(_ piece: String) {
        deliver(lock.withLock { splitter.receive(piece) })
    }

    func finish() {
        deliver(lock.withLock { splitter.finish() })
    }

    private func deliver(_ pieces: [FieldStreamSplitter.Piece]) {
        for piece in pieces {
            sink.send(StreamChunk(predictor: predictor, field: piece.field, text: piece.text, isLast: piece.isLast))
        }
    }
}
