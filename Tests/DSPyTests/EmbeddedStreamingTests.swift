import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyTestSupport
import Foundation
import Testing

/// Collects a program's stream.
private func drain(_ stream: AsyncThrowingStream<StreamEvent, any Error>) async throws -> ([StreamChunk], Prediction?) {
    var chunks: [StreamChunk] = []
    var final: Prediction?
    for try await event in stream {
        switch event {
        case .chunk(let c): chunks.append(c)
        case .prediction(let p): final = p
        }
    }
    return (chunks, final)
}

@Suite("Streaming, XML decoding and usage on the real embedded model", .serialized)
struct EmbeddedStreamingTests {
    @Test("The engine's streamed pieces concatenate to the completion it returns")
    func enginePiecesConcatenate() async throws {
        let lm = try RealModel.lm()
        let pieces = PieceLog()
        let request = LMRequest(
            messages: [DSPy.ChatMessage(role: .user, content: "Name three colours.")],
            parameters: SamplingParameters(temperature: 0, maxTokens: 24))
        let response = try await lm.stream(request) { pieces.append($0) }
        #expect(pieces.count > 1, "the text arrived in more than one piece")
        #expect(pieces.joined == response.completions.first?.text)
    }

    @Test("Streamed ChainOfThought fields concatenate to the prediction's fields", arguments: ["chat", "xml"])
    func streamedFieldsMatchPrediction(adapterName: String) async throws {
        let lm = try RealModel.lm()
        let program = try ChainOfThought("question -> answer")
        program.predict.config = SamplingParameters(maxTokens: 60)
        program.predict.adapter = adapterName == "xml" ? XMLAdapter() : ChatAdapter()
        let log = MemoryCallLog()
        let (chunks, prediction) = try await DSPySettings.with({ $0.lm = lm; $0.callLog = log }) {
            try await drain(program.stream(["question": "What is the capital of France?"]))
        }
        let final = try #require(prediction)
        #expect(!final.usedAdapterFallback, "structured decoding kept the \(adapterName) format")
        for field in ["reasoning", "answer"] {
            let mine = chunks.filter { $0.field == field }
            #expect(mine.map(\.text).joined() == final[field]?.stringValue, "\(adapterName) \(field)")
            #expect(mine.filter(\.isLast).count == 1)
        }
        #expect(chunks.count > 2, "fields arrived in several chunks")
        if adapterName == "xml" {
            #expect(log.records.first?.metadata["constraint"]?.stringValue?.hasPrefix("xml-tags: reasoning=text, answer=text") == true)
            #expect(log.records.first?.completions.first?.hasPrefix("<reasoning>\n") == true)
        }
        // Usage: per model, equal to what the request log recorded.
        let logged = log.records.reduce(TokenUsage()) { $0 + $1.usage }
        #expect(final.lmUsage.models == [lm.modelIdentifier])
        #expect(final.lmUsage.total == logged)
        #expect(logged.promptTokens > 50 && logged.completionTokens > 0)
    }

    @Test("XML decoding forces a Literal output to one of its choices")
    func xmlLiteralChoice() async throws {
        let predict = try Predict("text -> sentiment: Literal['positive', 'negative']")
        predict.adapter = XMLAdapter()
        let prediction = try await predict(["text": "what a lovely day"], lm: try RealModel.lm())
        #expect(["positive", "negative"].contains(prediction["sentiment"]?.stringValue ?? ""))
        #expect(!prediction.usedAdapterFallback)
    }

    @Test("TwoStepAdapter on the engine: free main answer, structured extraction, usage counted twice")
    func twoStepOnEngine() async throws {
        let lm = try RealModel.lm()
        let predict = try Predict("question -> answer")
        predict.config = SamplingParameters(maxTokens: 40)
        predict.adapter = TwoStepAdapter(extractionModel: lm)
        let log = MemoryCallLog()
        let prediction = try await DSPySettings.with({ $0.lm = lm; $0.callLog = log }) {
            try await predict(["question": "What is the capital of France?"])
        }
        #expect(log.records.count == 2)
        // The extraction call finishes (and is logged) before the main call it parses.
        #expect(log.records.map(\.adapter) == ["ChatAdapter", "TwoStepAdapter"])
        #expect(log.records.last?.request.outputStructure == nil, "the main model answers freely")
        #expect(log.records.first?.request.outputStructure?.style == .chatHeaders)
        #expect(prediction["answer"]?.stringValue?.isEmpty == false)
        #expect(prediction.lmUsage.total == log.records.reduce(TokenUsage()) { $0 + $1.usage })
    }
}

/// Pieces handed over by the engine, in order.
private final class PieceLog: @unchecked Sendable {
    private let lock = NSLock()
    private var pieces: [String] = []
    func append(_ piece: String) { lock.withLock { pieces.append(piece) } }
    var count: Int { lock.withLock { pieces.count } }
    var joined: String { lock.withLock { pieces.joined() } }
}
