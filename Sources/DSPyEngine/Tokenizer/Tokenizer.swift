import Foundation

/// Turns text into a model's token ids and back, exactly as llama.cpp does.
///
/// A tokenizer is built once from a ``TokenizerVocabulary`` (the model file's
/// tokenizer metadata) and is then immutable and safe to share between threads.
/// Two tokenizer models are implemented:
///
/// - `gpt2`: byte-level BPE. Special tokens are cut out first, the remaining text
///   is split into words by the model's ``PreTokenizer`` (for SmolLM2, `smollm`:
///   every digit alone, then GPT-2's word rule), and each word's bytes are merged
///   by rank. Encoding a few KB of text takes well under a millisecond per hundred
///   tokens thanks to a per-word cache.
/// - `llama`: SentencePiece-style BPE over scores, with `▁` for spaces and
///   `<0xNN>` byte fallback.
///
/// ```swift
/// let tokenizer = try Tokenizer(vocabulary: vocabulary)
/// let ids = tokenizer.encode("<|im_start|>user\nHi<|im_end|>\n")  // [1, 4093, 198, 26843, 2, 198]
/// tokenizer.decode(ids, renderSpecial: true)                     // the same text
/// ```
///
/// ## Topics
///
/// ### Encoding
/// - ``encode(_:parseSpecial:addSpecial:)``
///
/// ### Decoding
/// - ``decode(_:renderSpecial:)``
/// - ``pieceBytes(for:renderSpecial:)``
/// - ``makeStreamingDetokenizer(renderSpecial:)``
///
/// ### Special tokens
/// - ``bosID``
/// - ``eosID``
/// - ``endOfGenerationIDs``
/// - ``isEndOfGeneration(_:)``
public final class Tokenizer: Sendable {
    /// The vocabulary this tokenizer was built from.
    public let vocabulary: TokenizerVocabulary
    /// Beginning-of-sequence token id, when the model has one.
    public var bosID: Int32? { vocabulary.bosID }
    /// End-of-sequence token id, when the model has one.
    public var eosID: Int32? { vocabulary.eosID }
    /// Every token that ends generation: the end-of-sequence and end-of-turn tokens
    /// and the usual end markers found in the vocabulary (`<|im_end|>`,
    /// `<|endoftext|>`, `<|eot_id|>`, `<end_of_turn>`, …), as llama.cpp's EOG set.
    public let endOfGenerationIDs: Set<Int32>

    private enum Model: Sendable {
        case bytePair(BytePairEncoder, PreTokenizer)
        case sentencePiece(SentencePieceEncoder)
    }

    private let model: Model
    /// Token ids by the exact UTF-8 bytes of their text (never by `String`, whose
    /// equality is canonical equivalence, unlike llama.cpp's byte-exact map).
    private let idForText: [[UInt8]: Int32]
    private let splitter: SpecialTokenSplitter
    /// What each token decodes to for ordinary output (control tokens: nothing).
    private let pieces: [[UInt8]]
    /// The text of control and unknown tokens, shown when special tokens are rendered.
    private let specialPieces: [Int32: [UInt8]]

    /// The number of tokens in the vocabulary.
    public var vocabularySize: Int { vocabulary.count }

    /// Builds a tokenizer for `vocabulary`.
    ///
    /// - Throws: ``TokenizerError`` when the tokenizer model or pre-tokenizer is
    ///   not supported, or the vocabulary is inconsistent (see
    ///   ``TokenizerVocabulary/validate()``).
    public init(vocabulary: TokenizerVocabulary) throws {
        try vocabulary.validate()
        self.vocabulary = vocabulary
        var idForText: [[UInt8]: Int32] = [:]
        idForText.reserveCapacity(vocabulary.count)
        for (index, text) in vocabulary.tokens.enumerated() {
            let key = Array(text.utf8)
            if idForText[key] == nil { idForText[key] = Int32(index) }
        }
        self.idForText = idForText
        splitter = SpecialTokenSplitter(vocabulary: vocabulary)

        switch vocabulary.model {
        case "gpt2":
            // A missing name means llama.cpp's "default" rules, which are not GPT-2's:
            // PreTokenizer.named rejects it rather than guess.
            let preTokenizer = try PreTokenizer.named(vocabulary.preTokenizer)
            let encoder = try BytePairEncoder(
                merges: vocabulary.merges, idForText: idForText,
                ignoreMerges: PreTokenizer.ignoresMerges(vocabulary.preTokenizer))
            model = .bytePair(encoder, preTokenizer)
        case "llama":
            guard vocabulary.scores.count == vocabulary.count else {
                throw TokenizerError.invalidVocabulary(
                    "\(vocabulary.scores.count) scores for \(vocabulary.count) tokens")
            }
            model = .sentencePiece(SentencePieceEncoder(vocabulary: vocabulary, idForText: idForText))
        default:
            throw TokenizerError.unsupportedModel(vocabulary.model)
        }

        var pieces: [[UInt8]] = []
        pieces.reserveCapacity(vocabulary.count)
        var specialPieces: [Int32: [UInt8]] = [:]
        let isByteLevel = vocabulary.model == "gpt2"
        for (index, text) in vocabulary.tokens.enumerated() {
            let id = Int32(index)
            switch vocabulary.type(of: id) {
            case .control, .unknown:
                pieces.append([])
                specialPieces[id] = Array(text.utf8)
            case .userDefined:
                pieces.append(Array(text.utf8))
            case .unused:
                pieces.append([])
            case .byte:
                pieces.append(SentencePieceEncoder.byteValue(of: text).map { [$0] } ?? Array(text.utf8))
            case .normal, .undefined:
                if isByteLevel {
                    pieces.append(ByteLevelAlphabet.decode(text) ?? Array(text.utf8))
                } else {
                    pieces.append(SentencePieceEncoder.unescapeSpaces(Array(text.utf8)))
                }
            }
        }
        self.pieces = pieces
        self.specialPieces = specialPieces

        var endIDs = Set([vocabulary.eosID, vocabulary.eotID].compactMap { $0 })
        for marker in Self.endOfGenerationMarkers {
            if let id = idForText[Array(marker.utf8)] { endIDs.insert(id) }
        }
        endOfGenerationIDs = endIDs
    }

    private static let endOfGenerationMarkers = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
        "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
    ]

    /// Encodes `text` into token ids.
    ///
    /// - Parameters:
    ///   - text: The text to encode.
    ///   - parseSpecial: Whether special-token texts written in `text` (such as
    ///     `<|im_start|>`) become those tokens; otherwise they are encoded as plain
    ///     characters. Rendered chat prompts need `true`; user-supplied text that
    ///     must not inject control tokens needs `false`.
    ///   - addSpecial: Whether to add the model's BOS/EOS tokens when its metadata
    ///     asks for them (SmolLM2 asks for neither).
    /// - Returns: The token ids, as llama.cpp's `llama_tokenize` returns them.
    public func encode(_ text: String, parseSpecial: Bool = true, addSpecial: Bool = true) -> [Int32] {
        var output: [Int32] = []
        if addSpecial, vocabulary.addBOS, let bos = vocabulary.bosID { output.append(bos) }
        let bytes = Array(text.utf8)
        output.reserveCapacity(bytes.count / 3 + 4)
        for fragment in splitter.split(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
            case .text(let range):
                encodeText(bytes[range], into: &output)
            }
        }
        if addSpecial, vocabulary.addEOS, let eos = vocabulary.eosID { output.append(eos) }
        return output
    }

    /// Encodes `text` as it is tokenized in the middle of a sequence: special-token
    /// texts not parsed, no BOS/EOS, and no SentencePiece space prefix (which llama.cpp
    /// adds only at the start of a text or after a special token). Constrained decoding
    /// emits choice values and forced spans as these tokens: with the prefix, a Llama 2
    /// or Phi-3 vocabulary would spell "positive" as "▁positive".
    public func encodeContinuation(_ text: String) -> [Int32] {
        guard case .sentencePiece(let encoder) = model else {
            return encode(text, parseSpecial: false, addSpecial: false)
        }
        var output: [Int32] = []
        encoder.encode(Array(text.utf8)[...], addSpacePrefix: false, into: &output)
        return output
    }

    private func encodeText(_ bytes: ArraySlice<UInt8>, into output: inout [Int32]) {
        switch model {
        case .bytePair(let encoder, let preTokenizer):
            let (scalars, offsets) = Self.scalars(of: bytes)
            for word in preTokenizer.split(scalars) {
                encoder.encode(word: bytes[offsets[word.lowerBound]..<offsets[word.upperBound]], into: &output)
            }
        case .sentencePiece(let encoder):
            encoder.encode(bytes, addSpacePrefix: vocabulary.addSpacePrefix, into: &output)
        }
    }

    /// The scalar values of valid UTF-8 `bytes`, and the byte offset where each
    /// starts (plus the end offset).
    static func scalars(of bytes: ArraySlice<UInt8>) -> (scalars: [UInt32], offsets: [Int]) {
        var scalars: [UInt32] = []
        var offsets: [Int] = []
        scalars.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let lead = bytes[index]
            let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            var value = length == 1 ? UInt32(lead) : UInt32(lead) & (0xFF >> (length + 1))
            for offset in 1..<max(length, 1) where index + offset < bytes.endIndex {
                value = value << 6 | UInt32(bytes[index + offset] & 0x3F)
            }
            scalars.append(value)
            offsets.append(index)
            index += length
        }
        offsets.append(bytes.endIndex)
        return (scalars, offsets)
    }

    /// The id of the token whose vocabulary text is exactly `text`.
    public func tokenID(forText text: String) -> Int32? { idForText[Array(text.utf8)] }

    /// The bytes token `id` contributes to output text.
    ///
    /// Control tokens (such as `<|im_end|>`) contribute nothing unless
    /// `renderSpecial` is true; ids outside the vocabulary contribute nothing.
    public func pieceBytes(for id: Int32, renderSpecial: Bool = false) -> [UInt8] {
        guard id >= 0, Int(id) < pieces.count else { return [] }
        if renderSpecial, let special = specialPieces[id] { return special }
        return pieces[Int(id)]
    }

    /// Decodes `ids` into text; bytes that are not valid UTF-8 become U+FFFD.
    ///
    /// As llama.cpp's `llama_detokenize` (without removing special tokens): control
    /// tokens are empty unless `renderSpecial`, and for SentencePiece models that
    /// add a space prefix the first token loses one leading space.
    public func decode(_ ids: [Int32], renderSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        for (index, id) in ids.enumerated() {
            var piece = pieceBytes(for: id, renderSpecial: renderSpecial)
            // llama.cpp drops the space the encoder prefixed: one leading space of
            // the first token's piece, when the model adds a space prefix.
            if index == 0, case .sentencePiece = model, vocabulary.addSpacePrefix, piece.first == 0x20 {
                piece.removeFirst()
            }
            bytes.append(contentsOf: piece)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `id` ends generation (see ``endOfGenerationIDs``).
    public func isEndOfGeneration(_ id: Int32) -> Bool { endOfGenerationIDs.contains(id) }

    /// A decoder for tokens arriving one at a time, which only ever emits whole
    /// UTF-8 characters.
    public func makeStreamingDetokenizer(renderSpecial: Bool = false) -> StreamingDetokenizer {
        StreamingDetokenizer(tokenizer: self, renderSpecial: renderSpecial)
    }
}
