import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyTestSupport
import Foundation
import Testing

@Suite("LM cache keys name the embedded model by content")
struct ModelFingerprintCacheTests {
    @Test("EmbeddedLM's identifier is the model's content fingerprint, with no file name in it")
    func identifierIsFingerprint() throws {
        let model = try TextModel(contentsOf: Fixtures.defaultModel, threads: 1, prefixCacheBudget: 0)
        let lm = EmbeddedLM(model: model)
        #expect(lm.modelIdentifier == model.fingerprint.description)
        #expect(lm.modelIdentifier.hasPrefix("\(ModelDescriptor.smolLM2.name)@sha256:\(ModelDescriptor.smolLM2.sha256)"))
        #expect(!lm.modelIdentifier.contains(Fixtures.defaultModel.lastPathComponent))
        #expect(lm.modelIdentifier.hasSuffix("/numerics-\(EngineNumerics.version)"))
    }

    @Test("A call cached under another numerics version is not replayed: it is a silent miss that asks the model")
    func olderNumericsVersionMisses() async throws {
        let current = try ModelFingerprint(contentsOf: Fixtures.defaultModel)
        let older = try ModelFingerprint(contentsOf: Fixtures.defaultModel, numericsVersion: EngineNumerics.version - 1)
        let request = LMRequest(messages: [DSPy.ChatMessage(role: .user, content: "Name a colour.")])
        let cache = MemoryLMCache()
        try await cache.store(
            key: LMCacheKey.key(model: older.description, request: request),
            response: LMResponse(completions: [LMCompletion(text: "stale answer from the old kernels")]))

        let model = DummyLM([.text("fresh answer")], model: current.description)
        let response = try await CachedLanguageModel(model, cache: cache).complete(request)
        #expect(!response.cacheHit)
        #expect(response.completions.first?.text == "fresh answer")
        #expect(model.callCount == 1)
        #expect(cache.count == 2)

        // The same request under the same fingerprint is a hit.
        let again = try await CachedLanguageModel(model, cache: cache).complete(request)
        #expect(again.cacheHit)
        #expect(model.callCount == 1)
    }
}
