import DSPyStore
import Foundation

/// The `dspyc inspect runs` table: one row per run with its calls, cache hits,
/// tokens and time.
///
/// ```
/// RUN       KIND     PROGRAM    STARTED              STATUS     CALLS  HITS  PROMPT TOK  COMPL TOK  CALL TIME  WALL TIME
/// 1a2b3c4d  compile  sentiment  2026-11-22 07:25:27  succeeded    412   100      51,200      3,296     38.2 s     41.0 s
/// ```
public enum RunsReport {
    /// Renders `statistics` (most recent first, as ``Store/runStatistics(program:limit:)`` returns them).
    ///
    /// - Parameters:
    ///   - statistics: The runs and their totals.
    ///   - color: ANSI colours for the header and the status.
    ///   - timeZone: The zone start times are shown in.
    public static func render(
        _ statistics: [RunStatistics], color: Bool = false, timeZone: TimeZone = .current
    ) -> String {
        if statistics.isEmpty { return "No runs recorded.\n" }
        let ansi = ANSI(enabled: color)
        let header = [
            "RUN", "KIND", "PROGRAM", "STARTED", "STATUS", "CALLS", "HITS", "PROMPT TOK", "COMPL TOK",
            "CALL TIME", "WALL TIME",
        ]
        let rightAligned: Set<Int> = [5, 6, 7, 8, 9, 10]
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let rows: [[String]] = statistics.map { stats in
            [
                String(stats.run.id.prefix(8)),
                stats.run.kind.rawValue,
                stats.run.program ?? "-",
                formatter.string(from: stats.run.startedAt),
                stats.run.status.rawValue,
                grouped(stats.calls),
                grouped(stats.cacheHits),
                grouped(stats.promptTokens),
                grouped(stats.completionTokens),
                seconds(stats.callTime),
                stats.wallTime.map(seconds) ?? "-",
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String], style: (Int, String) -> String) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return style(column, rightAligned.contains(column) ? pad + cell : cell + pad)
            }
            .joined(separator: "  ")
            .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = line(header) { _, cell in ansi.bold(cell) } + "\n"
        for (row, stats) in zip(rows, statistics) {
            out += line(row) { column, cell in
                guard column == 4 else { return cell }
                switch stats.run.status {
                case .succeeded: return ansi.green(cell)
                case .failed: return ansi.red(cell)
                case .cancelled, .running: return ansi.yellow(cell)
                }
            } + "\n"
        }
        return out
    }

    /// The same facts as JSON (for `--json`): an array of objects with
    /// snake_case keys, times as RFC 3339 UTC strings, durations in seconds.
    public static func json(_ statistics: [RunStatistics]) -> String {
        let values: [StoredJSON] = statistics.map { stats in
            var object: [String: StoredJSON] = [
                "id": .string(stats.run.id),
                "kind": .string(stats.run.kind.rawValue),
                "program": stats.run.program.map(StoredJSON.string) ?? .null,
                "status": .string(stats.run.status.rawValue),
                "started_at": .string(OTelExport.iso8601(stats.run.startedAt)),
                "finished_at": stats.run.finishedAt.map { .string(OTelExport.iso8601($0)) } ?? .null,
                "calls": .int(stats.calls),
                "cache_hits": .int(stats.cacheHits),
                "parse_errors": .int(stats.parseErrors),
                "errors": .int(stats.errors),
                "prompt_tokens": .int(stats.promptTokens),
                "completion_tokens": .int(stats.completionTokens),
                "cached_prompt_tokens": .int(stats.cachedPromptTokens),
                "call_time_s": .double(stats.callTime),
                "wall_time_s": stats.wallTime.map(StoredJSON.double) ?? .null,
            ]
            if let summary = stats.run.summary { object["summary"] = .object(summary) }
            return .object(object)
        }
        return StoredJSON.array(values).jsonText + "\n"
    }

    /// `51200` → `51,200`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// `38.24` → `38.2 s`; `0.0123` → `0.012 s`; `4000` → `1h06m40s`.
    static func seconds(_ value: TimeInterval) -> String {
        if value >= 3600 {
            let total = Int(value.rounded())
            return String(format: "%dh%02dm%02ds", total / 3600, total % 3600 / 60, total % 60)
        }
        if value >= 60 {
            let total = Int(value.rounded())
            return String(format: "%dm%02ds", total / 60, total % 60)
        }
        return value < 1 ? String(format: "%.3f s", value) : String(format: "%.1f s", value)
    }
}
