import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// Measurements for choosing training defaults, on the default model and the sentiment
/// program's TRAIN split only (its first 80 examples train, the last ones are held out).
/// Off unless `DSPYC_TRAINING_MEASURE` is set (minutes of CPU); results are printed:
///
///     DSPYC_TRAINING_MEASURE=1 DSPYC_TRAINING_RATES=1e-4,3e-4,1e-3 DSPYC_TRAINING_EPOCHS=3 \
///       swift test -c release -Xswiftc -enable-testing --skip-build --filter TrainingMeasurementTests
@Suite("Training measurements")
struct TrainingMeasurementTests {
    static let environment = ProcessInfo.processInfo.environment
    static let enabled = environment["DSPYC_TRAINING_MEASURE"] != nil

    /// DSPy's ChatAdapter rendering of `Sentiment` (system, user), and the assistant's answer.
    static func render(_ text: String) -> [ChatMessage] {
        let system = """
            Your input fields are:
            1. `text` (str):
            Your output fields are:
            1. `sentiment` (Literal['positive', 'negative']): positive or negative
            All interactions will be structured in the following way, with the appropriate values filled in.

            [[ ## text ## ]]
            {text}

            [[ ## sentiment ## ]]
            {sentiment}        # note: the value you produce must exactly match (no extra characters) one of: positive; negative

            [[ ## completed ## ]]
            In adhering to this structure, your objective is: 
                    Classify the sentiment of a short text.
            """
        let user = """
            [[ ## text ## ]]
            \(text)

            Respond with the corresponding output fields, starting with the field `[[ ## sentiment ## ]]` \
            (must be formatted as a valid Python Literal['positive', 'negative']), and then ending with the marker for `[[ ## completed ## ]]`.
            """
        return [ChatMessage(.system, system), ChatMessage(.user, user)]
    }

    static func sequence(_ model: TextModel, text: String, label: String) throws -> TrainingSequence {
        let prompt = try model.encodeChat(render(text))
        let answer = "[[ ## sentiment ## ]]\n\(label)\n\n[[ ## completed ## ]]<|im_end|>"
        return TrainingSequence(prompt: prompt, completion: model.tokenizer.encode(answer, parseSpecial: true))
    }

    @Test("Held-out loss and accuracy after training at several learning rates", .enabled(if: enabled))
    func learningRates() async throws {
        let model = try TextModel(contentsOf: Fixtures.defaultModel)
        let lines = try String(contentsOf: Fixtures.dataset("sentiment", split: "train"), encoding: .utf8)
            .split(separator: "\n")
        let rows = try lines.map { try JSONDecoder().decode([String: String].self, from: Data($0.utf8)) }
        let examples = rows.compactMap { row in row["text"].flatMap { text in row["sentiment"].map { (text, $0) } } }
        let count = Int(Self.environment["DSPYC_TRAINING_EXAMPLES"] ?? "80") ?? 80
        let training = try examples.prefix(min(count, 80)).map { try Self.sequence(model, text: $0.0, label: $0.1) }
        let heldOut = Array(examples.dropFirst(80))
        let rates = (Self.environment["DSPYC_TRAINING_RATES"] ?? "1e-4,3e-4,1e-3").split(separator: ",").compactMap { Float($0) }
        let epochs = Int(Self.environment["DSPYC_TRAINING_EPOCHS"] ?? "3") ?? 3
        let rank = Int(Self.environment["DSPYC_TRAINING_RANK"] ?? "32") ?? 32
        print("training: \(training.count) sequences, mean \(training.map(\.tokens.count).reduce(0, +) / training.count) tokens; held out \(heldOut.count)")
        for rate in [Float(0)] + rates {
            var configuration = TrainingConfiguration(
                lora: LoRAConfiguration(rank: rank, alpha: Float(2 * rank)), epochs: epochs, learningRate: max(rate, 1e-9))
            if rate == 0 { configuration.epochs = 1 }
            let trainer = try LoRATrainer(
                file: model.engine.file, sequences: training, configuration: configuration, modelFingerprint: "measure",
                threads: model.engine.threadCount, capacity: 512)
            let report = rate == 0 ? nil : try trainer.run(checkpoint: nil, progress: nil)
            var loss = 0.0, correct = 0
            for (text, label) in heldOut {
                var best = (label: "", loss: Double.infinity)
                for candidate in ["positive", "negative"] {
                    let value = trainer.evaluate(try Self.sequence(model, text: text, label: candidate))
                    if candidate == label { loss += value }
                    if value < best.loss { best = (candidate, value) }
                }
                if best.label == label { correct += 1 }
            }
            print(String(format: "lr %.0e epochs %d rank %d: held-out loss %.4f, accuracy %d/%d; train loss first %.3f last %.3f; %.0f s, %.0f tokens/s",
                         rate, epochs, rank, loss / Double(heldOut.count), correct, heldOut.count,
                         report?.lossPerStep.first ?? 0, report?.finalLoss ?? 0, report?.wallTime ?? 0,
                         report.map { Double($0.tokensTrained) / $0.wallTime } ?? 0))
        }
    }
}
