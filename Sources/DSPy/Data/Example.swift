/// A training or evaluation record: ordered named values, some marked as inputs.
///
/// Mirrors DSPy's `Example`: `withInputs` returns a copy with the input keys
/// set; ``inputs()`` and ``labels()`` split it; keys starting with `dspy_`
/// are hidden from ``keys`` (pass `includeDSPy: true`). Equality compares the
/// values only, not the input keys.
///
/// ```swift
/// let ex = Example(["question": "2+2?", "answer": "4"]).withInputs("question")
/// try ex.inputs()["question"] // "2+2?"
/// ```
public struct Example: Sendable, Hashable, CustomStringConvertible {
    /// The values, in insertion order.
    public var fields: JSONObject
    /// The input keys, or `nil` when never set.
    public private(set) var inputKeys: [String]?

    public init(_ fields: JSONObject = JSONObject(), inputKeys: [String]? = nil) {
        self.fields = fields
        self.inputKeys = inputKeys
    }

    public subscript(key: String) -> JSONValue? {
        get { fields[key] }
        set { fields[key] = newValue }
    }

    /// The keys, without `dspy_*` ones unless asked.
    public func keys(includeDSPy: Bool = false) -> [String] {
        includeDSPy ? fields.keys : fields.keys.filter { !$0.hasPrefix("dspy_") }
    }

    public var keys: [String] { keys() }
    public var count: Int { keys.count }

    /// A copy whose input keys are `keys`.
    public func withInputs(_ keys: String...) -> Example { withInputs(keys) }

    /// A copy whose input keys are `keys`.
    public func withInputs(_ keys: [String]) -> Example {
        var copy = self
        copy.inputKeys = keys
        return copy
    }

    /// An example holding only the input keys.
    ///
    /// - Throws: ``DSPyError/inputsNotSet`` when `withInputs` was never called.
    public func inputs() throws -> Example {
        guard let inputKeys else { throw DSPyError.inputsNotSet }
        return Example(JSONObject(fields.filter { inputKeys.contains($0.key) }.map { ($0.key, $0.value) }),
            inputKeys: inputKeys)
    }

    /// An example holding only the non-input keys.
    public func labels() throws -> Example {
        guard let inputKeys else { throw DSPyError.inputsNotSet }
        return Example(JSONObject(fields.filter { !inputKeys.contains($0.key) }.map { ($0.key, $0.value) }))
    }

    /// A copy with some values replaced or added.
    public func copy(with updates: JSONObject) -> Example {
        var copy = self
        for (k, v) in updates { copy.fields[k] = v }
        return copy
    }

    /// A copy without the given keys.
    public func without(_ keys: String...) -> Example {
        var copy = self
        for k in keys { copy.fields[k] = nil }
        return copy
    }

    /// The values as a JSON object (DSPy's `toDict()`).
    public var jsonValue: JSONValue { .object(fields) }

    public static func == (lhs: Example, rhs: Example) -> Bool { lhs.fields == rhs.fields }
    public func hash(into hasher: inout Hasher) { hasher.combine(fields) }

    public var description: String {
        let body = "{" + fields.filter { !$0.key.hasPrefix("dspy_") }
            .map { JSONValue.pythonStringRepr($0.key) + ": " + $0.value.pythonRepr }.joined(separator: ", ") + "}"
        let keys = inputKeys.map { "{" + $0.map(JSONValue.pythonStringRepr).joined(separator: ", ") + "}" } ?? "None"
        return "Example(\(body)) (input_keys=\(keys))"
    }
}

extension Example: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(JSONObject(elements)) }
}
