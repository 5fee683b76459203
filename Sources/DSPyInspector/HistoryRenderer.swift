import DSPyStore
import Foundation

/// Renders logged calls the way DSPy's `inspect_history(n)` prints them.
///
/// With ``Options/details`` off (the default) the text is byte-for-byte
/// DSPy 3.4's layout (`dspy/utils/inspect_history.py`): four newlines, the
/// timestamp in brackets, each message as `<Role> message:` followed by its
/// stripped content, then `Response:` and the stripped completion, and four
/// newlines at the end. Colours (blue timestamp, red headers, green response)
/// are ANSI codes and appear only when ``Options/color`` is on.
///
/// With ``Options/details`` on, one line of dspyc facts (run, module, tokens,
/// latency, cache hit, constraint) follows the timestamp, and parse errors and
/// call errors follow the response.
public enum HistoryRenderer {
    /// How to render.
    public struct Options: Sendable, Equatable {
        /// ANSI colours, as DSPy uses them on a terminal.
        public var color: Bool
        /// dspyc's extra lines (run, module, tokens, latency, cache hit, errors).
        public var details: Bool
        /// The time zone timestamps are shown in (DSPy shows local time).
        public var timeZone: TimeZone

        public init(color: Bool = false, details: Bool = false, timeZone: TimeZone = .current) {
            self.color = color
            self.details = details
            self.timeZone = timeZone
        }
    }

    /// The text for `calls`, oldest first, as `inspect_history(n: calls.count)` prints it.
    public static func render(_ calls: [LoggedCall], options: Options = Options()) -> String {
        let ansi = ANSI(enabled: options.color)
        var out = ""
        for call in calls {
            out += "\n\n\n\n"
            out += ansi.blue("[\(isoTimestamp(call.timestamp, timeZone: options.timeZone))]") + "\n\n"
            if options.details {
                out += ansi.dim(detailLine(call)) + "\n\n"
            }
            for message in call.messages {
                out += ansi.red("\(capitalized(message.role)) message:") + "\n\n"
                out += strip(message.content) + "\n"
                out += "\n\n"
            }
            if let completion = call.completion {
                out += ansi.red("Response:") + "\n\n"
                out += ansi.green(strip(completion)) + "\n\n"
            }
            if !call.otherCompletions.isEmpty {
                out += ansi.red(" \t (and \(call.otherCompletions.count) other completions)") + "\n"
            }
            if options.details {
                if let parseError = call.parseError {
                    out += ansi.red("Parse error:") + "\n\n" + ansi.yellow(strip(parseError)) + "\n\n"
                }
                if let error = call.error {
                    out += ansi.red("Error:") + "\n\n" + ansi.yellow(strip(error)) + "\n\n"
                }
            }
        }
        out += "\n\n\n\n"
        return out
    }

    /// `2026-11-22T07:25:27.139947`, like Python's `datetime.isoformat()`
    /// (no offset; the fraction is omitted when it is zero).
    static func isoTimestamp(_ date: Date, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let whole = calendar.date(from: parts) ?? date
        let micros = Int((date.timeIntervalSince(whole) * 1_000_000).rounded())
        var text = String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0,
            parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        if micros > 0 && micros < 1_000_000 { text += String(format: ".%06d", micros) }
        return text
    }

    /// Python's `str.capitalize()`: first character upper-cased, the rest lower-cased.
    static func capitalized(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst().lowercased()
    }

    /// Python's `str.strip()`.
    static func strip(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func detailLine(_ call: LoggedCall) -> String {
        var parts: [String] = []
        if let run = call.runID {
            parts.append("run \(run.prefix(8))" + (call.runKind.map { " (\($0))" } ?? ""))
        }
        if let program = call.program { parts.append(program) }
        parts.append(call.modulePath)
        if let adapter = call.adapter { parts.append(call.adapterFallback ? "\(adapter) (fallback)" : adapter) }
        parts.append(call.model)
        var tokens = "\(call.promptTokens) prompt"
        if call.cachedPromptTokens > 0 { tokens += " (\(call.cachedPromptTokens) cached)" }
        tokens += " + \(call.completionTokens) completion tokens"
        parts.append(tokens)
        parts.append(String(format: "%.3f s", call.latency))
        if let rate = call.tokensPerSecond { parts.append(String(format: "%.1f tok/s", rate)) }
        if call.cacheHit { parts.append("cache hit") }
        if let constraint = call.constraint { parts.append("constrained: \(constraint)") }
        if let id = call.id { parts.append("call #\(id)") }
        return parts.joined(separator: " · ")
    }
}
