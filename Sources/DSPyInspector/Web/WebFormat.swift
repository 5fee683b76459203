import DSPyStore
import Foundation

/// How the web page writes numbers, times and previews.
enum WebFormat {
    /// `12,345`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// `850 ms`, `1.24 s`, `2 min 05 s`.
    static func duration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite else { return "–" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 60 { return String(format: "%.2f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
        return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60)
    }

    /// `2026-11-23 02:51:15` in the local time zone.
    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    /// The first eight characters of a long id (as `git` abbreviates commits); short ids whole.
    static func shortID(_ id: String) -> String { id.count <= 12 ? id : String(id.prefix(8)) }

    /// Whitespace collapsed to single spaces and cut at `limit` characters with `…`.
    static func oneLine(_ text: String, limit: Int = 120) -> String {
        let collapsed = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
        guard collapsed.count > limit else { return collapsed }
        return String(collapsed.prefix(limit)) + "…"
    }

    /// A JSON value as compact text; strings without quotes.
    static func value(_ value: StoredJSON) -> String {
        if case .string(let text) = value { return text }
        return value.jsonText
    }

    /// A short line of text around the first case-insensitive occurrence of `query`:
    /// the text before it, the match, and the text after it.
    static func snippet(_ text: String, around query: String, context: Int = 60)
        -> (before: String, match: String, after: String)?
    {
        guard !query.isEmpty,
            let range = text.range(of: query, options: [.caseInsensitive, .diacriticInsensitive])
        else { return nil }
        let startLimit = text.index(range.lowerBound, offsetBy: -context, limitedBy: text.startIndex) ?? text.startIndex
        let endLimit = text.index(range.upperBound, offsetBy: context, limitedBy: text.endIndex) ?? text.endIndex
        let before = (startLimit > text.startIndex ? "…" : "") + collapsed(text[startLimit..<range.lowerBound])
        let after = collapsed(text[range.upperBound..<endLimit]) + (endLimit < text.endIndex ? "…" : "")
        return (before, collapsed(text[range]), after)
    }

    /// Runs of whitespace (newlines too) as one space; the ends are kept.
    static func collapsed(_ text: Substring) -> String {
        var out = ""
        var inSpace = false
        for character in text {
            if character.isWhitespace {
                if !inSpace { out.append(" ") }
                inSpace = true
            } else {
                out.append(character)
                inSpace = false
            }
        }
        return out
    }

    /// The text a reader recognises an example by: the last user message, with
    /// ChatAdapter's field markers as `name:` and its closing instruction left out.
    static func examplePreview(_ call: LoggedCall) -> String? {
        guard let message = call.messages.last(where: { $0.role == "user" }) ?? call.messages.last else { return nil }
        var text = message.content
        if let instruction = text.range(of: "Respond with the corresponding output fields") {
            text = String(text[..<instruction.lowerBound])
        }
        text = text.replacingOccurrences(of: "[[ ## ", with: "").replacingOccurrences(of: " ## ]]", with: ":")
        return oneLine(text, limit: 140)
    }

    /// What a call produced, in one line: its parsed fields, or else the completion.
    static func outputPreview(_ call: LoggedCall) -> String {
        if let error = call.error { return "error: " + oneLine(error, limit: 100) }
        if let fields = call.parsedFields, !fields.isEmpty {
            let pairs = fields.keys.sorted().map { "\($0): \(value(fields[$0] ?? .null))" }
            return oneLine(pairs.joined(separator: " · "), limit: 120)
        }
        return oneLine(call.completion ?? "", limit: 120)
    }
}
