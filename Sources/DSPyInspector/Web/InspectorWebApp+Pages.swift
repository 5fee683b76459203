import DSPyStore
import Foundation

// The runs list, a run's trace tree, and search results.

extension InspectorWebApp {
    // MARK: Runs (/)

    func indexPage(live: Bool = true) throws -> HTML {
        let statistics = try store.runStatistics(limit: options.runLimit)
        let recent: [LoggedCall] = try store.calls(CallQuery(limit: options.recentCallLimit)).reversed()
        var content: HTML = "<h1>Runs</h1>"
        let running = statistics.contains { $0.run.status == .running }
        if running { content += liveNote(live: live, href: "/") }
        if statistics.isEmpty {
            content += """
                <p class="empty">No runs yet. Every LM call that <code>dspyc compile</code>, <code>eval</code> \
                or <code>run</code> makes is logged here, with its run.</p>
                """
        } else {
            let rows = statistics.map { item -> HTML in
                let run = item.run
                return """
                    <tr><td class="mono">\(WebFormat.date(run.startedAt))</td><td>\(runLink(run.id))</td>\
                    <td>\(run.kind.rawValue)</td><td>\(run.program ?? "–")</td><td>\(statusBadge(run.status))</td>\
                    <td class="n">\(WebFormat.count(item.calls))</td><td class="n">\(WebFormat.count(item.cacheHits))</td>\
                    <td class="n">\(WebFormat.count(item.parseErrors))</td><td class="n">\(WebFormat.count(item.errors))</td>\
                    <td class="n">\(WebFormat.count(item.promptTokens)) → \(WebFormat.count(item.completionTokens))</td>\
                    <td class="n">\(WebFormat.count(item.cachedPromptTokens))</td>\
                    <td class="n">\(WebFormat.duration(item.callTime))</td><td class="n">\(item.wallTime.map(WebFormat.duration) ?? "–")</td></tr>
                    """
            }
            content += """
                <p class="muted">\(plural(statistics.count, "run")), newest first\(statistics.count == options.runLimit ? " (the most recent \(options.runLimit))" : "").</p>
                <div class="scroll"><table class="runs">
                <thead><tr><th>Started</th><th>Run</th><th>Kind</th><th>Program</th><th>Status</th>\
                <th class="n">Calls</th><th class="n">Cache hits</th><th class="n">Parse err.</th><th class="n">Errors</th>\
                <th class="n" title="prompt → completion tokens, cache hits left out">Tokens</th><th class="n" title="prompt tokens served from the engine's prefix cache">Prefix-cached</th>\
                <th class="n">Call time</th><th class="n">Wall time</th></tr></thead>
                <tbody>\(rows)</tbody>
                </table></div>
                """
        }
        if !recent.isEmpty {
            content += "<h2>Most recent calls</h2>" + callTable(recent, query: nil)
        }
        return layout(title: "Runs", refresh: running && live ? Self.refreshInterval : nil, content)
    }

    // MARK: A run (/runs/{id})

    func runPage(_ run: RunRecord, problemsOnly: Bool = false, live: Bool = true) throws -> HTML {
        let calls = try store.calls(CallQuery(runID: run.id))
        let tree = TraceTree(calls: calls)
        let totals = tree.totals
        let wall = run.finishedAt.map { WebFormat.duration($0.timeIntervalSince(run.startedAt)) } ?? "–"
        var content: HTML = """
            <nav class="crumbs"><a href="/">Runs</a> › <span class="mono">\(run.id)</span></nav>
            <h1>\(run.kind.rawValue)\(run.program.map { " · " + $0 } ?? "") <small class="mono">\(WebFormat.shortID(run.id))</small> \(statusBadge(run.status))</h1>
            <div class="cards">
            \(card(WebFormat.count(totals.calls), "LM calls"))\(card(WebFormat.count(totals.cacheHits), "cache hits"))\
            \(card(WebFormat.count(tree.examples.count), tree.examples.count == 1 ? "example" : "examples"))\
            \(card(WebFormat.count(totals.promptTokens), "prompt tokens"))\(card(WebFormat.count(totals.completionTokens), "completion tokens"))\
            \(card(WebFormat.count(totals.cachedPromptTokens), "prefix-cached tokens"))\
            \(card(WebFormat.count(totals.parseErrors), "parse errors"))\(card(WebFormat.count(totals.errors), "errors"))\
            \(card(WebFormat.duration(totals.callTime), "call time"))\(card(wall, "wall time"))
            </div>
            <p class="muted">Started \(WebFormat.date(run.startedAt))\(run.finishedAt.map { ", finished " + WebFormat.date($0) } ?? ""). \
            <a href="/api/runs/\(HTML.pathSegment(run.id))">JSON</a></p>
            """
        if run.status == .running {
            content += liveNote(live: live, href: runHref(run.id) + (problemsOnly ? "?only=problems" : ""))
        }
        if let summary = run.summary, !summary.isEmpty {
            content += "<h2>Summary</h2>" + keyValueTable(summary)
        }
        content += try compileSection(run, calls: calls)
        content += distributionSection(run, calls: calls)
        let byPhase = tree.examples.contains { $0.phase != nil }
        content += byPhase
            ? "<h2>Trace tree <small class=\"muted\">phase → example → module → calls</small></h2>"
            : "<h2>Trace tree <small class=\"muted\">example → module → calls</small></h2>"
        let troubled = tree.examples(problemsOnly: true).count
        let href = runHref(run.id)
        content += """
            <p class="filter">\(problemsOnly ? "<a href=\"\(href)\">All \(plural(tree.examples.count, "example"))</a>" as HTML : "<b>All \(plural(tree.examples.count, "example"))</b>")\
             · \(problemsOnly ? "<b>\(WebFormat.count(troubled)) with parse errors or errors</b>" as HTML : "<a href=\"\(href)?only=problems\">\(WebFormat.count(troubled)) with parse errors or errors</a>")</p>
            """
        if tree.examples.isEmpty {
            content += "<p class=\"empty\">This run logged no LM calls.</p>"
        } else if problemsOnly, troubled == 0 {
            content += "<p class=\"empty\">No call of this run failed or had a parse error.</p>"
        }
        if byPhase {
            content += phaseNodes(tree, problemsOnly: problemsOnly)
        } else {
            let open = tree.examples.count <= 25 || problemsOnly
            for (index, example) in tree.examples.enumerated() where !problemsOnly || example.hasProblems {
                content += exampleNode(example, number: index + 1, open: open)
            }
        }
        let refresh = run.status == .running && live ? Self.refreshInterval : nil
        return layout(title: "Run \(WebFormat.shortID(run.id))", scope: run, refresh: refresh, content)
    }

    /// Says that the page follows a running run, with a link to stop or resume reloading.
    func liveNote(live: Bool, href: String) -> HTML {
        let separator = href.contains("?") ? "&" : "?"
        return live
            ? "<p class=\"live\">A run is still running: this page reloads every \(Self.refreshInterval) s. <a href=\"\(href)\(separator)refresh=0\">Stop reloading</a></p>"
            : "<p class=\"live\">A run is still running. <a href=\"\(href)\">Reload every \(Self.refreshInterval) s</a></p>"
    }

    func card(_ value: String, _ label: String) -> HTML {
        "<div class=\"card\"><b>\(value)</b><span>\(label)</span></div>"
    }

    /// The trace tree's examples grouped by the phase of their first call, phases in the
    /// order they started; a phase is open when it holds at most 25 examples shown.
    func phaseNodes(_ tree: TraceTree, problemsOnly: Bool) -> HTML {
        var order: [String?] = []
        var grouped: [String?: [(Int, TraceTree.Example)]] = [:]
        for (index, example) in tree.examples.enumerated() {
            if grouped[example.phase] == nil { order.append(example.phase) }
            grouped[example.phase, default: []].append((index, example))
        }
        var content: HTML = ""
        for phase in order {
            let examples = grouped[phase] ?? []
            let shown = examples.filter { !problemsOnly || $0.1.hasProblems }
            if problemsOnly && shown.isEmpty { continue }
            let totals = Totals(examples.flatMap { $0.1.calls })
            let nodes = shown.map {
                exampleNode($0.1, number: $0.0 + 1, open: problemsOnly || (shown.count <= 10 && $0.1.totals.calls <= 25))
            }
            let anchor = "phase-" + (phase ?? "none")
            content += """
                <details class="phase" id="\(anchor)"\(shown.count <= 25 ? " open" : "" as HTML)>
                <summary><b>\(phase ?? "(no phase)")</b> <span class="muted">· \(plural(examples.count, "example")) · \
                \(plural(totals.calls, "call")) · \(WebFormat.count(totals.promptTokens + totals.completionTokens)) tok · \
                \(WebFormat.duration(totals.callTime))</span> \(totalsBadges(totals))</summary>
                \(nodes)</details>

                """
        }
        return content
    }

    func exampleNode(_ example: TraceTree.Example, number: Int, open: Bool) -> HTML {
        let totals = example.totals
        let label: HTML = example.traceID.map { "Example \(number) <code title=\"trace \($0)\">\(WebFormat.shortID($0))</code>" }
            ?? "Calls without a trace id"
        let preview = example.calls.first.flatMap(WebFormat.examplePreview) ?? ""
        let modules = example.modules.map { module -> HTML in
            let calls = module.calls.map { call -> HTML in
                """
                <li>\(callLink(call.id))\(tokens(call))<span class="tok">\(WebFormat.duration(call.latency))</span>\
                \(callBadges(call))<span class="output">\(WebFormat.outputPreview(call))</span></li>
                """
            }
            return """
                <li><span class="path">\(module.path)</span> <span class="muted">\(plural(module.calls.count, "call"))</span>\
                <ol class="calls">\(calls)</ol></li>
                """
        }
        let anchor = example.traceID.map { "trace-" + $0 } ?? "untraced"
        return """
            <details class="example" id="\(anchor)"\(open ? " open" : "" as HTML)>
            <summary>\(label) <span class="muted">· \(plural(totals.calls, "call")) · \
            \(WebFormat.count(totals.promptTokens + totals.completionTokens)) tok · \(WebFormat.duration(totals.callTime))</span> \
            \(totalsBadges(totals))<span class="preview">\(preview)</span></summary>
            <ul class="tree">\(modules)</ul>
            </details>

            """
    }

    func keyValueTable(_ values: [String: StoredJSON]) -> HTML {
        let rows = values.keys.sorted().map { key -> HTML in
            "<tr><th>\(key)</th><td class=\"mono\">\(WebFormat.value(values[key] ?? .null))</td></tr>"
        }
        return "<table class=\"kv\"><tbody>\(rows)</tbody></table>"
    }

    // MARK: Search (/search?q=…)

    func searchPage(_ query: String, run: RunRecord?) throws -> HTML {
        let scope: HTML = run.map { "in run <a class=\"id\" href=\"\(runHref($0.id))\">\(WebFormat.shortID($0.id))</a> (<a href=\"/search?q=\(HTML.queryValue(query))\">search all runs</a>)" } ?? "in all runs"
        var content: HTML = """
            <nav class="crumbs"><a href="/">Runs</a>\(run.map { " › " + runLink($0.id) } ?? "")</nav>
            <h1>Search</h1>
            """
        guard !query.isEmpty else {
            content += "<p class=\"empty\">Type some text in the search box: every message and completion is searched (case-insensitive for ASCII letters).</p>"
            return layout(title: "Search", scope: run, content)
        }
        let results = try searchResults(query, run: run)
        let shown = results.calls.count < results.total ? " — the \(results.calls.count) most recent shown" : ""
        content += "<p class=\"muted\">\(plural(results.total, "call")) \(results.total == 1 ? "contains" : "contain") “\(query)” \(scope)\(shown).</p>"
        if results.calls.isEmpty {
            content += "<p class=\"empty\">No message or completion contains “\(query)”.</p>"
        } else {
            content += callTable(results.calls, query: query)
        }
        return layout(title: "Search: \(query)", search: query, scope: run, content)
    }

    /// Calls as table rows; with a query, each row shows where the text occurs.
    func callTable(_ calls: [LoggedCall], query: String?) -> HTML {
        let rows = calls.map { call -> HTML in
            let detail: HTML
            if let query, let hit = Self.firstMatch(in: call, query: query) {
                detail = "<span class=\"badge\">\(hit.place)</span><span class=\"output\">\(hit.before)<mark>\(hit.match)</mark>\(hit.after)</span>"
            } else {
                detail = "<span class=\"output\">\(WebFormat.outputPreview(call))</span>"
            }
            return """
                <tr><td>\(callLink(call.id))</td><td class="mono">\(WebFormat.date(call.timestamp))</td>\
                <td>\(call.runID.map(runLink) ?? "–")</td><td class="path">\(call.modulePath)</td>\
                <td class="n">\(tokens(call))</td><td class="n">\(WebFormat.duration(call.latency))</td>\
                <td>\(callBadges(call))\(detail)</td></tr>
                """
        }
        return """
            <table class="calls">
            <thead><tr><th>Call</th><th>Time</th><th>Run</th><th>Module</th><th class="n">Tokens</th>\
            <th class="n">Latency</th><th>\(query == nil ? "Output" : "Match")</th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            """
    }

    /// Where `query` first occurs in a call: which message (or the completion) and the text around it.
    static func firstMatch(in call: LoggedCall, query: String)
        -> (place: String, before: String, match: String, after: String)?
    {
        for message in call.messages {
            if let hit = WebFormat.snippet(message.content, around: query) {
                return (message.role, hit.before, hit.match, hit.after)
            }
        }
        if let completion = call.completion, let hit = WebFormat.snippet(completion, around: query) {
            return ("completion", hit.before, hit.match, hit.after)
        }
        return nil
    }
}
