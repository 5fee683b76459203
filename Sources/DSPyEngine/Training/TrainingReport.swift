/// Where training is, reported after every optimizer step.
public struct TrainingProgress: Sendable {
    /// Steps done (1-based after the first step) of `totalSteps`.
    public var step: Int
    public var totalSteps: Int
    /// The epoch the step belongs to (0-based).
    public var epoch: Int
    /// The step's mean cross-entropy over its target tokens.
    public var loss: Double
    /// Tokens (forward + backward) per second over this run so far.
    public var tokensPerSecond: Double
    /// Seconds since this run started (a resumed run counts from its resumption).
    public var elapsed: Double
    /// Seconds still to go at the current speed.
    public var estimatedRemaining: Double
}

/// What a training run produced.
public struct TrainingReport: Sendable {
    public var adapter: LoRAAdapter
    /// Optimizer steps in all (including those done before a resumption).
    public var steps: Int
    /// Tokens run through forward and backward by this run.
    public var tokensTrained: Int
    /// The mean loss of the last step.
    public var finalLoss: Double
    /// The mean loss of every step, from step 1 (steps before a resumption included, as saved).
    public var lossPerStep: [Double]
    /// Seconds this run took.
    public var wallTime: Double
    /// The step the run resumed from (0: it started afresh).
    public var resumedFromStep: Int
    /// Bytes of float weights and activations the trainer held.
    public var memoryBytes: Int
}
