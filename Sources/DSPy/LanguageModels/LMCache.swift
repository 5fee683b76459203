import Foundation

/// Storage for LM responses keyed by ``LMCacheKey`` (the store implements it).
public protocol LMCache: Sendable {
    /// The stored response for `key`, if any.
    func lookup(key: String) async throws -> LMResponse?
    /// Stores `response` under `key`.
    func store(key: String, response: LMResponse) async throws
}

/// A language model behind a cache: identical requests are answered from the cache.
///
/// A hit returns the stored completions with `cacheHit = true` and zero
/// usage (DSPy semantics); a miss calls the model and stores the answer.
/// `rolloutID` is part of the key, so a new rollout misses.
public struct CachedLanguageModel: LanguageModel {
    public let base: any LanguageModel
    public let cache: any LMCache

    public init(_ base: any LanguageModel, cache: any LMCache) {
        self.base = base
        self.cache = cache
    }

    public var modelIdentifier: String { base.modelIdentifier }
    public var defaultParameters: SamplingParameters { base.defaultParameters }

    public func complete(_ request: LMRequest) async throws -> LMResponse {
        try await respond(request, onText: nil)
    }

    /// Streams a miss from the base model; a hit hands over its stored text at once.
    public func stream(_ request: LMRequest, onText: @escaping @Sendable (String) -> Void) async throws -> LMResponse {
        try await respond(request, onText: onText)
    }

    private func respond(_ request: LMRequest, onText: (@Sendable (String) -> Void)?) async throws -> LMResponse {
        let key = LMCacheKey.key(model: modelIdentifier, request: request)
        if var hit = try await cache.lookup(key: key) {
            hit.cacheHit = true
            hit.usage = TokenUsage()
            hit.latency = .zero
            if let onText, let text = hit.completions.first?.text, !text.isEmpty { onText(text) }
            return hit
        }
        let response = if let onText { try await base.stream(request, onText: onText) } else { try await base.complete(request) }
        try await cache.store(key: key, response: response)
        return response
    }
}

/// An in-memory ``LMCache`` (tests, and runs without a store).
public final class MemoryLMCache: LMCache, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: LMResponse] = [:]

    public init() {}

    public func lookup(key: String) async throws -> LMResponse? { lock.withLock { entries[key] } }
    public func store(key: String, response: LMResponse) async throws { lock.withLock { entries[key] = response } }
    public var count: Int { lock.withLock { entries.count } }
}
