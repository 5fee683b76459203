extension TokenizerVocabulary {
    /// Reads the tokenizer from a GGUF file's `tokenizer.ggml.*` metadata.
    ///
    /// - Throws: `EngineError.missingMetadata` / `.metadataTypeMismatch` naming the key.
    public init(metadata: GGUFMetadata) throws {
        func id(_ key: String) throws -> Int32? { try metadata.optionalInt(key).map { Int32($0) } }
        let tokens = try metadata.requiredStrings("tokenizer.ggml.tokens")
        self.init(
            tokens: tokens,
            tokenTypes: metadata["tokenizer.ggml.token_type"]?.integers?.map { Int32($0) } ?? [],
            scores: metadata["tokenizer.ggml.scores"]?.floats ?? [],
            merges: metadata["tokenizer.ggml.merges"]?.strings ?? [],
            model: try metadata.requiredString("tokenizer.ggml.model"),
            preTokenizer: metadata["tokenizer.ggml.pre"]?.string ?? "",
            bosID: try id("tokenizer.ggml.bos_token_id"),
            eosID: try id("tokenizer.ggml.eos_token_id"),
            eotID: try id("tokenizer.ggml.eot_token_id"),
            unknownID: try id("tokenizer.ggml.unknown_token_id"),
            paddingID: try id("tokenizer.ggml.padding_token_id"),
            addBOS: metadata["tokenizer.ggml.add_bos_token"]?.bool,
            addEOS: metadata["tokenizer.ggml.add_eos_token"]?.bool,
            addSpacePrefix: metadata["tokenizer.ggml.add_space_prefix"]?.bool)
    }
}

extension ConstraintVocabulary {
    /// The constraint vocabulary of a tokenizer: every token's bytes, its control
    /// tokens marked special, and its canonical encoding (special text not parsed).
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
            encode: { [tokenizer] text in tokenizer.encode(text, parseSpecial: false, addSpecial: false) })
    }
}
