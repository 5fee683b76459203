import Foundation

/// Renders call records the way DSPy's `inspect_history(n)` prints them.
///
/// For each of the last `n` records: a timestamp, every message under
/// `System message:` / `User message:` / `Assistant message:`, then
/// `Response:` with the first completion and, when there were more,
/// ` \t (and N other completions)`. With `colors`, the same ANSI colours as
/// DSPy (blue timestamp, red headers, green response).
public enum InspectHistory {
    public static func render(_ records: [CallRecord], n: Int = 1, colors: Bool = false) -> String {
        func blue(_ s: String) -> String { colors ? "\u{1B}[34m\(s)\u{1B}[0m\n" : s + "\n" }
        func red(_ s: String, end: String = "\n") -> String { colors ? "\u{1B}[31m\(s)\u{1B}[0m" + end : s + end }
        func green(_ s: String) -> String {
            let text = String(s.drop { $0.isWhitespace })
            return colors ? "\u{1B}[32m\(text)\u{1B}[0m\n" : text + "\n"
        }
        var out = ""
        for record in records.suffix(max(0, n)) {
            out += "\n\n\n\n"
            out += blue("[\(timestamp(record.timestamp))]") + "\n"
            for message in record.request.messages {
                out += red("\(message.role.rawValue.prefix(1).uppercased() + message.role.rawValue.dropFirst()) message:") + "\n"
                out += message.content.trimmed + "\n"
                out += "\n\n"
            }
            out += red("Response:") + "\n"
            out += green((record.completions.first ?? record.error ?? "").trimmed) + "\n"
            if record.completions.count > 1 {
                out += red(" \t (and \(record.completions.count - 1) other completions)", end: "") + "\n"
            }
        }
        return out + "\n\n\n\n"
    }

    /// Python's `datetime.isoformat()` with microseconds (UTC).
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06d", c.year ?? 0, c.month ?? 0, c.day ?? 0,
                      c.hour ?? 0, c.minute ?? 0, c.second ?? 0, (c.nanosecond ?? 0) / 1000)
    }
}
