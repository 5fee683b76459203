import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// `TextModel.trainAdapter` on the tiny F32 llama: it learns, it is reproducible, it resumes,
/// and it rejects bad input with errors that say what is wrong.
@Suite("Training runs")
struct TrainingRunTests {
    static func model() throws -> TextModel {
        try TextModel(contentsOf: try TinyModelFiles.file(arch: "llama", quant: "f32"), threads: 2)
    }

    static let sequences: [TrainingSequence] = (0..<3).map { index in
        TrainingGradientTests.sequence(seed: UInt64(20 + index), vocabulary: 512)
    }

    static func configuration(epochs: Int = 4) -> TrainingConfiguration {
        TrainingConfiguration(
            lora: LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.05), epochs: epochs, learningRate: 1e-2,
            warmupRatio: 0, sequencesPerStep: 2, seed: 9, checkpointInterval: 1000)
    }

    @Test("A few steps lower the loss of a fixed sequence")
    func stepsLowerTheLoss() async throws {
        let model = try Self.model()
        let sequence = Self.sequences[0]
        var configuration = Self.configuration(epochs: 6)
        configuration.sequencesPerStep = 1
        configuration.lora.dropout = 0
        let report = try await model.trainAdapter([sequence], configuration: configuration)
        #expect(report.steps == 6)
        #expect(report.lossPerStep.count == 6)
        #expect(report.tokensTrained == 6 * sequence.tokens.count)
        let first = try #require(report.lossPerStep.first)
        #expect(report.finalLoss < 0.8 * first, "losses \(report.lossPerStep)")
        #expect(report.adapter.pairs.count == 2 * 7)
        #expect(report.adapter.pairs["blk.1.ffn_down.weight"]?.b.contains { $0 != 0 } == true)
    }

    @Test("The same seed gives the same adapter, bit for bit; another seed another")
    func sameSeedSameAdapter() async throws {
        let model = try Self.model()
        let first = try await model.trainAdapter(Self.sequences, configuration: Self.configuration())
        let second = try await model.trainAdapter(Self.sequences, configuration: Self.configuration())
        #expect(first.adapter == second.adapter)
        #expect(first.lossPerStep == second.lossPerStep)
        var other = Self.configuration()
        other.seed = 10
        let third = try await model.trainAdapter(Self.sequences, configuration: other)
        #expect(third.adapter != first.adapter)
    }

    @Test("A run cancelled after two steps resumes from its checkpoint to the uninterrupted run's adapter")
    func resumeMatchesUninterrupted() async throws {
        let model = try Self.model()
        let configuration = Self.configuration()
        let uninterrupted = try await model.trainAdapter(Self.sequences, configuration: configuration)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-train-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = folder.appendingPathComponent("state.ckpt")
        let cancelled = Task {
            try await model.trainAdapter(Self.sequences, configuration: configuration, checkpoint: checkpoint) { progress in
                if progress.step == 2 { withUnsafeCurrentTask { $0?.cancel() } }
            }
        }
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        #expect(FileManager.default.fileExists(atPath: checkpoint.path))
        let resumed = try await model.trainAdapter(Self.sequences, configuration: configuration, checkpoint: checkpoint)
        #expect(resumed.resumedFromStep == 2)
        #expect(resumed.steps == uninterrupted.steps)
        #expect(resumed.adapter == uninterrupted.adapter)
        #expect(resumed.lossPerStep == uninterrupted.lossPerStep)
        // Other data: the checkpoint does not match and the run starts afresh.
        let fresh = try await model.trainAdapter(Array(Self.sequences.prefix(2)), configuration: configuration,
                                                 checkpoint: checkpoint)
        #expect(fresh.resumedFromStep == 0)
    }

    /// The message of the `EngineError.invalidArgument` that `body` throws.
    static func message(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let EngineError.invalidArgument(message) {
            return message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test("Bad data and bad configuration values are rejected with errors naming what is wrong")
    func badInputs() async throws {
        let model = try Self.model()
        let good = Self.sequences[0]
        var configuration = Self.configuration(epochs: 1)
        let cases: [([TrainingSequence], TrainingConfiguration, String)] = [
            ([], configuration, "no training sequences"),
            ([TrainingSequence(tokens: good.tokens, lossMask: good.lossMask.map { _ in false })], configuration, "no token is marked"),
            ([TrainingSequence(tokens: good.tokens, lossMask: Array(good.lossMask.dropLast()))], configuration, "one per token"),
            ([TrainingSequence(tokens: good.tokens, lossMask: [true] + good.lossMask.dropFirst())], configuration, "token 0"),
            ([TrainingSequence(tokens: good.tokens + [600], lossMask: good.lossMask + [true])], configuration, "outside the vocabulary"),
            ({ var long = good; long.tokens += long.tokens; long.lossMask += long.lossMask; return [long] }(),
             { var c = configuration; c.maxSequenceLength = 20; return c }(), "maxSequenceLength"),
            ([good], { var c = configuration; c.lora.rank = 0; return c }(), "lora.rank"),
            ([good], { var c = configuration; c.learningRate = -1; return c }(), "learningRate"),
            ([good], { var c = configuration; c.warmupRatio = 1; return c }(), "warmupRatio"),
            ([good], { var c = configuration; c.sequencesPerStep = 0; return c }(), "sequencesPerStep"),
            ([good], { var c = configuration; c.epochs = 0; return c }(), "epochs"),
            ([good], { var c = configuration; c.lora.targets = []; return c }(), "lora.targets"),
        ]
        for (sequences, configuration, expected) in cases {
            let message = await Self.message { _ = try await model.trainAdapter(sequences, configuration: configuration) }
            #expect(message?.contains(expected) == true, "expected '\(expected)', got \(message ?? "no error")")
        }
        configuration.maxSequenceLength = 4096
        let longest = TinyModelFiles.contextLength + 1
        let tooLong = TrainingSequence(tokens: [Int32](repeating: 5, count: longest),
                                       lossMask: [false] + [Bool](repeating: true, count: longest - 1))
        let message = await Self.message { _ = try await model.trainAdapter([tooLong], configuration: configuration) }
        #expect(message?.contains("context") == true, "\(message ?? "no error")")
    }
}
