/// Guesses the next tokens of a generation by finding its last few tokens earlier in the
/// prompt or the output and copying what followed them there.
///
/// This is prompt-lookup decoding (A. Saxena, 2023; llama.cpp's `lookup` example does the
/// same with an n-gram cache): a model asked to correct, extract, summarise or reason about
/// its input often repeats spans of it, and a repeated span can be checked in one batched
/// pass instead of one pass a token. The guesses cost nothing to make and are only ever
/// proposals: ``GenerationState`` keeps a guessed token only where the model, sampling as it
/// would have anyway, picks the same one, so the output is the same with or without them.
///
/// The longest suffix of the text so far (from ``longestNgram`` down to ``shortestNgram``
/// tokens) that also occurs earlier is looked up, and its most recent earlier occurrence
/// wins. Cost: O(history × n-gram) comparisons per proposal — a few microseconds for a
/// 2,000-token prompt, nothing beside a forward pass.
public struct PromptLookupDrafter: Sendable, Equatable {
    /// The most tokens proposed at once.
    public var maxTokens: Int
    /// The longest suffix looked up first.
    public var longestNgram: Int
    /// The shortest suffix that still counts as a match (shorter ones guess too often wrong).
    public var shortestNgram: Int

    /// No guesses: plain decoding.
    public static let off = PromptLookupDrafter(maxTokens: 0)

    /// - Parameters:
    ///   - maxTokens: the most tokens proposed at once (the engine may allow fewer; see
    ///     ``LanguageEngine/exactBatchTokens``).
    ///   - longestNgram: the longest suffix looked up.
    ///   - shortestNgram: the shortest suffix accepted as a match (at least 1).
    public init(maxTokens: Int = 6, longestNgram: Int = 4, shortestNgram: Int = 2) {
        self.maxTokens = maxTokens
        self.longestNgram = max(longestNgram, 1)
        self.shortestNgram = min(max(shortestNgram, 1), max(longestNgram, 1))
    }

    /// Up to `limit` tokens (and at most ``maxTokens``) that followed the most recent earlier
    /// occurrence of the longest matching suffix of `history`; empty when nothing matches.
    public func propose(after history: [Int32], limit: Int) -> [Int32] {
        let count = min(limit, maxTokens)
        guard count > 0, history.count > shortestNgram else { return [] }
        for length in stride(from: min(longestNgram, history.count - 1), through: shortestNgram, by: -1) {
            let suffixStart = history.count - length
            // The most recent earlier start whose `length` tokens equal the suffix.
            var start = suffixStart - 1
            while start >= 0 {
                if Self.matches(history, at: start, suffixStart: suffixStart, length: length) {
                    let from = start + length
                    let to = min(from + count, history.count)
                    if from < to { return Array(history[from..<to]) }
                }
                start -= 1
            }
        }
        return []
    }

    private static func matches(_ history: [Int32], at start: Int, suffixStart: Int, length: Int) -> Bool {
        for offset in 0..<length where history[start + offset] != history[suffixStart + offset] { return false }
        return true
    }
}
