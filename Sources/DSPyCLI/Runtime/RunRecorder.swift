import DSPy
import DSPyEngine
import DSPyStore
import Foundation
import Logging

/// The store as the framework's LM cache and call log, for one run.
///
/// Every call a program makes passes ``record(_:)`` (cache hits included, with
/// zero new tokens), so the request log holds exactly the messages the adapter
/// rendered and the raw completions; the counters feed the run's summary. The
/// log does not depend on the cache: with caching off, calls are still logged.
final class RunRecorder: CallLog, LMCache, @unchecked Sendable {
    let store: Store
    let runID: String
    let runKind: RunKind
    let program: String?
    private let lock = NSLock()
    private var totals = Totals()

    /// What the run's calls added up to.
    struct Totals: Sendable, Codable {
        var calls = 0
        var cacheHits = 0
        var promptTokens = 0
        var completionTokens = 0
        var cachedPromptTokens = 0
        var parseErrors = 0
    }

    init(store: Store, runID: String, runKind: RunKind, program: String?) {
        self.store = store
        self.runID = runID
        self.runKind = runKind
        self.program = program
    }

    var snapshot: Totals { lock.withLock { totals } }

    // MARK: LMCache

    func lookup(key: String) async throws -> LMResponse? {
        guard let entry = try await store.cachedResponse(forKey: key) else { return nil }
        return try? JSONDecoder().decode(LMResponse.self, from: Data(entry.response.utf8))
    }

    func store(key: String, response: LMResponse) async throws {
        let text = String(decoding: try JSONEncoder().encode(response), as: UTF8.self)
        try await store.storeCachedResponse(CacheEntry(key: key, model: response.model, response: text))
    }

    // MARK: CallLog

    func record(_ call: CallRecord) async {
        lock.withLock {
            totals.calls += 1
            if call.cacheHit { totals.cacheHits += 1 }
            totals.promptTokens += call.usage.promptTokens
            totals.completionTokens += call.usage.completionTokens
            totals.cachedPromptTokens += call.usage.cachedPromptTokens
            if call.error != nil { totals.parseErrors += 1 }
        }
        do {
            _ = try await store.log(loggedCall(call))
        } catch {
            DiagnosticLogging.logger.warning("could not log an LM call: \(error)")
        }
    }

    private func loggedCall(_ call: CallRecord) -> LoggedCall {
        let seconds = call.latency.seconds
        let metadata = call.metadata
        return LoggedCall(
            runID: runID, runKind: runKind, program: program, modulePath: call.modulePath ?? "",
            adapter: call.adapter, adapterFallback: call.isAdapterFallback, model: call.model,
            messages: call.request.messages.map { .init(role: $0.role.rawValue, content: $0.content) },
            completion: call.completions.first, otherCompletions: Array(call.completions.dropFirst()),
            parsedFields: call.parsed?.first.map { Self.storeObject($0) },
            parseError: call.error,
            sampling: Self.storeObject(call.request.parameters.jsonObject),
            constraint: Self.constraintText(metadata),
            promptTokens: call.usage.promptTokens, completionTokens: call.usage.completionTokens,
            cachedPromptTokens: call.usage.cachedPromptTokens, latency: seconds,
            tokensPerSecond: metadata["generation_tokens_per_second"]?.doubleValue,
            timestamp: call.timestamp, cacheHit: call.cacheHit,
            cacheKey: LMCacheKey.key(model: call.model, request: call.request),
            traceID: call.traceID, phase: call.phase, candidate: call.candidate,
            tokenTrace: Self.tokenTrace(metadata))
    }

    /// The in-process engine's per-token provenance (`metadata["token_trace"]`), if it sent one
    /// that decodes; a malformed one is left out rather than failing the log.
    private static func tokenTrace(_ metadata: JSONObject) -> TokenTrace? {
        guard let value = metadata["token_trace"] else { return nil }
        return try? JSONDecoder().decode(TokenTrace.self, from: Data(value.pythonJSON().utf8))
    }

    /// The constraint description and choice scores, as one line for the log.
    private static func constraintText(_ metadata: JSONObject) -> String? {
        guard let constraint = metadata["constraint"]?.stringValue else { return nil }
        guard let scores = metadata["choice_scores"] else { return constraint }
        return constraint + "; scores " + scores.pythonJSON()
    }

    private static func storeObject(_ object: JSONObject) -> [String: StoredJSON] {
        guard case .object(let converted)? = try? StoredJSON.parse(DSPy.JSONValue.object(object).pythonJSON())
        else { return [:] }
        return converted
    }
}
