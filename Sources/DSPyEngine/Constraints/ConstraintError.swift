/// An error from constrained decoding: an automaton that cannot be built, or a token
/// the automaton does not allow at the current position.
///
/// Every case carries enough context to act on: the offending segment or token, and
/// the text produced so far. Cases are `Equatable` so tests can compare them.
public enum ConstraintError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A segment list that cannot be compiled (an empty choice list, a duplicate
    /// choice, an empty literal, an object schema with a duplicate key, ...).
    case invalidConstraint(segment: Int, reason: String)
    /// A choice value or literal whose canonical tokenization is empty or uses a
    /// token outside the vocabulary.
    case untokenizable(text: String, reason: String)
    /// The token is not allowed at this point of the automaton.
    case tokenNotAllowed(token: Int32, piece: String, segment: Int, textSoFar: String)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(token: Int32, vocabularySize: Int)
    /// A token was offered after the automaton was complete (only end-of-text fits).
    case alreadyComplete(token: Int32)
    /// A vocabulary that cannot be used (sizes disagree, no end-of-text token).
    case invalidVocabulary(String)

    public var description: String {
        switch self {
        case let .invalidConstraint(segment, reason):
            return "invalid constraint segment \(segment): \(reason)"
        case let .untokenizable(text, reason):
            return "cannot tokenize \(String(reflecting: text)) canonically: \(reason)"
        case let .tokenNotAllowed(token, piece, segment, textSoFar):
            let tail = textSoFar.count > 60 ? "…" + textSoFar.suffix(60) : textSoFar
            return "token \(token) \(String(reflecting: piece)) is not allowed in segment \(segment) after \(String(reflecting: String(tail)))"
        case let .tokenOutOfRange(token, vocabularySize):
            return "token \(token) is outside the vocabulary (size \(vocabularySize))"
        case let .alreadyComplete(token):
            return "token \(token) offered after the constrained output was complete"
        case let .invalidVocabulary(reason):
            return "invalid constraint vocabulary: \(reason)"
        }
    }
}
