/// Earlier turns of a conversation, for an input field of type `History` (DSPy's `dspy.History`).
///
/// Each message holds values by field name (inputs and/or outputs). The
/// adapters render the turns as user/assistant messages between the demos
/// and the current request — a user turn with the inputs and the output
/// reminder (3.4 behaviour), an assistant turn with the outputs — and the
/// field itself is not rendered in the final user turn.
///
/// ```swift
/// let chat = try Predict("question, history: History -> answer")
/// let history = History(messages: [["question": "Capital of France?", "answer": "Paris"]])
/// try await chat(["question": "And Germany?", "history": history.jsonValue])
/// ```
public struct History: Codable, Sendable, Hashable, FieldTypeDescribing {
    public var messages: [JSONObject]

    public init(messages: [JSONObject] = []) { self.messages = messages }

    public static var fieldType: FieldType { .history }

    /// The value to pass as the input (`{"messages": [...]}`).
    public var jsonValue: JSONValue { ["messages": .array(messages.map(JSONValue.object))] }
}
