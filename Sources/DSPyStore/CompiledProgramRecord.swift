import Foundation
import GRDB

/// A compiled program: DSPy-shaped JSON state under the fingerprint of
/// everything that produced it.
///
/// The fingerprint (computed by the framework over program structure and
/// signatures, optimizer and settings, trainset, metric and model) is the key:
/// an identical compile finds its result with ``Store/compiledProgram(fingerprint:)``.
/// ``Store/latestCompiledProgram(named:)`` finds what `dspyc run NAME` should use.
public struct CompiledProgramRecord: Sendable, Equatable, Codable {
    /// The fingerprint that keys this state.
    public var fingerprint: String
    /// The program's name.
    public var program: String
    /// The DSPy-shaped JSON state (what `module.save(path, save_program=False)` writes).
    public var state: String
    /// Scores by name (`baseline`, `compiled`, …).
    public var scores: [String: Double]
    /// Anything else worth keeping (optimizer name and settings, model), as JSON.
    public var metadata: [String: StoredJSON]
    /// The run that produced it.
    public var runID: String?
    /// When it was (last) saved.
    public var savedAt: Date

    public init(
        fingerprint: String,
        program: String,
        state: String,
        scores: [String: Double] = [:],
        metadata: [String: StoredJSON] = [:],
        runID: String? = nil,
        savedAt: Date = Date()
    ) {
        self.fingerprint = fingerprint
        self.program = program
        self.state = state
        self.scores = scores
        self.metadata = metadata
        self.runID = runID
        self.savedAt = savedAt
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case fingerprint, program, state, scores, metadata
        case runID = "run_id"
        case savedAt = "saved_at"
    }
}

extension CompiledProgramRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "compiled_program"
}

/// One response in the LM-call cache.
///
/// The store keys by ``key`` only; it never looks inside ``response``, which is
/// whatever the framework serialised (normally JSON of the completion, log-probs
/// and usage). Never put credentials in it.
public struct CacheEntry: Sendable, Equatable, Codable {
    /// The SHA-256 hex digest of the canonical request (64 lowercase hex characters).
    public var key: String
    /// The model that produced the response, for `dspyc cache` listings.
    public var model: String?
    /// The serialised response.
    public var response: String
    /// When it was stored.
    public var createdAt: Date

    public init(key: String, model: String? = nil, response: String, createdAt: Date = Date()) {
        self.key = key
        self.model = model
        self.response = response
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case key, model, response
        case createdAt = "created_at"
    }

    /// Whether `key` is a lowercase 64-character hex string.
    public static func isValidKey(_ key: String) -> Bool {
        key.utf8.count == 64 && key.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

extension CacheEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "lm_cache"
}
