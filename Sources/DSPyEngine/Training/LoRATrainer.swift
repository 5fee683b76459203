import Foundation

/// Trains one LoRA adapter on token sequences: epochs of seeded shuffles, optimizer steps of
/// `sequencesPerStep` sequences (gradients summed, loss averaged over the step's target tokens),
/// AdamW with clipping and the warm-up schedule, checkpoints, progress and cancellation.
///
/// Not thread-safe; one per run. Cost: the float weights (see ``TrainingWeights``) and one
/// ``TrainingPass`` sized for the longest sequence.
final class LoRATrainer {
    let configuration: TrainingConfiguration
    let sequences: [TrainingSequence]
    let weights: TrainingWeights
    let parameters: LoRAParameters
    let optimizer: AdamW
    let pass: TrainingPass
    let pool: WorkerPool
    let modelFingerprint: String

    /// Prepares a run: decodes the weights and lays out and initializes the adapter.
    /// The sequences must already be validated.
    ///
    /// - Throws: `EngineError` when the model cannot be read.
    init(file: GGUFFile, sequences: [TrainingSequence], configuration: TrainingConfiguration, modelFingerprint: String,
         threads: Int? = nil) throws {
        self.configuration = configuration
        self.sequences = sequences
        self.modelFingerprint = modelFingerprint
        weights = try TrainingWeights(file: file)
        var random = TrainingRandom(seed: TrainingRandom.key(configuration.seed, 0x1A17))
        parameters = LoRAParameters(weights: weights, configuration: configuration.lora, random: &random)
        optimizer = AdamW(count: parameters.count)
        pool = WorkerPool(threads: threads)
        let longest = sequences.map(\.tokens.count).max() ?? 2
        pass = TrainingPass(weights: weights, parameters: parameters, pool: pool, capacity: longest,
                            dropout: configuration.lora.dropout)
    }

    var stepsPerEpoch: Int { (sequences.count + configuration.sequencesPerStep - 1) / configuration.sequencesPerStep }
    var totalSteps: Int { stepsPerEpoch * configuration.epochs }

    /// The sequences of global step `step`, in order.
    func batch(step: Int) -> [Int] {
        let epoch = step / stepsPerEpoch, index = step % stepsPerEpoch
        let order = TrainingRandom.order(count: sequences.count, seed: configuration.seed, epoch: epoch)
        let size = configuration.sequencesPerStep
        return Array(order[index * size..<min((index + 1) * size, order.count)])
    }

    /// Runs forward, loss and backward of the sequences of `batch`, adding their gradients
    /// (of the mean loss over all their target tokens) to the zeroed parameter gradients.
    ///
    /// - Returns: the mean loss and the tokens run.
    /// - Throws: `CancellationError` when the task is cancelled between sequences.
    func accumulateGradients(batch: [Int], step: Int) throws -> (loss: Double, tokens: Int) {
        parameters.zeroGradients()
        let targets = batch.reduce(0) { $0 + sequences[$1].targetCount }
        var total = 0.0, tokens = 0
        for (position, index) in batch.enumerated() {
            try Task.checkCancellation()
            let sequence = sequences[index]
            let key = TrainingRandom.key(configuration.seed, UInt64(step), UInt64(position))
            pass.forward(sequence.tokens, passKey: key)
            total += pass.loss(tokens: sequence.tokens, mask: sequence.lossMask, scale: 1 / Float(targets)).sum
            pass.backward(tokens: sequence.tokens.count, passKey: key)
            tokens += sequence.tokens.count
        }
        return (total / Double(targets), tokens)
    }

    /// Trains to the last step, resuming from `checkpoint` when it holds a matching state.
    ///
    /// - Throws: `CancellationError` (after saving a checkpoint, when given) when the task is
    ///   cancelled; the file system's error when a checkpoint cannot be written.
    func run(checkpoint: URL?, progress: (@Sendable (TrainingProgress) -> Void)?) throws -> TrainingReport {
        let clock = ContinuousClock()
        let start = clock.now
        let schedule = LearningRateSchedule(configuration: configuration, totalSteps: totalSteps)
        let header = TrainingCheckpoint.Header(
            model: modelFingerprint, configuration: TrainingCheckpoint.fingerprint(of: configuration),
            data: TrainingCheckpoint.fingerprint(of: sequences), parameterCount: parameters.count, step: 0, lossPerStep: [])
        var losses: [Double] = []
        var step = 0
        if let checkpoint, let saved = TrainingCheckpoint.read(from: checkpoint), restore(saved, expecting: header) {
            step = saved.header.step
            losses = saved.header.lossPerStep
        }
        let resumedFrom = step
        var tokens = 0
        var lastSave = clock.now
        func save() throws {
            guard let checkpoint else { return }
            var state = header
            state.step = step
            state.lossPerStep = losses
            try snapshot(header: state).write(to: checkpoint)
            lastSave = clock.now
        }
        while step < totalSteps {
            let result: (loss: Double, tokens: Int)
            do {
                result = try accumulateGradients(batch: batch(step: step), step: step)
            } catch is CancellationError {
                try save()
                throw CancellationError()
            }
            optimizer.step(parameters: parameters.values.pointer, gradients: parameters.gradients.pointer,
                           learningRate: schedule.rate(at: step), configuration: configuration)
            step += 1
            losses.append(result.loss)
            tokens += result.tokens
            if checkpoint != nil, (clock.now - lastSave).seconds >= configuration.checkpointInterval || step == totalSteps {
                try save()
            }
            let elapsed = (clock.now - start).seconds
            let done = step - resumedFrom
            progress?(TrainingProgress(
                step: step, totalSteps: totalSteps, epoch: (step - 1) / stepsPerEpoch, loss: result.loss,
                tokensPerSecond: elapsed > 0 ? Double(tokens) / elapsed : 0, elapsed: elapsed,
                estimatedRemaining: done > 0 ? elapsed / Double(done) * Double(totalSteps - step) : 0))
        }
        return TrainingReport(
            adapter: try parameters.adapter(architecture: weights.configuration.architecture, alpha: configuration.lora.alpha),
            steps: step, tokensTrained: tokens, finalLoss: losses.last ?? 0, lossPerStep: losses,
            wallTime: (clock.now - start).seconds, resumedFromStep: resumedFrom, memoryBytes: memoryBytes)
    }

    /// The current state as a checkpoint.
    func snapshot(header: TrainingCheckpoint.Header) -> TrainingCheckpoint {
        func array(_ buffer: ScratchBuffer<Float>) -> [Float] { Array(UnsafeBufferPointer(start: buffer.pointer, count: parameters.count)) }
        return TrainingCheckpoint(header: header, parameters: array(parameters.values), first: array(optimizer.first),
                                  second: array(optimizer.second))
    }

    /// Loads `saved` when it belongs to this model, configuration and data; false otherwise.
    func restore(_ saved: TrainingCheckpoint, expecting header: TrainingCheckpoint.Header) -> Bool {
        guard saved.header.model == header.model, saved.header.configuration == header.configuration,
              saved.header.data == header.data, saved.header.parameterCount == parameters.count,
              saved.header.step <= totalSteps, saved.header.lossPerStep.count == saved.header.step
        else { return false }
        parameters.values.pointer.update(from: saved.parameters, count: parameters.count)
        optimizer.first.pointer.update(from: saved.first, count: parameters.count)
        optimizer.second.pointer.update(from: saved.second, count: parameters.count)
        optimizer.steps = saved.header.step
        return true
    }

    /// Bytes of float weights, parameters, optimizer state and activations held.
    var memoryBytes: Int { weights.floatBytes + 16 * parameters.count + pass.activationBytes }
}
