/// Which of llama.cpp's two CPU attention paths a token takes, and what follows for reuse.
///
/// llama.cpp splits a call's tokens into micro-batches of 512 (its default `n_ubatch`);
/// its CPU flash attention takes a tiled float path for micro-batches of 64 or more query
/// rows and a half-precision path, one query row at a time, for shorter ones (decoding).
/// The two round differently, so a token's result depends on the call it came in.
///
/// The engine reproduces both, and decides the path of each token from the *call* it
/// belongs to, never from how the engine happened to batch or cache it: a prompt resumed
/// after a cached prefix still counts as the whole prompt, and a cached prefix is reused
/// only where its tokens took the paths the new prompt's would take. So the result of a
/// request is the same cold or warm, alone or batched, and equals llama.cpp's for the
/// same call.
enum AttentionPath {
    /// The micro-batch size llama.cpp splits a call's tokens into (its default `n_ubatch`).
    static let microBatch = 512

    /// Tokens in one of llama.cpp's micro-batches from which its CPU flash attention takes
    /// the tiled float path.
    static let tiledThreshold = 64

    /// Whether token `index` (0-based) of a call of `count` tokens takes the tiled path.
    static func isTiled(tokenIndex index: Int, of count: Int) -> Bool {
        count - index / microBatch * microBatch >= tiledThreshold
    }

    /// The longest prefix, at most `limit` tokens, over which a call of `first` tokens and
    /// a call of `second` tokens (both starting at position 0) give every token the same path.
    ///
    /// Paths are constant within each 512-token micro-batch, so this compares one flag per
    /// micro-batch. Cost: O(limit / 512).
    static func sharedPrefix(calls first: Int, _ second: Int, limit: Int) -> Int {
        for start in stride(from: 0, to: limit, by: microBatch)
        where isTiled(tokenIndex: start, of: first) != isTiled(tokenIndex: start, of: second) {
            return start
        }
        return max(limit, 0)
    }
}
