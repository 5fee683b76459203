/// How an adapter is trained: its shape, the optimizer, the schedule and the seed.
///
/// Defaults follow DSPy's local trainer (`LocalProvider`: warm-up 3 %, gradient-norm clip 2.0,
/// constant schedule, 8 sequences per optimizer step, LoRA r 32 / alpha 64 / dropout 0.05 on
/// every linear layer), except the learning rate: DSPy uses 1e-5 for full fine-tuning; LoRA
/// needs a larger one (see `learningRate`).
public struct TrainingConfiguration: Sendable, Codable, Hashable {
    /// The learning-rate schedule after the linear warm-up.
    public enum Schedule: String, Sendable, Codable, Hashable, CaseIterable {
        /// The peak rate until the end (DSPy's local trainer).
        case constant
        /// Cosine decay from the peak to 0 at the last step.
        case cosine
    }

    /// Rank, alpha, dropout and target matrices of the adapter.
    public var lora: LoRAConfiguration
    /// Passes over the data.
    public var epochs: Int
    /// The peak AdamW learning rate.
    public var learningRate: Float
    /// The fraction of all steps spent warming the rate up linearly from 0 (0 ..< 1).
    public var warmupRatio: Float
    public var schedule: Schedule
    /// AdamW's decoupled weight decay on the LoRA parameters.
    public var weightDecay: Float
    /// The global gradient norm is clipped to this (0 turns clipping off).
    public var maxGradientNorm: Float
    /// Sequences whose gradients are summed into one optimizer step (gradient accumulation);
    /// the loss of a step is the mean over all of its target tokens.
    public var sequencesPerStep: Int
    /// Seeds the LoRA initialization, the data order of every epoch and the dropout masks:
    /// the same seed, data and thread count give the same adapter, bit for bit.
    public var seed: UInt64
    /// The longest sequence accepted (also bounded by the model's context).
    public var maxSequenceLength: Int
    public var adamBeta1: Float
    public var adamBeta2: Float
    public var adamEpsilon: Float
    /// Seconds between checkpoint writes (when a checkpoint URL is given); one is also
    /// written at the end and when training is cancelled.
    public var checkpointInterval: Double

    public init(
        lora: LoRAConfiguration = LoRAConfiguration(), epochs: Int = 5, learningRate: Float = 2e-4,
        warmupRatio: Float = 0.03, schedule: Schedule = .constant, weightDecay: Float = 0.01,
        maxGradientNorm: Float = 2.0, sequencesPerStep: Int = 8, seed: UInt64 = 0, maxSequenceLength: Int = 1024,
        adamBeta1: Float = 0.9, adamBeta2: Float = 0.999, adamEpsilon: Float = 1e-8, checkpointInterval: Double = 60
    ) {
        self.lora = lora
        self.epochs = epochs
        self.learningRate = learningRate
        self.warmupRatio = warmupRatio
        self.schedule = schedule
        self.weightDecay = weightDecay
        self.maxGradientNorm = maxGradientNorm
        self.sequencesPerStep = sequencesPerStep
        self.seed = seed
        self.maxSequenceLength = maxSequenceLength
        self.adamBeta1 = adamBeta1
        self.adamBeta2 = adamBeta2
        self.adamEpsilon = adamEpsilon
        self.checkpointInterval = checkpointInterval
    }

    /// Checks every value.
    ///
    /// - Throws: `EngineError.invalidArgument` naming the field, its value and the valid range.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ value: Any, _ range: String) throws {
            guard ok else {
                throw EngineError.invalidArgument("training configuration: \(field) is \(value); it must be \(range)")
            }
        }
        try check(lora.rank >= 1 && lora.rank <= 1024, "lora.rank", lora.rank, "in 1...1024")
        try check(lora.alpha.isFinite && lora.alpha > 0, "lora.alpha", lora.alpha, "a positive number")
        try check(lora.dropout >= 0 && lora.dropout < 1, "lora.dropout", lora.dropout, "in 0 ..< 1")
        try check(!lora.targets.isEmpty, "lora.targets", lora.targets, "at least one target matrix")
        try check(epochs >= 1, "epochs", epochs, "at least 1")
        try check(learningRate.isFinite && learningRate > 0, "learningRate", learningRate, "a positive number")
        try check(warmupRatio >= 0 && warmupRatio < 1, "warmupRatio", warmupRatio, "in 0 ..< 1")
        try check(weightDecay >= 0 && weightDecay.isFinite, "weightDecay", weightDecay, "0 or more")
        try check(maxGradientNorm >= 0 && maxGradientNorm.isFinite, "maxGradientNorm", maxGradientNorm, "0 (off) or more")
        try check(sequencesPerStep >= 1, "sequencesPerStep", sequencesPerStep, "at least 1")
        try check(maxSequenceLength >= 2, "maxSequenceLength", maxSequenceLength, "at least 2")
        try check(adamBeta1 >= 0 && adamBeta1 < 1, "adamBeta1", adamBeta1, "in 0 ..< 1")
        try check(adamBeta2 >= 0 && adamBeta2 < 1, "adamBeta2", adamBeta2, "in 0 ..< 1")
        try check(adamEpsilon > 0 && adamEpsilon.isFinite, "adamEpsilon", adamEpsilon, "a positive number")
        try check(checkpointInterval >= 0 && checkpointInterval.isFinite, "checkpointInterval", checkpointInterval, "0 or more seconds")
    }
}
