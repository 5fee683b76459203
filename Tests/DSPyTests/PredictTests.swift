import DSPy
import DSPyTestSupport
import Foundation
import Testing

@Suite("Predict calls the model through the adapter")
struct PredictTests {
    @Test("A prediction reads the parsed fields")
    func basic() async throws {
        let lm = DummyLM([["answer": "4"]])
        let qa = try Predict("question -> answer")
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await qa(["question": "2+2?"]) }
        #expect(p["answer"] == "4")
        #expect(!p.usedAdapterFallback)
        #expect(lm.history.count == 1)
        #expect(lm.history[0].messages.count == 2)
        #expect(lm.history[0].outputStructure?.fields.map(\.header) == ["[[ ## answer ## ]]"])
        #expect(lm.history[0].outputStructure?.completionMarker == "[[ ## completed ## ]]")
    }

    @Test("n=2 yields both completions and bumps the temperature")
    func multipleCompletions() async throws {
        let lm = DummyLM(lookup: [("", .fields(["answer": "x"]))])
        let qa = try Predict("question -> answer", config: SamplingParameters(n: 2))
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await qa(["question": "q"]) }
        #expect(p.completions.count == 2)
        #expect(p.values(of: "answer") == ["x", "x"])
        #expect(lm.history[0].parameters.temperature == 0.7)
    }

    @Test("Typed values are parsed by the declared type")
    func typedValues() async throws {
        let lm = DummyLM([["count": 3, "ok": true, "label": "b"]])
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await Predict("q -> count: int, ok: bool, label: Literal['a', 'b']")(["q": "?"])
        }
        #expect(p["count"] == 3)
        #expect(p["ok"] == true)
        #expect(p["label"] == "b")
    }

    @Test("A missing input is an error that names it")
    func missingInput() async throws {
        let qa = try Predict("question, context -> answer")
        await #expect(throws: DSPyError.missingInputs(signature: "question, context -> answer", names: ["context"])) {
            try await DSPySettings.with(DSPySettings(lm: DummyLM([JSONObject]()))) { try await qa(["question": "q"]) }
        }
    }

    @Test("No configured LM is a clear error")
    func noLM() async throws {
        let qa = try Predict("question -> answer")
        await #expect(throws: DSPyError.noLanguageModel) { try await qa(["question": "q"]) }
    }

    @Test("A ChatAdapter parse failure falls back to JSONAdapter, once, and says so")
    func fallback() async throws {
        let lm = DummyLM([.text("```python\nprint('positive')\n```"), .text("{\"answer\": \"4\"}")])
        let log = MemoryCallLog()
        let qa = try Predict("question -> answer")
        let p = try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) { try await qa(["question": "2+2?"]) }
        #expect(p["answer"] == "4")
        #expect(p.usedAdapterFallback)
        #expect(lm.history.count == 2)
        #expect(lm.history[1].outputStructure?.style == .jsonObject)
        #expect(log.records.map(\.adapter) == ["ChatAdapter", "JSONAdapter"])
        #expect(log.records.map(\.isAdapterFallback) == [false, true])
        #expect(log.records[0].error?.hasPrefix("Adapter ChatAdapter failed to parse the LM response.") == true)
    }

    @Test("A missing required output still raises after consuming two responses")
    func unparseable() async throws {
        let lm = DummyLM([.text("nothing useful"), .text("still nothing")])
        let qa = try Predict("question -> answer")
        do {
            _ = try await DSPySettings.with(DSPySettings(lm: lm)) { try await qa(["question": "q"]) }
            Issue.record("expected a parse error")
        } catch let error as DSPyError {
            #expect(error.description.contains("Adapter JSONAdapter failed to parse the LM response."))
            #expect(error.description.contains("Expected to find output fields in the LM response: [answer]"))
        }
        #expect(lm.history.count == 2)
    }

    @Test("Demos are rendered before the inputs; follow-examples answers from them")
    func demosAndFollowExamples() async throws {
        let qa = try Predict("question -> answer")
        qa.demos = [Example(["question": "2+2?", "answer": "4"])]
        let lm = DummyLM([JSONObject](), followExamples: true)
        let p = try await DSPySettings.with(DSPySettings(lm: lm)) { try await qa(["question": "2+2?"]) }
        #expect(p["answer"] == "4")
        #expect(lm.history[0].messages.map(\.role) == [.system, .user, .assistant, .user])
    }

    @Test("The trace records each call and respects its cap")
    func trace() async throws {
        let lm = DummyLM(lookup: [("", .fields(["answer": "a"]))])
        let qa = try Predict("question -> answer")
        let (_, steps) = try await DSPySettings.with({ $0.lm = lm; $0.maxTraceSize = 3 }) {
            try await TraceRecorder.capture {
                for i in 0..<10 { _ = try await qa(["question": .string("q\(i)")]) }
            }
        }
        #expect(steps.count == 3)
        #expect(steps.last?.inputs["question"] == "q9")
        #expect(steps.allSatisfy { $0.predictor === qa })
    }

    @Test("The cache key is stable, 64 hex characters, and moved by rollout id")
    func cacheKey() {
        let r = LMRequest(messages: [.user("hi")], parameters: SamplingParameters(temperature: 0))
        let k = LMCacheKey.key(model: "m", request: r)
        #expect(k.count == 64)
        #expect(k == LMCacheKey.key(model: "m", request: r))
        var r2 = r
        r2.parameters.rolloutID = 1
        #expect(LMCacheKey.key(model: "m", request: r2) != k)
        var r3 = r
        r3.parameters.extra["api_key"] = "secret"
        #expect(LMCacheKey.key(model: "m", request: r3) == k)
        #expect(LMCacheKey.canonicalJSON(model: "m", request: r) == #"{"messages":[{"content":"hi","role":"user"}],"model":"m","n":1,"temperature":0.0}"#)
    }

    @Test("A cached model answers repeats from the cache with no usage")
    func cachedModel() async throws {
        let lm = DummyLM(lookup: [("", .fields(["answer": "a"]))])
        let cached = CachedLanguageModel(lm, cache: MemoryLMCache())
        let req = LMRequest(messages: [.user("x")])
        let first = try await cached.complete(req)
        let second = try await cached.complete(req)
        #expect(!first.cacheHit && second.cacheHit)
        #expect(second.usage == TokenUsage())
        #expect(lm.callCount == 1)
    }
}
