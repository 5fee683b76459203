/// The view of a tokenizer that constrained decoding needs: each token's bytes, which
/// tokens are special, which end the text, and the canonical encoding of a string.
///
/// Constrained decoding works on bytes: a token is allowed when its bytes keep the
/// output inside the automaton. Special tokens (control tokens such as `<|im_end|>`)
/// are never part of constrained text; the end-of-text tokens are allowed only once
/// the automaton is complete. `encode` must return the tokenizer's own encoding of a
/// whole string (no special-token parsing, no BOS/EOS): forced spans and choice values
/// are emitted as exactly those tokens, never as arbitrary byte-consistent splits.
///
/// Building a vocabulary builds its byte trie (``TokenTrie``): about 50 ms in a
/// release build for a 49,152-token vocabulary. Build it once per model and share it;
/// it is immutable and `Sendable`.
///
/// ```swift
/// let vocabulary = try ConstraintVocabulary(
///     tokenBytes: (0..<tokenizer.vocabularySize).map { tokenizer.pieceBytes(for: Int32($0)) },
///     endOfText: [tokenizer.eosID!],
///     isSpecial: ...,
///     encode: { tokenizer.encode($0, parseSpecial: false, addSpecial: false) })
/// ```
public final class ConstraintVocabulary: Sendable {
    /// The bytes each token stands for, indexed by token id.
    public let tokenBytes: [[UInt8]]
    /// Tokens that end generation; allowed only when the automaton is complete.
    public let endOfText: [Int32]
    /// Tokens that never appear inside constrained text (control tokens).
    public let isSpecial: [Bool]
    /// The canonical tokenization of a string (the tokenizer's encoding of the whole
    /// string, without special-token parsing or added BOS/EOS).
    public let encode: @Sendable (String) -> [Int32]
    /// The byte trie over every non-special, non-empty token.
    public let trie: TokenTrie

    /// `tokensUpToLength[k]`: the trie's tokens of at most `k` bytes, for `k` in
    /// `0...trie.maxDepth`.
    let tokensUpToLength: [TokenMask]

    /// The number of tokens.
    public var count: Int { tokenBytes.count }

    /// Builds the vocabulary view and its trie.
    ///
    /// - Parameters:
    ///   - tokenBytes: each token's bytes, by id.
    ///   - endOfText: the tokens that end generation (e.g. `<|im_end|>` and `<|endoftext|>`).
    ///   - isSpecial: `true` for control tokens; same length as `tokenBytes`.
    ///   - encode: the canonical tokenization of a string.
    /// - Throws: ``ConstraintError/invalidVocabulary(_:)`` when the sizes disagree,
    ///   the vocabulary is empty, or an end-of-text id is out of range.
    public init(
        tokenBytes: [[UInt8]], endOfText: [Int32], isSpecial: [Bool],
        encode: @escaping @Sendable (String) -> [Int32]
    ) throws {
        guard !tokenBytes.isEmpty else { throw ConstraintError.invalidVocabulary("no tokens") }
        guard isSpecial.count == tokenBytes.count else {
            throw ConstraintError.invalidVocabulary(
                "isSpecial has \(isSpecial.count) entries for \(tokenBytes.count) tokens")
        }
        guard !endOfText.isEmpty else {
            throw ConstraintError.invalidVocabulary("no end-of-text token")
        }
        for id in endOfText where id < 0 || Int(id) >= tokenBytes.count {
            throw ConstraintError.invalidVocabulary("end-of-text token \(id) is out of range")
        }
        self.tokenBytes = tokenBytes
        self.endOfText = endOfText
        self.isSpecial = isSpecial
        self.encode = encode
        let endSet = Set(endOfText)
        let trie = TokenTrie(tokenBytes: tokenBytes) { id in
            !isSpecial[Int(id)] && !endSet.contains(id)
        }
        var byLength = [TokenMask](repeating: TokenMask(count: tokenBytes.count), count: trie.maxDepth + 1)
        for id in trie.tokenIDs { byLength[tokenBytes[Int(id)].count].insert(id) }
        for k in byLength.indices.dropFirst() { byLength[k].formUnion(byLength[k - 1]) }
        self.trie = trie
        self.tokensUpToLength = byLength
    }

    /// A readable rendering of a token's bytes, for error messages.
    func piece(_ token: Int32) -> String {
        guard token >= 0, Int(token) < tokenBytes.count else { return "<\(token)>" }
        return String(decoding: tokenBytes[Int(token)], as: UTF8.self)
    }
}
