import Foundation

/// One piece of an output field while it is being generated (DSPy's `StreamResponse`).
public struct StreamChunk: Sendable, Hashable, Codable {
    /// The predictor's path in its program (`predict`, `gen.predict`; DSPy's `predict_name`).
    public var predictor: String
    /// The output field (DSPy's `signature_field_name`).
    public var field: String
    /// The new text of the field.
    public var text: String
    /// True on the field's last chunk (its text may be empty).
    public var isLast: Bool

    public init(predictor: String, field: String, text: String, isLast: Bool) {
        self.predictor = predictor
        self.field = field
        self.text = text
        self.isLast = isLast
    }
}

/// Selects an output field to stream (DSPy's `StreamListener(signature_field_name=, predict_name=)`).
///
/// Without a predictor the listener follows the field in every predictor
/// that has it (DSPy binds it to the field's unique owner and rejects
/// ambiguity; dspyc streams each owner, tagged with its path).
public struct StreamListener: Sendable, Hashable {
    public var field: String
    /// The predictor's path (``Predict/path``), or `nil` for any.
    public var predictor: String?

    public init(field: String, predictor: String? = nil) {
        self.field = field
        self.predictor = predictor
    }
}

/// What a stream yields: field chunks while the program runs, then its prediction.
public enum StreamEvent: Sendable {
    case chunk(StreamChunk)
    /// The program's final prediction (DSPy yields it last).
    case prediction(Prediction)
}

/// Receives the chunks of every predictor call made while it is installed (``DSPySettings/stream``).
public final class StreamSink: Sendable {
    /// The fields to stream; empty means every output field of every predictor.
    public let listeners: [StreamListener]
    private let deliver: @Sendable (StreamChunk) -> Void

    public init(listeners: [StreamListener] = [], deliver: @escaping @Sendable (StreamChunk) -> Void) {
        self.listeners = listeners
        self.deliver = deliver
    }

    /// The output fields of `signature` to stream for the predictor at `path`.
    func fields(of signature: SignatureSpec, predictor path: String) -> Set<String> {
        let outputs = Set(signature.outputs.map(\.name))
        if listeners.isEmpty { return outputs }
        return Set(listeners.filter { $0.predictor == nil || $0.predictor == path }.map(\.field)).intersection(outputs)
    }

    func send(_ chunk: StreamChunk) { deliver(chunk) }
}

extension Program {
    /// Runs the program on `inputs`, yielding its output fields chunk by chunk while the model
    /// decodes, then the final prediction (DSPy's `streamify(program)(**inputs)`).
    ///
    /// Fields stream for ChatAdapter and XMLAdapter calls (JSONAdapter and TwoStepAdapter calls yield
    /// nothing until their prediction). Every model streams: the embedded engine while it decodes,
    /// others at once when their answer arrives. A cached answer streams whole. Predictors without a
    /// path are named by ``Module/assignPaths(prefix:)`` first. The chunks of a field concatenate to
    /// the text its adapter parsed (stripped). Cancelling the iteration cancels the run.
    ///
    /// - Parameter listeners: the fields to stream; empty streams every output field.
    public func stream(_ inputs: JSONObject, listeners: [StreamListener] = []) -> AsyncThrowingStream<StreamEvent, any Error> {
        if namedPredictors().contains(where: { $0.predictor.path == nil }) { assignPaths() }
        let (stream, continuation) = AsyncThrowingStream<StreamEvent, any Error>.makeStream()
        let sink = StreamSink(listeners: listeners) { continuation.yield(.chunk($0)) }
        let task = Task {
            do {
                let prediction = try await DSPySettings.with({ $0.stream = sink }) { try await self(inputs) }
                continuation.yield(.prediction(prediction))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// DSPy's `streamify`: a function from inputs to the program's stream of chunks and prediction.
public func streamify<P: Program>(
    _ program: P, listeners: [StreamListener] = []
) -> @Sendable (JSONObject) -> AsyncThrowingStream<StreamEvent, any Error> {
    { inputs in program.stream(inputs, listeners: listeners) }
}
