import DSPy
import DSPyEmbedded
import DSPyEngine
import DSPyTestSupport
import Foundation
import Testing

/// Structured decoding and choice scoring on every architecture the engine runs: a
/// ChatAdapter signature with a `Literal` field, through `EmbeddedLM`, on the tiny
/// random-weight model of each architecture (F32, Q8_0, Q4_K_M) and on Gemma 3 270M.
///
/// A random model says nothing sensible, which is the point: whatever its logits, the
/// constraint must force DSPy's format, the parsed value must be one of the choices,
/// and scored choices must cover exactly the choices with the label as their argmax.
@Suite("Structured decoding on every architecture")
struct ArchitectureStructuredDecodingTests {
    static let choices = ["positive", "negative", "neutral"]
    static let texts = ["I love this phone, the battery lasts for days!", "The box arrived crushed and late."]

    /// `arch/quant` of each tiny model.
    static let tinyModels = TinyModelFiles.architectures.flatMap { arch in ["f32", "q8_0", "q4_k_m"].map { "\(arch)/\($0)" } }

    /// Runs the signature in both choice modes and checks every prediction.
    static func check(_ model: TextModel, label: String) async throws {
        let predict = try Predict("text -> sentiment: Literal['positive', 'negative', 'neutral']")
        for mode in [EmbeddedLM.ChoiceMode.score, .sample] {
            let lm = EmbeddedLM(model: model, choiceMode: mode)
            for text in texts {
                let prediction = try await DSPySettings.with(DSPySettings(lm: lm)) {
                    try await predict(["text": .string(text)])
                }
                let value = try #require(prediction["sentiment"]?.stringValue, "\(label) \(mode): no sentiment parsed")
                #expect(choices.contains(value), "\(label) \(mode): \(value) is not a choice")
                if mode == .score {
                    let scores = try #require(prediction.choiceScores["sentiment"], "\(label): no choice scores")
                    #expect(Set(scores.keys) == Set(choices), "\(label)")
                    #expect(scores.values.allSatisfy { $0.isFinite }, "\(label): \(scores)")
                    #expect(scores.max { $0.value < $1.value }?.key == value, "\(label): \(value) is not the argmax of \(scores)")
                } else {
                    #expect(prediction.choiceScores.isEmpty, "\(label)")
                }
            }
        }
    }

    @Test("A Literal field parses to one of its choices on each tiny model, scored and sampled",
        arguments: tinyModels)
    func tinyModel(_ name: String) async throws {
        let parts = name.split(separator: "/").map(String.init)
        let model = try TextModel(contentsOf: try TinyModelFiles.file(arch: parts[0], quant: parts[1]), threads: 1)
        #expect(model.configuration.contextLength >= TinyModelFiles.contextLength)
        try await Self.check(model, label: name)
    }

    @Test("A Literal field parses to one of its choices on Gemma 3 270M with the catalog's Gemma template")
    func gemma() async throws {
        let model = try TextModel(
            contentsOf: try Fixtures.requireGemmaModel(), threads: 1,
            defaultChatTemplate: ModelDescriptor.gemma3.chatTemplate)
        #expect(try model.chatTemplate().family == .gemma)
        try await Self.check(model, label: "gemma3-270m")
    }
}
