/// Everything a tokenizer needs from a model file, as plain Swift values.
///
/// A *vocabulary* is the list of token texts with their types, plus the rules that
/// turn text into those tokens: BPE merges (byte-level models such as GPT-2 and
/// SmolLM) or per-token scores (SentencePiece models such as Llama 2 and Gemma).
/// It is filled from GGUF metadata by the model loader; the mapping of GGUF keys
/// is ``init(tokens:tokenTypes:scores:merges:model:preTokenizer:bosID:eosID:eotID:unknownID:paddingID:addBOS:addEOS:addSpacePrefix:)``:
///
/// | GGUF key | field |
/// | --- | --- |
/// | `tokenizer.ggml.model` | ``model`` |
/// | `tokenizer.ggml.pre` | ``preTokenizer`` |
/// | `tokenizer.ggml.tokens` | ``tokens`` |
/// | `tokenizer.ggml.token_type` | ``tokenTypes`` |
/// | `tokenizer.ggml.scores` | ``scores`` |
/// | `tokenizer.ggml.merges` | ``merges`` |
/// | `tokenizer.ggml.bos_token_id` / `eos_token_id` / `eot_token_id` | ``bosID`` / ``eosID`` / ``eotID`` |
/// | `tokenizer.ggml.unknown_token_id` / `padding_token_id` | ``unknownID`` / ``paddingID`` |
/// | `tokenizer.ggml.add_bos_token` / `add_eos_token` | ``addBOS`` / ``addEOS`` |
/// | `tokenizer.ggml.add_space_prefix` | ``addSpacePrefix`` |
///
/// ```swift
/// let vocabulary = TokenizerVocabulary(
///     tokens: tokens, tokenTypes: types, merges: merges,
///     model: "gpt2", preTokenizer: "smollm", bosID: 1, eosID: 2, addBOS: false)
/// let tokenizer = try Tokenizer(vocabulary: vocabulary)
/// ```
public struct TokenizerVocabulary: Sendable, Equatable {
    /// The kind of a token, as GGUF's `tokenizer.ggml.token_type` numbers them.
    public enum TokenType: Int32, Sendable, Equatable {
        /// Not specified by the file; treated as ``normal``.
        case undefined = 0
        /// Ordinary text.
        case normal = 1
        /// The unknown-token placeholder.
        case unknown = 2
        /// A control token such as `<|im_start|>`: parsed from text only on request,
        /// rendered to text only on request.
        case control = 3
        /// A user-defined token: always matched in text, rendered as its text.
        case userDefined = 4
        /// A reserved slot that is never produced.
        case unused = 5
        /// A SentencePiece byte-fallback token such as `<0x0A>`.
        case byte = 6
    }

    /// The token texts, indexed by token id (byte-level BPE texts use GPT-2's byte alphabet).
    public var tokens: [String]
    /// The type of each token; missing entries count as ``TokenType/normal``.
    public var tokenTypes: [TokenType]
    /// SentencePiece scores, one per token (empty for BPE models).
    public var scores: [Float]
    /// BPE merges, highest priority first, each `"left right"`.
    public var merges: [String]
    /// The tokenizer model: `"gpt2"` (byte-level BPE) or `"llama"` (SentencePiece).
    public var model: String
    /// The pre-tokenizer name (`"smollm"`, `"gpt2"`, `"llama3"`, ...); empty when absent.
    public var preTokenizer: String
    /// Beginning-of-sequence token id.
    public var bosID: Int32?
    /// End-of-sequence token id.
    public var eosID: Int32?
    /// End-of-turn token id, when the file names one.
    public var eotID: Int32?
    /// Unknown-token id.
    public var unknownID: Int32?
    /// Padding token id.
    public var paddingID: Int32?
    /// Whether encoding with special tokens prepends ``bosID``.
    public var addBOS: Bool
    /// Whether encoding with special tokens appends ``eosID``.
    public var addEOS: Bool
    /// Whether SentencePiece encoding prefixes the text with a space.
    public var addSpacePrefix: Bool
    /// Whether white space after a special token written in the text is dropped, as
    /// llama.cpp does for Phi-3 models (their special tokens are `rstrip` in Hugging Face's
    /// tokenizer; llama.cpp recognises them by `general.name`), except after `<unk>`, `<s>`
    /// and `<|endoftext|>`.
    public var stripsSpaceAfterSpecials = false

    /// Creates a vocabulary from decoded model metadata.
    ///
    /// - Parameters:
    ///   - tokens: `tokenizer.ggml.tokens`.
    ///   - tokenTypes: `tokenizer.ggml.token_type` as raw numbers; unknown numbers count as normal.
    ///   - scores: `tokenizer.ggml.scores` (SentencePiece only).
    ///   - merges: `tokenizer.ggml.merges` (BPE only).
    ///   - model: `tokenizer.ggml.model`.
    ///   - preTokenizer: `tokenizer.ggml.pre`.
    ///   - bosID: `tokenizer.ggml.bos_token_id`.
    ///   - eosID: `tokenizer.ggml.eos_token_id`.
    ///   - eotID: `tokenizer.ggml.eot_token_id`.
    ///   - unknownID: `tokenizer.ggml.unknown_token_id`.
    ///   - paddingID: `tokenizer.ggml.padding_token_id`.
    ///   - addBOS: `tokenizer.ggml.add_bos_token`; when absent, llama.cpp's default
    ///     (`true` for SentencePiece and Llama 3, `false` for other BPE) is used.
    ///   - addEOS: `tokenizer.ggml.add_eos_token` (default `false`).
    ///   - addSpacePrefix: `tokenizer.ggml.add_space_prefix`; when absent, `true`
    ///     for SentencePiece and `false` otherwise.
    public init(
        tokens: [String],
        tokenTypes: [Int32] = [],
        scores: [Float] = [],
        merges: [String] = [],
        model: String,
        preTokenizer: String = "",
        bosID: Int32? = nil,
        eosID: Int32? = nil,
        eotID: Int32? = nil,
        unknownID: Int32? = nil,
        paddingID: Int32? = nil,
        addBOS: Bool? = nil,
        addEOS: Bool? = nil,
        addSpacePrefix: Bool? = nil
    ) {
        self.tokens = tokens
        self.tokenTypes = tokenTypes.map { TokenType(rawValue: $0) ?? .normal }
        self.scores = scores
        self.merges = merges
        self.model = model
        self.preTokenizer = preTokenizer
        self.bosID = bosID
        self.eosID = eosID
        self.eotID = eotID
        self.unknownID = unknownID
        self.paddingID = paddingID
        let isSentencePiece = model == "llama"
        self.addBOS = addBOS ?? (isSentencePiece || PreTokenizer.addsBOSByDefault(preTokenizer))
        self.addEOS = addEOS ?? false
        self.addSpacePrefix = addSpacePrefix ?? isSentencePiece
    }

    /// The number of tokens.
    public var count: Int { tokens.count }

    /// The type of token `id` (``TokenType/normal`` when the file gives none).
    public func type(of id: Int32) -> TokenType {
        let index = Int(id)
        guard index >= 0, index < tokenTypes.count else { return .normal }
        let type = tokenTypes[index]
        return type == .undefined ? .normal : type
    }
}
