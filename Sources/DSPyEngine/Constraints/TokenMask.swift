/// A set of allowed token ids, stored as a bitset over the vocabulary.
///
/// A mask for a 49,152-token vocabulary is 768 words (6 KiB); clearing it, setting a
/// few bits and testing a bit are all cheap. ``apply(to:)`` writes `-infinity` into
/// the logits of every token that is not allowed, one pass over the logits.
///
/// ```swift
/// var mask = TokenMask(count: vocabulary.count)
/// decoder.allowedTokens(into: &mask)
/// mask.apply(to: &logits)
/// ```
public struct TokenMask: Sendable, Equatable {
    /// The vocabulary size the mask covers.
    public let count: Int
    /// One bit per token, token `t` at bit `t & 63` of word `t >> 6`.
    public private(set) var words: [UInt64]

    /// An empty mask (nothing allowed) over `count` tokens.
    public init(count: Int) {
        self.count = count
        self.words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    /// Whether `token` is allowed.
    @inline(__always)
    public func contains(_ token: Int32) -> Bool {
        let t = Int(token)
        guard t >= 0, t < count else { return false }
        return words[t >> 6] & (1 << UInt64(t & 63)) != 0
    }

    /// Allows `token` (ignored when out of range).
    @inline(__always)
    public mutating func insert(_ token: Int32) {
        let t = Int(token)
        guard t >= 0, t < count else { return }
        words[t >> 6] |= 1 << UInt64(t & 63)
    }

    /// Disallows every token.
    public mutating func removeAll() {
        for i in words.indices { words[i] = 0 }
    }

    /// Allows every token of `other` as well.
    public mutating func formUnion(_ other: TokenMask) {
        precondition(other.count == count, "masks over different vocabularies")
        for i in words.indices { words[i] |= other.words[i] }
    }

    /// Allows every token that is in both `other` and `filter`.
    public mutating func formUnion(_ other: TokenMask, intersectedWith filter: TokenMask) {
        precondition(other.count == count && filter.count == count, "masks over different vocabularies")
        for i in words.indices { words[i] |= other.words[i] & filter.words[i] }
    }

    /// The number of allowed tokens.
    public var allowedCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// The allowed token ids in increasing order.
    public var allowedTokens: [Int32] {
        var result: [Int32] = []
        for (w, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                let b = bits.trailingZeroBitCount
                result.append(Int32(w * 64 + b))
                bits &= bits - 1
            }
        }
        return result
    }

    /// Sets the logit of every disallowed token to `-infinity`.
    ///
    /// `logits` may be longer than the mask (padding rows of the output matrix);
    /// entries past `count` are disallowed too. Cost: one pass over `logits`.
    public func apply(to logits: inout [Float]) {
        logits.withUnsafeMutableBufferPointer { buffer in
            words.withUnsafeBufferPointer { words in
                let n = min(buffer.count, count)
                var t = 0
                while t < n {
                    let word = words[t >> 6]
                    let end = min(t + 64, n)
                    if word == 0 {
                        for i in t..<end { buffer[i] = -.infinity }
                    } else if word != .max {
                        for i in t..<end where word & (1 << UInt64(i & 63)) == 0 {
                            buffer[i] = -.infinity
                        }
                    }
                    t = end
                }
                for i in n..<buffer.count { buffer[i] = -.infinity }
            }
        }
    }
}
