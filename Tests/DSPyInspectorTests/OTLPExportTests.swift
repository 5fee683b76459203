import DSPyStore
import Foundation
import Testing

@testable import DSPyInspector

/// Decodes OTLP/JSON with the official protobuf definitions (PyPI `opentelemetry-proto`),
/// run by `$DSPYC_OTEL_PYTHON` or else `python3`.
enum OTLPDecoder {
    static let installHint = """
        The OTLP decode test needs Python with PyPI's opentelemetry-proto: \
        `python3 -m pip install opentelemetry-proto`, or set DSPYC_OTEL_PYTHON to a Python that has it.
        """

    /// Hex ids become base64 (the OTLP JSON mapping's one departure from protobuf's), then
    /// every line is parsed strictly into `TracesData`; prints a JSON summary.
    static let script = #"""
        import base64, json, sys
        from google.protobuf import json_format
        from opentelemetry.proto.trace.v1.trace_pb2 import TracesData
        def ids(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                        node[k] = base64.b64encode(bytes.fromhex(v)).decode()
                    else:
                        ids(v)
            elif isinstance(node, list):
                for v in node: ids(v)
        docs = spans = calls = roots = 0
        ok = True
        tokens = 0
        for line in open(sys.argv[1]).read().splitlines():
            if not line.strip(): continue
            doc = json.loads(line); ids(doc)
            data = json_format.ParseDict(doc, TracesData())
            docs += 1
            for rs in data.resource_spans:
                for ss in rs.scope_spans:
                    known = {s.span_id for s in ss.spans}
                    for s in ss.spans:
                        spans += 1
                        ok &= len(s.trace_id) == 16 and len(s.span_id) == 8 and s.end_time_unix_nano >= s.start_time_unix_nano > 0
                        if s.parent_span_id: ok &= s.parent_span_id in known
                        else: roots += 1
                        attrs = {a.key: a.value for a in s.attributes}
                        if "gen_ai.operation.name" in attrs:
                            calls += 1
                            ok &= s.kind == 1 and attrs["gen_ai.operation.name"].string_value == "chat"
                            tokens += attrs["gen_ai.usage.input_tokens"].int_value
        print(json.dumps({"documents": docs, "spans": spans, "calls": calls, "roots": roots, "ok": ok, "input_tokens": tokens}))
        """#

    struct Summary: Decodable, Equatable {
        var documents: Int
        var spans: Int
        var calls: Int
        var roots: Int
        var ok: Bool
        var input_tokens: Int
    }

    /// The summary of `text`, or `nil` when no Python with opentelemetry-proto is found.
    static func decode(_ text: String) throws -> Summary? {
        let python = ProcessInfo.processInfo.environment["DSPYC_OTEL_PYTHON"] ?? "python3"
        guard try run(python, ["-c", "import opentelemetry.proto.trace.v1.trace_pb2"]).status == 0 else { return nil }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dspyc-otlp-\(UUID().uuidString).json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run(python, ["-c", script, file.path])
        guard result.status == 0 else { throw HeadlessChromium.Failure(description: "the decoder failed: \(result.output)") }
        return try JSONDecoder().decode(Summary.self, from: Data(result.output.utf8))
    }

    static func run(_ python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

@Suite("OTLP/JSON traces export")
struct OTLPExportTests {
    /// The spans of a `TracesData` document, by span id.
    func spans(_ document: StoredJSON) throws -> [String: [String: StoredJSON]] {
        guard case .object(let root) = document, case .array(let resources)? = root["resourceSpans"],
              case .object(let resource)? = resources.first, case .array(let scopes)? = resource["scopeSpans"],
              case .object(let scope)? = scopes.first, case .array(let list)? = scope["spans"]
        else { throw HeadlessChromium.Failure(description: "not a TracesData document: \(document.jsonText.prefix(200))") }
        var byID: [String: [String: StoredJSON]] = [:]
        for case .object(let span) in list { if let id = span["spanId"]?.stringValue { byID[id] = span } }
        #expect(byID.count == list.count, "span ids are unique")
        return byID
    }

    @Test("A run exports as one trace: run → example → module → call, with hex ids and nanosecond times")
    func structure() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let text = try Inspector(store: fixture.store).export(CallQuery(runID: fixture.run.id), format: .json)
        let byID = try spans(try StoredJSON.parse(text))
        func parent(_ span: [String: StoredJSON]) -> [String: StoredJSON]? { span["parentSpanId"]?.stringValue.flatMap { byID[$0] } }
        let runs = byID.values.filter { $0["parentSpanId"] == nil }
        #expect(runs.count == 1)
        #expect(runs.first?["name"] == "compile sentiment")
        let calls = byID.values.filter { ($0["name"]?.stringValue ?? "").hasPrefix("chat ") }
        #expect(calls.count == 16)
        #expect(byID.count == 1 + 13 + 13 + 16)  // run, 13 trace ids, one module each, 16 calls
        for call in calls {
            let module = try #require(parent(call))
            #expect(module["name"] == "module classify.predict")
            let example = try #require(parent(module))
            #expect(example["name"] == "example")
            #expect(parent(example)?["name"] == "compile sentiment")
            #expect(call["kind"] == 1)
        }
        let traceIDs = Set(byID.values.compactMap { $0["traceId"]?.stringValue })
        #expect(traceIDs.count == 1)
        #expect(traceIDs.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) })
        #expect(byID.keys.allSatisfy { $0.count == 16 && $0.allSatisfy(\.isHexDigit) })
        #expect(byID.values.allSatisfy { ($0["startTimeUnixNano"]?.stringValue ?? "").allSatisfy(\.isNumber) })
        #expect(text.contains(#"{"key":"gen_ai.usage.input_tokens","value":{"intValue":"120"}}"#))
        #expect(text.contains(#"{"key":"dspyc.phase","value":{"stringValue":"calibration"}}"#))
    }

    @Test("The export decodes with the official OTLP protobuf definitions (opentelemetry-proto)")
    func decodesWithOpenTelemetryProto() throws {
        let fixture = try CompileStoryFixture()
        defer { fixture.remove() }
        let inspector = Inspector(store: fixture.store)
        let json = try inspector.export(CallQuery(), format: .json)
        guard let summary = try OTLPDecoder.decode(json) else {
            Issue.record(Comment(rawValue: OTLPDecoder.installHint))
            return
        }
        let logged = try fixture.store.calls(CallQuery(runID: fixture.run.id))
        let inputTokens = logged.map(\.promptTokens).reduce(0, +)
        #expect(logged.count == 16 && inputTokens > 0)
        #expect(summary == .init(documents: 1, spans: 43, calls: 16, roots: 1, ok: true, input_tokens: inputTokens))
        let web = try WebFixture()
        defer { web.remove() }
        let jsonl = try Inspector(store: web.store).export(CallQuery(), format: .jsonl)
        let lines = try #require(try OTLPDecoder.decode(jsonl))
        #expect(lines.documents == 3)  // the eval run, the compile run, the call with no run
        #expect(lines.calls == 6)
        #expect(lines.roots == 3)
        #expect(lines.ok)
    }
}
