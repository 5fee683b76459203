import Foundation

/// Parses the values `dspyc inspect --since` accepts.
public enum SinceDate {
    /// The date `text` names.
    ///
    /// - Durations count back from `now`: `45s`, `30m`, `2h`, `3d`, `1w`.
    /// - `today` and `yesterday` are local midnights.
    /// - `2026-11-22` is local midnight; `2026-11-22T07:25`, `2026-11-22 07:25:27`
    ///   (optionally with fractional seconds) are local times; a trailing `Z` or
    ///   `±hh:mm` makes them absolute.
    ///
    /// - Throws: ``InspectorError/invalidDate(_:)``.
    public static func parse(_ text: String, now: Date = Date(), timeZone: TimeZone = .current) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        switch trimmed.lowercased() {
        case "today": return calendar.startOfDay(for: now)
        case "yesterday":
            return calendar.date(byAdding: .day, value: -1, to: calendar.startOfDay(for: now)) ?? now
        default: break
        }
        if let unit = trimmed.last, let amount = Double(trimmed.dropLast()), amount >= 0 {
            let seconds: Double? =
                switch unit {
                case "s": 1
                case "m": 60
                case "h": 3600
                case "d": 86400
                case "w": 604_800
                default: nil
                }
            if let seconds { return now.addingTimeInterval(-amount * seconds) }
        }
        if let date = absolute(trimmed, timeZone: timeZone) { return date }
        throw InspectorError.invalidDate(text)
    }

    private static func absolute(_ text: String, timeZone: TimeZone) -> Date? {
        let formats = [
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mmXXXXX",
            "yyyy-MM-dd HH:mm:ss.SSSXXXXX", "yyyy-MM-dd HH:mm:ssXXXXX", "yyyy-MM-dd HH:mmXXXXX",
            "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm",
            "yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd",
        ]
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = timeZone
        formatter.isLenient = false
        for format in formats {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
