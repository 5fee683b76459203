import DSPyStore
import Foundation
import Testing
@testable import DSPyInspector

@Suite("OpenTelemetry export, HTML escaping and the inspector over a real store")
struct ExportAndInspectorTests {
    @Test("A call's span has gen_ai.* attribute names")
    func callAttributes() throws {
        let spans = OTelExport.spans([makeCall(id: 5), makeCall(id: 6, user: "second")])
        #expect(spans.count == 2)
        let span = spans[0]
        guard case .object(let object) = span, case .object(let attributes)? = object["attributes"] else {
            Issue.record("span is not an object with attributes")
            return
        }
        #expect(object["name"] == "chat SmolLM2-135M-Instruct.Q4_1")
        #expect(object["kind"] == "INTERNAL")
        #expect(object["start_time"] == "2026-11-18T11:06:40.000Z")
        #expect(object["end_time"] == "2026-11-18T11:06:40.500Z")
        #expect(object["trace_id"]?.stringValue?.count == 32)
        #expect(object["span_id"]?.stringValue?.count == 16)
        #expect(object["status"] == ["code": "OK"])
        #expect(attributes["gen_ai.operation.name"] == "chat")
        #expect(attributes["gen_ai.provider.name"] == "dspyc")
        #expect(attributes["gen_ai.request.model"] == "SmolLM2-135M-Instruct.Q4_1")
        #expect(attributes["gen_ai.request.temperature"] == 0.7)
        #expect(attributes["gen_ai.request.top_p"] == 0.9)
        #expect(attributes["gen_ai.request.max_tokens"] == 64)
        #expect(attributes["gen_ai.request.seed"] == 42)
        #expect(attributes["gen_ai.request.choice.count"] == 1)
        #expect(attributes["gen_ai.request.stop_sequences"] == ["\n\n"])
        #expect(attributes["gen_ai.usage.input_tokens"] == 120)
        #expect(attributes["gen_ai.usage.output_tokens"] == 9)
        #expect(attributes["gen_ai.usage.cache_read.input_tokens"] == 96)
        #expect(attributes["gen_ai.response.finish_reasons"] == ["stop"])
        #expect(attributes["gen_ai.input.messages"] == [
            ["role": "system", "parts": [["type": "text", "content": "Your input fields are:\n1. `text` (str)\n\nClassify the sentiment."]]],
            ["role": "user", "parts": [["type": "text", "content": "[[ ## text ## ]]\nwhat a lovely day\n\nRespond with the corresponding output fields."]]],
        ])
        #expect(attributes["gen_ai.output.messages"] == [
            ["role": "assistant", "parts": [["type": "text", "content": "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]"]],
             "finish_reason": "stop"]
        ])
        #expect(attributes["dspyc.module.path"] == "classify.predict")
        #expect(attributes["dspyc.run.id"] == "run-a")
        #expect(attributes["dspyc.cache_hit"] == false)
        #expect(attributes["dspyc.parsed_fields"] == ["sentiment": "positive"])
        #expect(attributes["dspyc.call.id"] == 5)
    }

    @Test("Content can be left out, and errors set error.type and the status")
    func noContentAndErrors() throws {
        var call = makeCall(id: 1, completion: nil)
        call.error = "engine failed"
        let span = OTelExport.spans([call], includeContent: false)[0]
        guard case .object(let object) = span, case .object(let attributes)? = object["attributes"] else {
            Issue.record("span is not an object")
            return
        }
        #expect(attributes["gen_ai.input.messages"] == nil)
        #expect(attributes["gen_ai.output.messages"] == nil)
        #expect(attributes["dspyc.parsed_fields"] == nil)
        #expect(attributes["error.type"] == "dspyc.lm_error")
        #expect(object["status"] == ["code": "ERROR", "message": "engine failed"])
        let json = try StoredJSON.parse(OTelExport.export([call, call], format: .json))
        #expect(json.jsonText.contains(#""status":{"code":2,"message":"engine failed"}"#))
        #expect(try StoredJSON.parse(OTelExport.export([], format: .json)) == ["resourceSpans": []])
        #expect(OTelExport.export([], format: .jsonl) == "")
    }

    @Test("Every HTML-special character is escaped")
    func htmlEscape() {
        #expect(HTML.escape(#"<script>alert("x" & 'y')</script>"#)
            == "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;")
        #expect(HTML.escape("plain — ünïcödé") == "plain — ünïcödé")
    }

    @Test("The inspector filters the log of a real store and resolves run prefixes")
    func inspectorOverStore() throws {
        try withTemporaryStore { store in
            let a = try store.beginRun(kind: .compile, program: "sentiment", id: "aaaa1111", startedAt: Date(timeIntervalSince1970: 1_795_000_000))
            let b = try store.beginRun(kind: .compile, program: "sentiment", id: "bbbb2222", startedAt: Date(timeIntervalSince1970: 1_795_000_100))
            try store.log(makeCall(run: a.id, system: "Old.", user: "lovely day", at: 1_795_000_001))
            try store.log(makeCall(run: a.id, system: "Old.", user: "awful day", at: 1_795_000_002))
            try store.log(makeCall(run: b.id, system: "New.", user: "lovely day", at: 1_795_000_101, cacheHit: true))
            try store.finishRun(a.id, finishedAt: Date(timeIntervalSince1970: 1_795_000_010))
            let inspector = Inspector(store: store)

            let last = try inspector.history(timeZone: utc)
            #expect(last.contains("System message:\n\nNew.\n"))
            #expect(last.components(separatedBy: "Response:").count == 2)

            let awful = try inspector.history(CallQuery(text: "AWFUL", limit: 10), timeZone: utc)
            #expect(awful.contains("awful day"))
            #expect(!awful.contains("lovely day"))

            let runA = try inspector.history(CallQuery(runID: "aaaa", limit: 10), timeZone: utc)
            #expect(runA.components(separatedBy: "Response:").count == 3)

            #expect(try inspector.history(CallQuery(program: "nothing")) == "No logged LM calls match.\n")
            #expect(throws: StoreError.unknownRun("zzz")) { try inspector.history(CallQuery(runID: "zzz")) }

            let runs = try inspector.runs(timeZone: utc)
            #expect(runs.split(separator: "\n").count == 3)
            #expect(runs.contains("bbbb2222  compile  sentiment  2026-11-18 11:08:20  running"))

            let diff = try inspector.diff("aaaa", "latest")
            #expect(diff.contains("-Old.\n+New.\n"))
            #expect(diff.contains("call #1"))

            var streamed: [String] = []
            try inspector.export(CallQuery(runID: "aaaa", limit: 1), format: .jsonl) { streamed.append($0) }
            #expect(streamed.count == 1)
            #expect(streamed[0].contains("awful day"))
            let jsonl = try inspector.export(CallQuery(runID: "bbbb"))
            #expect(jsonl.split(separator: "\n").count == 1)
            #expect(jsonl.contains(#"{"key":"dspyc.cache_hit","value":{"boolValue":true}}"#))
        }
    }
}
