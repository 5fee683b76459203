import DSPyStore
import Foundation

extension InspectorWebApp {
    /// Request-log totals over some calls (a run, or one example of it).
    ///
    /// Token counts leave cache hits out, as ``RunStatistics`` does: a hit
    /// costs no tokens, it only reports what the original call used.
    struct Totals: Sendable, Equatable, Encodable {
        var calls = 0
        var cacheHits = 0
        var parseErrors = 0
        var errors = 0
        var promptTokens = 0
        var completionTokens = 0
        var cachedPromptTokens = 0
        var callTime: TimeInterval = 0

        init() {}

        init<Calls: Sequence>(_ calls: Calls) where Calls.Element == LoggedCall {
            for call in calls { add(call) }
        }

        mutating func add(_ call: LoggedCall) {
            calls += 1
            callTime += call.latency
            if call.parseError != nil { parseErrors += 1 }
            if call.error != nil { errors += 1 }
            if call.cacheHit {
                cacheHits += 1
            } else {
                promptTokens += call.promptTokens
                completionTokens += call.completionTokens
                cachedPromptTokens += call.cachedPromptTokens
            }
        }

        init(_ statistics: RunStatistics) {
            calls = statistics.calls
            cacheHits = statistics.cacheHits
            parseErrors = statistics.parseErrors
            errors = statistics.errors
            promptTokens = statistics.promptTokens
            completionTokens = statistics.completionTokens
            cachedPromptTokens = statistics.cachedPromptTokens
            callTime = statistics.callTime
        }

        enum CodingKeys: String, CodingKey {
            case calls
            case cacheHits = "cache_hits"
            case parseErrors = "parse_errors"
            case errors
            case promptTokens = "prompt_tokens"
            case completionTokens = "completion_tokens"
            case cachedPromptTokens = "cached_prompt_tokens"
            case callTime = "call_time"
        }
    }

    /// A run's calls as a tree: one node per example (trace id), then one per
    /// module path, then the calls, each level in the order it first appears.
    ///
    /// Calls without a trace id are gathered in one example whose ``Example/traceID`` is `nil`.
    struct TraceTree: Sendable {
        struct Module: Sendable {
            var path: String
            var calls: [LoggedCall]
        }

        struct Example: Sendable {
            var traceID: String?
            var modules: [Module]
            var totals: Totals

            var calls: [LoggedCall] { modules.flatMap(\.calls) }

            /// The compile phase of the example's first call, if any.
            var phase: String? { modules.first?.calls.first?.phase }

            /// Whether a call of this example failed or did not parse.
            var hasProblems: Bool { totals.parseErrors > 0 || totals.errors > 0 }
        }

        /// All examples, or only those with problems.
        func examples(problemsOnly: Bool) -> [Example] {
            problemsOnly ? examples.filter(\.hasProblems) : examples
        }

        var examples: [Example]
        var totals: Totals

        init(calls: [LoggedCall]) {
            var order: [String?] = []
            var grouped: [String?: [LoggedCall]] = [:]
            for call in calls {
                if grouped[call.traceID] == nil { order.append(call.traceID) }
                grouped[call.traceID, default: []].append(call)
            }
            examples = order.map { traceID in
                let calls = grouped[traceID] ?? []
                var paths: [String] = []
                var byPath: [String: [LoggedCall]] = [:]
                for call in calls {
                    if byPath[call.modulePath] == nil { paths.append(call.modulePath) }
                    byPath[call.modulePath, default: []].append(call)
                }
                return Example(
                    traceID: traceID,
                    modules: paths.map { Module(path: $0, calls: byPath[$0] ?? []) },
                    totals: Totals(calls))
            }
            totals = Totals(calls)
        }
    }
}
