import Foundation

extension CompileCandidateRecord {
    /// A fine-tuned predictor's adapter, as the candidate's recorded state names it: the
    /// predictor's `lm` entry `{"model": …, "adapter": {"digest": …, "rank": …, …}}`
    /// (what `finetune` and `better-together` record).
    public struct Adapter: Sendable, Equatable, Codable {
        /// The SHA-256 of the adapter's bytes.
        public var digest: String
        /// The model it was trained on.
        public var baseModel: String?
        public var rank: Int?
        public var alpha: Double?
        /// Rows trained on, optimizer steps, tokens seen (all epochs), the last step's loss.
        public var rows: Int?
        public var steps: Int?
        public var tokens: Int?
        public var finalLoss: Double?

        public init(
            digest: String, baseModel: String? = nil, rank: Int? = nil, alpha: Double? = nil, rows: Int? = nil,
            steps: Int? = nil, tokens: Int? = nil, finalLoss: Double? = nil
        ) {
            self.digest = digest
            self.baseModel = baseModel
            self.rank = rank
            self.alpha = alpha
            self.rows = rows
            self.steps = steps
            self.tokens = tokens
            self.finalLoss = finalLoss
        }

        /// Reads a predictor's `lm` entry; `nil` when it names no adapter.
        init?(lm: StoredJSON?) {
            guard case .object(let entry)? = lm, case .object(let adapter)? = entry["adapter"],
                  let digest = adapter["digest"]?.stringValue else { return nil }
            func int(_ key: String) -> Int? { adapter[key]?.doubleValue.map { Int($0) } }
            self.init(
                digest: digest, baseModel: entry["model"]?.stringValue, rank: int("rank"),
                alpha: adapter["alpha"]?.doubleValue, rows: int("rows"), steps: int("steps"), tokens: int("tokens"),
                finalLoss: adapter["final_loss"]?.doubleValue)
        }
    }

    /// The adapters of the candidate's fine-tuned predictors, by predictor path (empty for a
    /// candidate that was not fine-tuned).
    public var adapters: [(path: String, adapter: Adapter)] {
        predictorStates.compactMap { path, state in Adapter(lm: state["lm"]).map { (path, $0) } }
    }
}
