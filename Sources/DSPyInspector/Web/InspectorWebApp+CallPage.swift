import DSPyStore
import Foundation

// One call in full (/calls/{id}).

extension InspectorWebApp {
    func callPage(_ call: LoggedCall) throws -> HTML {
        let run = try call.runID.flatMap { try store.run(id: $0) }
        let idText = call.id.map(String.init) ?? "?"
        var crumbs: HTML = "<a href=\"/\">Runs</a>"
        if let runID = call.runID {
            let name = run.map { "\($0.kind.rawValue)\($0.program.map { " " + $0 } ?? "") " } ?? ""
            crumbs += " › <a href=\"\(runHref(runID))\">\(name)<span class=\"mono\">\(WebFormat.shortID(runID))</span></a>"
        }
        crumbs += " › call #\(idText)"

        var facts: [(String, HTML)] = []
        func fact(_ name: String, _ value: HTML) { facts.append((name, value)) }
        fact("Program", "\(call.program ?? "–")")
        fact("Module", "<span class=\"path\">\(call.modulePath)</span>")
        fact(
            "Adapter",
            call.adapterFallback
                ? "\(call.adapter ?? "–") <span class=\"muted\">(fallback retry after a parse failure)</span>"
                : "\(call.adapter ?? "–")")
        fact("Model", "<span class=\"mono\">\(call.model)</span>")
        if let runID = call.runID {
            fact("Run", "\(runLink(runID)) \(call.runKind?.rawValue ?? run?.kind.rawValue ?? "")")
        }
        if let traceID = call.traceID {
            let href = call.runID.map { "\(runHref($0))#\(HTML.pathSegment("trace-" + traceID))" } ?? ""
            fact("Trace", "<a class=\"id\" href=\"\(href)\" title=\"\(traceID)\">\(traceID)</a>")
        }
        fact("Time", "\(WebFormat.date(call.timestamp))")
        fact("Latency", "\(WebFormat.duration(call.latency))")
        fact(
            "Tokens",
            """
            \(WebFormat.count(call.promptTokens)) prompt · \(WebFormat.count(call.completionTokens)) completion · \
            \(WebFormat.count(call.cachedPromptTokens)) prefix-cached
            """)
        if let speed = call.tokensPerSecond { fact("Throughput", "\(String(format: "%.1f", speed)) tok/s") }
        fact("Cache hit", call.cacheHit ? badge("yes", "hit") : "no")
        if let key = call.cacheKey { fact("Cache key", "<span class=\"mono\">\(key)</span>") }
        fact("Finish reason", "\(call.finishReason ?? "–")")
        fact("Constraint", "\(call.constraint ?? "none (free text)")")
        let factList = facts.map { name, value -> HTML in "<dt>\(name)</dt><dd>\(value)</dd>" }

        let sampling: HTML = call.sampling.isEmpty
            ? "<p class=\"empty\">No sampling parameters were recorded.</p>" : keyValueTable(call.sampling)

        let cached = call.tokenTrace?.cachedCharacters ?? []
        let messages = call.messages.enumerated().map { index, message -> HTML in
            let kind = ["system", "user", "assistant"].contains(message.role) ? message.role : "other"
            let text = Self.messageText(message.content, cached: cached.indices.contains(index) ? cached[index] : 0)
            return "<div class=\"message \(kind)\"><div class=\"role\">\(message.role)</div><pre>\(text)</pre></div>"
        }

        let neighbours = try store.neighbouringCallIDs(of: call)
        let stepper: HTML = """
            <nav class="stepper">\(neighbours.previous.map { "<a href=\"\(callHref($0))\">← call #\(String($0))</a>" as HTML } ?? "<span class=\"muted\">← first call</span>")\
             \(neighbours.next.map { "<a href=\"\(callHref($0))\">call #\(String($0)) →</a>" as HTML } ?? "<span class=\"muted\">last call →</span>")</nav>
            """

        var main: HTML = ""
        if let error = call.error {
            main += "<h2>Error</h2><p class=\"problem\">\(error)</p>"
        }
        main += "<h2>Messages <small class=\"muted\">\(plural(call.messages.count, "message"))</small></h2>\(promptCacheNote(call))\(messages)"
        let choices = call.otherCompletions.count + 1
        main += choices > 1
            ? "<h2>Completion <small class=\"muted\">choice 1 of \(choices), the one parsed</small></h2>"
            : "<h2>Completion</h2>"
        if let completion = call.completion {
            main += "<pre class=\"box completion\">\(completion)</pre>"
        } else {
            main += "<p class=\"empty\">No completion was recorded.</p>"
        }
        for (index, other) in call.otherCompletions.enumerated() {
            main += "<h2>Choice \(index + 2) of \(choices)</h2><pre class=\"box completion\">\(other)</pre>"
        }
        main += tokenSection(call)
        main += "<h2>Parsed fields</h2>"
        if let parseError = call.parseError {
            main += "<p class=\"parse-problem\"><b>Parse error:</b> \(parseError)</p>"
        }
        if let fields = call.parsedFields, !fields.isEmpty {
            main += keyValueTable(fields)
        } else if call.parseError == nil {
            main += "<p class=\"empty\">No parsed fields were recorded.</p>"
        }

        let content: HTML = """
            <nav class="crumbs">\(crumbs)</nav>
            <div class="titlebar"><h1>Call #\(idText) <small class="path">\(call.modulePath)</small> \(callBadges(call))</h1>\(stepper)</div>
            <div class="columns">
            <div class="main">\(main)</div>
            <aside>
            <h2>Call</h2><dl class="facts">\(factList)</dl>
            <h2>Sampling parameters</h2>\(sampling)
            <form class="compare" action="/compare" method="get"><input type="hidden" name="a" value="\(idText)">\
            <label for="compare-b">Compare with call #</label><input id="compare-b" name="b" inputmode="numeric" \
            value="\(neighbours.previous.map { String($0) } ?? "")"><button type="submit">Compare</button></form>
            <p class="muted"><a href="/api/calls/\(idText)">JSON</a></p>
            </aside>
            </div>
            """
        return layout(title: "Call #\(idText)", scope: run, content)
    }
}
