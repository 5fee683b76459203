import Foundation

extension TextModel {
    /// Trains a LoRA adapter for this model on `sequences` (cross-entropy on their target
    /// tokens), in process, on the CPU.
    ///
    /// The base weights stay frozen; they are decoded to float32 once for the run (QLoRA-style),
    /// and every block's forward and backward pass runs in float32 on all the engine's threads.
    /// The result is deterministic: the same sequences, configuration (seed included) and
    /// thread count give the same adapter, bit for bit.
    ///
    /// With `checkpoint`, the adapter, AdamW's state and the step are saved there (atomically)
    /// every `configuration.checkpointInterval` seconds, at the end and on cancellation; a run
    /// finding a checkpoint of the same model, configuration and data resumes from it (the
    /// report's `resumedFromStep` says so) and ends with the adapter an uninterrupted run gives.
    /// A checkpoint that does not match is ignored and overwritten.
    ///
    /// Cancelling the task stops training within one sequence's forward and backward pass.
    ///
    /// Cost: about 6 × (block parameters) FLOPs per token plus 4 × vocabulary × hidden per target
    /// token; memory about 4 bytes per block parameter plus the activations of the longest sequence
    /// (SmolLM2-135M, 256 tokens: about 1 GB in all).
    ///
    /// - Parameters:
    ///   - progress: called after every optimizer step, on the training thread.
    /// - Throws: `EngineError.invalidArgument` for no sequences, a sequence without targets, with
    ///   a target at token 0, longer than `maxSequenceLength` or the context, or with a token
    ///   outside the vocabulary, and for a configuration value out of range (naming the field);
    ///   `CancellationError` when cancelled; the file system's error when a checkpoint cannot be written.
    public nonisolated func trainAdapter(
        _ sequences: [TrainingSequence], configuration: TrainingConfiguration = TrainingConfiguration(),
        checkpoint: URL? = nil, progress: (@Sendable (TrainingProgress) -> Void)? = nil
    ) async throws -> TrainingReport {
        try configuration.validate()
        guard !sequences.isEmpty else {
            throw EngineError.invalidArgument("no training sequences: training needs at least one sequence with a target token")
        }
        let maxLength = min(configuration.maxSequenceLength, self.configuration.contextLength)
        for (index, sequence) in sequences.enumerated() {
            try sequence.validate(index: index, maxLength: maxLength, vocabularySize: self.configuration.vocabularySize)
        }
        try Task.checkCancellation()
        let trainer = try LoRATrainer(
            file: engine.file, sequences: sequences, configuration: configuration,
            modelFingerprint: "\(fingerprint)", threads: engine.threadCount)
        return try trainer.run(checkpoint: checkpoint, progress: progress)
    }
}
