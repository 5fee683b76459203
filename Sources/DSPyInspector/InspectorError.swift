/// An error from the inspector (store errors pass through as ``DSPyStore/StoreError``).
public enum InspectorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `--since` value that is neither a date nor a duration.
    case invalidDate(String)

    public var description: String {
        switch self {
        case .invalidDate(let text):
            return "invalid date \"\(text)\": use a duration (30m, 2h, 3d, 1w), today, yesterday, "
                + "a date (2026-11-22) or a date and time (2026-11-22T07:25, 2026-11-22 07:25:27, …Z or +01:00)"
        }
    }
}
