extension TokenizerVocabulary {
    /// Reads the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata.
    ///
    /// Every value is checked against the token list before it is kept: special
    /// token ids (BOS, EOS, EOT, unknown, padding) must name a token, whatever their
    /// stored width (a `UINT32` of 2³²−1 is refused, not converted); the token types
    /// and scores, when present, have one entry per token and no NaN score; optional
    /// keys of the wrong type are refused rather than ignored; and the result passes
    /// ``validate()`` (a supported tokenizer model and pre-tokenizer, well-formed
    /// merges, one score per SentencePiece token), so building a ``Tokenizer`` from it
    /// cannot fail.
    ///
    /// - Throws: `EngineError.missingMetadata`, `.metadataTypeMismatch` or
    ///   `.invalidMetadata`, naming the file and the key.
    public init(metadata: GGUFMetadata) throws {
        let tokensKey = "tokenizer.ggml.tokens"
        let tokens = try metadata.requiredStrings(tokensKey)
        guard !tokens.isEmpty, tokens.count <= Int(Int32.max) else {
            throw EngineError.invalidMetadata(
                path: metadata.path, key: tokensKey, reason: "\(tokens.count) tokens (expected 1...\(Int32.max))")
        }
        func id(_ key: String) throws -> Int32? {
            try metadata.optionalTokenID(key, vocabularySize: tokens.count)
        }
        func perToken<T>(_ key: String, _ expected: String, _ view: (GGUFValue) -> [T]?) throws -> [T] {
            guard let value = metadata[key] else { return [] }
            guard let list = view(value) else {
                throw EngineError.metadataTypeMismatch(path: metadata.path, key: key, expected: expected, found: value.typeName)
            }
            guard list.count == tokens.count else {
                throw EngineError.invalidMetadata(
                    path: metadata.path, key: key, reason: "\(list.count) entries for \(tokens.count) tokens")
            }
            return list
        }
        // Type numbers outside Int32 clamp to values no type has, so they count as normal.
        let typeCodes = try perToken("tokenizer.ggml.token_type", "an integer array") { $0.integers }
            .map { Int32(clamping: $0) }
        let scores = try perToken("tokenizer.ggml.scores", "a number array") { $0.floats }
        if let bad = scores.firstIndex(where: \.isNaN) {
            throw EngineError.invalidMetadata(path: metadata.path, key: "tokenizer.ggml.scores", reason: "the score of token \(bad) is NaN")
        }
        self.init(
            tokens: tokens,
            tokenTypes: typeCodes,
            scores: scores,
            merges: try metadata.optional("tokenizer.ggml.merges", "ARRAY[STRING]", \.strings) ?? [],
            model: try metadata.requiredString("tokenizer.ggml.model"),
            preTokenizer: try metadata.optional("tokenizer.ggml.pre", "STRING", \.string) ?? "",
            bosID: try id("tokenizer.ggml.bos_token_id"),
            eosID: try id("tokenizer.ggml.eos_token_id"),
            eotID: try id("tokenizer.ggml.eot_token_id"),
            unknownID: try id("tokenizer.ggml.unknown_token_id"),
            paddingID: try id("tokenizer.ggml.padding_token_id"),
            addBOS: try metadata.optional("tokenizer.ggml.add_bos_token", "BOOL", \.bool),
            addEOS: try metadata.optional("tokenizer.ggml.add_eos_token", "BOOL", \.bool),
            addSpacePrefix: try metadata.optional("tokenizer.ggml.add_space_prefix", "BOOL", \.bool))
        let name = (try? metadata.optional("general.name", "STRING", \.string))?.flatMap { $0 }?.lowercased() ?? ""
        stripsSpaceAfterSpecials = name.contains("phi-3") || name.contains("phi3")
        do {
            try validate()
        } catch let error as TokenizerError {
            throw EngineError.invalidMetadata(
                path: metadata.path, key: Self.metadataKey(for: error), reason: error.description)
        }
    }
}

extension GGUFMetadata {
    /// The value under `key` seen through `view`, nil when absent.
    /// - Throws: `EngineError.metadataTypeMismatch` when present but `view` gives nil.
    func optional<T>(_ key: String, _ expected: String, _ view: (GGUFValue) -> T?) throws -> T? {
        guard let value = self[key] else { return nil }
        guard let typed = view(value) else {
            throw EngineError.metadataTypeMismatch(path: path, key: key, expected: expected, found: value.typeName)
        }
        return typed
    }
}

extension ConstraintVocabulary {
    /// The constraint vocabulary of a tokenizer: every token's bytes, its control
    /// tokens marked special, and its canonical encoding (``Tokenizer/encodeContinuation(_:)``:
    /// special text not parsed, no SentencePiece space prefix).
    ///
    /// Cost: builds a byte trie over the whole vocabulary (tens of milliseconds).
    public convenience init(tokenizer: Tokenizer) throws {
        let count = tokenizer.vocabularySize
        let ids = (0..<count).map { Int32($0) }
        let special = ids.map { id in [.control, .unknown, .unused].contains(tokenizer.vocabulary.type(of: id)) }
        try self.init(
            tokenBytes: ids.map { tokenizer.pieceBytes(for: $0) },
            endOfText: tokenizer.endOfGenerationIDs.sorted(),
            isSpecial: special,
            encode: { [tokenizer] text in tokenizer.encodeContinuation(text) })
    }
}
