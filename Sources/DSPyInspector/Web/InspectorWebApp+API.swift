import DSPyStore
import Foundation

// The JSON twins of the pages, under /api/. Field names are snake_case like the
// store's columns; dates are ISO 8601; a call is the store's `LoggedCall` as it is.

extension InspectorWebApp {
    /// A run with its request-log totals (`/api/runs`, and the head of `/api/runs/{id}`).
    struct APIRun: Encodable {
        var id: String
        var kind: String
        var program: String?
        var status: String
        var startedAt: Date
        var finishedAt: Date?
        var wallTime: TimeInterval?
        var summary: [String: StoredJSON]?
        var totals: Totals

        init(_ run: RunRecord, totals: Totals) {
            id = run.id
            kind = run.kind.rawValue
            program = run.program
            status = run.status.rawValue
            startedAt = run.startedAt
            finishedAt = run.finishedAt
            wallTime = run.finishedAt.map { $0.timeIntervalSince(run.startedAt) }
            summary = run.summary
            self.totals = totals
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, program, status, summary, totals
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case wallTime = "wall_time"
        }
    }

    /// One call without its texts (messages, completion), for lists.
    struct APICallSummary: Encodable {
        var id: Int64?
        var runID: String?
        var traceID: String?
        var program: String?
        var modulePath: String
        var adapter: String?
        var model: String
        var timestamp: Date
        var promptTokens: Int
        var completionTokens: Int
        var cachedPromptTokens: Int
        var latency: TimeInterval
        var cacheHit: Bool
        var parsedFields: [String: StoredJSON]?
        var parseError: String?
        var error: String?
        var finishReason: String?

        init(_ call: LoggedCall) {
            id = call.id
            runID = call.runID
            traceID = call.traceID
            program = call.program
            modulePath = call.modulePath
            adapter = call.adapter
            model = call.model
            timestamp = call.timestamp
            promptTokens = call.promptTokens
            completionTokens = call.completionTokens
            cachedPromptTokens = call.cachedPromptTokens
            latency = call.latency
            cacheHit = call.cacheHit
            parsedFields = call.parsedFields
            parseError = call.parseError
            error = call.error
            finishReason = call.finishReason
        }

        enum CodingKeys: String, CodingKey {
            case id, program, adapter, model, timestamp, latency, error
            case runID = "run_id"
            case traceID = "trace_id"
            case modulePath = "module_path"
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case cachedPromptTokens = "cached_prompt_tokens"
            case cacheHit = "cache_hit"
            case parsedFields = "parsed_fields"
            case parseError = "parse_error"
            case finishReason = "finish_reason"
        }
    }

    /// `/api/runs/{id}`: the run and its trace tree.
    struct APIRunTree: Encodable {
        struct Module: Encodable {
            var modulePath: String
            var calls: [APICallSummary]
            enum CodingKeys: String, CodingKey {
                case modulePath = "module_path"
                case calls
            }
        }

        struct Example: Encodable {
            var traceID: String?
            var totals: Totals
            var modules: [Module]
            enum CodingKeys: String, CodingKey {
                case traceID = "trace_id"
                case totals, modules
            }
        }

        var run: APIRun
        var examples: [Example]
    }

    /// `/api/search`: the matching calls, newest first.
    struct APISearch: Encodable {
        var query: String
        var runID: String?
        var total: Int
        var calls: [APICallSummary]
        enum CodingKeys: String, CodingKey {
            case query, total, calls
            case runID = "run_id"
        }
    }

    func runsJSON() throws -> [APIRun] {
        try store.runStatistics(limit: options.runLimit).map { APIRun($0.run, totals: Totals($0)) }
    }

    func runJSON(_ run: RunRecord, problemsOnly: Bool = false) throws -> APIRunTree {
        let tree = TraceTree(calls: try store.calls(CallQuery(runID: run.id)))
        return APIRunTree(
            run: APIRun(run, totals: tree.totals),
            examples: tree.examples(problemsOnly: problemsOnly).map { example in
                APIRunTree.Example(
                    traceID: example.traceID, totals: example.totals,
                    modules: example.modules.map { module in
                        APIRunTree.Module(modulePath: module.path, calls: module.calls.map(APICallSummary.init))
                    })
            })
    }

    func searchJSON(_ query: String, run: RunRecord?) throws -> APISearch {
        let results = try searchResults(query, run: run)
        return APISearch(query: query, runID: run?.id, total: results.total, calls: results.calls.map(APICallSummary.init))
    }
}
