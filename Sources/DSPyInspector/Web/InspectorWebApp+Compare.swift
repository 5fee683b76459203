import DSPyStore
import Foundation

// Two calls side by side (/compare?a=…&b=…): what differs in their facts,
// sampling parameters, messages (a line diff each) and completions.

extension InspectorWebApp {
    /// The two calls a compare request names.
    func comparedCalls(_ request: [String: String]) throws -> (LoggedCall, LoggedCall) {
        guard let a = request["a"], !a.isEmpty, let b = request["b"], !b.isEmpty else {
            throw WebFailure(
                status: 400, title: "Two calls are needed",
                message: "Name the two calls to compare by id, as in /compare?a=12&b=34.")
        }
        return (try loadCall(a.trimmingCharacters(in: .whitespaces)), try loadCall(b.trimmingCharacters(in: .whitespaces)))
    }

    /// Compares messages by position; a message only one call has is all added or all removed.
    func messageDiffs(_ a: LoggedCall, _ b: LoggedCall) -> [(index: Int, role: String, diff: TextDiff)] {
        (0..<max(a.messages.count, b.messages.count)).map { index in
            let left = index < a.messages.count ? a.messages[index] : nil
            let right = index < b.messages.count ? b.messages[index] : nil
            let roles = [left?.role, right?.role].compactMap { $0 }
            let role = Set(roles).count == 1 ? roles[0] : roles.joined(separator: " / ")
            var diff = TextDiff(left?.content ?? "", right?.content ?? "")
            if left == nil { diff.lines = diff.lines.filter { !$0.text.isEmpty || $0.kind != .removed } }
            if right == nil { diff.lines = diff.lines.filter { !$0.text.isEmpty || $0.kind != .added } }
            return (index + 1, role, diff)
        }
    }

    func comparePage(_ a: LoggedCall, _ b: LoggedCall) -> HTML {
        let idA = a.id.map(String.init) ?? "?"
        let idB = b.id.map(String.init) ?? "?"
        func row(_ name: String, _ left: String, _ right: String) -> HTML {
            let differs = left != right
            return "<tr\(differs ? " class=\"differs\"" : "" as HTML)><th>\(name)</th><td>\(left)</td><td>\(right)</td></tr>"
        }
        let facts: [HTML] = [
            row("Run", a.runID.map(WebFormat.shortID) ?? "–", b.runID.map(WebFormat.shortID) ?? "–"),
            row("Module", a.modulePath, b.modulePath),
            row("Model", a.model, b.model),
            row("Adapter", a.adapter ?? "–", b.adapter ?? "–"),
            row("Constraint", a.constraint ?? "none", b.constraint ?? "none"),
            row("Tokens", "\(a.promptTokens) → \(a.completionTokens)", "\(b.promptTokens) → \(b.completionTokens)"),
            row("Latency", WebFormat.duration(a.latency), WebFormat.duration(b.latency)),
            row("Cache hit", a.cacheHit ? "yes" : "no", b.cacheHit ? "yes" : "no"),
            row("Output", WebFormat.outputPreview(a), WebFormat.outputPreview(b)),
        ]
        let keys = Set(a.sampling.keys).union(b.sampling.keys).sorted()
        let sampling = keys.map { key in
            row(key, a.sampling[key].map(WebFormat.value) ?? "–", b.sampling[key].map(WebFormat.value) ?? "–")
        }
        let head: HTML = "<thead><tr><th></th><th>\(callLink(a.id))</th><th>\(callLink(b.id))</th></tr></thead>"

        var content: HTML = """
            <nav class="crumbs"><a href="/">Runs</a> › compare</nav>
            <h1>Call #\(idA) and call #\(idB)</h1>
            <p class="muted">Lines only in #\(idA) are marked <span class="del-sample">−</span>, \
            lines only in #\(idB) <span class="add-sample">+</span>. \
            <a href="/compare?a=\(idB)&amp;b=\(idA)">Swap</a> · <a href="/api/compare?a=\(idA)&amp;b=\(idB)">JSON</a></p>
            <div class="columns even">
            <div><h2>Calls</h2><table class="compare">\(head)<tbody>\(facts)</tbody></table></div>
            <div><h2>Sampling parameters</h2>\(keys.isEmpty ? "<p class=\"empty\">Neither call recorded sampling parameters.</p>" as HTML : "<table class=\"compare\">\(head)<tbody>\(sampling)</tbody></table>")</div>
            </div>
            """
        let diffs = messageDiffs(a, b)
        let changed = diffs.filter { !$0.diff.isEmpty }.count
        content += "<h2>Messages <small class=\"muted\">\(changed == 0 ? "identical" : "\(changed) of \(diffs.count) differ")</small></h2>"
        for item in diffs {
            let kind = ["system", "user", "assistant"].contains(item.role) ? item.role : "other"
            if item.diff.isEmpty {
                content += """
                    <details class="message \(kind)"><summary class="role">\(item.index). \(item.role) · identical \
                    (\(plural(item.diff.lines.count, "line")))</summary>\(diffBlock(item.diff))</details>
                    """
            } else {
                content += """
                    <div class="message \(kind)"><div class="role">\(item.index). \(item.role)</div>\(diffBlock(item.diff))</div>
                    """
            }
        }
        let completion = TextDiff(a.completion ?? "", b.completion ?? "")
        content += "<h2>Completion <small class=\"muted\">\(completion.isEmpty ? "identical" : "differs")</small></h2>"
        content += "<div class=\"message\">\(diffBlock(completion))</div>"
        return layout(title: "Compare #\(idA) and #\(idB)", content)
    }

    /// A diff as preformatted lines; long unchanged stretches fold to a count.
    func diffBlock(_ diff: TextDiff, context: Int = 3) -> HTML {
        var out: [HTML] = []
        var index = 0
        let lines = diff.lines
        while index < lines.count {
            let line = lines[index]
            guard line.kind == .same else {
                out.append(line.kind == .added ? "<span class=\"add\">+ \(line.text)</span>" : "<span class=\"del\">− \(line.text)</span>")
                index += 1
                continue
            }
            var end = index
            while end < lines.count, lines[end].kind == .same { end += 1 }
            let keepBefore = index == 0 ? 0 : context
            let keepAfter = end == lines.count ? 0 : context
            if diff.isEmpty || end - index <= keepBefore + keepAfter + 1 {
                out += lines[index..<end].map { "<span>  \($0.text)</span>" }
            } else {
                out += lines[index..<(index + keepBefore)].map { "<span>  \($0.text)</span>" }
                out.append("<span class=\"fold\">  ⋯ \(plural(end - index - keepBefore - keepAfter, "unchanged line")) ⋯</span>")
                out += lines[(end - keepAfter)..<end].map { "<span>  \($0.text)</span>" }
            }
            index = end
        }
        // Each line is a block of its own: no newline between them, or the <pre> would show it.
        return "<pre class=\"diff\">\(out)</pre>"
    }

    // MARK: JSON

    struct APICompare: Encodable {
        struct Line: Encodable {
            var kind: TextDiff.Kind
            var text: String
        }

        struct Message: Encodable {
            var index: Int
            var role: String
            var identical: Bool
            var lines: [Line]
        }

        var a: Int64?
        var b: Int64?
        var messages: [Message]
        var completion: [Line]
        var completionIdentical: Bool

        enum CodingKeys: String, CodingKey {
            case a, b, messages, completion
            case completionIdentical = "completion_identical"
        }
    }

    func compareJSON(_ a: LoggedCall, _ b: LoggedCall) -> APICompare {
        func lines(_ diff: TextDiff) -> [APICompare.Line] { diff.lines.map { APICompare.Line(kind: $0.kind, text: $0.text) } }
        let completion = TextDiff(a.completion ?? "", b.completion ?? "")
        return APICompare(
            a: a.id, b: b.id,
            messages: messageDiffs(a, b).map {
                APICompare.Message(index: $0.index, role: $0.role, identical: $0.diff.isEmpty, lines: lines($0.diff))
            },
            completion: lines(completion), completionIdentical: completion.isEmpty)
    }
}
