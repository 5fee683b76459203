import DSPy
import DSPyTestSupport
import Foundation
import Testing

@Suite("Token usage per model, as DSPy's get_lm_usage() reports it")
struct LMUsageTests {
    @Test("The usage dictionary has DSPy's keys and nesting")
    func dictionaryShape() throws {
        let usage = LMUsage([("fake/model", TokenUsage(promptTokens: 20, completionTokens: 6, cachedPromptTokens: 4))])
        #expect(JSONValue.object(usage.jsonObject).pythonJSON() ==
            #"{"fake/model": {"prompt_tokens": 20, "completion_tokens": 6, "total_tokens": 26, "prompt_tokens_details": {"cached_tokens": 4}}}"#)
        let sum = usage + LMUsage([("other", TokenUsage(promptTokens: 1)), ("fake/model", TokenUsage(completionTokens: 1))])
        #expect(sum.models == ["fake/model", "other"])
        #expect(sum["fake/model"]?.completionTokens == 7)
        let decoded = try JSONDecoder().decode(LMUsage.self, from: JSONEncoder().encode(sum))
        #expect(decoded == sum)
    }

    @Test("A top-level program call's usage sums every LM call, equal to the request log")
    func programUsageEqualsLog() async throws {
        let lm = DummyLM([
            .fields(["reasoning": "Because.", "text": "A long text."]), .fields(["title": "Title!"]),
        ])
        let log = MemoryCallLog()
        let prediction = try await DSPySettings.with({ $0.lm = lm; $0.callLog = log }) {
            try await DraftAndTitle()(["topic": "t"])
        }
        #expect(log.records.count == 2)
        let logged = log.records.reduce(TokenUsage()) { $0 + $1.usage }
        #expect(logged.totalTokens > 0)
        #expect(prediction.lmUsage.models == ["dummy"])
        #expect(prediction.lmUsage.total == logged)
        #expect(prediction.getLMUsage()["dummy"]?["total_tokens"]?.intValue == logged.totalTokens)
    }

    @Test("Cache hits add nothing, as in DSPy")
    func cacheHitsAddNothing() async throws {
        let lm = CachedLanguageModel(DummyLM([.fields(["reasoning": "Add.", "answer": "4"])]), cache: MemoryLMCache())
        let program = try ChainOfThought("question -> answer")
        let first = try await DSPySettings.with(lm: lm) { try await program(["question": "2+2"]) }
        let second = try await DSPySettings.with(lm: lm) { try await program(["question": "2+2"]) }
        #expect(first.lmUsage.total.totalTokens > 0)
        #expect(second.lmUsage.isEmpty)
        #expect(second.getLMUsage().isEmpty)
    }

    @Test("A predictor's usage covers its adapter fallback call too")
    func fallbackCounted() async throws {
        let lm = DummyLM([.text("no headers here"), .text(#"{"answer": "4"}"#)])
        let log = MemoryCallLog()
        let prediction = try await DSPySettings.with({ $0.callLog = log }) {
            try await Predict("question -> answer")(["question": "q"], lm: lm)
        }
        #expect(prediction.usedAdapterFallback)
        #expect(prediction.usage == log.records.reduce(TokenUsage()) { $0 + $1.usage })
        #expect(prediction.lmUsage.total == prediction.usage)
    }

    @Test("An outer usage measurement still sees calls measured inside it")
    func nestedMeasurement() async throws {
        let lm = DummyLM([.fields(["answer": "a"]), .fields(["answer": "b"])])
        let predict = try Predict("question -> answer")
        let (inner, outer) = try await UsageTracker.measureByModel {
            _ = try await predict(["question": "1"], lm: lm)
            return try await UsageTracker.measureByModel { try await predict(["question": "2"], lm: lm) }.1
        }
        #expect(outer.total.totalTokens > inner.total.totalTokens)
        #expect(inner.total.totalTokens > 0)
    }
}
