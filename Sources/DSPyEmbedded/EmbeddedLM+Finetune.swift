import DSPy
import DSPyEngine
import DSPyUtilities
import Foundation

/// Fine-tuning the embedded model: DSPy's rows become the engine's training sequences, the
/// engine trains a LoRA adapter, and the result answers with it.
extension EmbeddedLM: FineTunableLM {
    /// The format of the artifacts this model makes and applies: a GGUF LoRA adapter file's bytes.
    public static let adapterFormat = "gguf-lora"

    /// Trains a LoRA adapter on `rows` with the engine and returns this model answering with it.
    ///
    /// Each row is rendered with the model's chat template; only the assistant answer (and
    /// the end-of-turn token after it) is a target. With ``checkpointDirectory`` set, training
    /// checkpoints there under a digest of the model, configuration and rows, so an interrupted
    /// compile that is run again resumes; the checkpoint is removed once training ends.
    ///
    /// Cost: the engine's `trainAdapter` (a forward and backward pass per row and epoch).
    public func finetune(
        _ rows: [FinetuneRow], settings: FinetuneSettings, progress: (@Sendable (FinetuneProgress) -> Void)?
    ) async throws -> FinetunedLM {
        let configuration = try Self.trainingConfiguration(for: settings)
        let sequences = try rows.enumerated().map { try trainingSequence(for: $1, index: $0) }
        var checkpoint: URL?
        if let checkpointDirectory {
            try FileManager.default.createDirectory(at: checkpointDirectory, withIntermediateDirectories: true)
            var key = "\(model.fingerprint)\n" + Self.trainingDescription(for: settings)
            for sequence in sequences {
                key += "\n" + sequence.tokens.map(String.init).joined(separator: ",") + "|"
                    + sequence.lossMask.map { $0 ? "1" : "0" }.joined()
            }
            checkpoint = checkpointDirectory.appendingPathComponent(SHA256.hash(key).hexString + ".checkpoint")
        }
        let report = try await model.trainAdapter(sequences, configuration: configuration, checkpoint: checkpoint) { p in
            progress?(FinetuneProgress(step: p.step, totalSteps: p.totalSteps, loss: p.loss, tokensPerSecond: p.tokensPerSecond,
                                       elapsedSeconds: p.elapsed, remainingSeconds: p.estimatedRemaining))
        }
        if let checkpoint { try? FileManager.default.removeItem(at: checkpoint) }
        let info = FinetuneInfo(
            baseModel: model.fingerprint.description, rank: configuration.lora.rank, alpha: Double(configuration.lora.alpha),
            targets: configuration.lora.targets.map(\.rawValue), epochs: configuration.epochs,
            learningRate: Double(configuration.learningRate), rows: rows.count, steps: report.steps,
            tokens: report.tokensTrained, finalLoss: report.finalLoss, wallSeconds: report.wallTime)
        return try await applying(FinetuneArtifact(data: Array(report.adapter.ggufData()), format: Self.adapterFormat, info: info))
    }

    /// This model answering with a stored adapter: the adapter is loaded into the engine once
    /// and every request of the returned model names it.
    ///
    /// - Throws: `EngineError.invalidArgument` when the artifact is not a GGUF LoRA adapter, was
    ///   trained on another model, or does not decode.
    public func applying(_ artifact: FinetuneArtifact) async throws -> FinetunedLM {
        guard artifact.format == Self.adapterFormat else {
            throw EngineError.invalidArgument("adapter \(artifact.digest.prefix(12)) is '\(artifact.format)', not \(Self.adapterFormat)")
        }
        guard artifact.info.baseModel == model.fingerprint.description else {
            throw EngineError.invalidArgument(
                "adapter \(artifact.digest.prefix(12)) was trained on \(artifact.info.baseModel); this model is \(model.fingerprint)")
        }
        let adapter = try LoRAAdapter(ggufData: Data(artifact.data), name: "adapter \(artifact.digest.prefix(12))")
        let id = try await model.loadAdapter(adapter)
        var tuned = self
        tuned.adapter = LoadedEmbeddedAdapter(id: id, digest: artifact.digest)
        return FinetunedLM(model: tuned, artifact: artifact, source: self)
    }

    public func trainingDescription(for settings: FinetuneSettings) -> String { Self.trainingDescription(for: settings) }

    /// The training configuration `settings` resolve to, as stable text for compile fingerprints
    /// (the engine's defaults filled in; an invalid target is named).
    public static func trainingDescription(for settings: FinetuneSettings) -> String {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(try trainingConfiguration(for: settings)), as: UTF8.self)
        } catch {
            return "invalid: \(error)"
        }
    }

    /// The engine's training configuration for DSPy's settings: unset ones keep
    /// `TrainingConfiguration`'s defaults.
    ///
    /// - Throws: `EngineError.invalidArgument` naming an unknown target matrix.
    public static func trainingConfiguration(for settings: FinetuneSettings) throws -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        if let rank = settings.rank { configuration.lora.rank = rank }
        if let alpha = settings.alpha { configuration.lora.alpha = Float(alpha) }
        if let dropout = settings.dropout { configuration.lora.dropout = Float(dropout) }
        if let names = settings.targets {
            configuration.lora.targets = try names.map { name in
                guard let target = LoRATarget(rawValue: name) else {
                    throw EngineError.invalidArgument(
                        "unknown LoRA target '\(name)'; known: \(LoRATarget.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return target
            }
        }
        if let epochs = settings.epochs { configuration.epochs = epochs }
        if let rate = settings.learningRate { configuration.learningRate = Float(rate) }
        configuration.seed = UInt64(bitPattern: Int64(settings.seed))
        return configuration
    }

    /// One row as a training sequence: the messages before the answer rendered with a
    /// generation prompt and tokenized as a request is (context), then the answer as the
    /// model generates it, and the template's end-of-turn token (targets).
    ///
    /// - Throws: `EngineError.invalidArgument` naming row `index` when its last message is not
    ///   the assistant's or the template renders the answer so that it does not extend the prompt.
    func trainingSequence(for row: FinetuneRow, index: Int) throws -> TrainingSequence {
        guard let answer = row.messages.last, answer.role == .assistant, row.messages.count > 1 else {
            throw EngineError.invalidArgument("training row \(index) does not end with an assistant message after its prompt")
        }
        let convert = { (m: DSPy.ChatMessage) in
            DSPyEngine.ChatMessage(role: DSPyEngine.ChatMessage.Role(rawValue: m.role.rawValue) ?? .user, content: m.content)
        }
        let template = try model.chatTemplate()
        let context = row.messages.dropLast().map(convert)
        let promptText = template.render(context, addGenerationPrompt: true)
        let fullText = template.render(context + [convert(answer)], addGenerationPrompt: false)
        guard fullText.utf8.starts(with: promptText.utf8) else {
            throw EngineError.invalidArgument(
                "training row \(index): the chat template renders the answer in a way that does not continue the prompt")
        }
        let completionText = String(decoding: fullText.utf8.dropFirst(promptText.utf8.count), as: UTF8.self)
        let tokenizer = model.tokenizer
        let prompt = tokenizer.encode(promptText, parseSpecial: true)
        var completion: [Int32]
        var targets: [Bool]
        if completionText.utf8.starts(with: answer.content.utf8), !answer.content.isEmpty {
            // The answer as the model generates it, then the end-of-turn token (what stops generation);
            // what the template writes after that (a newline) is context.
            let content = tokenizer.encodeContinuation(answer.content)
            let rest = tokenizer.encode(
                String(decoding: completionText.utf8.dropFirst(answer.content.utf8.count), as: UTF8.self),
                parseSpecial: true, addSpecial: false)
            completion = content + rest
            targets = [Bool](repeating: true, count: content.count) + rest.indices.map { $0 == 0 }
        } else {
            completion = tokenizer.encode(completionText, parseSpecial: true, addSpecial: false)
            targets = [Bool](repeating: true, count: completion.count)
        }
        return TrainingSequence(tokens: prompt + completion, lossMask: [Bool](repeating: false, count: prompt.count) + targets)
    }
}

/// An adapter loaded into the engine for an ``EmbeddedLM``: its engine id and the digest of its bytes.
public struct LoadedEmbeddedAdapter: Sendable, Hashable {
    public let id: AdapterID
    public let digest: String
}
