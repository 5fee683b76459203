import Foundation

/// When and how long ``OpenAICompatibleLM`` waits before trying a request again.
///
/// Retried: HTTP 408, 409, 429 and 5xx answers, and failures to connect or read
/// (a refused connection, a reset, a time-out). Not retried: other 4xx answers, which
/// would fail again. The wait before attempt *k* (from 1) is `baseDelay · 2^(k-1)`,
/// capped at `maxDelay`, with up to 25 % random jitter so clients do not retry in step;
/// a `Retry-After` header of a whole number of seconds replaces it (also capped).
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included (1: no retries).
    public var maxAttempts: Int
    /// The first wait, in seconds.
    public var baseDelay: Double
    /// The longest wait, in seconds.
    public var maxDelay: Double

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.5, maxDelay: Double = 8) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
        self.maxDelay = max(0, maxDelay)
    }

    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Whether an answer with this HTTP status is worth another attempt.
    public static func isRetryable(status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || (500...599).contains(status)
    }

    /// Seconds to wait after failed attempt `attempt` (1-based), honouring `Retry-After`.
    public func delay(afterAttempt attempt: Int, retryAfter: String? = nil) -> Double {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(seconds, maxDelay)
        }
        let exponential = min(maxDelay, baseDelay * pow(2, Double(max(0, attempt - 1))))
        return exponential * Double.random(in: 0.75...1.0)
    }
}

/// At most `limit` operations at once; the others wait their turn in order.
actor ConcurrencyLimiter {
    private let limit: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = max(1, limit) }

    /// Runs `operation` once a slot is free.
    func run<Value: Sendable>(_ operation: @Sendable () async throws -> Value) async throws -> Value {
        if running >= limit {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            running += 1
        }
        defer { release() }
        return try await operation()
    }

    /// Hands the slot to the next waiter, or frees it.
    private func release() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
