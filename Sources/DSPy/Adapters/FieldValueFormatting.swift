/// How field values are written into prompts (DSPy's `format_field_value`).
///
/// A list given to a `str` field becomes a numbered list of `«…»` blobs;
/// everything else is JSON-serialised: arrays and objects as
/// `json.dumps(ensure_ascii=False)`, scalars as Python's `str()` (so strings
/// are not re-quoted, Booleans read `True`, floats `2.0`).
enum FieldValueFormatting {
    static func format(_ value: JSONValue, for field: FieldSpec) -> String {
        if case .array(let items) = value, field.type == .string {
            return formatList(items)
        }
        return value.pythonStr
    }

    /// Adjusts a value's number cases to the declared type (a Swift `Double` that
    /// JSON-encoded as `3` is a Python float `3.0`); used by typed signatures.
    static func coerced(_ value: JSONValue, to type: FieldType) -> JSONValue {
        switch (type, value) {
        case (.float, .int(let i)): return .double(Double(i))
        case (.list(let t), .array(let items)): return .array(items.map { coerced($0, to: t) })
        case (.dict(_, let t), .object(let o)): return .object(JSONObject(o.map { ($0.key, coerced($0.value, to: t)) }))
        case (.optional(let t), _): return value.isNull ? value : coerced(value, to: t)
        default: return value
        }
    }

    static func formatList(_ items: [JSONValue]) -> String {
        if items.isEmpty { return "N/A" }
        if items.count == 1 { return blob(items[0]) }
        return items.enumerated().map { "[\($0.offset + 1)] \(blob($0.element))" }.joined(separator: "\n")
    }

    private static func blob(_ value: JSONValue) -> String {
        let text = value.pythonStr
        if !text.contains("\n") && !text.contains("«") && !text.contains("»") { return "«\(text)»" }
        return "«««\n    " + text.replacingOccurrences(of: "\n", with: "\n    ") + "\n»»»"
    }
}
