/// The result of a module call: the first completion's fields, plus all completions.
///
/// Mirrors DSPy's `Prediction.from_completions`: reading a field reads the
/// first completion; ``completions`` holds every one (`n > 1`). Extra facts
/// about the call — whether the JSON fallback ran, token usage — ride along.
public struct Prediction: Sendable, Hashable, CustomStringConvertible {
    /// The fields of the first completion (or of the module's result).
    public var fields: JSONObject
    /// Every completion's fields, in order; the first equals ``fields``.
    public var completions: [JSONObject]
    /// True when ChatAdapter's parse failed and the JSONAdapter fallback produced this.
    public var usedAdapterFallback: Bool
    /// Token usage of the LM calls behind this prediction.
    public var usage: TokenUsage

    public init(_ fields: JSONObject = JSONObject(), completions: [JSONObject]? = nil,
                usedAdapterFallback: Bool = false, usage: TokenUsage = TokenUsage()) {
        self.fields = fields
        self.completions = completions ?? [fields]
        self.usedAdapterFallback = usedAdapterFallback
        self.usage = usage
    }

    /// Builds a prediction from parsed completions (the first becomes the fields).
    public init(completions: [JSONObject]) {
        self.init(completions.first ?? JSONObject(), completions: completions)
    }

    public subscript(key: String) -> JSONValue? {
        get { fields[key] }
        set { fields[key] = newValue; if !completions.isEmpty { completions[0][key] = newValue } }
    }

    /// The values of `field` across all completions (DSPy's `completions.answer`).
    public func values(of field: String) -> [JSONValue?] { completions.map { $0[field] } }

    /// The prediction as an example (for demos and traces).
    public var example: Example { Example(fields) }

    public var description: String {
        var lines = ["Prediction("]
        for (k, v) in fields { lines.append("    \(k)=\(v.pythonRepr),") }
        if var last = lines.popLast(), lines.count > 0 || last != "Prediction(" {
            if last.hasSuffix(",") { last.removeLast() }
            lines.append(last)
        }
        if completions.count > 1 { lines.append("    (\(completions.count - 1) completions omitted)") }
        return lines.joined(separator: "\n") + "\n)"
    }
}
