import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// A scripted model that streams each completion in seeded random pieces (1–7 characters).
final class PieceStreamingLM: LanguageModel, @unchecked Sendable {
    let base: DummyLM
    let seed: UInt64
    var modelIdentifier: String { base.modelIdentifier }

    init(_ base: DummyLM, seed: UInt64) {
        self.base = base
        self.seed = seed
    }

    func complete(_ request: LMRequest) async throws -> LMResponse { try await base.complete(request) }

    func stream(_ request: LMRequest, onText: @escaping @Sendable (String) -> Void) async throws -> LMResponse {
        let response = try await base.complete(request)
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        var rest = Substring(response.completions.first?.text ?? "")
        while !rest.isEmpty {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let size = Int((state >> 33) % 7) + 1
            onText(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return response
    }
}

/// A program of two predictors, to see chunks named by predictor.
final class DraftAndTitle: Program, @unchecked Sendable {
    let draft = ChainOfThought(try! SignatureSpec("topic -> text"))
    let title = Predict(try! SignatureSpec("text -> title"))

    func forward(_ inputs: JSONObject) async throws -> Prediction {
        let text = try await draft(inputs)
        let titled = try await title(["text": text["text"] ?? ""])
        return Prediction(["text": text["text"] ?? "", "title": titled["title"] ?? ""])
    }

    func deepCopy() -> DraftAndTitle { DraftAndTitle() }
}

@Suite("Streaming output fields (DSPy's streamify and StreamListener)")
struct StreamingTests {
    static let awkward: [String] = [
        "[[ ## reasoning ## ]]\n  Think [[ about ]] it.\n[[ not a header\n\n[[ ## answer ## ]] Paris  \n  is big.\n\n[[ ## completed ## ]]\n",
        "Preamble.\n[[ ## reasoning ## ]]\nshort\n[[ ## answer ## ]]\n\n\nlast line   ",
        "[[ ## answer ## ]]\nfirst\n[[ ## reasoning ## ]]\nr\n[[ ## answer ## ]]\nsecond",
        "[[ ## reasoning ## ]]\n[[ ## answer ## ]]\n[[ ## completed ## ]]",
    ]

    @Test("Chat chunks of each field concatenate to the parsed value, with one last chunk per field",
          arguments: Array(0..<40) as [UInt64])
    func chatChunksConcatenate(seed: UInt64) async throws {
        let completion = Self.awkward[Int(seed) % Self.awkward.count]
        let lm = PieceStreamingLM(DummyLM([.text(completion)]), seed: seed)
        let program = try ChainOfThought("question -> answer")
        let (chunks, prediction) = try await collect(program.stream(["question": "q"]), lm: lm)
        try expectConsistent(chunks, prediction, fields: ["reasoning", "answer"], predictor: "predict")
    }

    @Test("XML chunks of each field concatenate to the parsed value", arguments: Array(0..<30) as [UInt64])
    func xmlChunksConcatenate(seed: UInt64) async throws {
        let completions = [
            "<reasoning>\n  Think about it.\n</reasoning>\n\n<answer>\nParis is big.\n</answer>",
            "Sure.\n<reasoning>r</reasoning><answer>\n\n a b c \n</answer>\ntrailing",
            "<answer>first</answer>\n<reasoning>\n<\n</reasoning>",
        ]
        let completion = completions[Int(seed) % completions.count]
        let lm = PieceStreamingLM(DummyLM([.text(completion)]), seed: seed)
        let program = try ChainOfThought("question -> answer")
        program.predict.adapter = XMLAdapter(useJSONAdapterFallback: false)
        do {
            let (chunks, prediction) = try await collect(program.stream(["question": "q"]), lm: lm)
            try expectConsistent(chunks, prediction, fields: ["reasoning", "answer"], predictor: "predict")
        } catch let error as DSPyError {
            // The third completion is malformed XML (a bare `<`): DSPy's error, not a trap.
            #expect(completion.contains("\n<\n"), "\(error)")
        }
    }

    @Test("Listeners select fields; chunks name their predictor; the prediction comes last")
    func listenersAndPredictors() async throws {
        let lm = PieceStreamingLM(DummyLM([
            .fields(["reasoning": "Because.", "text": "A long text."]), .fields(["title": "Title!"]),
        ]), seed: 7)
        let program = DraftAndTitle()
        var events: [StreamEvent] = []
        try await DSPySettings.with(lm: lm) {
            for try await event in program.stream(["topic": "t"], listeners: [StreamListener(field: "text"),
                                                                               StreamListener(field: "title")]) {
                events.append(event)
            }
        }
        let chunks = events.compactMap { if case .chunk(let c) = $0 { c } else { nil } }
        #expect(Set(chunks.map(\.field)) == ["text", "title"])
        #expect(Set(chunks.map(\.predictor)) == ["draft.predict", "title"])
        #expect(chunks.filter { $0.field == "text" }.map(\.text).joined() == "A long text.")
        #expect(chunks.filter { $0.field == "title" }.map(\.text).joined() == "Title!")
        guard case .prediction(let prediction)? = events.last else { Issue.record("no final prediction"); return }
        #expect(prediction["title"] == "Title!")
    }

    @Test("A model without streaming support streams each answer whole (the protocol's default)")
    func defaultStreamingFallback() async throws {
        let lm = DummyLM([.fields(["answer": "forty-two"])])
        let program = try Predict("question -> answer")
        let (chunks, prediction) = try await collect(program.stream(["question": "q"]), lm: lm)
        #expect(chunks.map(\.text).joined() == "forty-two")
        #expect(chunks.last?.isLast == true)
        #expect(prediction["answer"] == "forty-two")
    }

    private func collect(
        _ make: @autoclosure () -> AsyncThrowingStream<StreamEvent, any Error>, lm: any LanguageModel
    ) async throws -> ([StreamChunk], Prediction) {
        try await DSPySettings.with(lm: lm) {
            var chunks: [StreamChunk] = []
            var final: Prediction?
            for try await event in make() {
                switch event {
                case .chunk(let c): chunks.append(c)
                case .prediction(let p): final = p
                }
            }
            guard let final else { throw DSPyError.module("the stream ended without a prediction") }
            return (chunks, final)
        }
    }

    private func expectConsistent(_ chunks: [StreamChunk], _ prediction: Prediction, fields: [String], predictor: String) throws {
        for field in fields {
            let mine = chunks.filter { $0.field == field }
            #expect(mine.map(\.text).joined() == prediction[field]?.stringValue, "\(field): \(mine.map(\.text))")
            #expect(mine.filter(\.isLast).count == 1, "\(field): one last chunk")
            #expect(mine.last?.isLast == true)
            #expect(mine.allSatisfy { $0.predictor == predictor })
        }
    }
}
