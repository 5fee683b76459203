/// A compiled constrained-output automaton: segments matched in order, over one
/// vocabulary, with the canonical tokenization of every literal and choice value.
///
/// Build it once per output shape (e.g. per signature) and start a
/// ``ConstrainedDecoder`` per generation. It is immutable and `Sendable`.
///
/// ```swift
/// let constraint = try OutputConstraint(
///     segments: [.literal("[[ ## sentiment ## ]]\n"), .choice(["positive", "negative"]),
///                .literal("\n\n[[ ## completed ## ]]")],
///     vocabulary: vocabulary)
/// var decoder = ConstrainedDecoder(constraint)
/// ```
///
/// Cost: one call of the vocabulary's `encode` per choice value. Decoders share a
/// cache of the masks of free-text and JSON states, so reuse one constraint across
/// generations of the same shape (the first mask of a free-text state costs about
/// 1 ms on a 49,152-token vocabulary; later ones are a 6 KiB copy).
///
/// ## Topics
///
/// ### Building
/// - ``init(segments:vocabulary:)``
/// - ``chatAdapterCompletion(fields:vocabulary:maxTextBytes:)``
///
/// ### Choices
/// - ``choiceTokenizations(segment:)``
public struct OutputConstraint: Sendable {
    /// The vocabulary the constraint is compiled for.
    public let vocabulary: ConstraintVocabulary
    /// The effective segments (free-text terminators made explicit, integers and
    /// numbers as JSON scalars are still listed as given).
    public let segments: [ConstraintSegment]
    /// Canonical tokenizations of each choice segment's values (empty for others).
    let choiceTokens: [[[Int32]]]
    /// The values of each choice segment (empty for others).
    let choiceValues: [[String]]
    let automaton: ByteAutomaton
    /// Masks of byte-level states, shared by every decoder of this constraint.
    let maskCache = MaskCache()

    /// Compiles `segments` for `vocabulary`.
    ///
    /// - Throws: ``ConstraintError/invalidConstraint(segment:reason:)`` for a malformed
    ///   segment; ``ConstraintError/untokenizable(text:reason:)`` when a choice value's
    ///   canonical tokenization is empty, out of range, or does not spell the value.
    public init(segments: [ConstraintSegment], vocabulary: ConstraintVocabulary) throws {
        let (automaton, effective) = try ByteAutomaton.compile(segments)
        var tokens: [[[Int32]]] = []
        var values: [[String]] = []
        for segment in effective {
            switch segment {
            case .choice(let choices):
                values.append(choices)
                tokens.append(try choices.map { try Self.canonical($0, vocabulary) })
            case .boolean:
                let choices = ["True", "False", "true", "false"]
                values.append(choices)
                tokens.append(try choices.map { try Self.canonical($0, vocabulary) })
            default:
                values.append([])
                tokens.append([])
            }
        }
        self.vocabulary = vocabulary
        self.segments = effective
        self.automaton = automaton
        self.choiceTokens = tokens
        self.choiceValues = values
    }

    /// The values of the choice segment at `segment` with their canonical token
    /// sequences, for scoring whole choices by log-probability; `nil` if that segment
    /// is not a choice (``ConstraintSegment/boolean`` lists True, False, true, false).
    public func choiceTokenizations(segment: Int) -> [(value: String, tokens: [Int32])]? {
        guard segment >= 0, segment < segments.count, !choiceValues[segment].isEmpty else { return nil }
        return Array(zip(choiceValues[segment], choiceTokens[segment])).map { (value: $0, tokens: $1) }
    }

    /// The canonical tokenization of `text`, checked to spell `text` exactly.
    static func canonical(_ text: String, _ vocabulary: ConstraintVocabulary) throws -> [Int32] {
        let ids = vocabulary.encode(text)
        guard !ids.isEmpty else { throw ConstraintError.untokenizable(text: text, reason: "no tokens") }
        var bytes: [UInt8] = []
        for id in ids {
            guard id >= 0, Int(id) < vocabulary.count else {
                throw ConstraintError.untokenizable(text: text, reason: "token \(id) is out of range")
            }
            guard !vocabulary.isSpecial[Int(id)] else {
                throw ConstraintError.untokenizable(text: text, reason: "token \(id) is a special token")
            }
            bytes += vocabulary.tokenBytes[Int(id)]
        }
        guard bytes == Array(text.utf8) else {
            throw ConstraintError.untokenizable(
                text: text, reason: "tokens \(ids) spell \(String(reflecting: String(decoding: bytes, as: UTF8.self)))")
        }
        return ids
    }
}
