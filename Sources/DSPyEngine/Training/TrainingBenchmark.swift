import Foundation

/// The speed of LoRA training on a model, for `dspyc bench --train-tokens N`.
///
/// Trains a throw-away adapter on random sequences of `sequenceTokens` tokens whose last
/// `targetTokens` are targets, for `steps` optimizer steps of `sequencesPerStep` sequences,
/// and reports forward + backward tokens per second (after one warm-up step) and memory.
public struct TrainingBenchmark: Sendable {
    public struct Report: Sendable, Codable {
        /// Tokens per second through forward, loss and backward (the optimizer step included).
        public var tokensPerSecond: Double
        /// Seconds per sequence of `sequenceTokens`.
        public var secondsPerSequence: Double
        /// Seconds to train `examples` sequences for `epochs` epochs at this speed.
        public var estimatedSeconds: Double
        public var examples: Int
        public var epochs: Int
        public var sequenceTokens: Int
        public var targetTokens: Int
        /// Bytes of float weights, adapter state and activations the trainer held.
        public var trainerBytes: Int
        /// Peak resident memory of the process, in bytes (0 when unknown).
        public var peakResidentBytes: Int
        public var threads: Int
    }

    public var sequenceTokens = 200
    public var targetTokens = 8
    public var sequencesPerStep = 4
    public var steps = 3
    public var lora = LoRAConfiguration()
    /// For the estimate: the examples and epochs of a whole fine-tune.
    public var examples = 100
    public var epochs = 5

    public init() {}

    /// Runs the measurement on `model`.
    ///
    /// - Throws: `EngineError` when the sequences do not fit the model.
    public func run(on model: TextModel) async throws -> Report {
        let vocabulary = model.configuration.vocabularySize
        var random = TrainingRandom(seed: 1)
        let sequences = (0..<sequencesPerStep * (steps + 1)).map { _ in
            TrainingSequence(
                tokens: (0..<sequenceTokens).map { _ in Int32(random.next() % UInt64(vocabulary)) },
                lossMask: (0..<sequenceTokens).map { $0 >= sequenceTokens - targetTokens })
        }
        let configuration = TrainingConfiguration(
            lora: lora, epochs: 1, warmupRatio: 0, sequencesPerStep: sequencesPerStep,
            maxSequenceLength: max(sequenceTokens, 2))
        let times = TimesBox()
        let report = try await model.trainAdapter(sequences, configuration: configuration) { progress in
            times.record(progress.elapsed)
        }
        let recorded = times.values
        let measured = recorded.count > 1 ? recorded[recorded.count - 1] - recorded[0] : report.wallTime
        let measuredSequences = recorded.count > 1 ? (recorded.count - 1) * sequencesPerStep : sequences.count
        let perSequence = measured / Double(measuredSequences)
        return Report(
            tokensPerSecond: Double(sequenceTokens) / perSequence, secondsPerSequence: perSequence,
            estimatedSeconds: perSequence * Double(examples * epochs), examples: examples, epochs: epochs,
            sequenceTokens: sequenceTokens, targetTokens: targetTokens, trainerBytes: report.memoryBytes,
            peakResidentBytes: EngineBenchmark.peakResidentBytes(), threads: model.engine.threadCount)
    }
}

/// Step times reported from the training thread.
private final class TimesBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Double] = []
    func record(_ value: Double) { lock.withLock { storage.append(value) } }
    var values: [Double] { lock.withLock { storage } }
}
