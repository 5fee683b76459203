import DSPyStore
import Foundation

/// Exports logged calls as OTLP/JSON traces (``OTLPTraces``) whose call spans carry
/// attributes named with the OpenTelemetry GenAI semantic conventions (`gen_ai.*`).
///
/// ``export(_:format:includeContent:)`` and ``Writer`` write `TracesData` documents:
/// `json` is one document; `jsonl` one document per run, a line each (the shape of the
/// collector's `otlpjsonfile` receiver). ``spans(_:includeContent:)`` gives the flat,
/// one-object-per-call view the attributes are computed in: an object `{name, kind, trace_id, span_id, start_time,
/// end_time, status, attributes}`. `name` is `"chat <model>"`, `kind` is
/// `INTERNAL` (the conventions allow it for models running in the same
/// process); `trace_id` (32 hex) is derived from the call's trace id or run id,
/// `span_id` (16 hex) from the call id. Attributes use the conventions' names —
/// `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
/// `gen_ai.request.temperature`/`top_p`/`top_k`/`max_tokens`/`seed`/`stop_sequences`/…,
/// `gen_ai.usage.input_tokens`/`output_tokens`/`cache_read.input_tokens`,
/// `gen_ai.response.finish_reasons`, and, when content is included,
/// `gen_ai.input.messages`/`gen_ai.output.messages` in the conventions' message
/// shape (`{role, parts: [{type: "text", content}]}`) — and dspyc's own facts
/// under `dspyc.*` (run, program, module path, adapter, cache hit, parsed
/// fields, parse error, constraint, latency, throughput, the full sampling parameters).
public enum OTelExport {
    /// `json` is one `TracesData` document; `jsonl` one `TracesData` per run, a line each.
    public enum Format: String, Sendable, CaseIterable {
        case json
        case jsonl
    }

    /// The spans for `calls`.
    ///
    /// - Parameter includeContent: Whether to include messages, completion and parsed
    ///   fields (the conventions make content opt-in; for dspyc it is the point, so
    ///   the default is on).
    public static func spans(_ calls: [LoggedCall], includeContent: Bool = true) -> [StoredJSON] {
        calls.map { span(for: $0, includeContent: includeContent) }
    }

    /// The exported text (runs are known by id only; ``Writer`` can look them up).
    public static func export(_ calls: [LoggedCall], format: Format, includeContent: Bool = true) -> String {
        var out = ""
        var writer = Writer(format: format, includeContent: includeContent) { out += $0 }
        for call in calls { writer.write(call) }
        writer.finish()
        return out
    }

    /// Collects calls one at a time and writes the traces when finished.
    ///
    /// Spans nest run → example → module → call, and an example's span covers all its
    /// calls, so the calls are held until ``finish()`` (memory grows with the export;
    /// filter by run or time for very large logs). With `jsonl` a document is written per
    /// run, in the order runs first appear.
    ///
    /// ```swift
    /// var writer = OTelExport.Writer(format: .jsonl, runs: { try? store.run(id: $0) }) { print($0, terminator: "") }
    /// try store.forEachCall(query) { writer.write($0) }
    /// writer.finish()
    /// ```
    public struct Writer {
        private let format: Format
        private let includeContent: Bool
        private let runs: (String) -> RunRecord?
        private let output: (String) -> Void
        private var calls: [LoggedCall] = []

        public init(
            format: Format, includeContent: Bool = true, runs: @escaping (String) -> RunRecord? = { _ in nil },
            output: @escaping (String) -> Void
        ) {
            self.format = format
            self.includeContent = includeContent
            self.runs = runs
            self.output = output
        }

        /// Adds one call.
        public mutating func write(_ call: LoggedCall) { calls.append(call) }

        /// Writes the traces of every call added.
        public mutating func finish() {
            var records: [String: RunRecord] = [:]
            var order: [String?] = []
            for call in calls where !order.contains(call.runID) {
                order.append(call.runID)
                if let id = call.runID, let run = runs(id) { records[id] = run }
            }
            switch format {
            case .json:
                output(OTLPTraces.document(calls, runs: records, includeContent: includeContent).jsonText + "\n")
            case .jsonl:
                for runID in order {
                    let part = calls.filter { $0.runID == runID }
                    output(OTLPTraces.document(part, runs: records, includeContent: includeContent).jsonText + "\n")
                }
            }
            calls = []
        }
    }

    /// Sampling-parameter names (and common aliases) → `gen_ai.request.*` names.
    static let requestAttributes: [(keys: [String], attribute: String)] = [
        (["temperature"], "gen_ai.request.temperature"),
        (["top_p", "topP"], "gen_ai.request.top_p"),
        (["top_k", "topK"], "gen_ai.request.top_k"),
        (["max_tokens", "maxTokens", "max_new_tokens", "max_completion_tokens"], "gen_ai.request.max_tokens"),
        (["seed"], "gen_ai.request.seed"),
        (["frequency_penalty", "frequencyPenalty"], "gen_ai.request.frequency_penalty"),
        (["presence_penalty", "presencePenalty"], "gen_ai.request.presence_penalty"),
        (["n", "num_generations"], "gen_ai.request.choice.count"),
        (["stream"], "gen_ai.request.stream"),
    ]

    static func span(for call: LoggedCall, includeContent: Bool) -> StoredJSON {
        var attributes: [String: StoredJSON] = [
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "dspyc",
            "gen_ai.request.model": .string(call.model),
            "gen_ai.response.model": .string(call.model),
            "gen_ai.output.type": (call.adapter?.lowercased().contains("json") ?? false) ? "json" : "text",
            "gen_ai.usage.input_tokens": .int(call.promptTokens),
            "gen_ai.usage.output_tokens": .int(call.completionTokens),
            "gen_ai.usage.cache_read.input_tokens": .int(call.cachedPromptTokens),
            "dspyc.module.path": .string(call.modulePath),
            "dspyc.cache_hit": .bool(call.cacheHit),
            "dspyc.latency_s": .double(call.latency),
            "dspyc.sampling": .object(call.sampling),
        ]
        for (keys, attribute) in requestAttributes {
            if let value = keys.lazy.compactMap({ call.sampling[$0] }).first { attributes[attribute] = value }
        }
        if let stop = call.sampling["stop"] ?? call.sampling["stop_sequences"] {
            switch stop {
            case .string: attributes["gen_ai.request.stop_sequences"] = .array([stop])
            case .array: attributes["gen_ai.request.stop_sequences"] = stop
            default: break
            }
        }
        if let reason = call.finishReason { attributes["gen_ai.response.finish_reasons"] = [.string(reason)] }
        if let id = call.id { attributes["dspyc.call.id"] = .int(Int(id)) }
        if let runID = call.runID { attributes["dspyc.run.id"] = .string(runID) }
        if let kind = call.runKind { attributes["dspyc.run.kind"] = .string(kind.rawValue) }
        if let program = call.program { attributes["dspyc.program"] = .string(program) }
        if let adapter = call.adapter { attributes["dspyc.adapter"] = .string(adapter) }
        if call.adapterFallback { attributes["dspyc.adapter_fallback"] = true }
        if let key = call.cacheKey { attributes["dspyc.cache_key"] = .string(key) }
        if let trace = call.traceID { attributes["dspyc.trace.id"] = .string(trace) }
        if let constraint = call.constraint { attributes["dspyc.constraint"] = .string(constraint) }
        if let rate = call.tokensPerSecond { attributes["dspyc.tokens_per_second"] = .double(rate) }
        if let parseError = call.parseError { attributes["dspyc.parse_error"] = .string(parseError) }
        if call.error != nil { attributes["error.type"] = "dspyc.lm_error" }
        if includeContent {
            attributes["gen_ai.input.messages"] = .array(
                call.messages.map { message in
                    ["role": .string(message.role), "parts": [["type": "text", "content": .string(message.content)]]]
                })
            if let completion = call.completion {
                attributes["gen_ai.output.messages"] = .array(
                    ([completion] + call.otherCompletions).map { text in
                        [
                            "role": "assistant",
                            "parts": [["type": "text", "content": .string(text)]],
                            "finish_reason": .string(call.finishReason ?? "stop"),
                        ]
                    })
            }
            if let fields = call.parsedFields { attributes["dspyc.parsed_fields"] = .object(fields) }
        }

        var status: [String: StoredJSON] = ["code": "UNSET"]
        if let error = call.error {
            status = ["code": "ERROR", "message": .string(error)]
        } else if call.completion != nil {
            status = ["code": "OK"]
        }
        let traceSeed = call.traceID.map { "trace:\($0)" } ?? call.runID.map { "run:\($0)" } ?? "call:\(call.id ?? 0)"
        return [
            "name": .string("chat \(call.model)"),
            "kind": "INTERNAL",
            "trace_id": .string(String(Store.cacheKey(canonicalRequest: traceSeed).prefix(32))),
            "span_id": .string(String(Store.cacheKey(canonicalRequest: "span:\(call.id ?? 0):\(call.timestamp.timeIntervalSince1970)").prefix(16))),
            "start_time": .string(iso8601(call.timestamp)),
            "end_time": .string(iso8601(call.timestamp.addingTimeInterval(call.latency))),
            "status": .object(status),
            "attributes": .object(attributes),
        ]
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-22T07:25:27.139Z`.
    static func iso8601(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
