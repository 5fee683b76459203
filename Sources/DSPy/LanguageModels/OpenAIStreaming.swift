import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Streaming chat completions (`stream: true`, server-sent events) for ``OpenAICompatibleLM``.
///
/// ``OpenAICompatibleLM/deltas(_:)`` is the raw async sequence of chunks; ``OpenAICompatibleLM/stream(_:onText:)``
/// (what `streamify` and `dspyc run --stream` use) folds them into a response while handing each
/// piece of text over. A stream is retried like a request while nothing has been received (a
/// retryable status, a refused connection); once text has arrived a failure is reported, since
/// the text already handed over cannot be taken back. The stream holds one concurrency slot.
extension OpenAICompatibleLM {
    /// One event of a streamed completion: text of completion `index`, a finish reason, usage, log-probs.
    public struct Delta: Sendable, Hashable {
        public var index: Int
        public var text: String
        public var finishReason: String?
        public var logprobs: [OpenAIWire.TokenLogprob]
        public var usage: OpenAIWire.Usage?
        public var model: String?
    }

    /// The completion of `request` as it is generated, one ``Delta`` per server-sent event.
    ///
    /// - Throws (from the sequence): `DSPyError.languageModel` for a non-200 answer (with the
    ///   server's message), a malformed event, or a connection that fails after the retries.
    public func deltas(_ request: LMRequest) throws -> AsyncThrowingStream<Delta, Error> {
        let urlRequest = try urlRequest(body(for: request, stream: true))
        let (stream, continuation) = AsyncThrowingStream<Delta, Error>.makeStream()
        let task = Task { [limiter, retryPolicy] in
            do {
                try await limiter.run {
                    try await Self.streamEvents(urlRequest, retryPolicy: retryPolicy) { payload in
                        let chunk: OpenAIWire.ChatCompletionChunk
                        do {
                            chunk = try JSONDecoder().decode(OpenAIWire.ChatCompletionChunk.self, from: Data(payload.utf8))
                        } catch {
                            throw DSPyError.languageModel("\(urlRequest.url?.absoluteString ?? "") streamed an event that is not a chat completion chunk: \(payload.prefix(200))")
                        }
                        for choice in chunk.choices ?? [] {
                            continuation.yield(Delta(index: choice.index ?? 0, text: choice.delta?.content ?? "",
                                                     finishReason: choice.finishReason, logprobs: choice.logprobs?.content ?? [],
                                                     usage: nil, model: chunk.model))
                        }
                        if let usage = chunk.usage {
                            continuation.yield(Delta(index: 0, text: "", logprobs: [], usage: usage, model: chunk.model))
                        }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    public func stream(_ request: LMRequest, onText: @escaping @Sendable (String) -> Void) async throws -> LMResponse {
        let clock = ContinuousClock()
        let start = clock.now
        var texts: [Int: String] = [:]
        var reasons: [Int: String] = [:]
        var logprobs: [OpenAIWire.TokenLogprob] = []
        var usage: OpenAIWire.Usage?
        var answered: String?
        for try await delta in try deltas(request) {
            texts[delta.index, default: ""] += delta.text
            if let reason = delta.finishReason { reasons[delta.index] = reason }
            if delta.index == 0 {
                logprobs += delta.logprobs
                // Scored choices may change the text afterwards; hand text over only when nothing will.
                if !delta.text.isEmpty && !scoresChoices(request) { onText(delta.text) }
            }
            if let value = delta.usage { usage = value }
            if let model = delta.model { answered = model }
        }
        let count = max(1, (texts.keys.max() ?? 0) + 1)
        let response = response(
            for: request, texts: (0..<count).map { texts[$0] ?? "" }, finishReasons: (0..<count).map { reasons[$0] },
            logprobs: logprobs, usage: usage, model: answered, latency: clock.now - start)
        if scoresChoices(request), let text = response.completions.first?.text, !text.isEmpty { onText(text) }
        return response
    }

    /// Whether log-prob choice scoring may rewrite this request's text.
    func scoresChoices(_ request: LMRequest) -> Bool { body(for: request).logprobs == true }

    /// Sends a streaming request and hands each `data:` payload to `onEvent` until `[DONE]`.
    static func streamEvents(_ request: URLRequest, retryPolicy: RetryPolicy,
                             onEvent: @escaping @Sendable (String) throws -> Void) async throws {
        var attempt = 1
        while true {
            let reader = EventStreamReader(onEvent: onEvent)
            let session = reader.makeSession()
            defer { session.finishTasksAndInvalidate() }
            let outcome = await withTaskCancellationHandler {
                await reader.run(request)
            } onCancel: { reader.cancel() }
            try Task.checkCancellation()
            switch outcome {
            case .finished: return
            case .status(let status, let body, let retryAfter):
                guard RetryPolicy.isRetryable(status: status), attempt < retryPolicy.maxAttempts else {
                    throw failure(request, status: status, body: body)
                }
                try await Task.sleep(for: .seconds(retryPolicy.delay(afterAttempt: attempt, retryAfter: retryAfter)))
            case .failed(let error, let receivedEvents):
                if let error = error as? DSPyError { throw error }
                guard !receivedEvents, attempt < retryPolicy.maxAttempts else {
                    throw DSPyError.languageModel("stream from \(request.url?.absoluteString ?? "") failed after \(attempt) attempt(s): \(error.localizedDescription)")
                }
                try await Task.sleep(for: .seconds(retryPolicy.delay(afterAttempt: attempt)))
            }
            attempt += 1
        }
    }
}
