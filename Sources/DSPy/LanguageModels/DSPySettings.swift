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
/// ```swift
/// let (prediction, usage) = try await UsageTracker.measure { try await program(inputs) }
/// usage.totalTokens
/// ```
/// Cache hits add nothing (their usage is zero).
public final class UsageTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var total = TokenUsage()
    private var calls = 0

    public init() {}

    public func add(_ usage: TokenUsage) {
        lock.withLock {
            total = total + usage
            calls += 1
        }
    }

    /// The usage so far.
    public var usage: TokenUsage { lock.withLock { total } }
    /// The number of LM calls so far.
    public var callCount: Int { lock.withLock { calls } }

    /// Runs `body` and returns its result with the usage of the LM calls it made.
    public static func measure<T>(_ body: () async throws -> T) async rethrows -> (T, TokenUsage) {
        let tracker = UsageTracker()
        let result = try await DSPySettings.with({ $0.usage = tracker }, body)
        return (result, tracker.usage)
    }
}
