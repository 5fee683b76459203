import Foundation

/// Everything known about one LM call made by a predictor, for the request log.
public struct CallRecord: Sendable, Hashable, Codable {
    /// The predictor's path in its program (`gen.predict`), when assigned.
    public var modulePath: String?
    /// `ChatAdapter` or `JSONAdapter`.
    public var adapter: String
    public var model: String
    public var request: LMRequest
    /// The raw completions (empty when the call failed).
    public var completions: [String]
    /// Parsed fields per completion, when parsing succeeded.
    public var parsed: [JSONObject]?
    /// The parse or LM error text, when the call failed.
    public var error: String?
    public var usage: TokenUsage
    public var latency: Duration
    public var cacheHit: Bool
    /// True when this call is the JSONAdapter retry after a ChatAdapter parse failure.
    public var isAdapterFallback: Bool
    public var timestamp: Date
    /// What the model reported beyond text (constraint, choice scores, throughput).
    public var metadata: JSONObject = JSONObject()
    /// The example this call served (``DSPySettings/traceID``), grouping a program's calls per example.
    public var traceID: String?
    /// The compile phase the call was made in (``CompileContext/currentPhase``), if any.
    public var phase: String?
    /// The candidate program the call was made for (``CompileContext/currentCandidate``), if any.
    public var candidate: String?
}

/// Where predictors report their LM calls (the store implements it; tests can collect).
public protocol CallLog: Sendable {
    func record(_ call: CallRecord) async
}

/// A ``CallLog`` that keeps records in memory.
public final class MemoryCallLog: CallLog, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [CallRecord] = []

    public init() {}

    public func record(_ call: CallRecord) async { lock.withLock { stored.append(call) } }
    /// The records so far, oldest first.
    public var records: [CallRecord] { lock.withLock { stored } }
}
