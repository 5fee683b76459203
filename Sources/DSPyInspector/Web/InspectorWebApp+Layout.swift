import DSPyStore
import Foundation

// The frame every page shares (header, search box, footer), the stylesheet, and
// the small pieces pages are built from (links, badges, token counts).

extension InspectorWebApp {
    /// A whole page: the header with the search box, `content`, and a footer naming the store.
    ///
    /// With `refresh`, the browser reloads the page every that many seconds (for runs still running).
    func layout(title: String, search: String = "", scope: RunRecord? = nil, refresh: Int? = nil, _ content: HTML) -> HTML {
        let scopeInput: HTML = scope.map { "<input type=\"hidden\" name=\"run\" value=\"\($0.id)\">" } ?? ""
        let placeholder = scope.map { "Search run \(WebFormat.shortID($0.id))’s messages and completions" }
            ?? "Search messages and completions"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · dspyc inspector</title>\(refresh.map { "\n<meta http-equiv=\"refresh\" content=\"\($0)\">" as HTML } ?? "")
            <style>\(Self.stylesheet)</style>
            </head>
            <body>
            <header>
            <a class="brand" href="/">dspyc <span>inspector</span></a>
            <nav><a href="/">Runs</a></nav>
            <form class="search" action="/search" method="get" role="search">
            <input type="search" name="q" value="\(search)" placeholder="\(placeholder)" aria-label="Search">\(scopeInput)
            <button type="submit">Search</button>
            </form>
            </header>
            <main>
            \(content)
            </main>
            <footer>Request log in <code>\(store.path)</code></footer>
            </body>
            </html>

            """
    }

    func errorPage(_ failure: WebFailure) -> HTML {
        layout(
            title: failure.title,
            """
            <nav class="crumbs"><a href="/">Runs</a></nav>
            <h1>\(failure.title)</h1>
            <p class="problem">\(failure.message)</p>
            <p><a href="/">Back to the runs</a></p>
            """)
    }

    // MARK: Pieces

    func runHref(_ id: String) -> String { "/runs/" + HTML.pathSegment(id) }

    func callHref(_ id: Int64?) -> String { "/calls/" + (id.map(String.init) ?? "") }

    func runLink(_ id: String) -> HTML {
        "<a class=\"id\" href=\"\(runHref(id))\" title=\"\(id)\">\(WebFormat.shortID(id))</a>"
    }

    func callLink(_ id: Int64?) -> HTML {
        "<a class=\"id\" href=\"\(callHref(id))\">#\(id.map(String.init) ?? "?")</a>"
    }

    func badge(_ text: String, _ kind: String) -> HTML { "<span class=\"badge \(kind)\">\(text)</span>" }

    func statusBadge(_ status: RunStatus) -> HTML { badge(status.rawValue, "status-\(status.rawValue)") }

    /// Cache hit, parse error, error and truncation, as badges.
    func callBadges(_ call: LoggedCall) -> HTML {
        var out: HTML = ""
        if call.cacheHit { out += badge("cache hit", "hit") }
        if call.parseError != nil { out += badge("parse error", "warn") }
        if call.error != nil { out += badge("error", "bad") }
        if call.finishReason == "length" { out += badge("cut at max tokens", "warn") }
        if call.adapterFallback { out += badge("adapter fallback", "warn") }
        return out
    }

    /// The same for a group of calls, with counts.
    func totalsBadges(_ totals: Totals) -> HTML {
        var out: HTML = ""
        if totals.cacheHits > 0 { out += badge("\(totals.cacheHits) cache hit\(totals.cacheHits == 1 ? "" : "s")", "hit") }
        if totals.parseErrors > 0 { out += badge("\(totals.parseErrors) parse error\(totals.parseErrors == 1 ? "" : "s")", "warn") }
        if totals.errors > 0 { out += badge("\(totals.errors) error\(totals.errors == 1 ? "" : "s")", "bad") }
        return out
    }

    /// `812 → 24 tok`.
    func tokens(_ call: LoggedCall) -> HTML {
        "<span class=\"tok\" title=\"prompt → completion tokens\">\(WebFormat.count(call.promptTokens)) → \(WebFormat.count(call.completionTokens)) tok</span>"
    }

    func plural(_ count: Int, _ noun: String) -> String {
        "\(WebFormat.count(count)) \(noun)\(count == 1 ? "" : "s")"
    }

    // MARK: Stylesheet

    static let stylesheet: HTML = """
        :root{--fg:#1d232b;--muted:#65707d;--line:#dde2e8;--bg:#f6f7f9;--card:#fff;--accent:#2457c5;
        --hit:#1c7c46;--hitbg:#e3f4ea;--warn:#8a5a00;--warnbg:#fdf1d8;--bad:#b3261e;--badbg:#fbe4e2;
        --mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
        a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
        header{display:flex;align-items:center;gap:20px;padding:10px 24px;background:#18202b;color:#fff}
        header .brand{color:#fff;font-weight:700;font-size:16px}header .brand span{font-weight:400;color:#9fb3cc}
        header nav a{color:#d5deea}header .search{margin-left:auto;display:flex;gap:6px}
        header input[type=search]{width:360px;padding:6px 10px;border:1px solid #3a4656;border-radius:6px;background:#0f151d;color:#fff}
        button{padding:6px 12px;border:0;border-radius:6px;background:var(--accent);color:#fff;font:inherit;cursor:pointer}
        main{max-width:1280px;margin:0 auto;padding:18px 24px 40px}
        footer{max-width:1280px;margin:0 auto;padding:0 24px 24px;color:var(--muted);font-size:12px}
        h1{font-size:22px;margin:6px 0 12px}h1 small{font-weight:400;color:var(--muted);font-size:15px;margin-left:8px}
        h2{font-size:16px;margin:22px 0 8px}
        code,pre,.id,.mono{font-family:var(--mono);font-size:12.5px}
        .muted{color:var(--muted)}.crumbs{color:var(--muted);margin-bottom:4px}
        table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
        th,td{padding:6px 9px;border-bottom:1px solid var(--line);text-align:left;vertical-align:baseline}
        th{background:#eef1f5;font-weight:600;font-size:12.5px;color:#3b4552;white-space:nowrap}
        tr:last-child td{border-bottom:0}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        tbody tr:hover{background:#f3f6fb}td.mono{white-space:nowrap}.scroll{overflow-x:auto}
        table.kv th{width:1%;white-space:nowrap}table.kv td{word-break:break-word}
        .badge{display:inline-block;padding:1px 7px;margin:0 3px 0 0;border-radius:10px;font-size:11.5px;font-weight:600;background:#e8ecf1;color:#3b4552;white-space:nowrap}
        .badge.hit{background:var(--hitbg);color:var(--hit)}.badge.warn{background:var(--warnbg);color:var(--warn)}
        .badge.bad,.badge.status-failed{background:var(--badbg);color:var(--bad)}
        .badge.status-succeeded{background:var(--hitbg);color:var(--hit)}.badge.status-running{background:#e1ebfb;color:var(--accent)}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(104px,1fr));gap:8px;margin:8px 0 16px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 12px}
        .card b{display:block;font-size:18px;font-variant-numeric:tabular-nums}.card span{color:var(--muted);font-size:12px}
        details.example{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:0}
        details.example>summary{cursor:pointer;padding:8px 12px;list-style-position:inside}
        details.example>summary .preview{display:block;color:var(--muted);margin:2px 0 0 18px;font-family:var(--mono);font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
        ul.tree{list-style:none;margin:0;padding:4px 12px 10px 30px;border-top:1px solid var(--line)}
        ul.tree>li{margin:6px 0}.path{font-family:var(--mono);font-weight:600}
        ol.calls{list-style:none;margin:4px 0 0 6px;padding-left:14px;border-left:2px solid var(--line)}
        ol.calls li{padding:3px 0;display:flex;gap:10px;align-items:baseline;flex-wrap:wrap}
        .tok{font-variant-numeric:tabular-nums;color:#3b4552}.output{font-family:var(--mono);font-size:12px;color:#3b4552}
        .facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
        .facts dt{color:var(--muted)}.facts dd{margin:0;overflow-wrap:anywhere}
        .columns{display:grid;grid-template-columns:minmax(0,1fr) 360px;gap:20px;align-items:start}
        aside .facts{grid-template-columns:max-content minmax(0,1fr)}aside dd{font-size:13px}
        .titlebar{display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}.stepper{margin-left:auto;display:flex;gap:14px;white-space:nowrap}
        .message{background:var(--card);border:1px solid var(--line);border-left:4px solid #9aa6b5;border-radius:6px;margin:0 0 10px}
        .message.system{border-left-color:#8a63c7}.message.user{border-left-color:var(--accent)}.message.assistant{border-left-color:var(--hit)}
        .message .role{padding:4px 12px;font-size:12px;font-weight:600;color:var(--muted);border-bottom:1px solid var(--line);text-transform:uppercase;letter-spacing:.04em}
        pre{margin:0;padding:10px 12px;white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere}
        pre.box{background:var(--card);border:1px solid var(--line);border-radius:6px}
        .problem{background:var(--badbg);color:var(--bad);border-radius:6px;padding:10px 12px;white-space:pre-wrap}
        .parse-problem{background:var(--warnbg);color:var(--warn);border-radius:6px;padding:10px 12px;white-space:pre-wrap}
        mark{background:#ffe58a;color:inherit;padding:0 1px;border-radius:2px}
        .columns.even{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}
        pre.diff span{display:block;min-height:1.2em}pre.diff .add{background:#e3f4ea;color:#0f5a31}pre.diff .del{background:#fbe4e2;color:#8c1d17}
        details.message>summary{cursor:pointer;border-bottom:0}details.message[open]>summary{border-bottom:1px solid var(--line)}
        pre.diff .fold{color:var(--muted);background:#f0f2f5;font-style:italic}
        .add-sample{background:#e3f4ea;color:#0f5a31;padding:0 5px;border-radius:3px}.del-sample{background:#fbe4e2;color:#8c1d17;padding:0 5px;border-radius:3px}
        tr.chosen td{background:#e6f4ea;font-weight:600}figure{margin:12px 0}figcaption{font-size:12px;color:var(--muted)}svg.chart{max-width:100%;height:auto;background:#fff}
        tr.differs td{background:var(--warnbg)}table.compare th:first-child{width:1%;white-space:nowrap}table.compare td{word-break:break-word}
        form.compare{display:flex;gap:6px;align-items:center;margin:14px 0 0}form.compare input{width:90px;padding:5px 8px;border:1px solid var(--line);border-radius:6px;font:inherit}
        .live{background:#e1ebfb;color:#1d3f86;border-radius:6px;padding:6px 12px}
        .empty{background:var(--card);border:1px dashed var(--line);border-radius:8px;padding:18px;color:var(--muted)}
        details.phase{border-left:3px solid #8a63c7;padding:0 0 0 10px;margin:0 0 14px}details.phase>summary{cursor:pointer;padding:6px 0;font-size:15px}
        h3{font-size:14px;margin:16px 0 6px}.tokens{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 12px;font-family:var(--mono);font-size:12.5px;white-space:pre-wrap;word-break:break-word;line-height:1.9}
        .tk{border-radius:3px;padding:1px 1px;margin:0 1px 0 0;border-bottom:2px solid transparent}.tk.forced{background:#eceff3;color:#59636f}
        .tk.choice{background:#e3f4ea;color:#0f5a31;border-bottom-color:#1f7a3a;font-weight:600}.tk.sampled{background:#fdf1d8;color:#5d3d00;border-bottom-color:#c98a00}
        .legend{font-size:12px;color:var(--muted)}.alt{margin-right:12px;white-space:nowrap}.alt.same code{font-weight:700}
        .cached{background:#efe7fa;box-shadow:inset 0 -2px 0 #8a63c7}.prompt-cache{font-size:12.5px;color:var(--muted)}
        svg.bar{vertical-align:middle}table.labels{width:auto;margin:6px 0}table.demos td div{margin:1px 0}
        """
}
