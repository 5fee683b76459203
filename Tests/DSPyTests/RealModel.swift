import DSPyEmbedded
import DSPyEngine
import DSPyTestSupport
import Foundation

/// The default model, loaded once for every real-model test of this target.
///
/// One kernel thread: Swift Testing runs suites in parallel, and a single-threaded
/// engine degrades gracefully when the cores are shared.
enum RealModel {
    static let loaded: Result<TextModel, Error> = Result {
        try TextModel(contentsOf: Fixtures.defaultModel, threads: 1)
    }

    /// The shared model (throws a clear error when it is missing: run `dspyc models pull`).
    static func model() throws -> TextModel { try loaded.get() }

    /// An `EmbeddedLM` over the shared model.
    static func lm(structuredDecoding: Bool = true, choiceMode: EmbeddedLM.ChoiceMode = .automatic) throws -> EmbeddedLM {
        EmbeddedLM(model: try model(), structuredDecoding: structuredDecoding, choiceMode: choiceMode)
    }
}
