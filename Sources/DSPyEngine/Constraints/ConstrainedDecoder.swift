/// The per-generation state of an ``OutputConstraint``: which tokens may come next,
/// which tokens are forced, and the text produced so far.
///
/// Drive it from the generation loop: append forced tokens without sampling, mask the
/// logits otherwise, and report every token with ``accept(_:)``.
///
/// ```swift
/// var decoder = ConstrainedDecoder(constraint)
/// while !decoder.isComplete {
///     let forced = decoder.forcedTokens()
///     if !forced.isEmpty {
///         for token in forced { try decoder.accept(token) }
///         feed(forced)                     // one batched forward pass, no sampling
///         continue
///     }
///     var logits = model.lastLogits()
///     decoder.apply(to: &logits)           // disallowed tokens get -infinity
///     let token = sampler.sample(logits)
///     try decoder.accept(token)
///     feed([token])
/// }
/// // decoder.text is the completion; end-of-text is now the only allowed token.
/// ```
///
/// Cost per step (release build, 49,152-token SmolLM2 vocabulary): a forced, choice,
/// number or JSON-structure state costs 0.2–5 µs (about 50 µs the first time a
/// literal's canonical tokens are computed); a free-text or JSON-string state walks
/// the viable part of the vocabulary trie once, about 1.1 ms, and the mask is then
/// cached by state and shared by every decoder of the constraint (0.5 µs).
/// ``apply(to:)`` is one pass over the logits, about 13 µs.
///
/// ## Topics
///
/// ### Stepping
/// - ``forcedTokens()``
/// - ``allowedTokens(into:)``
/// - ``apply(to:)``
/// - ``accept(_:)``
///
/// ### Choices
/// - ``pendingChoice``
/// - ``acceptChoice(_:)``
public struct ConstrainedDecoder: Sendable {
    /// The constraint being decoded.
    public let constraint: OutputConstraint
    /// Where the decoder is: a byte-level state, plus the choice progress when the
    /// current segment is a choice.
    struct Cursor: Hashable, Sendable {
        var state: ByteState
        /// Indices of the choice values still possible (choice segments only).
        var viable: [Int] = []
        /// Tokens of the choice consumed so far.
        var position = 0
    }

    var cursor: Cursor
    /// The bytes of every accepted token except end-of-text.
    public private(set) var bytes: [UInt8] = []
    /// Every accepted token, forced or sampled, end-of-text included.
    public private(set) var tokens: [Int32] = []
    /// Whether an end-of-text token has been accepted.
    public private(set) var hasEnded = false
    var forcedCache: [Cursor: [Int32]] = [:]
    var scratch: TokenMask

    /// A decoder at the start of `constraint`.
    public init(_ constraint: OutputConstraint) {
        self.constraint = constraint
        self.scratch = TokenMask(count: constraint.vocabulary.count)
        var cursor = Cursor(state: constraint.automaton.start(0))
        Self.enter(&cursor, constraint)
        self.cursor = cursor
    }

    /// The text produced so far (invalid UTF-8 of an unfinished character is replaced).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Whether the output is complete: end-of-text is allowed now. For the automata of
    /// ``OutputConstraint/chatAdapterCompletion(fields:vocabulary:maxTextBytes:)``
    /// it is the only token allowed then.
    public var isComplete: Bool { isFinal(cursor) }

    /// The index (in ``OutputConstraint/segments``) of the segment being produced;
    /// `segments.count` once everything has been produced.
    public var currentSegment: Int { Int(cursor.state.segment) }

    // MARK: Stepping

    /// The tokens that must come next, in order, because the constraint allows the
    /// text to continue in only one way; empty when the model has a choice.
    ///
    /// A forced span is the canonical tokenization of the determined text (a header,
    /// the rest of a choice value once only one value fits, a JSON key), never an
    /// arbitrary split. A determined span that ends in spaces before a free value
    /// stops before the spaces, so the model can pick a token that starts with the
    /// space (GPT-2 `Ġ` tokens). The returned tokens have not been accepted yet.
    public mutating func forcedTokens() -> [Int32] {
        guard !hasEnded else { return [] }
        var result: [Int32] = []
        var c = cursor
        while result.count < 1024 {
            let step = forcedStep(c)
            if step.isEmpty { break }
            for token in step where !advance(&c, token) { return result }
            result += step
        }
        return result
    }

    /// Writes the set of tokens allowed next into `mask` (replacing its contents).
    ///
    /// In a forced position only the first forced token is allowed; end-of-text only
    /// when ``isComplete``; special tokens never.
    public mutating func allowedTokens(into mask: inout TokenMask) {
        mask.removeAll()
        guard !hasEnded else { return }
        addAllowed(cursor, into: &mask)
    }

    /// Sets the logit of every token not allowed next to `-infinity`.
    public mutating func apply(to logits: inout [Float]) {
        var mask = scratch
        allowedTokens(into: &mask)
        mask.apply(to: &logits)
        scratch = mask
    }

    /// Advances past `token`.
    ///
    /// Accepts any token the constraint allows: a masked or forced token always, and
    /// also a byte-consistent token that ``allowedTokens(into:)`` would not offer in a
    /// forced position (only choice values insist on their canonical tokens).
    ///
    /// - Throws: ``ConstraintError/tokenNotAllowed(token:piece:segment:textSoFar:)``,
    ///   ``ConstraintError/tokenOutOfRange(token:vocabularySize:)``,
    ///   ``ConstraintError/alreadyComplete(token:)``; the decoder is unchanged.
    public mutating func accept(_ token: Int32) throws {
        let vocabulary = constraint.vocabulary
        guard token >= 0, Int(token) < vocabulary.count else {
            throw ConstraintError.tokenOutOfRange(token: token, vocabularySize: vocabulary.count)
        }
        guard !hasEnded else { throw ConstraintError.alreadyComplete(token: token) }
        if vocabulary.endOfText.contains(token) {
            guard isFinal(cursor) else { throw notAllowed(token) }
            hasEnded = true
            tokens.append(token)
            return
        }
        var c = cursor
        guard advance(&c, token) else { throw notAllowed(token) }
        cursor = c
        tokens.append(token)
        bytes += vocabulary.tokenBytes[Int(token)]
    }

    // MARK: Choices

    /// The choice about to be made, when the decoder stands at the start of a choice
    /// segment: its segment index, values and their canonical token sequences. A
    /// scorer can rank the values by log-probability and commit with
    /// ``acceptChoice(_:)``.
    public var pendingChoice: (segment: Int, values: [String], tokens: [[Int32]])? {
        let segment = Int(cursor.state.segment)
        guard segment < constraint.segments.count, cursor.position == 0,
            !constraint.choiceValues[segment].isEmpty
        else { return nil }
        return (segment, constraint.choiceValues[segment], constraint.choiceTokens[segment])
    }

    /// Commits to value `index` of the pending choice: accepts its canonical tokens
    /// and returns them (feed them to the model like forced tokens).
    ///
    /// - Throws: ``ConstraintError/invalidConstraint(segment:reason:)`` if there is no
    ///   pending choice or `index` is out of range.
    @discardableResult
    public mutating func acceptChoice(_ index: Int) throws -> [Int32] {
        guard let pending = pendingChoice, pending.values.indices.contains(index) else {
            throw ConstraintError.invalidConstraint(
                segment: currentSegment, reason: "no pending choice with value index \(index)")
        }
        cursor.viable = [index]
        let chosen = pending.tokens[index]
        for token in chosen { try accept(token) }
        return chosen
    }

    // MARK: Internals

    func notAllowed(_ token: Int32) -> ConstraintError {
        .tokenNotAllowed(
            token: token, piece: constraint.vocabulary.piece(token), segment: currentSegment, textSoFar: text)
    }
}
