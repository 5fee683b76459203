/// The one error type of the `DSPy` module.
///
/// Every case carries the context needed to act on it: the signature text,
/// the field, the file and line, or the raw model output. Messages follow
/// DSPy 3.4.1's wording wherever DSPy has one (for example
/// ``DSPyError/adapterParse(adapter:response:expected:parsed:message:)``
/// renders exactly the text of DSPy's `AdapterParseError`).
public enum DSPyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A signature string or declaration is malformed.
    case invalidSignature(String)
    /// A type name in a signature is not known.
    case unknownType(String)
    /// A typed signature declaration is misused (no outputs, a stored property
    /// without `@Input`/`@Output`, duplicate names...).
    case invalidDeclaration(type: String, message: String)
    /// A required input was not supplied when a module was called.
    case missingInputs(signature: String, names: [String])
    /// An example's inputs were never set with `withInputs`.
    case inputsNotSet
    /// An adapter could not parse a model completion (DSPy's `AdapterParseError`).
    case adapterParse(adapter: String, response: String, expected: [String], parsed: [String]?, message: String?)
    /// No language model is configured.
    case noLanguageModel
    /// A language model failed.
    case languageModel(String)
    /// The prompt does not fit the model's context window (ReAct truncates its trajectory on it).
    case contextWindowExceeded(String)
    /// JSON text is malformed; `offset` is the byte offset (from 0) in its UTF-8 where reading stopped.
    case invalidJSON(offset: Int, message: String)
    /// A dataset file is malformed; `line` counts from 1, and 0 means the file as a whole.
    case dataset(file: String, line: Int, message: String)
    /// A value could not be converted to the requested type.
    case conversion(field: String, message: String)
    /// A saved program state does not fit the program.
    case state(String)
    /// A module was used wrongly (e.g. wrong number of completions).
    case module(String)
    /// A tool call failed or named an unknown tool.
    case tool(name: String, message: String)

    public var description: String {
        switch self {
        case .invalidSignature(let message): return message
        case .unknownType(let name): return "Unknown name: \(name)"
        case .invalidDeclaration(let type, let message): return "Invalid signature `\(type)`: \(message)"
        case .missingInputs(let signature, let names):
            let list = names.map { "`\($0)`" }.joined(separator: ", ")
            return "Missing required input \(names.count == 1 ? "field" : "fields") \(list) for signature `\(signature)`."
        case .inputsNotSet:
            return "Inputs have not been set for this example. Use `example.with_inputs()` to set them."
        case .adapterParse(let adapter, let response, let expected, let parsed, let message):
            var text = message.map { "\($0)\n\n" } ?? ""
            text += "Adapter \(adapter) failed to parse the LM response. \n\n"
            text += "LM Response: \(response) \n\n"
            text += "Expected to find output fields in the LM response: [\(expected.joined(separator: ", "))] \n\n"
            if let parsed {
                text += "Actual output fields parsed from the LM response: [\(parsed.joined(separator: ", "))] \n\n"
            }
            return text
        case .noLanguageModel:
            return "No LM is loaded. Configure one with `DSPySettings.with(lm:)` or pass `lm:` to the module."
        case .languageModel(let message): return "LM error: \(message)"
        case .contextWindowExceeded(let message): return message
        case .invalidJSON(let offset, let message): return "invalid JSON: \(message) at offset \(offset)"
        case .dataset(let file, let line, let message): return line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
        case .conversion(let field, let message): return "Cannot convert field `\(field)`: \(message)"
        case .state(let message): return "Invalid program state: \(message)"
        case .module(let message): return message
        case .tool(let name, let message): return "Tool `\(name)`: \(message)"
        }
    }
}
