/// One chat message sent to a language model.
public struct ChatMessage: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Hashable, Codable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// Turns a signature, demos and inputs into messages, and completions back into fields.
///
/// An adapter is a pure strategy: ``format(_:demos:inputs:)`` needs no model
/// (so `dspyc prompt` can show the exact prompt), and ``parse(_:completion:)``
/// is the inverse. ``outputStructure(for:)`` describes the expected
/// completion so an engine can enforce it while decoding (structured
/// decoding); a remote model ignores it.
public protocol Adapter: Sendable {
    /// The adapter's name as DSPy prints it (`ChatAdapter`, `JSONAdapter`).
    var name: String { get }

    /// The messages for one call: system, demo turns, the final user turn.
    func format(_ signature: SignatureSpec, demos: [Example], inputs: JSONObject) -> [ChatMessage]

    /// Parses one completion into the signature's output fields.
    ///
    /// - Throws: ``DSPyError/adapterParse(adapter:response:expected:parsed:message:)``.
    func parse(_ signature: SignatureSpec, completion: String) throws -> JSONObject

    /// The structure a completion must have, for constrained decoding.
    func outputStructure(for signature: SignatureSpec) -> OutputStructure

    /// The adapter to retry with after a parse failure (ChatAdapter → JSONAdapter), if any.
    var fallback: (any Adapter)? { get }

    /// The structure sent with the request for constrained decoding; `nil` lets the model answer freely.
    /// Defaults to ``outputStructure(for:)`` (TwoStepAdapter's main call has none).
    func requestStructure(for signature: SignatureSpec) -> OutputStructure?

    /// Turns one completion into output fields during a call. Defaults to ``parse(_:completion:)``;
    /// TwoStepAdapter overrides it to ask its extraction LM (a second logged LM call).
    func extract(_ signature: SignatureSpec, completion: String, context: AdapterContext) async throws -> JSONObject
}

/// What an adapter may use while parsing inside a call: where to log and count further LM calls.
public struct AdapterContext: Sendable {
    /// The call log of the run, if any.
    public var log: (any CallLog)?
    /// The predictor's path, for the log.
    public var path: String?
    /// Collects the usage of every LM call of the predictor call (the caller's and the extractor's).
    public var usage: UsageTracker

    public init(log: (any CallLog)? = nil, path: String? = nil, usage: UsageTracker = UsageTracker()) {
        self.log = log
        self.path = path
        self.usage = usage
    }
}

extension Adapter {
    public var fallback: (any Adapter)? { nil }

    public func requestStructure(for signature: SignatureSpec) -> OutputStructure? { outputStructure(for: signature) }

    public func extract(_ signature: SignatureSpec, completion: String, context: AdapterContext) async throws -> JSONObject {
        try parse(signature, completion: completion)
    }

    /// Fills in missing optional outputs (DSPy's `apply_output_field_defaults`)
    /// and checks that every output is present.
    func completeOutputs(_ parsed: JSONObject, signature: SignatureSpec, completion: String) throws -> JSONObject {
        var result = JSONObject()
        for field in signature.outputs {
            if let value = parsed[field.name] {
                result[field.name] = value
            } else if let d = field.defaultValue {
                result[field.name] = d
            } else if field.type.allowsNull {
                result[field.name] = .null
            }
        }
        guard result.keys == signature.outputs.map(\.name) else {
            throw DSPyError.adapterParse(
                adapter: name, response: completion, expected: signature.outputs.map(\.name),
                parsed: result.keys, message: nil)
        }
        return result
    }
}

/// Shared rendering pieces of ChatAdapter and JSONAdapter.
enum AdapterText {
    /// `get_field_description_string`.
    static func fieldDescriptions(_ fields: [FieldSpec]) -> String {
        fields.enumerated().map { i, f in
            var line = "\(i + 1). `\(f.name)` (\(f.type.pythonName)): \(f.renderedDescription)"
            if let c = f.constraints, !c.isEmpty { line += "\nConstraints: \(c)" }
            return line
        }.joined(separator: "\n").trimmed
    }

    /// `format_field_description`.
    static func fieldDescription(_ signature: SignatureSpec) -> String {
        "Your input fields are:\n\(fieldDescriptions(signature.inputs))\n"
            + "Your output fields are:\n\(fieldDescriptions(signature.outputs))"
    }

    /// `translate_field_type`: `{name}` plus the output note.
    static func placeholder(_ field: FieldSpec) -> String {
        "{\(field.name)}" + (field.kind == .input ? "" : field.type.outputNote)
    }

    /// `format_task_description`: every instruction line indented by 8 spaces.
    static func taskDescription(_ signature: SignatureSpec) -> String {
        let lines = dedent(signature.instructions).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        let trimmedLines = lines.last == "" ? Array(lines.dropLast()) : lines
        return "In adhering to this structure, your objective is: "
            + trimmedLines.map { "\n" + String(repeating: " ", count: 8) + $0 }.joined()
    }

    /// `[[ ## name ## ]]\nvalue` blocks joined by blank lines, stripped.
    static func headerBlocks(_ pairs: [(FieldSpec, JSONValue)]) -> String {
        pairs.map { "[[ ## \($0.0.name) ## ]]\n\(FieldValueFormatting.format($0.1, for: $0.0))" }
            .joined(separator: "\n\n").trimmed
    }

    /// The type suffix used in the final reminder.
    static func reminderType(_ field: FieldSpec) -> String {
        field.type == .string ? "" : " (must be formatted as a valid Python \(field.type.pythonName))"
    }

    /// Python's `textwrap.dedent` (common leading whitespace of non-blank lines removed).
    static func dedent(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let indents = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.prefix { $0 == " " || $0 == "\t" } }
        guard var common = indents.first.map(String.init) else {
            return lines.map { $0.trimmingCharacters(in: .whitespaces).isEmpty ? "" : $0 }.joined(separator: "\n")
        }
        for indent in indents.dropFirst() {
            while !indent.hasPrefix(common) { common.removeLast() }
        }
        return lines.map { line in
            if line.trimmingCharacters(in: .whitespaces).isEmpty { return "" }
            return String(line.dropFirst(common.count))
        }.joined(separator: "\n")
    }

    /// Splits demos DSPy's way: incomplete ones (with ≥1 input and ≥1 output) first, then complete ones.
    static func partitionDemos(_ demos: [Example], _ signature: SignatureSpec) -> (incomplete: [Example], complete: [Example]) {
        var complete: [Example] = [], incomplete: [Example] = []
        for demo in demos {
            let isComplete = signature.fields.allSatisfy { demo[$0.name].map { !$0.isNull } ?? false }
            let hasInput = signature.inputs.contains { demo.fields.contains($0.name) }
            let hasOutput = signature.outputs.contains { demo.fields.contains($0.name) }
            if isComplete { complete.append(demo) } else if hasInput && hasOutput { incomplete.append(demo) }
        }
        return (incomplete, complete)
    }

    /// The user turn content: optional prefix, the given inputs as sections, optional reminder
    /// (DSPy's `format_user_message_content`, joined by blank lines and stripped).
    static func userContent(_ signature: SignatureSpec, inputs: JSONObject, prefix: String, reminder: String?) -> String {
        var parts = [prefix]
        for field in signature.inputs {
            if let value = inputs[field.name] {
                parts.append("[[ ## \(field.name) ## ]]\n\(FieldValueFormatting.format(value, for: field))")
            }
        }
        if let reminder { parts.append(reminder) }
        parts.append("")
        return parts.joined(separator: "\n\n").trimmed
    }

    /// The first input of type `History`, whose turns become messages.
    static func historyField(_ signature: SignatureSpec) -> FieldSpec? {
        signature.inputs.first { $0.type == .history }
    }

    /// The turns of a `History` value (`{"messages": [...]}` or a bare array).
    static func historyTurns(_ value: JSONValue?) -> [JSONObject] {
        let list = value?["messages"]?.arrayValue ?? value?.arrayValue ?? []
        return list.compactMap(\.objectValue)
    }

    /// Every message for one call, shared by the Chat and JSON adapters:
    /// system, demos, history turns (each user turn carrying the reminder, as in 3.4), final user turn.
    static func messages(
        _ signature: SignatureSpec, demos: [Example], inputs: JSONObject, system: String,
        user: (SignatureSpec, JSONObject, String, Bool) -> String,
        assistant: (SignatureSpec, JSONObject, String?) -> String
    ) -> [ChatMessage] {
        var messages: [ChatMessage] = [.system(system)]
        let (incomplete, complete) = partitionDemos(demos, signature)
        for demo in incomplete {
            messages.append(.user(user(signature, demo.fields, incompleteDemoPrefix, false)))
            messages.append(.assistant(assistant(signature, demo.fields, missingInDemo)))
        }
        for demo in complete {
            messages.append(.user(user(signature, demo.fields, "", false)))
            messages.append(.assistant(assistant(signature, demo.fields, missingInHistory)))
        }
        var finalSignature = signature
        var finalInputs = inputs
        if let history = historyField(signature) {
            finalSignature = signature.deleting(history.name)
            for turn in historyTurns(inputs[history.name]) {
                let hasInput = finalSignature.inputs.contains { turn.contains($0.name) }
                let content = user(finalSignature, turn, "", hasInput)
                if !content.isEmpty { messages.append(.user(content)) }
                let answer = assistant(finalSignature, turn, nil)
                if !answer.isEmpty { messages.append(.assistant(answer)) }
            }
            finalInputs[history.name] = nil
        }
        let content = user(finalSignature, finalInputs, "", true)
        if !content.isEmpty { messages.append(.user(content)) }
        return messages
    }

    static let incompleteDemoPrefix = "This is an example of the task, though some input or output fields are not supplied."
    static let missingInDemo = "Not supplied for this particular example. "
    static let missingInHistory = "Not supplied for this conversation history message. "
}
