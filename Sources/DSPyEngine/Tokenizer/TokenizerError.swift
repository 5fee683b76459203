/// Why a tokenizer, chat template or sampler could not be built or used.
///
/// Every case names what was wrong and where, so the message can be shown to a
/// user as is.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `tokenizer.ggml.model` names a tokenizer this engine does not implement.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this engine does not implement.
    case unsupportedPreTokenizer(String)
    /// The vocabulary is empty or inconsistent (the detail says how).
    case invalidVocabulary(String)
    /// A BPE merge line is not two tokens separated by one space.
    case malformedMerge(index: Int, merge: String)
    /// The chat template is not one of the known families; carries its first characters.
    case unknownChatTemplate(prefix: String)
    /// A chat message has a role the template cannot render.
    case unsupportedRole(role: String, template: String)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(id: Int32, vocabularySize: Int)
    /// Sampling parameters that make no sense (the detail says which).
    case invalidSamplingParameters(String)

    public var description: String {
        switch self {
        case .unsupportedModel(let name):
            return "unsupported tokenizer model '\(name)' (supported: gpt2, llama)"
        case .unsupportedPreTokenizer(let name):
            let shown = name.isEmpty ? "(none given)" : "'\(name)'"
            return "unsupported pre-tokenizer \(shown) (supported: \(PreTokenizer.supportedNames.joined(separator: ", ")))"
        case .invalidVocabulary(let detail):
            return "invalid tokenizer vocabulary: \(detail)"
        case .malformedMerge(let index, let merge):
            return "malformed BPE merge #\(index): '\(merge)' (expected two tokens separated by one space)"
        case .unknownChatTemplate(let prefix):
            let families = ChatTemplate.Family.allCases.map(\.displayName).joined(separator: ", ")
            return "unknown chat template (not \(families)): \"\(prefix)…\""
        case .unsupportedRole(let role, let template):
            return "the \(template) chat template cannot render a message with role '\(role)'"
        case .tokenOutOfRange(let id, let size):
            return "token id \(id) is outside the vocabulary (size \(size))"
        case .invalidSamplingParameters(let detail):
            return "invalid sampling parameters: \(detail)"
        }
    }
}
