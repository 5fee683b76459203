import DSPyUtilities
import Foundation

/// One training conversation: the messages an adapter renders for one predictor call, the
/// last of them the assistant's answer (DSPy's `{"messages": [...]}` rows of
/// `format_finetune_data`).
///
/// A trainer learns only the last message: the loss is on the assistant completion.
public struct FinetuneRow: Sendable, Hashable, Codable {
    public var messages: [ChatMessage]

    public init(messages: [ChatMessage]) { self.messages = messages }
}

/// How to fine-tune: the adapter's shape and the training schedule.
///
/// Every `nil` field takes the trainer's default (for the embedded engine, its
/// `TrainingConfiguration`); ``FineTunableLM/trainingDescription(for:)`` says what they resolve to.
public struct FinetuneSettings: Sendable, Hashable, Codable {
    /// The rank r of each low-rank pair.
    public var rank: Int?
    /// The scale numerator (the update is multiplied by alpha / r).
    public var alpha: Double?
    /// Dropout on the adapter's inputs while training.
    public var dropout: Double?
    /// The weight matrices that get an adapter, by the trainer's names (`attn_q`, `ffn_down`, …).
    public var targets: [String]?
    /// Passes over the rows.
    public var epochs: Int?
    /// The optimizer's step size.
    public var learningRate: Double?
    /// The seed of initialization, dropout and ordering.
    public var seed: Int

    public init(rank: Int? = nil, alpha: Double? = nil, dropout: Double? = nil, targets: [String]? = nil,
                epochs: Int? = nil, learningRate: Double? = nil, seed: Int = 0) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
        self.epochs = epochs
        self.learningRate = learningRate
        self.seed = seed
    }
}

/// Where a fine-tuning run is: reported after every optimizer step.
public struct FinetuneProgress: Sendable, Equatable {
    /// Optimizer steps done and planned (a resumed run counts the steps done before it).
    public var step: Int
    public var totalSteps: Int
    /// The last step's training loss (mean over its completion tokens), when known.
    public var loss: Double?
    /// Tokens trained per second so far.
    public var tokensPerSecond: Double
    /// Seconds since training started (a resumed run counts from its resumption).
    public var elapsedSeconds: Double
    /// Seconds still to go at the current speed, when known.
    public var remainingSeconds: Double?

    public init(step: Int, totalSteps: Int, loss: Double?, tokensPerSecond: Double, elapsedSeconds: Double,
                remainingSeconds: Double? = nil) {
        self.step = step
        self.totalSteps = totalSteps
        self.loss = loss
        self.tokensPerSecond = tokensPerSecond
        self.elapsedSeconds = elapsedSeconds
        self.remainingSeconds = remainingSeconds
    }
}

/// What a fine-tuning run produced and how: the facts `dspyc inspect` shows.
public struct FinetuneInfo: Sendable, Hashable, Codable {
    /// The model the adapter was trained on (its identifier).
    public var baseModel: String
    public var rank: Int
    public var alpha: Double
    public var targets: [String]
    public var epochs: Int
    public var learningRate: Double
    /// Rows trained on, optimizer steps, tokens seen (all epochs), the last step's loss.
    public var rows: Int
    public var steps: Int
    public var tokens: Int
    public var finalLoss: Double?
    /// Training wall time in seconds.
    public var wallSeconds: Double

    public init(baseModel: String, rank: Int, alpha: Double, targets: [String], epochs: Int, learningRate: Double,
                rows: Int, steps: Int, tokens: Int, finalLoss: Double?, wallSeconds: Double) {
        self.baseModel = baseModel
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
        self.epochs = epochs
        self.learningRate = learningRate
        self.rows = rows
        self.steps = steps
        self.tokens = tokens
        self.finalLoss = finalLoss
        self.wallSeconds = wallSeconds
    }

    enum CodingKeys: String, CodingKey {
        case baseModel = "base_model", rank, alpha, targets, epochs, learningRate = "learning_rate", rows, steps, tokens
        case finalLoss = "final_loss", wallSeconds = "wall_seconds"
    }
}

/// The storable result of fine-tuning: the trained weights as bytes, opaque to DSPy, named by
/// their SHA-256.
///
/// A compiled program keeps the artifact (the store saves ``data`` under ``digest``), and the
/// model that made it turns it back into a language model with
/// ``FineTunableLM/applying(_:)``.
public struct FinetuneArtifact: Sendable, Hashable {
    /// The weights (for the embedded engine: a GGUF LoRA adapter llama.cpp loads with `--lora`).
    public var data: [UInt8]
    /// The SHA-256 of ``data``, lowercase hex.
    public var digest: String
    /// What ``data`` is (`gguf-lora`).
    public var format: String
    public var info: FinetuneInfo

    public init(data: [UInt8], digest: String, format: String, info: FinetuneInfo) {
        self.data = data
        self.digest = digest
        self.format = format
        self.info = info
    }

    /// An artifact named by the SHA-256 of `data`. Cost: one hash of the bytes.
    public init(data: [UInt8], format: String, info: FinetuneInfo) {
        self.init(data: data, digest: SHA256.hash(data).hexString, format: format, info: info)
    }
}

/// A language model whose weights can be fine-tuned on chat rows (the embedded engine's,
/// with LoRA adapters). What ``BootstrapFinetune`` needs of a model.
public protocol FineTunableLM: LanguageModel {
    /// Trains on `rows` (loss on each row's last, assistant message) and returns a model that
    /// answers with the trained weights, with the artifact that stores them.
    ///
    /// Cost: the trainer's; for the engine, a forward and backward pass per row and epoch.
    func finetune(
        _ rows: [FinetuneRow], settings: FinetuneSettings, progress: (@Sendable (FinetuneProgress) -> Void)?
    ) async throws -> FinetunedLM

    /// This model with a stored artifact's weights applied (what `dspyc run` uses).
    ///
    /// - Throws: when the artifact is not for this model or does not decode.
    func applying(_ artifact: FinetuneArtifact) async throws -> FinetunedLM

    /// The training configuration `settings` resolves to, as stable text (for compile fingerprints).
    func trainingDescription(for settings: FinetuneSettings) -> String
}

/// A fine-tuned model: it answers with ``model`` (the trained weights applied) and carries
/// the ``artifact`` a compiled program stores, and the model it was trained from.
///
/// Its ``modelIdentifier`` is ``model``'s, which names the adapter's digest, so its cached
/// responses are never those of the base model or of another adapter.
public struct FinetunedLM: LanguageModel {
    /// The model with the trained weights.
    public let model: any LanguageModel
    public let artifact: FinetuneArtifact
    /// The model it was trained from (training again starts from it, not from this one).
    public let source: any LanguageModel

    public init(model: any LanguageModel, artifact: FinetuneArtifact, source: any LanguageModel) {
        self.model = model
        self.artifact = artifact
        self.source = source
    }

    public var modelIdentifier: String { model.modelIdentifier }
    public var defaultParameters: SamplingParameters { model.defaultParameters }

    public func complete(_ request: LMRequest) async throws -> LMResponse { try await model.complete(request) }

    public func stream(_ request: LMRequest, onText: @escaping @Sendable (String) -> Void) async throws -> LMResponse {
        try await model.stream(request, onText: onText)
    }

    /// This fine-tuned model answering through `cache` (its own identifier keys the entries).
    public func cached(_ cache: any LMCache) -> FinetunedLM {
        FinetunedLM(model: CachedLanguageModel(model, cache: cache), artifact: artifact, source: source)
    }

    /// The trainer behind `lm` (seen through a cache or an earlier fine-tuning) and the cache
    /// its answers went through, or `nil` when `lm` cannot be fine-tuned.
    public static func trainer(behind lm: any LanguageModel) -> (trainer: any FineTunableLM, cache: (any LMCache)?)? {
        if let tuned = lm as? FinetunedLM { return trainer(behind: tuned.source) }
        if let cached = lm as? CachedLanguageModel {
            guard let inner = trainer(behind: cached.base) else { return nil }
            return (inner.trainer, cached.cache)
        }
        if let trainer = lm as? any FineTunableLM { return (trainer, nil) }
        return nil
    }

    /// The fine-tuned predictors of `program` and their artifacts, by predictor path.
    public static func artifacts(of program: any Module) -> [(predictor: String, artifact: FinetuneArtifact)] {
        program.namedPredictors().compactMap { name, predictor in
            (predictor.lm as? FinetunedLM).map { (name, $0.artifact) }
        }
    }
}
