/// Gathers the evaluations that concurrent generations ask for into batched passes.
///
/// Continuous batching: each generation awaits ``evaluate(_:)`` for its next
/// step; while the engine runs one batch, new requests queue up, and the next
/// pass takes all of them at once. Eight sequences decoding together therefore
/// cost about one pass per step instead of eight. A batch that fails is retried
/// request by request, so one bad request (say, a prompt too long) fails alone.
actor BatchScheduler {
    private let engine: LanguageEngine
    private let maximumBatchTokens: Int
    private var pending: [(request: EvaluationRequest, continuation: CheckedContinuation<Evaluation, Error>)] = []
    private var draining = false

    /// - Parameter maximumBatchTokens: the most new tokens one pass takes (a long
    ///   prompt alone may exceed it; it is then run by itself).
    init(engine: LanguageEngine, maximumBatchTokens: Int = 1024) {
        self.engine = engine
        self.maximumBatchTokens = maximumBatchTokens
    }

    /// Evaluates one request, batched with whatever else is waiting.
    func evaluate(_ request: EvaluationRequest) async throws -> Evaluation {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((request, continuation))
            if !draining {
                draining = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            var batch = [pending.removeFirst()]
            var tokens = batch[0].request.tokens.count
            while let next = pending.first, tokens + next.request.tokens.count <= maximumBatchTokens {
                tokens += next.request.tokens.count
                batch.append(pending.removeFirst())
            }
            do {
                let results = try await engine.evaluate(batch.map(\.request))
                for (item, result) in zip(batch, results) { item.continuation.resume(returning: result) }
            } catch {
                for item in batch {
                    do {
                        item.continuation.resume(returning: try await engine.evaluate([item.request])[0])
                    } catch {
                        item.continuation.resume(throwing: error)
                    }
                }
            }
        }
        draining = false
    }
}
