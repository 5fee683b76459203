import DSPyStore
import Foundation

// The token view of a call (/calls/{id}): the completion token by token, each marked as
// forced by the constraint, taken by a scored choice or sampled; the choices with each
// value's log-probability, offset and calibrated score as bars; the sampled tokens with
// their alternatives; and the prompt's prefix-cached part.

extension InspectorWebApp {
    /// The token view of a call, or a note saying the model did not report one.
    func tokenSection(_ call: LoggedCall) -> HTML {
        guard let trace = call.tokenTrace else {
            return """
                <h2>Tokens</h2><p class="empty">No token trace was logged for this call (a remote model, a call \
                logged before token traces existed, or a call that generated nothing).</p>
                """
        }
        var content: HTML = """
            <h2 id="tokens">Tokens <small class="muted">\(plural(trace.tokens.count, "completion token")): \
            \(WebFormat.count(trace.count(.forced))) forced, \(WebFormat.count(trace.count(.choice))) by choice scoring, \
            \(WebFormat.count(trace.count(.sampled))) sampled</small></h2>
            <p class="legend"><span class="tk forced">forced</span> by the constraint · \
            <span class="tk choice">choice</span> decided by scoring whole values · \
            <span class="tk sampled">sampled</span> (log-prob in the tooltip and below) · hover a token for details</p>
            """
        let spans = trace.tokens.enumerated().map { index, token -> HTML in
            "<span class=\"tk \(Self.originClass(token.origin))\" title=\"\(Self.tokenTitle(index, token, trace))\">\(Self.visible(token.text))</span>"
        }
        content += "<div class=\"tokens\">\(spans)</div>"
        for (index, choice) in trace.choices.enumerated() {
            content += choiceTable(choice, number: index + 1)
        }
        let sampled = trace.tokens.enumerated().filter { $0.1.origin == .sampled && $0.1.logprob != nil }
        if !sampled.isEmpty {
            let shown = sampled.prefix(200)
            let rows = shown.map { index, token -> HTML in
                let alternatives = (token.top ?? []).map { alternative -> HTML in
                    let same = alternative.text == token.text
                    return "<span class=\"alt\(same ? " same" : "" as HTML)\"><code>\(Self.visible(alternative.text))</code> \(Self.logprobText(alternative.logprob))</span>"
                }
                return """
                    <tr><td class="n">\(index + 1)</td><td><code>\(Self.visible(token.text))</code></td>\
                    <td class="n">\(token.logprob.map(Self.logprobText) ?? "–")</td>\
                    <td class="n">\(token.logprob.map { String(format: "%.1f %%", 100 * exp($0)) } ?? "–")</td><td>\(alternatives)</td></tr>
                    """
            }
            content += """
                <h3>Sampled tokens <small class="muted">\(plural(sampled.count, "token"))\(sampled.count > shown.count ? ", the first \(shown.count) shown" : "")</small></h3>
                <div class="scroll"><table class="sampled"><thead><tr><th class="n">#</th><th>Token</th><th class="n">Log-prob</th>\
                <th class="n">p</th><th>Top alternatives</th></tr></thead><tbody>\(rows)</tbody></table></div>
                """
        }
        return content
    }

    /// One scored choice: per value its log-probability, offset and calibrated score, the
    /// calibrated score drawn as a bar (the taken value marked).
    func choiceTable(_ choice: TokenTrace.Choice, number: Int) -> HTML {
        let calibrated = choice.calibrated
        let low = (calibrated.filter(\.isFinite).min() ?? 0)
        let high = (calibrated.filter(\.isFinite).max() ?? 0)
        let floor = min(low, high - 1)
        let rows = choice.values.indices.map { index -> HTML in
            let offset = choice.offsets.indices.contains(index) ? choice.offsets[index] : 0
            let score = calibrated[index]
            let share = high > floor ? (score - floor) / (high - floor) : 1
            let width = max(2, Int((share * 220).rounded()))
            let chosen = index == choice.chosen
            return """
                <tr\(chosen ? " class=\"chosen\"" as HTML : "")><td>\(chosen ? "★" : "")</td><td><code>\(choice.values[index])</code></td>\
                <td class="n">\(Self.logprobText(choice.logprobs.indices.contains(index) ? choice.logprobs[index] : 0))</td>\
                <td class="n">\(String(format: "%+.3f", offset))</td><td class="n">\(Self.logprobText(score))</td>\
                <td><svg class="bar" width="230" height="14" viewBox="0 0 230 14" role="img"><title>\(choice.values[index]): \(Self.logprobText(score))</title>\
                <rect x="0" y="2" width="\(width)" height="10" fill="\(chosen ? "#1f7a3a" : "#8a9bb0")"/></svg></td></tr>
                """
        }
        return """
            <h3>Choice \(number): <code>\(choice.field)</code> <small class="muted">scored over \(plural(choice.values.count, "value")); \
            taken: \(choice.values.indices.contains(choice.chosen) ? choice.values[choice.chosen] : "?")</small></h3>
            <div class="scroll"><table class="choice"><thead><tr><th></th><th>Value</th><th class="n">Log-prob</th>\
            <th class="n" title="calibration offset, subtracted">Offset</th><th class="n">Calibrated</th><th>Calibrated score</th></tr></thead>\
            <tbody>\(rows)</tbody></table></div>
            """
    }

    /// The messages with their prefix-cached leading characters marked, when the trace places them.
    func promptCacheNote(_ call: LoggedCall) -> HTML {
        guard let trace = call.tokenTrace else { return "" }
        let share = trace.promptTokens > 0 ? Double(trace.cachedPromptTokens) / Double(trace.promptTokens) : 0
        let width = Int((share * 300).rounded())
        return """
            <p class="prompt-cache"><svg class="bar" width="300" height="12" viewBox="0 0 300 12" role="img">\
            <title>\(trace.cachedPromptTokens) of \(trace.promptTokens) prompt tokens from the prefix cache</title>\
            <rect x="0" y="1" width="300" height="10" fill="#dde2e8"/><rect x="0" y="1" width="\(width)" height="10" fill="#8a63c7"/></svg> \
            \(WebFormat.count(trace.cachedPromptTokens)) of \(plural(trace.promptTokens, "prompt token")) came from the prefix cache\
            \(trace.cachedCharacters != nil && trace.cachedPromptTokens > 0 ? " (marked <span class=\"cached\">like this</span> in the messages)" as HTML : "")</p>
            """
    }

    /// A message's text with its first `cached` characters marked as prefix-cached.
    static func messageText(_ content: String, cached: Int) -> HTML {
        guard cached > 0 else { return "\(content)" }
        let split = content.index(content.startIndex, offsetBy: min(cached, content.count))
        return "<span class=\"cached\" title=\"from the prefix cache\">\(String(content[..<split]))</span>\(String(content[split...]))"
    }

    static func originClass(_ origin: TokenTrace.Origin) -> String {
        switch origin {
        case .forced: "forced"
        case .choice: "choice"
        case .sampled: "sampled"
        }
    }

    static func tokenTitle(_ index: Int, _ token: TokenTrace.Token, _ trace: TokenTrace) -> String {
        var text = "#\(index + 1) \(token.text.debugDescription): "
        switch token.origin {
        case .forced: text += "forced by the constraint"
        case .choice:
            text += "part of a scored choice"
            if let c = token.choice, trace.choices.indices.contains(c) {
                let choice = trace.choices[c]
                text += " (\(choice.field) = \(choice.values.indices.contains(choice.chosen) ? choice.values[choice.chosen] : "?"))"
            }
        case .sampled:
            text += "sampled"
            if let logprob = token.logprob { text += ", log-prob \(logprobText(logprob))" }
            if let top = token.top, !top.isEmpty {
                text += "; top: " + top.map { "\($0.text.debugDescription) \(logprobText($0.logprob))" }.joined(separator: ", ")
            }
        }
        return text
    }

    /// Whitespace made visible: `·` for a space at the edges, `↵` before a newline, `⇥` for a tab.
    static func visible(_ text: String) -> String {
        if text.isEmpty { return "∅" }
        var out = text.replacingOccurrences(of: "\n", with: "↵\n").replacingOccurrences(of: "\t", with: "⇥")
        if out.hasPrefix(" ") { out = "·" + String(out.dropFirst()) }
        if out.hasSuffix(" ") { out = String(out.dropLast()) + "·" }
        return out
    }

    static func logprobText(_ value: Double) -> String {
        value <= -1e8 ? "−∞" : String(format: "%.3f", value)
    }
}
