import DSPyEmbedded
import DSPyEngine
import DSPyTestSupport
import Foundation

/// The default model for every real-model test of this target, in two copies.
///
/// Each copy has one kernel thread: Swift Testing runs suites in parallel, and a
/// single-threaded engine degrades gracefully when the cores are shared. A copy is an
/// actor, so every test that uses it waits its turn; the longest suites (the optimizer
/// runs) therefore take the second copy, and the two queues use both cores once the
/// other targets' tests are done (one queue alone was the last 9 minutes of a CI run).
enum RealModel {
    /// Which copy of the model a test runs on.
    enum Copy: Sendable {
        case first, second
    }

    private static let first = load()
    private static let second = load()

    private static func load() -> Result<TextModel, Error> {
        Result { try TextModel(contentsOf: Fixtures.defaultModel, threads: 1) }
    }

    /// The shared model (throws a clear error when it is missing: run `dspyc models pull`).
    static func model(_ copy: Copy = .first) throws -> TextModel {
        switch copy {
        case .first: try first.get()
        case .second: try second.get()
        }
    }

    /// An `EmbeddedLM` over one copy of the shared model.
    static func lm(_ copy: Copy = .first, structuredDecoding: Bool = true,
                   choiceMode: EmbeddedLM.ChoiceMode = .automatic) throws -> EmbeddedLM {
        EmbeddedLM(model: try model(copy), structuredDecoding: structuredDecoding, choiceMode: choiceMode)
    }
}
