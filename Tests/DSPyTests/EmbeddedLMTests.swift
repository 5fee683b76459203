import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyTestSupport
import Foundation
import Testing

/// Evaluates `a op b` for + - * /; anything else is an error the agent sees.
private func calculate(_ expression: String) throws -> String {
    let parts = expression.split(separator: " ")
    guard parts.count == 3, let a = Double(parts[0]), let b = Double(parts[2]) else {
        throw DSPyError.tool(name: "calculator", message: "expected 'a op b', got '\(expression)'")
    }
    switch parts[1] {
    case "+": return String(a + b)
    case "-": return String(a - b)
    case "*": return String(a * b)
    case "/": return String(a / b)
    default: throw DSPyError.tool(name: "calculator", message: "unknown operator \(parts[1])")
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() { lock.withLock { value += 1 } }
    var count: Int { lock.withLock { value } }
}

@Suite("The framework on the real embedded model", .serialized)
struct EmbeddedLMTests {
    @Test("requests decoded with and without constraints never share a cache entry")
    func cacheKeysFollowDecoding() throws {
        let request = LMRequest(messages: [DSPy.ChatMessage(role: .user, content: "hi")])
        let keys = [
            try RealModel.lm(), try RealModel.lm(structuredDecoding: false), try RealModel.lm(choiceMode: .sample),
        ].map { LMCacheKey.key(model: $0.modelIdentifier, request: request) }
        #expect(Set(keys).count == 3)
        #expect(try RealModel.lm(structuredDecoding: false).modelIdentifier.hasSuffix("+unconstrained"))
    }

    @Test("Predict answers a question and logs the exact messages it sent")
    func predict() async throws {
        let lm = try RealModel.lm()
        let log = MemoryCallLog()
        let predict = try Predict("question -> answer")
        let prediction = try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) {
            try await predict(["question": "What is the capital of France?"])
        }
        let answer = try #require(prediction["answer"]?.stringValue)
        #expect(!answer.isEmpty)
        #expect(log.records.count == 1)
        let record = try #require(log.records.first)
        #expect(record.request.messages == predict.formatted(["question": "What is the capital of France?"]))
        #expect(record.usage.promptTokens > 50)
        #expect(record.completions[0].hasPrefix("[[ ## answer ## ]]\n"))
    }

    @Test("ChainOfThought fills reasoning and answer")
    func chainOfThought() async throws {
        let cot = try ChainOfThought("question -> answer")
        let prediction = try await DSPySettings.with(DSPySettings(lm: try RealModel.lm())) {
            try await cot(["question": "Is the sky blue on a clear day? Answer yes or no."])
        }
        #expect(prediction["reasoning"]?.stringValue?.isEmpty == false)
        #expect(prediction["answer"]?.stringValue?.isEmpty == false)
    }

    @Test("A constrained choice field only ever yields an allowed value")
    func constrainedChoice() async throws {
        let rows = try JSONL.load(Fixtures.dataset("sentiment", split: "dev")).prefix(12)
        for mode in [EmbeddedLM.ChoiceMode.score, .sample] {
            let lm = try RealModel.lm(choiceMode: mode)
            let predict = try Predict("text -> sentiment: Literal['positive', 'negative']")
            for row in rows {
                let prediction = try await DSPySettings.with(DSPySettings(lm: lm)) {
                    try await predict(["text": row["text"] ?? .string("")])
                }
                let label = try #require(prediction["sentiment"]?.stringValue)
                #expect(["positive", "negative"].contains(label), "mode \(mode): \(label)")
                if mode == .score {
                    // Scored choices reach the prediction; the label is their argmax.
                    let scores = try #require(prediction.choiceScores["sentiment"])
                    #expect(Set(scores.keys) == ["positive", "negative"])
                    #expect(scores.max { $0.value < $1.value }?.key == label)
                } else {
                    #expect(prediction.choiceScores.isEmpty)
                }
            }
        }
    }

    @Test("With structured decoding off, the completion is the engine's plain greedy output")
    func switchOff() async throws {
        // A model of its own without a prefix cache, so both runs take the same arithmetic
        // path (a cached prefix, or batching with other suites' requests, can flip a near-tie).
        let model = try TextModel(contentsOf: Fixtures.defaultModel, threads: 1, prefixCacheBudget: 0)
        let lm = EmbeddedLM(model: model, structuredDecoding: false)
        let messages = try Predict("question -> answer").formatted(["question": "Name a primary colour."])
        let response = try await lm.complete(LMRequest(messages: messages, parameters: .init(maxTokens: 40)))
        let prompt = try model.encodeChat(messages.map { DSPyEngine.ChatMessage(role: .init(rawValue: $0.role.rawValue)!, content: $0.content) })
        let plain = try await model.generate(prompt: prompt, parameters: .init(temperature: 0, maxTokens: 40))
        #expect(response.completions[0].text == plain.text)
        #expect(response.metadata["constraint"] == nil)
    }

    @Test("ReAct calls a Swift calculator tool on the real model")
    func reactCallsTool() async throws {
        let calls = Counter()
        // Loosely typed arguments, so the Swift function runs whatever the model passes
        // (this 135M model often calls the tool with `{}`; the error goes back to it).
        let calculator = Tool(
            "calculator", description: "Evaluates 'a op b' where op is one of + - * /.",
            arguments: ["expression": ["type": "string"]]
        ) { arguments in
            calls.increment()
            guard let expression = arguments["expression"]?.stringValue else {
                throw DSPyError.tool(name: "calculator", message: "missing 'expression'")
            }
            return .string(try calculate(expression))
        }
        let agent = try ReAct("question -> answer: float", tools: [calculator], maxIterations: 3)
        let log = MemoryCallLog()
        let prediction = try await DSPySettings.with(DSPySettings(lm: try RealModel.lm(), callLog: log)) {
            try await agent(["question": "Use the calculator to compute 12 * 7."])
        }
        #expect(calls.count >= 1, "the calculator tool never ran; trajectory: \(String(describing: prediction["trajectory"])); completions: \(log.records.map { ($0.completions, $0.error ?? "") })")
    }

    @Test("the engine's embeddings are unit vectors, in input order, nearer for texts that mean the same")
    func engineEmbeddings() async throws {
        let texts = ["I love this, what a wonderful day", "This is awful, I hate it",
                     "What a lovely, wonderful day, I love it", "I hate this awful thing"]
        let vectors = try await EngineEmbedder(model: try RealModel.model(), maxConcurrency: 3).embed(texts)
        #expect(vectors.count == 4)
        for v in vectors { #expect(abs(v.reduce(0) { $0 + $1 * $1 } - 1) < 1e-3) }
        func cosine(_ a: Int, _ b: Int) -> Float { zip(vectors[a], vectors[b]).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(0, 2) > cosine(0, 1), "\(cosine(0, 2)) vs \(cosine(0, 1))")
        #expect(cosine(1, 3) > cosine(1, 2), "\(cosine(1, 3)) vs \(cosine(1, 2))")
        // Embedding one text alone gives the vector it got in the batch.
        let alone = try await EngineEmbedder(model: try RealModel.model()).embed([texts[2]])
        #expect(zip(alone[0], vectors[2]).allSatisfy { abs($0 - $1) < 1e-4 })
    }
}

