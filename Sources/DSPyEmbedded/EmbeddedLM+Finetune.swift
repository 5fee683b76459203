import DSPy
import DSPyEngine
import Foundation

extension EmbeddedLM {
    /// The training configuration `settings` resolve to, as stable text for compile fingerprints.
    ///
    /// Until the engine's trainer is wired in, unset fields read `default`.
    public static func trainingDescription(for settings: FinetuneSettings) -> String {
        func text<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "default" }
        return "rank=\(text(settings.rank)) alpha=\(text(settings.alpha)) dropout=\(text(settings.dropout)) "
            + "targets=\(settings.targets?.joined(separator: ",") ?? "default") epochs=\(text(settings.epochs)) "
            + "lr=\(text(settings.learningRate)) seed=\(settings.seed)"
    }
}
