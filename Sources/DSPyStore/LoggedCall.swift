import Foundation
import GRDB

/// One LM call as the request log keeps it: everything that was sent, what
/// came back, what it cost and where in the program it happened.
///
/// Cache hits are logged too: ``cacheHit`` is `true`, latency is the lookup
/// time, and the token counts are the original call's (run totals skip hits,
/// as DSPy adds no usage for a hit). The framework fills one of
/// these per call; the store never computes any field itself, except ``id``.
///
/// ```swift
/// let call = LoggedCall(
///     runID: run.id, runKind: .eval, program: "sentiment",
///     modulePath: "classify.predict", adapter: "ChatAdapter", model: "SmolLM2-135M-Instruct.Q4_1",
///     messages: [.init(role: "system", content: system), .init(role: "user", content: user)],
///     completion: "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]",
///     parsedFields: ["sentiment": "positive"],
///     sampling: ["temperature": 0, "max_tokens": 64])
/// try store.log(call)
/// ```
///
/// ## Topics
///
/// ### Nested types
///
/// - ``Message``
public struct LoggedCall: Sendable, Equatable, Codable {
    /// One rendered chat message, exactly as it was sent to the model.
    public struct Message: Sendable, Hashable, Codable {
        /// `system`, `user` or `assistant`.
        public var role: String
        /// The full text of the message.
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// The row id, assigned when the call is logged.
    public var id: Int64?
    /// The run this call belongs to (see ``RunRecord``), if any.
    public var runID: String?
    /// The kind of that run (compile, eval, run, …), denormalised for filtering.
    public var runKind: RunKind?
    /// The program's name (`sentiment`), if the call came from a named program.
    public var program: String?
    /// The dotted path of the predictor inside the program (`qa.answerer.predict`).
    public var modulePath: String
    /// The adapter that rendered the prompt (`ChatAdapter`, `JSONAdapter`).
    public var adapter: String?
    /// Whether this call is the adapter's fallback retry (DSPy's JSONAdapter
    /// retry after a ChatAdapter parse failure), logged so the doubled call is visible.
    public var adapterFallback: Bool
    /// The model's name or fingerprint.
    public var model: String
    /// The full rendered messages.
    public var messages: [Message]
    /// The raw completion text (the first choice), if the call produced one.
    public var completion: String?
    /// The other choices' raw texts when more than one was requested (`n > 1`).
    public var otherCompletions: [String]
    /// The parsed output fields, if parsing succeeded.
    public var parsedFields: [String: StoredJSON]?
    /// Why parsing failed, if it did.
    public var parseError: String?
    /// Every sampling parameter (`temperature`, `max_tokens`, `seed`, `stop`, …).
    /// Credential-looking keys (`api_key`, `authorization`, …) are dropped when logged.
    public var sampling: [String: StoredJSON]
    /// How generation was constrained, or `nil` when it was free text
    /// (e.g. `structured`, `choice-scoring`, `json-schema`).
    public var constraint: String?
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
    /// Prompt tokens whose KV came from the engine's prefix cache.
    public var cachedPromptTokens: Int
    /// Wall time of the call, in seconds.
    public var latency: TimeInterval
    /// Engine throughput for this call (generated tokens per second), if known.
    public var tokensPerSecond: Double?
    /// When the call started (its span ends `latency` seconds later).
    public var timestamp: Date
    /// Whether the response came from the LM-call cache.
    public var cacheHit: Bool
    /// The cache key of the request, if it was cacheable.
    public var cacheKey: String?
    /// Groups the calls of one top-level program invocation (one example), for trace trees.
    public var traceID: String?
    /// Why generation stopped (`stop`, `length`), if known.
    public var finishReason: String?
    /// The error the call failed with, if it failed.
    public var error: String?
    /// The compile phase the call was made in (`baseline`, `bootstrap`, `calibration`,
    /// `candidate-eval`, `compiled-eval`, …), or `nil` outside a compile and in logs
    /// written before phases were recorded.
    public var phase: String?
    /// The candidate program the call was made for, if any (an optimizer's id for it).
    public var candidate: String?
    /// Where each completion token came from (forced, a scored choice, sampled), when the
    /// model reported it (the in-process engine does); `nil` otherwise.
    public var tokenTrace: TokenTrace?

    public init(
        id: Int64? = nil,
        runID: String? = nil,
        runKind: RunKind? = nil,
        program: String? = nil,
        modulePath: String,
        adapter: String? = nil,
        adapterFallback: Bool = false,
        model: String,
        messages: [Message],
        completion: String? = nil,
        otherCompletions: [String] = [],
        parsedFields: [String: StoredJSON]? = nil,
        parseError: String? = nil,
        sampling: [String: StoredJSON] = [:],
        constraint: String? = nil,
        promptTokens: Int = 0,
        completionTokens: Int = 0,
        cachedPromptTokens: Int = 0,
        latency: TimeInterval = 0,
        tokensPerSecond: Double? = nil,
        timestamp: Date = Date(),
        cacheHit: Bool = false,
        cacheKey: String? = nil,
        traceID: String? = nil,
        finishReason: String? = nil,
        error: String? = nil,
        phase: String? = nil,
        candidate: String? = nil,
        tokenTrace: TokenTrace? = nil
    ) {
        self.id = id
        self.runID = runID
        self.runKind = runKind
        self.program = program
        self.modulePath = modulePath
        self.adapter = adapter
        self.adapterFallback = adapterFallback
        self.model = model
        self.messages = messages
        self.completion = completion
        self.otherCompletions = otherCompletions
        self.parsedFields = parsedFields
        self.parseError = parseError
        self.sampling = sampling
        self.constraint = constraint
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.latency = latency
        self.tokensPerSecond = tokensPerSecond
        self.timestamp = timestamp
        self.cacheHit = cacheHit
        self.cacheKey = cacheKey
        self.traceID = traceID
        self.finishReason = finishReason
        self.error = error
        self.phase = phase
        self.candidate = candidate
        self.tokenTrace = tokenTrace
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id
        case runID = "run_id"
        case runKind = "run_kind"
        case program
        case modulePath = "module_path"
        case adapter
        case adapterFallback = "adapter_fallback"
        case model
        case messages
        case completion
        case otherCompletions = "other_completions"
        case parsedFields = "parsed_fields"
        case parseError = "parse_error"
        case sampling
        case constraint = "constrained_by"
        case promptTokens = "prompt_tokens"
        case completionTokens = "completion_tokens"
        case cachedPromptTokens = "cached_prompt_tokens"
        case latency
        case tokensPerSecond = "tokens_per_second"
        case timestamp
        case cacheHit = "cache_hit"
        case cacheKey = "cache_key"
        case traceID = "trace_id"
        case finishReason = "finish_reason"
        case error
        case phase
        case candidate
        case tokenTrace = "token_trace"
    }

    /// Sampling-parameter keys that may carry credentials; never written to disk.
    static let credentialKeys: Set<String> = [
        "api_key", "apikey", "api_token", "authorization", "auth_token", "access_token",
        "password", "secret", "bearer",
    ]

    /// A copy with credential-looking sampling keys removed.
    func withoutCredentials() -> LoggedCall {
        var copy = self
        copy.sampling = sampling.filter { !Self.credentialKeys.contains($0.key.lowercased()) }
        return copy
    }
}

extension LoggedCall: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "call"

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }
}
