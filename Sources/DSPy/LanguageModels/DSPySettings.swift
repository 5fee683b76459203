import Foundation

/// The ambient configuration: default LM and adapter, call log, trace.
///
/// Stored in a task-local, so there is no global mutable state: a setting
/// applies to the body of `with(_:_:)` and to child tasks created in it,
/// and concurrent runs with different settings do not interfere (DSPy's
/// `dspy.context`).
///
/// ```swift
/// try await DSPySettings.with(.init(lm: myLM)) {
///     try await program(question: "…")
/// }
/// ```
public struct DSPySettings: Sendable {
    public var lm: (any LanguageModel)?
    /// The adapter; `nil` means ``ChatAdapter`` (with the JSON fallback).
    public var adapter: (any Adapter)?
    public var callLog: (any CallLog)?
    /// When set, predictors append every call to it (optimizers read it).
    public var trace: TraceRecorder?
    /// The cap on the trace length (oldest entries dropped), DSPy's `max_trace_size`.
    public var maxTraceSize: Int
    /// Sampling parameters applied over every predictor's own (BestOfN/Refine use it for
    /// `rolloutID` and `temperature`, as DSPy uses `lm.copy(rollout_id:temperature:)`).
    public var samplingOverride: SamplingParameters?
    /// When set, every LM call adds its token usage here (DSPy's `track_usage`).
    public var usage: UsageTracker?
    /// When set, predictors stream their output fields here while the model decodes (``Program/stream(_:listeners:)``).
    public var stream: StreamSink?
    /// Per-predictor hints added as a `hint_` input (Refine's advice), keyed by predictor identity.
    public var hints: [ObjectIdentifier: String] = [:]
    /// Identifies the example being processed, so the request log can group a
    /// program's calls per example (set by ``Evaluate`` and the CLI).
    public var traceID: String?

    public init(lm: (any LanguageModel)? = nil, adapter: (any Adapter)? = nil, callLog: (any CallLog)? = nil,
                trace: TraceRecorder? = nil, maxTraceSize: Int = 10_000) {
        self.lm = lm
        self.adapter = adapter
        self.callLog = callLog
        self.trace = trace
        self.maxTraceSize = maxTraceSize
        self.samplingOverride = nil
    }

    @TaskLocal public static var current = DSPySettings()

    /// Runs `body` with `settings` in effect.
    public static func with<T>(_ settings: DSPySettings, _ body: () async throws -> T) async rethrows -> T {
        try await $current.withValue(settings, operation: body)
    }

    /// Runs `body` with `lm` (and optionally `adapter`) as the defaults, other settings unchanged.
    public static func with<T>(
        lm: any LanguageModel, adapter: (any Adapter)? = nil, _ body: () async throws -> T
    ) async rethrows -> T {
        try await with({ s in
            s.lm = lm
            if let adapter { s.adapter = adapter }
        }, body)
    }

    /// Runs `body` with the current settings changed by `update`.
    public static func with<T>(
        _ update: (inout DSPySettings) -> Void, _ body: () async throws -> T
    ) async rethrows -> T {
        var s = current
        update(&s)
        return try await $current.withValue(s, operation: body)
    }
}

/// One step of a trace: a predictor, its inputs and its prediction.
public struct TraceStep: Sendable {
    public let predictor: Predict
    public let inputs: JSONObject
    public let prediction: Prediction
}

/// Collects trace steps during a run (DSPy's `settings.trace`).
public final class TraceRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [TraceStep] = []
    public let maxSize: Int

    public init(maxSize: Int = 10_000) { self.maxSize = maxSize }

    public func append(_ step: TraceStep) {
        lock.withLock {
            stored.append(step)
            if stored.count > maxSize { stored.removeFirst(stored.count - maxSize) }
        }
    }

    public var steps: [TraceStep] { lock.withLock { stored } }

    /// Runs `body` with a fresh trace and returns its result and the steps recorded.
    public static func capture<T>(_ body: () async throws -> T) async rethrows -> (T, [TraceStep]) {
        let recorder = TraceRecorder(maxSize: DSPySettings.current.maxTraceSize)
        let result = try await DSPySettings.with({ $0.trace = recorder }, body)
        return (result, recorder.steps)
    }
}

/// Sums token usage of every LM call made while it is installed (DSPy's `track_usage`).
///
/// Usage is kept per language model, keyed by its ``LanguageModel/modelIdentifier``
/// (DSPy keys by `lm.model`), as ``lmUsage`` and summed over all models as ``usage``.
/// Cache hits add nothing, as in DSPy.
///
/// ```swift
/// let (prediction, usage) = try await UsageTracker.measure { try await program(inputs) }
/// usage.totalTokens
/// ```
public final class UsageTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var byModel: [String: TokenUsage] = [:]
    private var order: [String] = []
    private var calls = 0

    public init() {}

    /// Adds one call's usage under `model` (cache hits are not added).
    public func add(_ usage: TokenUsage, model: String = "", cacheHit: Bool = false) {
        guard !cacheHit else { return }
        lock.withLock {
            if byModel[model] == nil { order.append(model) }
            byModel[model, default: TokenUsage()] = byModel[model, default: TokenUsage()] + usage
            calls += 1
        }
    }

    /// Adds every model's usage of another tracker (a nested call's).
    public func add(_ other: LMUsage, calls added: Int = 0) {
        lock.withLock {
            for (model, usage) in other.entries {
                if byModel[model] == nil { order.append(model) }
                byModel[model, default: TokenUsage()] = byModel[model, default: TokenUsage()] + usage
            }
            calls += added
        }
    }

    /// The usage so far, summed over models.
    public var usage: TokenUsage { lock.withLock { order.reduce(TokenUsage()) { $0 + (byModel[$1] ?? TokenUsage()) } } }
    /// The usage so far per model, in order of first use (DSPy's `get_total_tokens()`).
    public var lmUsage: LMUsage { lock.withLock { LMUsage(order.map { ($0, byModel[$0] ?? TokenUsage()) }) } }
    /// The number of LM calls so far (cache hits not counted).
    public var callCount: Int { lock.withLock { calls } }

    /// Runs `body` and returns its result with the usage of the LM calls it made.
    public static func measure<T>(_ body: () async throws -> T) async rethrows -> (T, TokenUsage) {
        let (result, usage) = try await measureByModel(body)
        return (result, usage.total)
    }

    /// Runs `body` and returns its result with the usage of its LM calls per model.
    ///
    /// A tracker already installed (an outer measurement) still sees every call.
    public static func measureByModel<T>(_ body: () async throws -> T) async rethrows -> (T, LMUsage) {
        let tracker = UsageTracker()
        let outer = DSPySettings.current.usage
        let result = try await DSPySettings.with({ $0.usage = tracker }, body)
        outer?.add(tracker.lmUsage, calls: tracker.callCount)
        return (result, tracker.lmUsage)
    }
}
