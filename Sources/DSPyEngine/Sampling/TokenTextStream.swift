/// Turns generated tokens into the text a caller sees, deciding when generation ends.
///
/// This is the text side of a generation loop: it combines the
/// ``StreamingDetokenizer`` (only whole UTF-8 characters go out), the
/// ``StopStringMatcher`` (stop strings are cut, and text that may begin one is held
/// back), end-of-generation tokens and ``SamplingParameters/maxTokens``, with
/// llama-server's conventions: an end-of-generation token and a stop string are
/// not part of the text; the token that reaches `maxTokens` is.
///
/// ```swift
/// var stream = TokenTextStream(tokenizer: tokenizer, parameters: parameters)
/// while !stream.isFinished {
///     let token = sampler.sample(logits: model.logits())
///     sampler.accept(token)
///     send(stream.append(token))
///     // ... feed `token` to the model ...
/// }
/// // stream.text is the whole completion, stream.finishReason says why it ended
/// ```
///
/// When generation stops for another reason (the context is full), call
/// ``finish()`` to release the held-back text.
public struct TokenTextStream: Sendable {
    /// Why generation ended.
    public enum FinishReason: Sendable, Equatable {
        /// The model produced an end-of-generation token (the id).
        case endOfGeneration(Int32)
        /// The text produced a stop string (the one matched).
        case stopString(String)
        /// ``SamplingParameters/maxTokens`` tokens were generated.
        case maxTokens
        /// The caller ended the stream with ``TokenTextStream/finish()``.
        case finishedByCaller
    }

    private let tokenizer: Tokenizer
    private let maxTokens: Int?
    private var detokenizer: StreamingDetokenizer
    private var matcher: StopStringMatcher

    /// Why generation ended, once it has.
    public private(set) var finishReason: FinishReason?
    /// The tokens appended so far (including a final end-of-generation token).
    public private(set) var tokenCount = 0
    /// All text emitted so far.
    public private(set) var text = ""

    /// Whether no more tokens should be generated.
    public var isFinished: Bool { finishReason != nil }

    /// Creates a stream for one completion.
    ///
    /// - Parameters:
    ///   - tokenizer: Decodes the tokens.
    ///   - parameters: Supplies ``SamplingParameters/stop`` and ``SamplingParameters/maxTokens``.
    ///   - renderSpecial: Whether control tokens appear in the text as their names.
    public init(tokenizer: Tokenizer, parameters: SamplingParameters, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.maxTokens = parameters.maxTokens
        detokenizer = tokenizer.makeStreamingDetokenizer(renderSpecial: renderSpecial)
        matcher = StopStringMatcher(stops: parameters.stop)
        if parameters.maxTokens == 0 { finishReason = .maxTokens }
    }

    /// Adds a generated token and returns the text it releases (possibly empty).
    ///
    /// After the stream has finished, further tokens are ignored.
    public mutating func append(_ token: Int32) -> String {
        guard !isFinished else { return "" }
        tokenCount += 1
        if tokenizer.isEndOfGeneration(token) {
            finishReason = .endOfGeneration(token)
            return emit(release())
        }
        var released = matcher.append(detokenizer.append(token))
        if matcher.isStopped {
            finishReason = .stopString(matcher.matchedStop ?? "")
            return emit(released)
        }
        if let maxTokens, tokenCount >= maxTokens {
            finishReason = .maxTokens
            released += release()
        }
        return emit(released)
    }

    /// Ends the stream and returns the text still held back (incomplete bytes
    /// become U+FFFD; a partial stop string is released as text).
    public mutating func finish() -> String {
        guard !isFinished else { return "" }
        finishReason = .finishedByCaller
        return emit(release())
    }

    /// Flushes the detokenizer and the matcher; a stop string completed by the
    /// flushed bytes still counts.
    private mutating func release() -> String {
        let released = matcher.append(detokenizer.finish())
        if matcher.isStopped {
            finishReason = .stopString(matcher.matchedStop ?? "")
            return released
        }
        return released + matcher.finish()
    }

    private mutating func emit(_ released: String) -> String {
        text += released
        return released
    }
}
