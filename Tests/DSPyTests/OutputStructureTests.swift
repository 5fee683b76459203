import DSPy
import DSPyTestSupport
import Foundation
import Testing

@Suite("Output structure, history and settings")
struct OutputStructureTests {
    @Test("The canonical completion parses back to its values with both adapters")
    func renderRoundTrip() throws {
        let sig = try SignatureSpec("q -> answer, n: int, ok: bool, label: Literal['a', 'b'], tags: list[str]")
        let values: JSONObject = ["answer": "Paris\nFrance", "n": 3, "ok": false, "label": "b", "tags": ["x", "y"]]
        for adapter in [ChatAdapter() as any Adapter, JSONAdapter()] {
            let structure = adapter.outputStructure(for: sig)
            let text = structure.render(values)
            #expect(try adapter.parse(sig, completion: text) == values, "\(adapter.name): \(text)")
        }
        let chat = ChatAdapter().outputStructure(for: sig)
        #expect(chat.prefix(forFieldAt: 0) == "[[ ## answer ## ]]\n")
        #expect(chat.prefix(forFieldAt: 1) == "\n\n[[ ## n ## ]]\n")
        #expect(chat.terminator == "\n\n[[ ## completed ## ]]")
        #expect(chat.fields[3].choices == ["a", "b"])
        #expect(chat.fields[2].choices == ["True", "False"])
    }

    @Test("inspect_history renders DSPy's layout")
    func inspectHistory() async throws {
        let log = MemoryCallLog()
        let lm = DummyLM([["answer": "4"]])
        _ = try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) {
            try await Predict("question -> answer")(["question": "2+2?"])
        }
        let text = InspectHistory.render(log.records)
        #expect(text.hasPrefix("\n\n\n\n["))
        #expect(text.contains("]\n\nSystem message:\n\nYour input fields are:\n1. `question` (str):\n"))
        #expect(text.contains("\n\n\nUser message:\n\n[[ ## question ## ]]\n2+2?\n\nRespond with"))
        #expect(text.hasSuffix("\n\n\nResponse:\n\n[[ ## answer ## ]]\n4\n\n\n\n\n\n"))
    }

    @Test("Settings are task-local: concurrent runs keep their own LM")
    func taskLocalSettings() async throws {
        let a = DummyLM(lookup: [("", .fields(["answer": "A"]))], model: "a")
        let b = DummyLM(lookup: [("", .fields(["answer": "B"]))], model: "b")
        let qa = try Predict("question -> answer")
        async let x = DSPySettings.with(lm: a) { try await qa(["question": "q"]) }
        async let y = DSPySettings.with(lm: b) { try await qa(["question": "q"]) }
        let (px, py) = try await (x, y)
        #expect(px["answer"] == "A" && py["answer"] == "B")
        #expect(DSPySettings.current.lm == nil)
    }

    @Test("ReAct drops the oldest tool call when the context overflows")
    func reactTruncation() async throws {
        final class Overflowing: LanguageModel, @unchecked Sendable {
            let inner: DummyLM
            var overflowOnce = true
            init(_ inner: DummyLM) { self.inner = inner }
            var modelIdentifier: String { "overflow" }
            func complete(_ request: LMRequest) async throws -> LMResponse {
                let user = request.messages.last?.content ?? ""
                if overflowOnce, user.contains("thought_1") {
                    overflowOnce = false
                    throw DSPyError.contextWindowExceeded("too long")
                }
                return try await inner.complete(request)
            }
        }
        let step: JSONObject = ["next_thought": "t", "next_tool_name": "finish", "next_tool_args": [:]]
        let go: JSONObject = ["next_thought": "t", "next_tool_name": "echo", "next_tool_args": [:]]
        let inner = DummyLM([go, go, step, ["reasoning": "r", "answer": "a"]])
        let echo = Tool("echo", description: "Echo.") { _ in "ok" }
        let agent = try ReAct("question -> answer", tools: [echo], maxIterations: 5)
        let p = try await DSPySettings.with(lm: Overflowing(inner)) { try await agent(["question": "q"]) }
        #expect(p["answer"] == "a")
        let last = inner.history.last!.messages.last!.content
        #expect(!last.contains("thought_0"))
    }
}

@Suite("Records are Codable for the store")
struct CodableTests {
    @Test("A call record survives a JSON round trip")
    func callRecordRoundTrip() async throws {
        let log = MemoryCallLog()
        _ = try await DSPySettings.with(DSPySettings(lm: DummyLM([["n": 3, "label": "a"]]), callLog: log)) {
            try await Predict("q: list[str] -> n: int, label: Literal['a', 'b']")(["q": ["x"]])
        }
        let record = try #require(log.records.first)
        let data = try JSONEncoder().encode(record)
        let back = try JSONDecoder().decode(CallRecord.self, from: data)
        #expect(back.request.outputStructure == record.request.outputStructure)
        #expect(back.request.messages == record.request.messages)
        #expect(back.parsed == record.parsed)
        #expect(back.completions == record.completions)
    }
}

struct Chat: Signature {
    @Input var question: String = ""
    @Input var history: History = History()
    @Output var answer: String
}

@Suite("Conversation history")
struct HistoryTests {
    @Test("History turns become messages and the field leaves the final turn")
    func historyTurns() async throws {
        let lm = DummyLM([["answer": "Berlin"]])
        let history = History(messages: [["question": "Capital of France?", "answer": "Paris"]])
        let result = try await DSPySettings.with(lm: lm) {
            try await Predict(Chat.self)(Chat(question: "And Germany?", history: history))
        }
        #expect(result.answer == "Berlin")
        let messages = lm.history[0].messages
        #expect(messages.map(\.role) == [.system, .user, .assistant, .user])
        #expect(messages[1].content.hasPrefix("[[ ## question ## ]]\nCapital of France?\n\nRespond with"))
        #expect(messages[2].content == "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]\n")
        #expect(!messages[3].content.contains("history"))
        #expect(messages[0].content.contains("2. `history` (History):"))
    }
}

@Suite("Usage tracking")
struct UsageTests {
    @Test("Usage sums every LM call of a program run")
    func measure() async throws {
        let lm = DummyLM([["reasoning": "r", "answer": "a"], ["summary": "s"]])
        let program = TwoStep()
        let (_, usage) = try await DSPySettings.with(lm: lm) {
            try await UsageTracker.measure { try await program(["question": "q"]) }
        }
        #expect(usage.promptTokens > 0)
        #expect(usage.completionTokens > 0)
    }
}

@Suite("Calibrated choice offsets")
struct ChoiceOffsetTests {
    @Test("Offsets reach the output structure, the cache key and the saved state")
    func offsetsFlow() throws {
        let p = try Predict("text -> sentiment: Literal['positive', 'negative']")
        let plainKey = LMCacheKey.key(model: "m", request: LMRequest(messages: [], outputStructure: ChatAdapter().outputStructure(for: p.signature)))
        p.signature = p.signature.withChoiceOffsets("sentiment", ["positive": 0.8, "negative": -0.1])
        let structure = ChatAdapter().outputStructure(for: p.signature)
        #expect(structure.fields[0].choiceOffsets == ["positive": 0.8, "negative": -0.1])
        #expect(LMCacheKey.key(model: "m", request: LMRequest(messages: [], outputStructure: structure)) != plainKey)
        let state = p.dumpState()
        #expect(state["signature"]?["fields"]?.arrayValue?[1]["choice_offsets"] == ["negative": -0.1, "positive": 0.8])
        let fresh = try Predict("text -> sentiment: Literal['positive', 'negative']")
        try fresh.loadState(state)
        #expect(fresh.signature.outputs[0].choiceOffsets == ["positive": 0.8, "negative": -0.1])
        // The prompt does not change.
        #expect(ChatAdapter().format(fresh.signature, demos: [], inputs: ["text": "x"])
            == ChatAdapter().format(try SignatureSpec("text -> sentiment: Literal['positive', 'negative']"), demos: [], inputs: ["text": "x"]))
    }
}
