import DSPyStore
import Foundation

// The chosen program's demos on a compile's run page, each linked to the calls that
// produced it (the teacher's bootstrap traces).

extension InspectorWebApp {
    /// One demo of the chosen program and the calls found to have produced it.
    struct DemoOrigin: Sendable {
        var path: String
        var fields: [(String, String)]
        var augmented: Bool
        var calls: [Int64]
    }

    /// The chosen candidate's demos with their producing calls.
    ///
    /// A demo was produced by a `bootstrap`-phase call of its predictor when every demo field
    /// is either that call's parsed output with the same value or text of its last message (the
    /// inputs); the most recent such call is the one whose output became the demo. Labelled
    /// (not bootstrapped) demos have no call. Cost: demos × bootstrap calls string searches.
    static func demoOrigins(_ chosen: CompileCandidateRecord, calls: [LoggedCall]) -> [DemoOrigin] {
        let bootstrap = calls.filter { $0.phase == "bootstrap" && $0.id != nil }
        var result: [DemoOrigin] = []
        for (path, state) in chosen.predictorStates {
            guard case .array(let demos)? = state["demos"] else { continue }
            let ofPredictor = bootstrap.filter { $0.modulePath == path || (path == "self" && $0.modulePath.isEmpty) }
            let candidates = ofPredictor.isEmpty ? bootstrap : ofPredictor
            for case .object(let demo) in demos {
                let augmented = demo["augmented"] == .bool(true)
                let fields = demo.keys.filter { $0 != "augmented" }.sorted().compactMap { key -> (String, String)? in
                    guard let value = demo[key] else { return nil }
                    return (key, LabelDistribution.labelText(value))
                }
                var found: [Int64] = []
                if augmented {
                    for call in candidates.reversed() where produced(fields, call) {
                        if let id = call.id { found.append(id) }
                        if found.count == 3 { break }
                    }
                }
                result.append(DemoOrigin(path: path, fields: fields, augmented: augmented, calls: found.reversed()))
            }
        }
        return result
    }

    /// Whether `call` produced a demo with `fields`: at least one parsed output equals its demo
    /// value, and every other field is in the call's last message.
    static func produced(_ fields: [(String, String)], _ call: LoggedCall) -> Bool {
        guard let parsed = call.parsedFields else { return false }
        let prompt = call.messages.last?.content ?? ""
        var outputs = 0
        for (key, value) in fields {
            if let output = parsed[key] {
                guard LabelDistribution.labelText(output) == value else { return false }
                outputs += 1
            } else if !value.isEmpty, !prompt.contains(value) {
                return false
            }
        }
        return outputs > 0
    }

    /// The demos section of a compile's run page, or nothing when the chosen program has none.
    func demoSection(_ candidates: [CompileCandidateRecord], calls: [LoggedCall]) -> HTML {
        guard let chosen = candidates.first(where: \.chosen) else { return "" }
        let origins = Self.demoOrigins(chosen, calls: calls)
        guard !origins.isEmpty else { return "" }
        let rows = origins.enumerated().map { index, demo -> HTML in
            let fields: [HTML] = demo.fields.map { key, value in
                "<div><b>\(key)</b> \(WebFormat.oneLine(value, limit: 160))</div>"
            }
            let links: HTML
            if !demo.augmented {
                links = "<span class=\"muted\">labelled example (no call)</span>"
            } else if demo.calls.isEmpty {
                links = "<span class=\"muted\">no bootstrap call found</span>"
            } else {
                let each: [HTML] = demo.calls.map { callLink($0) + " " }
                links = "\(each)"
            }
            return "<tr><td class=\"n\">\(index + 1)</td><td class=\"path\">\(demo.path)</td><td>\(fields)</td><td>\(links)</td></tr>"
        }
        let produced = origins.filter { !$0.calls.isEmpty }.count
        return """
            <h2>Demos of the chosen program <small class="muted">\(chosen.candidate) · \(plural(origins.count, "demo")), \
            \(WebFormat.count(produced)) linked to the bootstrap call that produced it</small></h2>
            <div class="scroll"><table class="demos">
            <thead><tr><th class="n">#</th><th>Predictor</th><th>Fields</th><th>Produced by</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """
    }
}
