/// The result of a module call: the first completion's fields, plus all completions.
///
/// Mirrors DSPy's `Prediction.from_completions`: reading a field reads the
/// first completion; ``completions`` holds every one (`n > 1`). Extra facts
/// about the call — whether the JSON fallback ran, token usage, the model's
/// calibrated choice scores — ride along; they are not fields, so DSPy never
/// sees them (demos, traces and saved JSON hold ``fields`` only).
///
/// Equality and hashing cover the fields, completions, fallback flag and
/// usage; ``choiceScores`` is left out, so a prediction equals one built from
/// the same answer by a model that reports no scores.
public struct Prediction: Sendable, Hashable, CustomStringConvertible {
    /// The fields of the first completion (or of the module's result).
    public var fields: JSONObject
    /// Every completion's fields, in order; the first equals ``fields``.
    public var completions: [JSONObject]
    /// True when ChatAdapter's parse failed and the JSONAdapter fallback produced this.
    public var usedAdapterFallback: Bool
    /// Token usage of the LM calls behind this prediction.
    public var usage: TokenUsage
    /// Calibrated choice scores of the first completion: field → choice → score.
    ///
    /// Filled for choice fields (Literal, enum, bool outputs) when the model
    /// reported per-choice log-probabilities in `LMResponse.metadata["choice_scores"]`,
    /// as the embedded engine does when it scores choices; each score is the
    /// choice's log-probability minus its calibration offset
    /// (``FieldSpec/choiceOffsets``), so the chosen value has the largest.
    /// Empty for models that report none. ``scoreVote(_:field:)`` sums them
    /// across predictions.
    public var choiceScores: [String: [String: Double]]
    /// Token usage per model of every LM call behind this prediction (DSPy's `get_lm_usage()`):
    /// a predictor's own calls (with its JSON fallback or extraction call), or, for the result of
    /// ``Program/callAsFunction(_:)`` at the top level, every call the program made.
    /// Not part of equality.
    public var lmUsage: LMUsage = LMUsage()

    /// DSPy's `get_lm_usage()` dictionary: model → prompt, completion and total tokens.
    public func getLMUsage() -> JSONObject { lmUsage.jsonObject }

    public init(_ fields: JSONObject = JSONObject(), completions: [JSONObject]? = nil,
                usedAdapterFallback: Bool = false, usage: TokenUsage = TokenUsage(),
                choiceScores: [String: [String: Double]] = [:]) {
        self.fields = fields
        self.completions = completions ?? [fields]
        self.usedAdapterFallback = usedAdapterFallback
        self.usage = usage
        self.choiceScores = choiceScores
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

    /// Equal fields, completions, fallback flag and usage; ``choiceScores`` is ignored.
    public static func == (lhs: Prediction, rhs: Prediction) -> Bool {
        lhs.fields == rhs.fields && lhs.completions == rhs.completions
            && lhs.usedAdapterFallback == rhs.usedAdapterFallback && lhs.usage == rhs.usage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fields)
        hasher.combine(completions)
        hasher.combine(usedAdapterFallback)
        hasher.combine(usage)
    }

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
