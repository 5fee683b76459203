import Foundation
import Logging

/// dspyc's swift-log handler: one line per message on standard error.
///
/// At the default threshold (`warning`) a line is `<level>: <message>`, exactly the
/// `warning: …` lines dspyc printed by hand before it used swift-log, so default output is
/// unchanged. Below `warning` (`--verbose`, `DSPYC_LOG_LEVEL=debug`) each line also carries
/// the time and the logger's label: `2026-12-07T07:30:00.123Z debug dspyc.store: message`.
/// Metadata follow the message as `key=value`, sorted by key.
///
/// Cost: one formatted write per message that passes the threshold.
struct StandardErrorLogHandler: LogHandler {
    /// The logger's label (`dspyc.engine`, `dspyc.store`, `dspy.optimizer`, `dspyc.cli`).
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    /// Where lines go (standard error; tests collect them).
    let write: @Sendable (String) -> Void

    init(label: String, level: Logger.Level, write: @escaping @Sendable (String) -> Void = StandardErrorLogHandler.standardError) {
        self.label = label
        self.logLevel = level
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var explicit = event.metadata ?? [:]
        if let error = event.error { explicit["error"] = "\(error)" }
        write(format(level: event.level, message: event.message, metadata: explicit.isEmpty ? nil : explicit))
    }

    /// The line for one message, with its newline.
    func format(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?) -> String {
        let merged = metadata.merging(explicit ?? [:]) { _, new in new }
        var line = logLevel < .warning ? "\(Self.timestamp()) \(level) \(label): \(message)" : "\(level): \(message)"
        for key in merged.keys.sorted() {
            line += " \(key)=\(merged[key].map { "\($0)" } ?? "")"
        }
        return line + "\n"
    }

    /// Writes `text` to standard error.
    @Sendable static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The current time, ISO 8601 with milliseconds, UTC.
    static func timestamp() -> String {
        Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
