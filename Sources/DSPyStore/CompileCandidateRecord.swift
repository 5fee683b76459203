import Foundation
import GRDB

/// One candidate program an optimizer considered during a compile run, as stored with the run.
///
/// Written once when the compile finishes (``Store/saveCandidates(_:runID:)``); read by
/// `dspyc inspect candidates` and the web inspector's run page. ``program`` is the
/// candidate's DSPy-shaped state (demos, instructions and calibration offsets per
/// predictor), ``scores`` every score measured for it and on which split.
public struct CompileCandidateRecord: Sendable, Equatable, Codable {
    /// One measured score.
    public struct Score: Sendable, Equatable, Codable {
        /// The split it was measured on (`train`, `val`, `dev`, `minibatch`, `held-out train`).
        public var split: String
        /// The score (a percentage).
        public var score: Double
        /// Examples scored.
        public var examples: Int

        public init(split: String, score: Double, examples: Int) {
            self.split = split
            self.score = score
            self.examples = examples
        }
    }

    /// The run the candidate belongs to.
    public var runID: String
    /// Its position among the run's candidates (0-based, in the order the optimizer recorded them).
    public var seq: Int
    /// The optimizer's id for it; the request log's ``LoggedCall/candidate`` uses the same ids.
    public var candidate: String
    /// The search round, if the optimizer works in rounds.
    public var round: Int?
    /// A short description.
    public var label: String
    /// The program state (DSPy's JSON state shape: predictor path → predictor state).
    public var program: [String: StoredJSON]
    /// The scores measured, in order.
    public var scores: [Score]
    /// Whether it is the program the compile returned.
    public var chosen: Bool
    /// Why it was chosen or set aside, if the optimizer said.
    public var decision: String?

    public init(
        runID: String, seq: Int, candidate: String, round: Int? = nil, label: String, program: [String: StoredJSON] = [:],
        scores: [Score] = [], chosen: Bool = false, decision: String? = nil
    ) {
        self.runID = runID
        self.seq = seq
        self.candidate = candidate
        self.round = round
        self.label = label
        self.program = program
        self.scores = scores
        self.chosen = chosen
        self.decision = decision
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case runID = "run_id"
        case seq, candidate, round, label, program, scores, chosen, decision
    }

    /// The last score measured on `split`, if any.
    public func score(on split: String) -> Double? {
        scores.last { $0.split == split }?.score
    }

    /// Each predictor's state in ``program``, by path. A program that is one predictor is
    /// stored as that predictor's state (`demos`, `signature` at the top, as DSPy saves a
    /// bare `Predict`); its path is `self`.
    public var predictorStates: [(path: String, state: [String: StoredJSON])] {
        if program["signature"] != nil || program["demos"] != nil { return [("self", program)] }
        return program.keys.sorted().compactMap { path in
            guard case .object(let state)? = program[path] else { return nil }
            return (path, state)
        }
    }

    /// The predictors' demo counts, instructions and choice offsets, read from ``program``:
    /// `(path, demos, instruction, offsets)` per predictor, by path.
    public var predictors: [(path: String, demos: Int, instruction: String, offsets: [String: Double])] {
        predictorStates.map { path, state in
            var demos = 0
            if case .array(let list)? = state["demos"] { demos = list.count }
            var instruction = ""
            var offsets: [String: Double] = [:]
            if case .object(let signature)? = state["signature"] {
                if case .string(let text)? = signature["instructions"] { instruction = text }
                if case .array(let fields)? = signature["fields"] {
                    for case .object(let field) in fields {
                        guard case .object(let table)? = field["choice_offsets"] else { continue }
                        for (label, value) in table { offsets[label] = value.doubleValue }
                    }
                }
            }
            return (path, demos, instruction, offsets)
        }
    }
}

extension CompileCandidateRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "compile_candidate"

    public static func databaseJSONEncoder(for column: String) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }
}
