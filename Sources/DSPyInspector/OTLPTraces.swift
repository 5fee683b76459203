import DSPyStore
import Foundation

/// Logged calls as OTLP/JSON traces (`TracesData`): what an OpenTelemetry collector's
/// OTLP/HTTP JSON endpoint or `otlpjsonfile` receiver accepts.
///
/// One resource (`service.name` = `dspyc`) with one scope (`dspyc`), and per run a trace
/// whose spans nest run → example → module → call:
/// - the **run** span (`compile sentiment`), from the run's start to its end;
/// - an **example** span per trace id (one program invocation), covering its calls;
/// - a **module** span per predictor path within the example;
/// - a **call** span per LM call (`chat <model>`, kind `INTERNAL`, as the GenAI
///   conventions allow for in-process models) carrying ``OTelExport``'s `gen_ai.*` and
///   `dspyc.*` attributes; structured values (messages, sampling) are JSON strings.
///
/// Ids are hex (32 digits for traces, 16 for spans) derived from run, trace id, module
/// path and call id, so exporting the same log twice gives the same ids. Times are Unix
/// nanoseconds as decimal strings and enums are numbers, as the OTLP JSON mapping requires.
/// Calls without a run form a trace per example, rooted at the example span.
public enum OTLPTraces {
    /// The OTLP span kind `SPAN_KIND_INTERNAL`.
    static let internalKind = 1

    /// One `TracesData` document for `calls` (runs looked up for their names and times).
    public static func document(
        _ calls: [LoggedCall], runs: [String: RunRecord], includeContent: Bool = true
    ) -> StoredJSON {
        var spans: [StoredJSON] = []
        var byRun: [(key: String?, calls: [LoggedCall])] = []
        for call in calls {
            if let index = byRun.firstIndex(where: { $0.key == call.runID }) {
                byRun[index].calls.append(call)
            } else {
                byRun.append((call.runID, [call]))
            }
        }
        for (runID, runCalls) in byRun {
            spans += self.spans(run: runID.flatMap { runs[$0] }, runID: runID, calls: runCalls, includeContent: includeContent)
        }
        let resource: StoredJSON = ["attributes": .array([keyValue("service.name", "dspyc")])]
        let scope: StoredJSON = ["name": "dspyc"]
        return ["resourceSpans": .array(spans.isEmpty ? [] : [
            ["resource": resource, "scopeSpans": .array([["scope": scope, "spans": .array(spans)]])],
        ])]
    }

    /// The spans of one run's calls (or of calls with no run when `runID` is `nil`).
    static func spans(run: RunRecord?, runID: String?, calls: [LoggedCall], includeContent: Bool) -> [StoredJSON] {
        var out: [StoredJSON] = []
        let runSpanID = runID.map { hex("span:run:\($0)", 16) }
        var examples: [(key: String?, calls: [LoggedCall])] = []
        for call in calls {
            if let index = examples.firstIndex(where: { $0.key == call.traceID }) {
                examples[index].calls.append(call)
            } else {
                examples.append((call.traceID, [call]))
            }
        }
        if let runID, let runSpanID {
            let start = run?.startedAt ?? calls.map(\.timestamp).min() ?? Date()
            let end = run?.finishedAt ?? calls.map { $0.timestamp.addingTimeInterval($0.latency) }.max() ?? start
            var attributes = [keyValue("dspyc.run.id", .string(runID))]
            if let run {
                attributes.append(keyValue("dspyc.run.kind", .string(run.kind.rawValue)))
                attributes.append(keyValue("dspyc.run.status", .string(run.status.rawValue)))
                if let program = run.program { attributes.append(keyValue("dspyc.program", .string(program))) }
            }
            let name = [run?.kind.rawValue ?? "run", run?.program].compactMap { $0 }.joined(separator: " ")
            out.append(span(trace: hex("run:\(runID)", 32), id: runSpanID, parent: nil, name: name,
                            start: start, end: end, attributes: attributes, status: run?.status == .failed ? 2 : 0))
        }
        for (traceID, exampleCalls) in examples {
            let traceHex = runID.map { hex("run:\($0)", 32) } ?? hex("trace:\(traceID ?? "call:\(exampleCalls[0].id ?? 0)")", 32)
            let exampleID = hex("span:example:\(runID ?? ""):\(traceID ?? "")", 16)
            let (start, end) = extent(exampleCalls)
            var attributes: [StoredJSON] = []
            if let traceID { attributes.append(keyValue("dspyc.trace.id", .string(traceID))) }
            if let phase = exampleCalls[0].phase { attributes.append(keyValue("dspyc.phase", .string(phase))) }
            if let candidate = exampleCalls[0].candidate { attributes.append(keyValue("dspyc.candidate", .string(candidate))) }
            out.append(span(trace: traceHex, id: exampleID, parent: runSpanID, name: "example",
                            start: start, end: end, attributes: attributes, status: 0))
            var paths: [String] = []
            for call in exampleCalls where !paths.contains(call.modulePath) { paths.append(call.modulePath) }
            for path in paths {
                let moduleCalls = exampleCalls.filter { $0.modulePath == path }
                let moduleID = hex("span:module:\(runID ?? ""):\(traceID ?? ""):\(path)", 16)
                let (start, end) = extent(moduleCalls)
                out.append(span(trace: traceHex, id: moduleID, parent: exampleID, name: "module \(path)",
                                start: start, end: end, attributes: [keyValue("dspyc.module.path", .string(path))], status: 0))
                for call in moduleCalls {
                    out.append(callSpan(call, trace: traceHex, parent: moduleID, includeContent: includeContent))
                }
            }
        }
        return out
    }

    /// One call's span, with the attributes of ``OTelExport``.
    static func callSpan(_ call: LoggedCall, trace: String, parent: String, includeContent: Bool) -> StoredJSON {
        let flat = OTelExport.span(for: call, includeContent: includeContent)
        guard case .object(let fields) = flat, case .object(let attributes)? = fields["attributes"] else { return .null }
        var list = attributes.keys.sorted().compactMap { key in attributes[key].map { keyValue(key, $0) } }
        if let phase = call.phase { list.append(keyValue("dspyc.phase", .string(phase))) }
        if let candidate = call.candidate { list.append(keyValue("dspyc.candidate", .string(candidate))) }
        let status = call.error != nil ? 2 : (call.completion != nil ? 1 : 0)
        var result = span(
            trace: trace, id: spanID(call), parent: parent, name: "chat \(call.model)", start: call.timestamp,
            end: call.timestamp.addingTimeInterval(call.latency), attributes: list, status: status)
        if let error = call.error, case .object(var object) = result {
            object["status"] = ["code": .int(2), "message": .string(error)]
            result = .object(object)
        }
        return result
    }

    static func span(
        trace: String, id: String, parent: String?, name: String, start: Date, end: Date, attributes: [StoredJSON],
        status: Int
    ) -> StoredJSON {
        var object: [String: StoredJSON] = [
            "traceId": .string(trace), "spanId": .string(id), "name": .string(name), "kind": .int(internalKind),
            "startTimeUnixNano": .string(nanos(start)), "endTimeUnixNano": .string(nanos(max(start, end))),
            "attributes": .array(attributes), "status": ["code": .int(status)],
        ]
        if let parent { object["parentSpanId"] = .string(parent) }
        return .object(object)
    }

    /// An OTLP `KeyValue`: scalars as typed values, arrays of scalars as `arrayValue`,
    /// anything structured as its JSON text.
    static func keyValue(_ key: String, _ value: StoredJSON) -> StoredJSON {
        ["key": .string(key), "value": anyValue(value, nested: false)]
    }

    static func anyValue(_ value: StoredJSON, nested: Bool) -> StoredJSON {
        switch value {
        case .null: return ["stringValue": ""]
        case .bool(let b): return ["boolValue": .bool(b)]
        case .int(let i): return ["intValue": .string(String(i))]
        case .double(let d): return d.isFinite ? ["doubleValue": .double(d)] : ["stringValue": .string(String(d))]
        case .string(let s): return ["stringValue": .string(s)]
        case .array(let items) where !nested && items.allSatisfy({ isScalar($0) }):
            return ["arrayValue": ["values": .array(items.map { anyValue($0, nested: true) })]]
        case .array, .object: return ["stringValue": .string(value.jsonText)]
        }
    }

    static func isScalar(_ value: StoredJSON) -> Bool {
        switch value {
        case .array, .object, .null: return false
        default: return true
        }
    }

    static func spanID(_ call: LoggedCall) -> String {
        hex("span:\(call.id ?? 0):\(call.timestamp.timeIntervalSince1970)", 16)
    }

    static func extent(_ calls: [LoggedCall]) -> (Date, Date) {
        let start = calls.map(\.timestamp).min() ?? Date(timeIntervalSince1970: 0)
        let end = calls.map { $0.timestamp.addingTimeInterval($0.latency) }.max() ?? start
        return (start, end)
    }

    /// `digits` hex digits of SHA-256(`seed`) (never all zeros, which OTLP forbids, in practice).
    static func hex(_ seed: String, _ digits: Int) -> String {
        String(Store.cacheKey(canonicalRequest: seed).prefix(digits))
    }

    /// Unix nanoseconds as a decimal string.
    static func nanos(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        let fraction = Int64(((seconds - whole) * 1e9).rounded())
        return String(Int64(whole) * 1_000_000_000 + fraction)
    }
}
