import DSPyStore
import Foundation

let utc = TimeZone(identifier: "UTC")!

func makeCall(
    id: Int64? = nil, run: String? = "run-a", module: String = "classify.predict",
    system: String = "Your input fields are:\n1. `text` (str)\n\nClassify the sentiment.",
    user: String = "[[ ## text ## ]]\nwhat a lovely day\n\nRespond with the corresponding output fields.",
    completion: String? = "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]",
    at seconds: TimeInterval = 1_795_000_000, cacheHit: Bool = false
) -> LoggedCall {
    LoggedCall(
        id: id, runID: run, runKind: .eval, program: "sentiment", modulePath: module, adapter: "ChatAdapter",
        model: "SmolLM2-135M-Instruct.Q4_1",
        messages: [.init(role: "system", content: system), .init(role: "user", content: user)],
        completion: completion, parsedFields: ["sentiment": "positive"],
        sampling: ["temperature": 0.7, "max_tokens": 64, "top_p": 0.9, "seed": 42, "stop": "\n\n", "n": 1],
        constraint: "structured", promptTokens: 120, completionTokens: 9, cachedPromptTokens: 96,
        latency: 0.5, tokensPerSecond: 31.5, timestamp: Date(timeIntervalSince1970: seconds), cacheHit: cacheHit,
        cacheKey: Store.cacheKey(canonicalRequest: user), finishReason: "stop")
}

func withTemporaryStore<T>(_ body: (Store) throws -> T) throws -> T {
    let url = URL(fileURLWithPath: NSTemporaryDirectory())
        .appendingPathComponent("dspyc-inspector-tests-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(try Store(path: url.appendingPathComponent("dspyc.sqlite").path))
}
