import Foundation
import GRDB

/// What a run was started for. Extensible: any string is a kind; the common
/// ones have names.
public struct RunKind: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public var description: String { rawValue }

    /// `dspyc compile`: an optimizer run.
    public static let compile: RunKind = "compile"
    /// `dspyc eval`: scoring a program on a dataset.
    public static let eval: RunKind = "eval"
    /// `dspyc run`: one or a few invocations.
    public static let run: RunKind = "run"
    /// `dspyc bench` and other measurements.
    public static let bench: RunKind = "bench"
}

/// Where a run stands.
public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Started and not finished (or killed before it could finish).
    case running
    /// Finished normally.
    case succeeded
    /// Finished with an error.
    case failed
    /// Stopped by the user.
    case cancelled
}

/// One dspyc invocation that makes LM calls (a compile, an eval, a run).
///
/// Calls in the request log point to their run by ``id``; ``summary`` holds
/// whatever the command wants to keep (scores, settings) as JSON.
public struct RunRecord: Sendable, Equatable, Codable {
    /// A unique id (a lowercase UUID unless the caller chose one).
    public var id: String
    /// What the run was for.
    public var kind: RunKind
    /// The program's name, if any.
    public var program: String?
    /// When the run started.
    public var startedAt: Date
    /// When it finished, if it did.
    public var finishedAt: Date?
    /// Where it stands.
    public var status: RunStatus
    /// A JSON summary written when the run finishes.
    public var summary: [String: StoredJSON]?

    public init(
        id: String = UUID().uuidString.lowercased(),
        kind: RunKind,
        program: String? = nil,
        startedAt: Date = Date(),
        finishedAt: Date? = nil,
        status: RunStatus = .running,
        summary: [String: StoredJSON]? = nil
    ) {
        self.id = id
        self.kind = kind
        self.program = program
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, kind, program
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case status, summary
    }
}

extension RunRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run"
}

extension RunKind: DatabaseValueConvertible {}
extension RunStatus: DatabaseValueConvertible {}

/// Totals of the request log for one run, for `dspyc inspect runs`.
public struct RunStatistics: Sendable, Equatable {
    /// The run.
    public var run: RunRecord
    /// LM calls logged, cache hits included.
    public var calls: Int
    /// Calls answered from the LM-call cache.
    public var cacheHits: Int
    /// Calls whose output did not parse.
    public var parseErrors: Int
    /// Calls that failed.
    public var errors: Int
    /// Prompt tokens over all calls that were not cache hits.
    public var promptTokens: Int
    /// Generated tokens over all calls that were not cache hits.
    public var completionTokens: Int
    /// Prompt tokens served from the engine's prefix cache.
    public var cachedPromptTokens: Int
    /// Sum of the calls' latencies, in seconds.
    public var callTime: TimeInterval

    public init(
        run: RunRecord, calls: Int = 0, cacheHits: Int = 0, parseErrors: Int = 0, errors: Int = 0,
        promptTokens: Int = 0, completionTokens: Int = 0, cachedPromptTokens: Int = 0,
        callTime: TimeInterval = 0
    ) {
        self.run = run
        self.calls = calls
        self.cacheHits = cacheHits
        self.parseErrors = parseErrors
        self.errors = errors
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
        self.callTime = callTime
    }

    /// Wall time from start to finish, if the run finished.
    public var wallTime: TimeInterval? {
        run.finishedAt.map { $0.timeIntervalSince(run.startedAt) }
    }
}
