import Foundation
@testable import DSPyStore

/// A fresh directory under the system temp dir, removed when the body returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("dspyc-store-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// A fresh directory for async bodies.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("dspyc-store-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// A call with plausible fields; dates are whole seconds so they round-trip exactly.
func sampleCall(
    run: String? = nil, program: String? = "sentiment", module: String = "classify.predict",
    user: String = "[[ ## text ## ]]\nwhat a lovely day", completion: String = "[[ ## sentiment ## ]]\npositive",
    at seconds: TimeInterval = 1_800_000_000, cacheHit: Bool = false
) -> LoggedCall {
    LoggedCall(
        runID: run, runKind: run == nil ? nil : .eval, program: program, modulePath: module,
        adapter: "ChatAdapter", model: "SmolLM2-135M-Instruct.Q4_1",
        messages: [
            .init(role: "system", content: "Your input fields are:\n1. `text` (str)"),
            .init(role: "user", content: user),
        ],
        completion: completion, parsedFields: ["sentiment": "positive"],
        sampling: ["temperature": 0.0, "max_tokens": 64, "stop": ["\n\n"]],
        constraint: "structured", promptTokens: 120, completionTokens: 8, cachedPromptTokens: 96,
        latency: 0.25, tokensPerSecond: 32, timestamp: Date(timeIntervalSince1970: seconds),
        cacheHit: cacheHit, cacheKey: Store.cacheKey(canonicalRequest: user))
}
