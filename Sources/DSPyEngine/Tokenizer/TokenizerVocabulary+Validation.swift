extension TokenizerVocabulary {
    /// Checks everything ``Tokenizer/init(vocabulary:)`` needs, without building anything.
    ///
    /// The tokens are between 1 and 2³¹−1 (ids are `Int32`); every special token id
    /// (BOS, EOS, EOT, unknown, padding) names a token; the model is `gpt2` with a
    /// known pre-tokenizer and well-formed merges, or `llama` with one score per token.
    /// Cost: one pass over the merges.
    ///
    /// - Throws: ``TokenizerError`` naming what is wrong.
    public func validate() throws {
        guard !tokens.isEmpty else { throw TokenizerError.invalidVocabulary("no tokens") }
        guard count <= Int(Int32.max) else {
            throw TokenizerError.invalidVocabulary("\(count) tokens do not fit 32-bit token ids")
        }
        let specialIDs = [("bos", bosID), ("eos", eosID), ("eot", eotID), ("unknown", unknownID), ("padding", paddingID)]
        for (name, id) in specialIDs {
            if let id, id < 0 || Int(id) >= count {
                throw TokenizerError.invalidVocabulary("\(name) token id \(id) is outside the vocabulary (size \(count))")
            }
        }
        switch model {
        case "gpt2":
            _ = try PreTokenizer.named(preTokenizer)
            if let bad = merges.firstIndex(where: { BytePairEncoder.separator(of: $0) == nil }) {
                throw TokenizerError.malformedMerge(index: bad, merge: merges[bad])
            }
        case "llama":
            guard scores.count == count else {
                throw TokenizerError.invalidVocabulary("\(scores.count) scores for \(count) tokens")
            }
        default:
            throw TokenizerError.unsupportedModel(model)
        }
    }

    /// The GGUF key a validation error is about.
    static func metadataKey(for error: TokenizerError) -> String {
        switch error {
        case .unsupportedModel: return "tokenizer.ggml.model"
        case .unsupportedPreTokenizer: return "tokenizer.ggml.pre"
        case .malformedMerge: return "tokenizer.ggml.merges"
        case .invalidVocabulary(let detail) where detail.contains("scores"): return "tokenizer.ggml.scores"
        default: return "tokenizer.ggml.tokens"
        }
    }
}
