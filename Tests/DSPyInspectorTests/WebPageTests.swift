import DSPyHTTP
import DSPyStore
import Foundation
import Testing

@testable import DSPyInspector

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// MARK: Fixture

/// A request log in a real SQLite file in a fresh temporary directory: a
/// finished compile run with two examples (one cache hit, one parse error), an
/// older eval run whose prompt holds markup, and a call that belongs to no run.
struct WebFixture {
    static let hostile = "<script>alert(1)</script>"

    let directory: URL
    let store: Store
    let compile: RunRecord
    let eval: RunRecord
    /// The compile run's calls, in the order they were logged.
    let compileCalls: [LoggedCall]
    /// The eval call whose user message holds ``hostile``.
    let hostileCall: LoggedCall
    /// The call with no run.
    let looseCall: LoggedCall

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("dspyc-web-\(UUID().uuidString)", isDirectory: true)
        store = try Store(path: directory.appendingPathComponent("dspyc.sqlite").path)
        let now = Date()

        eval = try store.beginRun(kind: .eval, program: "qa", startedAt: now.addingTimeInterval(-3600))
        hostileCall = try store.log(
            LoggedCall(
                runID: eval.id, runKind: .eval, program: "qa", modulePath: "answer.predict", adapter: "ChatAdapter",
                model: "SmolLM2-135M-Instruct.Q4_1",
                messages: [
                    .init(role: "system", content: "Answer questions about HTML."),
                    .init(role: "user", content: "[[ ## question ## ]]\nWhat does \(Self.hostile) do?"),
                ],
                completion: "[[ ## answer ## ]]\nIt runs <b>script</b> & \"quotes\" 'too'\n\n[[ ## completed ## ]]",
                parsedFields: ["answer": "It runs <b>script</b> & \"quotes\" 'too'"],
                sampling: ["temperature": 0, "max_tokens": 64], promptTokens: 40, completionTokens: 12,
                latency: 0.25, timestamp: now.addingTimeInterval(-3590), traceID: "eval-trace-1", finishReason: "stop"))
        try store.finishRun(eval.id, status: .failed, finishedAt: now.addingTimeInterval(-3500))

        let compile = try store.beginRun(kind: .compile, program: "sentiment", startedAt: now.addingTimeInterval(-60))
        self.compile = compile
        let system = "Your input fields are:\n1. `text` (str)\nYour output fields are:\n1. `sentiment` (Literal['positive', 'negative'])"
        func call(_ trace: String, _ path: String, _ text: String, completion: String?, fields: [String: StoredJSON]?,
                  parseError: String? = nil, hit: Bool = false, offset: TimeInterval) -> LoggedCall
        {
            LoggedCall(
                runID: compile.id, runKind: .compile, program: "sentiment", modulePath: path, adapter: "ChatAdapter",
                model: "SmolLM2-135M-Instruct.Q4_1",
                messages: [.init(role: "system", content: system), .init(role: "user", content: "[[ ## text ## ]]\n\(text)")],
                completion: completion, parsedFields: fields, parseError: parseError,
                sampling: ["temperature": 0.7, "max_tokens": 256, "seed": 7, "stop": ["[[ ## completed ## ]]"]],
                constraint: "structured", promptTokens: 120, completionTokens: 9, cachedPromptTokens: hit ? 0 : 96,
                latency: hit ? 0.001 : 0.42, tokensPerSecond: hit ? nil : 210.5,
                timestamp: now.addingTimeInterval(-50 + offset), cacheHit: hit,
                cacheKey: String(repeating: "ab", count: 32), traceID: trace, finishReason: "stop")
        }
        let store = self.store
        compileCalls = try store.log([
            call("trace-lovely", "classify.predict", "what a lovely day",
                 completion: "[[ ## sentiment ## ]]\npositive\n\n[[ ## completed ## ]]", fields: ["sentiment": "positive"], offset: 0),
            call("trace-lovely", "explain.predict", "what a lovely day",
                 completion: "[[ ## reason ## ]]\nlovely is kind\n\n[[ ## completed ## ]]", fields: ["reason": "lovely is kind"], offset: 1),
            call("trace-awful", "classify.predict", "an awful film",
                 completion: "[[ ## sentiment ## ]]\nnegative\n\n[[ ## completed ## ]]", fields: ["sentiment": "negative"],
                 hit: true, offset: 2),
            call("trace-awful", "explain.predict", "an awful film", completion: "I think it is bad", fields: nil,
                 parseError: "Expected to find the field `reason` in the completion", offset: 3),
        ])
        try store.finishRun(compile.id, status: .succeeded, summary: ["score": 0.75, "optimizer": "BootstrapFewShot"],
                            finishedAt: now.addingTimeInterval(-40))

        looseCall = try store.log(
            LoggedCall(modulePath: "adhoc.predict", model: "SmolLM2-135M-Instruct.Q4_1",
                       messages: [.init(role: "user", content: "a call with no run")], completion: "fine",
                       timestamp: now.addingTimeInterval(-30)))
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// One GET over real HTTP: status, content type and body text.
func fetchPage(_ url: URL) async throws -> (status: Int, contentType: String, body: String) {
    let (data, response) = try await URLSession.shared.data(from: url)
    let http = response as? HTTPURLResponse
    return (http?.statusCode ?? -1, http?.value(forHTTPHeaderField: "Content-Type") ?? "", String(decoding: data, as: UTF8.self))
}

/// Lines printed by `InspectorServer.serve`.
final class Announcements: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

/// `text` as the page writes it.
func escaped(_ text: String) -> String { HTML.escape(text) }

// MARK: Over real HTTP

@Suite("Inspector web page over HTTP")
struct WebPageTests {
    @Test("The front page lists the runs newest first, with calls, cache hits and tokens")
    func runsList() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }
        #expect(base.host == "127.0.0.1")

        let page = try await fetchPage(base)
        #expect(page.status == 200)
        #expect(page.contentType.hasPrefix("text/html"))
        let body = page.body
        let compileAt = try #require(body.range(of: "/runs/\(fixture.compile.id)"))
        let evalAt = try #require(body.range(of: "/runs/\(fixture.eval.id)"))
        #expect(compileAt.lowerBound < evalAt.lowerBound, "the newer run comes first")
        #expect(body.contains("sentiment") && body.contains("qa"))
        // compile: 4 calls, 1 cache hit, 1 parse error, 3×120 prompt tokens (the hit is not counted).
        #expect(body.contains("<td class=\"n\">4</td><td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">360 → 27</td><td class=\"n\">288</td>"))
        #expect(body.contains("status-succeeded") && body.contains("status-failed"))
        // The most recent calls include the one that belongs to no run.
        #expect(body.contains("/calls/\(fixture.looseCall.id!)"))
        #expect(body.contains("<form class=\"search\" action=\"/search\""))
        #expect(!body.contains("<script"))
    }

    @Test("A run's page is a trace tree: example → module path → calls")
    func traceTree() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }

        let page = try await fetchPage(base.appendingPathComponent("runs/\(fixture.compile.id)"))
        #expect(page.status == 200)
        let body = page.body
        let lovely = try #require(body.range(of: "id=\"trace-trace-lovely\""))
        let awful = try #require(body.range(of: "id=\"trace-trace-awful\""))
        #expect(lovely.lowerBound < awful.lowerBound)
        // Each example holds both modules, each with its call linked.
        let lovelyNode = String(body[lovely.lowerBound..<awful.lowerBound])
        #expect(lovelyNode.contains("<span class=\"path\">classify.predict</span>"))
        #expect(lovelyNode.contains("<span class=\"path\">explain.predict</span>"))
        #expect(lovelyNode.contains("/calls/\(fixture.compileCalls[0].id!)"))
        #expect(lovelyNode.contains("/calls/\(fixture.compileCalls[1].id!)"))
        #expect(lovelyNode.contains("sentiment: positive"))
        #expect(lovelyNode.contains("<span class=\"preview\">text: what a lovely day</span>"))
        let awfulNode = String(body[awful.lowerBound...])
        #expect(awfulNode.contains("cache hit") && awfulNode.contains("parse error"))
        #expect(body.contains("BootstrapFewShot") && body.contains("0.75"), "the run's summary is shown")
        // Only the examples with problems: the awful one (a parse error), numbered as in the whole run.
        #expect(body.contains("?only=problems\">1 with parse errors or errors</a>"))
        let problems = try await fetchPage(try #require(URL(string: "runs/\(fixture.compile.id)?only=problems", relativeTo: base)))
        #expect(problems.status == 200)
        #expect(!problems.body.contains("id=\"trace-trace-lovely\""))
        #expect(problems.body.contains("id=\"trace-trace-awful\""))
        #expect(problems.body.contains("Example 2 <code"))
        #expect(problems.body.contains("<b>1 with parse errors or errors</b>"))
        // A unique prefix and `latest` find the run too.
        let prefix = try await fetchPage(base.appendingPathComponent("runs/\(fixture.compile.id.prefix(8))"))
        #expect(prefix.status == 200 && prefix.body.contains("id=\"trace-trace-lovely\""))
        let latest = try await fetchPage(base.appendingPathComponent("runs/latest"))
        #expect(latest.status == 200 && latest.body.contains(fixture.compile.id))
    }

    @Test("A call's page shows messages, completion, parsed fields, parameters, tokens, latency, cache hit")
    func callDetail() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }

        let call = fixture.compileCalls[0]
        let page = try await fetchPage(base.appendingPathComponent("calls/\(call.id!)"))
        #expect(page.status == 200)
        let body = page.body
        for message in call.messages { #expect(body.contains(escaped(message.content))) }
        #expect(body.contains("<div class=\"role\">system</div>") && body.contains("<div class=\"role\">user</div>"))
        #expect(body.contains(escaped(call.completion!)))
        #expect(body.contains("<tr><th>sentiment</th><td class=\"mono\">positive</td></tr>"))
        #expect(body.contains("<tr><th>temperature</th><td class=\"mono\">0.7</td></tr>"))
        #expect(body.contains("<tr><th>max_tokens</th><td class=\"mono\">256</td></tr>"))
        #expect(body.contains("<tr><th>seed</th><td class=\"mono\">7</td></tr>"))
        #expect(body.contains("120 prompt · 9 completion · 96 prefix-cached"))
        #expect(body.contains("420 ms"))
        #expect(body.contains("210.5 tok/s"))
        #expect(body.contains("<dt>Cache hit</dt><dd>no</dd>"))
        #expect(body.contains("<dt>Constraint</dt><dd>structured</dd>"))
        #expect(body.contains("classify.predict") && body.contains("ChatAdapter") && body.contains("SmolLM2-135M-Instruct.Q4_1"))
        #expect(body.contains("href=\"/runs/\(fixture.compile.id)#trace-trace-lovely\""))
        // Stepping through the run: the first call has no previous one.
        #expect(body.contains("← first call"))
        #expect(body.contains("<a href=\"/calls/\(fixture.compileCalls[1].id!)\">call #\(fixture.compileCalls[1].id!) →</a>"))

        let hit = try await fetchPage(base.appendingPathComponent("calls/\(fixture.compileCalls[2].id!)"))
        #expect(hit.body.contains("<dt>Cache hit</dt><dd><span class=\"badge hit\">yes</span></dd>"))
        let unparsed = try await fetchPage(base.appendingPathComponent("calls/\(fixture.compileCalls[3].id!)"))
        #expect(unparsed.body.contains("<b>Parse error:</b> Expected to find the field `reason` in the completion"))
        #expect(unparsed.body.contains("I think it is bad"))

        // A fallback retry with several choices shows each choice and says it was a fallback.
        let retry = try await fixture.store.log(LoggedCall(
            runID: fixture.compile.id, modulePath: "explain.predict", adapter: "JSONAdapter", adapterFallback: true,
            model: "m", messages: [.init(role: "user", content: "again")], completion: "{\"reason\": \"a\"}",
            otherCompletions: ["{\"reason\": \"<b>\"}", "{\"reason\": \"c\"}"]))
        let retryPage = try await fetchPage(base.appendingPathComponent("calls/\(retry.id!)"))
        #expect(retryPage.body.contains("<span class=\"badge warn\">adapter fallback</span>"))
        #expect(retryPage.body.contains("JSONAdapter <span class=\"muted\">(fallback retry after a parse failure)</span>"))
        #expect(retryPage.body.contains("choice 1 of 3, the one parsed"))
        #expect(retryPage.body.contains("<h2>Choice 2 of 3</h2><pre class=\"box completion\">{&quot;reason&quot;: &quot;&lt;b&gt;&quot;}</pre>"))
        #expect(retryPage.body.contains("<h2>Choice 3 of 3</h2>"))
    }

    @Test("Logged text is escaped: a prompt holding <script> shows as text")
    func escaping() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }

        let call = try await fetchPage(base.appendingPathComponent("calls/\(fixture.hostileCall.id!)"))
        #expect(call.status == 200)
        #expect(call.body.contains("What does &lt;script&gt;alert(1)&lt;/script&gt; do?"))
        #expect(call.body.contains("It runs &lt;b&gt;script&lt;/b&gt; &amp; &quot;quotes&quot; &#39;too&#39;"))
        #expect(!call.body.contains("<script"))
        #expect(!call.body.contains("<b>script</b>"))

        let search = try await fetchPage(try #require(URL(string: "search?q=%3Cscript%3E", relativeTo: base)))
        #expect(search.status == 200)
        #expect(search.body.contains("<mark>&lt;script&gt;</mark>"))
        #expect(search.body.contains("value=\"&lt;script&gt;\""))
        #expect(!search.body.contains("<script"))

        let tree = try await fetchPage(base.appendingPathComponent("runs/\(fixture.eval.id)"))
        #expect(tree.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(!tree.body.contains("<script"))
    }

    @Test("Search finds text in messages and completions, newest first, optionally within one run")
    func search() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }

        let lovely = try await fetchPage(try #require(URL(string: "search?q=LOVELY", relativeTo: base)))
        #expect(lovely.status == 200)
        #expect(lovely.body.contains("2 calls contain “LOVELY” in all runs"))
        let second = try #require(lovely.body.range(of: "/calls/\(fixture.compileCalls[1].id!)\""))
        let first = try #require(lovely.body.range(of: "/calls/\(fixture.compileCalls[0].id!)\""))
        #expect(second.lowerBound < first.lowerBound, "newest first")
        #expect(lovely.body.contains("<mark>lovely</mark>"))

        let completion = try await fetchPage(try #require(URL(string: "search?q=it%20is%20bad", relativeTo: base)))
        #expect(completion.body.contains("1 call contains “it is bad” in all runs"))
        #expect(completion.body.contains("<span class=\"badge\">completion</span>"))

        let scoped = try await fetchPage(try #require(URL(string: "search?q=call&run=\(fixture.eval.id)", relativeTo: base)))
        #expect(scoped.body.contains("0 calls contain “call” in run"))
        let everywhere = try await fetchPage(try #require(URL(string: "search?q=call", relativeTo: base)))
        #expect(everywhere.body.contains("/calls/\(fixture.looseCall.id!)"))

        let empty = try await fetchPage(try #require(URL(string: "search?q=", relativeTo: base)))
        #expect(empty.status == 200 && empty.body.contains("Type some text"))
    }

    @Test("Unknown runs, calls and pages are 404 with a message that names them")
    func notFound() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }

        let run = try await fetchPage(base.appendingPathComponent("runs/no-such-run"))
        #expect(run.status == 404)
        #expect(run.body.contains("No run with id “no-such-run” in \(fixture.store.path)."))
        let call = try await fetchPage(base.appendingPathComponent("calls/99999"))
        #expect(call.status == 404)
        #expect(call.body.contains("No call with id 99999 in \(fixture.store.path)."))
        let word = try await fetchPage(base.appendingPathComponent("calls/abc"))
        #expect(word.status == 404 && word.body.contains("“abc” is not a call id"))
        let page = try await fetchPage(base.appendingPathComponent("nowhere"))
        #expect(page.status == 404 && page.body.contains("There is no inspector page at /nowhere."))
        let api = try await fetchPage(base.appendingPathComponent("api/runs/no-such-run"))
        #expect(api.status == 404 && api.contentType.hasPrefix("application/json"))
        let error = try JSONDecoder().decode([String: String].self, from: Data(api.body.utf8))
        #expect(error["error"] == "No run with id “no-such-run” in \(fixture.store.path).")
    }

    @Test("serve() announces the URL, answers, and stops listening when its task is cancelled")
    func serveUntilCancelled() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let announced = Announcements()
        let task = Task { try await server.serve(announce: { announced.append($0) }) }
        var url: URL?
        for _ in 0..<200 where url == nil {
            url = server.url
            if url == nil { try await Task.sleep(nanoseconds: 10_000_000) }
        }
        let base = try #require(url)
        #expect(announced.lines == ["dspyc inspector: \(base.absoluteString)  (request log in \(fixture.store.path); Ctrl-C to stop)"])
        #expect(try await fetchPage(base).status == 200)
        task.cancel()
        _ = await task.result
        #expect(server.url == nil)
        var request = URLRequest(url: base)
        request.timeoutInterval = 5
        // A new connection is refused. (A kept-alive one may still be served: HTTPServer.stop()
        // closes only the listener, so use a fresh session.)
        let session = URLSession(configuration: .ephemeral)
        await #expect(throws: (any Error).self) { _ = try await session.data(for: request) }
    }

    @Test("Two calls compare side by side: differing facts, and a line diff of messages and completions")
    func compare() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }
        let a = fixture.compileCalls[0].id!, b = fixture.compileCalls[2].id!

        let page = try await fetchPage(try #require(URL(string: "compare?a=\(a)&b=\(b)", relativeTo: base)))
        #expect(page.status == 200)
        let body = page.body
        #expect(body.contains("<h1>Call #\(a) and call #\(b)</h1>"))
        #expect(body.contains("<summary class=\"role\">1. system · identical (4 lines)</summary>"))
        #expect(body.contains("<span class=\"del\">− what a lovely day</span><span class=\"add\">+ an awful film</span>"))
        #expect(body.contains("<span class=\"del\">− positive</span><span class=\"add\">+ negative</span>"))
        #expect(body.contains("<tr class=\"differs\"><th>Cache hit</th><td>no</td><td>yes</td></tr>"))
        #expect(body.contains("<tr><th>Module</th><td>classify.predict</td><td>classify.predict</td></tr>"))
        #expect(body.contains("Messages <small class=\"muted\">1 of 2 differ</small>"))

        // Markup in a compared prompt stays text.
        let hostile = try await fetchPage(try #require(URL(string: "compare?a=\(a)&b=\(fixture.hostileCall.id!)", relativeTo: base)))
        #expect(hostile.body.contains("<span class=\"add\">+ What does &lt;script&gt;alert(1)&lt;/script&gt; do?</span>"))
        #expect(!hostile.body.contains("<script"))

        // The call page offers to compare with the previous call of the run.
        let call = try await fetchPage(base.appendingPathComponent("calls/\(b)"))
        #expect(call.body.contains("<input type=\"hidden\" name=\"a\" value=\"\(b)\">"))
        #expect(call.body.contains("name=\"b\" inputmode=\"numeric\" value=\"\(fixture.compileCalls[1].id!)\">"))

        let missing = try await fetchPage(try #require(URL(string: "compare?a=\(a)", relativeTo: base)))
        #expect(missing.status == 400 && missing.body.contains("Name the two calls to compare by id"))
        let unknown = try await fetchPage(try #require(URL(string: "compare?a=\(a)&b=424242", relativeTo: base)))
        #expect(unknown.status == 404 && unknown.body.contains("No call with id 424242"))

        let api = try await fetchPage(try #require(URL(string: "api/compare?a=\(a)&b=\(b)", relativeTo: base)))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [String: Any])
        #expect(object["completion_identical"] as? Bool == false)
        let messages = try #require(object["messages"] as? [[String: Any]])
        #expect(messages.map { $0["identical"] as? Bool } == [true, false])
    }

    @Test("The JSON twins under /api/ carry the same runs, tree, call and search")
    func api() async throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let server = InspectorServer(store: fixture.store, port: 0)
        let base = try await server.start()
        defer { server.stop() }

        func object(_ path: String) async throws -> Any {
            let page = try await fetchPage(try #require(URL(string: path, relativeTo: base)))
            #expect(page.status == 200 && page.contentType.hasPrefix("application/json"))
            return try JSONSerialization.jsonObject(with: Data(page.body.utf8))
        }
        let runs = try #require(try await object("api/runs") as? [[String: Any]])
        #expect(runs.map { $0["id"] as? String } == [fixture.compile.id, fixture.eval.id])
        let totals = try #require(runs[0]["totals"] as? [String: Any])
        #expect(totals["calls"] as? Int == 4 && totals["cache_hits"] as? Int == 1 && totals["prompt_tokens"] as? Int == 360)

        let tree = try #require(try await object("api/runs/\(fixture.compile.id)") as? [String: Any])
        let examples = try #require(tree["examples"] as? [[String: Any]])
        #expect(examples.map { $0["trace_id"] as? String } == ["trace-lovely", "trace-awful"])
        let modules = try #require(examples[0]["modules"] as? [[String: Any]])
        #expect(modules.map { $0["module_path"] as? String } == ["classify.predict", "explain.predict"])

        let page = try await fetchPage(base.appendingPathComponent("api/calls/\(fixture.compileCalls[0].id!)"))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let call = try decoder.decode(LoggedCall.self, from: Data(page.body.utf8))
        #expect(call.messages == fixture.compileCalls[0].messages)
        #expect(call.parsedFields == ["sentiment": "positive"])
        #expect(call.sampling == fixture.compileCalls[0].sampling)

        let search = try #require(try await object("api/search?q=lovely") as? [String: Any])
        #expect(search["total"] as? Int == 2)
    }
}

// MARK: Without a socket

@Suite("Inspector web app")
struct WebAppTests {
    @Test("Requests for another host name are refused (DNS rebinding)")
    func hostCheck() throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let app = InspectorWebApp(store: fixture.store)
        #expect(app.handle(HTTPRequest(method: "GET", path: "/", headers: ["host": "127.0.0.1:8765"])).status == 200)
        #expect(app.handle(HTTPRequest(method: "GET", path: "/", headers: ["host": "localhost:8765"])).status == 200)
        #expect(app.handle(HTTPRequest(method: "GET", path: "/", headers: ["host": "[::1]:8765"])).status == 200)
        #expect(app.handle(HTTPRequest(method: "GET", path: "/", headers: ["host": "evil.example:8765"])).status == 403)
        let open = InspectorWebApp(store: fixture.store, options: .init(allowedHosts: nil))
        #expect(open.handle(HTTPRequest(method: "GET", path: "/", headers: ["host": "box.lan:8765"])).status == 200)
    }

    @Test("Neighbouring calls are found within the same run, or among calls without a run")
    func neighbours() throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let ids = fixture.compileCalls.map { $0.id! }
        #expect(try fixture.store.neighbouringCallIDs(of: fixture.compileCalls[0]) == (nil, ids[1]))
        #expect(try fixture.store.neighbouringCallIDs(of: fixture.compileCalls[2]) == (ids[1], ids[3]))
        #expect(try fixture.store.neighbouringCallIDs(of: fixture.compileCalls[3]) == (ids[2], nil))
        // The eval call was logged before the compile calls but is alone in its run.
        #expect(try fixture.store.neighbouringCallIDs(of: fixture.hostileCall) == (nil, nil))
        let another = try fixture.store.log(LoggedCall(modulePath: "adhoc.predict", model: "m", messages: []))
        #expect(try fixture.store.neighbouringCallIDs(of: fixture.looseCall) == (nil, another.id))
    }

    @Test("A run of 2,000 calls over 500 examples renders, with its examples folded")
    func largeRun() throws {
        let store = try Store.inMemory()
        let run = try store.beginRun(kind: .compile, program: "big")
        let prompt = String(repeating: "A demo input and its output. ", count: 60)
        try store.log((0..<2000).map { index in
            LoggedCall(
                runID: run.id, runKind: .compile, program: "big", modulePath: index % 4 < 2 ? "hop.predict" : "answer.predict",
                model: "m", messages: [.init(role: "system", content: prompt), .init(role: "user", content: "question \(index / 4)")],
                completion: "answer \(index)", parsedFields: ["answer": .string("answer \(index)")],
                promptTokens: 400, completionTokens: 8, latency: 0.1, traceID: "example-\(index / 4)")
        })
        let app = InspectorWebApp(store: store)
        let response: HTTPResponse? = app.handle(HTTPRequest(method: "GET", path: "/runs/\(run.id)"))
        #expect(response?.status == 200)
        guard case .data(let data)? = response?.body else { Issue.record("expected a whole body"); return }
        let body = String(decoding: data, as: UTF8.self)
        #expect(body.components(separatedBy: "<details class=\"example\"").count - 1 == 500)
        #expect(!body.contains("<details class=\"example\" id=\"trace-example-0\" open>"), "500 examples start folded")
        #expect(body.contains("800,000"), "prompt tokens")
        #expect(data.count < 2_000_000, "the tree page has no message bodies: \(data.count) bytes")
    }

    @Test("Pages of a running run reload themselves, unless told not to; finished ones do not")
    func liveRun() throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let app = InspectorWebApp(store: fixture.store)
        func page(_ path: String, _ query: [String: String] = [:]) -> String {
            guard case .data(let data) = app.handle(HTTPRequest(method: "GET", path: path, query: query)).body else { return "" }
            return String(decoding: data, as: UTF8.self)
        }
        let reload = "<meta http-equiv=\"refresh\" content=\"5\">"
        #expect(!page("/").contains(reload))
        #expect(!page("/runs/\(fixture.compile.id)").contains(reload))
        let running = try fixture.store.beginRun(kind: .eval, program: "live")
        #expect(page("/").contains(reload))
        let live = page("/runs/\(running.id)")
        #expect(live.contains(reload))
        #expect(live.contains("<a href=\"/runs/\(running.id)?refresh=0\">Stop reloading</a>"))
        #expect(!page("/runs/\(running.id)", ["refresh": "0"]).contains(reload))
        #expect(!page("/runs/\(fixture.compile.id)").contains(reload), "a finished run's page stays still")
    }

    @Test("Only GET is answered; pages forbid scripts")
    func readOnly() throws {
        let fixture = try WebFixture()
        defer { fixture.remove() }
        let app = InspectorWebApp(store: fixture.store)
        #expect(app.handle(HTTPRequest(method: "POST", path: "/")).status == 405)
        let page = app.handle(HTTPRequest(method: "GET", path: "/"))
        let policy = page.headers.first { $0.0 == "Content-Security-Policy" }?.1
        #expect(policy?.contains("default-src 'none'") == true)
    }

    @Test("An empty store shows an empty runs page, not an error")
    func emptyStore() throws {
        let store = try Store.inMemory()
        let app = InspectorWebApp(store: store)
        let page = app.handle(HTTPRequest(method: "GET", path: "/"))
        #expect(page.status == 200)
        guard case .data(let data) = page.body else { Issue.record("expected a whole body"); return }
        #expect(String(decoding: data, as: UTF8.self).contains("No runs yet."))
    }

    @Test("Line diffs keep common lines and mark the rest removed or added")
    func lineDiff() {
        typealias Diff = InspectorWebApp.TextDiff
        func render(_ diff: Diff) -> [String] {
            diff.lines.map { ($0.kind == .same ? "  " : $0.kind == .added ? "+ " : "- ") + $0.text }
        }
        #expect(Diff("a\nb\nc", "a\nb\nc").isEmpty)
        #expect(render(Diff("a\nb\nc", "a\nx\nc")) == ["  a", "- b", "+ x", "  c"])
        #expect(render(Diff("a\nb", "a\nb\nc")) == ["  a", "  b", "+ c"])
        #expect(render(Diff("x\na\nb\ny", "a\nz\nb")) == ["- x", "  a", "+ z", "  b", "- y"])
        // Long unchanged stretches fold, keeping three lines of context.
        let app = InspectorWebApp(store: try! Store.inMemory())
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n")
        let new = old.replacingOccurrences(of: "line 10\n", with: "line ten\n")
        let html = app.diffBlock(Diff(old, new)).description
        #expect(html.contains("⋯ 6 unchanged lines ⋯") && html.contains("⋯ 7 unchanged lines ⋯"))
        #expect(html.contains("<span>  line 7</span>") && !html.contains("<span>  line 6</span>"))
    }

    @Test("Numbers, durations and snippets read well")
    func formatting() {
        #expect(WebFormat.count(1_234_567) == "1,234,567")
        #expect(WebFormat.count(999) == "999")
        #expect(WebFormat.duration(0.4201) == "420 ms")
        #expect(WebFormat.duration(1.234) == "1.23 s")
        #expect(WebFormat.duration(125) == "2 min 05 s")
        let hit = WebFormat.snippet("The quick brown fox", around: "BROWN", context: 4)
        #expect(hit?.before == "…ick " && hit?.match == "brown" && hit?.after == " fox")
        #expect(HTML.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        let text = "<i>"
        let html: HTML = "<b>\(text)</b>"
        #expect(html.description == "<b>&lt;i&gt;</b>")
    }
}
