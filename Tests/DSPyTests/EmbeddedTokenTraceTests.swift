import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyTestSupport
import Foundation
import Testing

/// The per-token provenance `EmbeddedLM` reports for the request log
/// (`metadata["token_trace"]`): on a tiny random-weight model, whatever it says, the
/// ChatAdapter headers are forced, a scored Literal is one choice span, and free sampling
/// records each token's log-probability with its alternatives.
@Suite("EmbeddedLM's token trace")
struct EmbeddedTokenTraceTests {
    static func traced(_ mode: EmbeddedLM.ChoiceMode) async throws -> (trace: JSONObject, completion: String, value: String) {
        let model = try TextModel(contentsOf: try TinyModelFiles.file(arch: "llama", quant: "f32"), threads: 1)
        let lm = EmbeddedLM(model: model, choiceMode: mode)
        let log = MemoryCallLog()
        let predict = try Predict("text -> sentiment: Literal['positive', 'negative', 'neutral']")
        let prediction = try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) {
            try await predict(["text": "The box arrived crushed and late."])
        }
        let record = try #require(log.records.first)
        let trace = try #require(record.metadata["token_trace"]?.objectValue, "no token trace was reported")
        return (trace, record.completions.first ?? "", prediction["sentiment"]?.stringValue ?? "")
    }

    static func origins(_ trace: JSONObject) -> [String] {
        (trace["tokens"]?.arrayValue ?? []).compactMap { $0.objectValue?["o"]?.stringValue }
    }

    @Test("Scored choice: headers are forced, the label is one choice span, the choice lists every value")
    func scored() async throws {
        let (trace, completion, value) = try await Self.traced(.score)
        let tokens = trace["tokens"]?.arrayValue ?? []
        let texts = tokens.compactMap { $0.objectValue?["t"]?.stringValue }
        #expect(completion.hasPrefix(texts.joined()) || texts.joined().hasPrefix(completion), "\(texts) vs \(completion)")
        let origins = Self.origins(trace)
        #expect(origins.contains("f"))
        #expect(!origins.contains("s"), "a scored Literal with greedy headers samples nothing: \(origins)")
        let choiceText = zip(texts, origins).filter { $0.1 == "c" }.map(\.0).joined()
        #expect(choiceText == value)
        let choice = try #require(trace["choices"]?.arrayValue?.first?.objectValue)
        #expect(choice["field"]?.stringValue == "sentiment")
        #expect(choice["values"]?.arrayValue?.compactMap(\.stringValue) == ["positive", "negative", "neutral"])
        #expect(choice["logprobs"]?.arrayValue?.count == 3 && choice["offsets"]?.arrayValue?.count == 3)
        let chosen = try #require(choice["chosen"]?.intValue)
        #expect(["positive", "negative", "neutral"][chosen] == value)
        #expect(trace["prompt_tokens"]?.intValue ?? 0 > 0)
    }

    @Test("Sampled choice: each sampled token has a log-probability and three alternatives")
    func sampled() async throws {
        let (trace, _, _) = try await Self.traced(.sample)
        let sampled = (trace["tokens"]?.arrayValue ?? []).compactMap(\.objectValue).filter { $0["o"]?.stringValue == "s" }
        #expect(!sampled.isEmpty)
        for token in sampled {
            let logprob = try #require(token["lp"]?.doubleValue)
            #expect(logprob <= 0)
            #expect(token["top"]?.arrayValue?.count == 3)
        }
        #expect(trace["choices"]?.arrayValue?.isEmpty == true)
    }
}
