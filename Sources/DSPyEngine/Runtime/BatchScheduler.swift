/// Gathers the evaluations that concurrent generations ask for into batched passes.
///
/// Continuous batching: each generation awaits ``evaluate(_:)`` for its next
/// step; while the engine runs one batch, new requests queue up, and the next
/// pass takes all of them at once. Eight sequences decoding together therefore
/// cost about one pass per step instead of eight. A batch that fails is retried
/// request by request, so one bad request (say, a prompt too long) fails alone.
///
/// After a pass, the generations it served need a moment (sampling, a constraint
/// step) before they ask for their next token. Starting the next pass at once would
/// take only the one or two that happened to be quick and split the others over
/// later passes, so eight clients would decode almost one at a time. The scheduler
/// therefore waits until every generation that ``begin()`` registered has a request
/// pending, or until a quarter of the last pass's time (at least 1 ms) has passed —
/// so a generation stalled elsewhere (a slow client's socket) costs the others a
/// bounded delay. A lone generation never waits.
actor BatchScheduler {
    private let engine: LanguageEngine
    private let maximumBatchTokens: Int
    private var pending: [(request: EvaluationRequest, continuation: CheckedContinuation<Evaluation, Error>)] = []
    private var draining = false
    /// Generations between ``begin()`` and ``end()``.
    private var active = 0
    /// The drain loop waiting for the served generations to come back, and its ticket.
    private var gathering: (ticket: Int, continuation: CheckedContinuation<Void, Never>)?
    private var nextTicket = 0
    /// Passes run and the requests they took (their ratio is the mean batch).
    private(set) var passes = 0
    private(set) var batchedRequests = 0

    /// - Parameter maximumBatchTokens: the most new tokens one pass takes (a long
    ///   prompt alone may exceed it; it is then run by itself).
    init(engine: LanguageEngine, maximumBatchTokens: Int = 1024) {
        self.engine = engine
        self.maximumBatchTokens = maximumBatchTokens
    }

    /// Registers a generation that will ask for evaluations until ``end()``.
    func begin() {
        active += 1
    }

    /// Whether at most one generation is registered: then a pass carries one sequence's
    /// tokens and is bound by its fixed cost, which speculative decoding spreads over several
    /// tokens; with more, the batch already does, and guesses only add work.
    var isAlone: Bool { active <= 1 }

    /// Unregisters a generation (it asks for nothing more).
    func end() {
        active -= 1
        wakeIfGathered()
    }

    /// Evaluates one request, batched with whatever else is waiting.
    func evaluate(_ request: EvaluationRequest) async throws -> Evaluation {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((request, continuation))
            if !draining {
                draining = true
                Task { await drain() }
            } else {
                wakeIfGathered()
            }
        }
    }

    private func drain() async {
        let clock = ContinuousClock()
        while !pending.isEmpty {
            var batch = [pending.removeFirst()]
            var tokens = batch[0].request.tokens.count
            while let next = pending.first, tokens + next.request.tokens.count <= maximumBatchTokens {
                tokens += next.request.tokens.count
                batch.append(pending.removeFirst())
            }
            passes += 1
            batchedRequests += batch.count
            let start = clock.now
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
            await gather(until: clock.now + max(.milliseconds(1), (clock.now - start) / 4))
        }
        draining = false
    }

    /// Waits until every registered generation has a request pending, or `deadline`.
    private func gather(until deadline: ContinuousClock.Instant) async {
        guard pending.count < active else { return }
        nextTicket += 1
        let ticket = nextTicket
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.expire(ticket)
        }
        await withCheckedContinuation { gathering = (ticket, $0) }
        timer.cancel()
    }

    private func wakeIfGathered() {
        guard let waiting = gathering, pending.count >= active else { return }
        gathering = nil
        waiting.continuation.resume()
    }

    private func expire(_ ticket: Int) {
        guard let waiting = gathering, waiting.ticket == ticket else { return }
        gathering = nil
        waiting.continuation.resume()
    }
}
