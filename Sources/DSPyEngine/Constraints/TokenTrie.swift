/// A byte trie over a vocabulary, stored in preorder so that a mask is one linear scan
/// that skips dead subtrees.
///
/// Node 0 is the root (the empty string). Every other node `i` is reached from its
/// parent by the byte `byte[i]`, sits at `depth[i]`, and its subtree is the index
/// range `i ..< i + subtreeSize[i]`. The first child of `i` is `i + 1`, and the next
/// sibling of a child `c` is `c + subtreeSize[c]`. Tokens whose bytes end at node `i`
/// are `tokenIDs[tokenStart[i] ..< tokenStart[i + 1]]` (usually zero or one).
///
/// ``walk(start:step:visit:)`` runs a byte automaton down the trie: a subtree is
/// entered only while the automaton accepts the bytes on its path, so the cost is
/// proportional to the number of viable prefixes, not to the vocabulary size. For the
/// SmolLM2 vocabulary (49,152 tokens) the trie has about 1.6 nodes per token.
public struct TokenTrie: Sendable {
    /// The incoming byte of each node (unused for the root).
    let byte: [UInt8]
    /// The depth of each node (root 0).
    let depth: [UInt16]
    /// The size of each node's subtree, the node included.
    let subtreeSize: [Int32]
    /// Prefix offsets into `tokenIDs`, one per node plus one.
    let tokenStart: [Int32]
    /// Token ids ordered by their bytes.
    let tokenIDs: [Int32]
    /// The length of the longest token in each node's subtree.
    let deepest: [UInt16]
    /// The deepest node (the longest token, in bytes).
    public let maxDepth: Int

    /// The number of nodes, the root included.
    public var nodeCount: Int { byte.count }

    /// Builds the trie over the tokens for which `include` returns `true` and whose
    /// bytes are not empty. Cost: one sort of the token byte strings.
    public init(tokenBytes: [[UInt8]], include: (Int32) -> Bool) {
        var ids: [Int32] = []
        ids.reserveCapacity(tokenBytes.count)
        for id in tokenBytes.indices where !tokenBytes[id].isEmpty && include(Int32(id)) {
            ids.append(Int32(id))
        }
        ids.sort { a, b in
            let x = tokenBytes[Int(a)], y = tokenBytes[Int(b)]
            return x.lexicographicallyPrecedes(y) || (x == y && a < b)
        }
        var byte: [UInt8] = [0]
        var depth: [UInt16] = [0]
        var tokenStart: [Int32] = [0]
        var path: [Int] = [0]  // node index at each depth along the current path
        var previous: [UInt8] = []
        for id in ids {
            let bytes = tokenBytes[Int(id)]
            // Length of the common prefix with the previous token: nodes along it exist.
            var common = 0
            while common < bytes.count, common < previous.count, bytes[common] == previous[common] {
                common += 1
            }
            path.removeLast(path.count - 1 - common)
            for d in common..<bytes.count {
                byte.append(bytes[d])
                depth.append(UInt16(d + 1))
                tokenStart.append(tokenStart[tokenStart.count - 1])
                path.append(byte.count - 1)
            }
            tokenStart[tokenStart.count - 1] += 1  // the token ends at the last node
            previous = bytes
        }
        tokenStart.append(tokenStart[tokenStart.count - 1])
        // tokenStart[i] currently holds the running count *after* node i; shift it.
        var starts = [Int32](repeating: 0, count: byte.count + 1)
        for i in 0..<byte.count { starts[i + 1] = tokenStart[i] }
        // Parent of node i is the nearest earlier node one level up; subtree sizes
        // accumulate backwards into parents.
        var lastAtDepth = [Int](repeating: 0, count: Int(depth.max() ?? 0) + 1)
        var parent = [Int](repeating: 0, count: byte.count)
        for i in 1..<max(byte.count, 1) {
            parent[i] = lastAtDepth[Int(depth[i]) - 1]
            lastAtDepth[Int(depth[i])] = i
        }
        var size = [Int32](repeating: 1, count: byte.count)
        var deepest = [UInt16](repeating: 0, count: byte.count)
        for i in stride(from: byte.count - 1, to: 0, by: -1) {
            size[parent[i]] += size[i]
            if starts[i] < starts[i + 1] { deepest[i] = max(deepest[i], depth[i]) }
            deepest[parent[i]] = max(deepest[parent[i]], deepest[i])
        }
        self.byte = byte
        self.depth = depth
        self.subtreeSize = size
        self.tokenStart = starts
        self.tokenIDs = ids
        self.deepest = deepest
        self.maxDepth = Int(depth.max() ?? 0)
    }
}

extension TokenTrie {
    /// Runs a byte automaton down the trie and reports every token whose bytes it
    /// accepts, in byte order.
    ///
    /// `step` advances a copy of the parent's state by one byte and returns `false`
    /// when the byte is rejected; the subtree under a rejected byte is skipped. A
    /// token is reported when every byte on its path was accepted (whether the state
    /// after it is final is the caller's business).
    ///
    /// Cost: one `step` per visited node; dead subtrees cost one comparison each.
    /// With `longerThan` > 0 only tokens of more than `longerThan` bytes are reported,
    /// and subtrees holding none are skipped without stepping.
    @inline(__always)
    func walk<State>(
        start: State, longerThan: Int = 0, step: (inout State, UInt8) -> Bool, visit: (Int32) -> Void
    ) {
        let n = byte.count
        guard n > 1 else { return }
        var states = [State](repeating: start, count: maxDepth + 1)
        byte.withUnsafeBufferPointer { byte in
        depth.withUnsafeBufferPointer { depth in
        subtreeSize.withUnsafeBufferPointer { size in
        tokenStart.withUnsafeBufferPointer { tokenStart in
        tokenIDs.withUnsafeBufferPointer { tokenIDs in
        deepest.withUnsafeBufferPointer { deepest in
        states.withUnsafeMutableBufferPointer { states in
            let minimum = UInt16(clamping: longerThan)
            var i = 1
            while i < n {
                let d = Int(depth[i])
                var s = states[d - 1]
                if deepest[i] > minimum, step(&s, byte[i]) {
                    states[d] = s
                    if d > longerThan {
                        var t = Int(tokenStart[i])
                        let end = Int(tokenStart[i + 1])
                        while t < end {
                            visit(tokenIDs[t])
                            t += 1
                        }
                    }
                    i += 1
                } else {
                    i += Int(size[i])
                }
            }
        }}}}}}}
    }

    /// The longest token whose bytes are a prefix of `bytes[from...]`, with its length;
    /// `nil` when no token starts with `bytes[from]`. A greedy stand-in tokenizer for
    /// tests, and a fallback for bytes the canonical encoder cannot produce.
    func longestToken(in bytes: [UInt8], from: Int) -> (token: Int32, length: Int)? {
        var best: (Int32, Int)?
        var node = 0
        var position = from
        while position < bytes.count {
            // Find the child of `node` labelled bytes[position].
            let end = node + Int(subtreeSize[node])
            var child = node + 1
            var found = -1
            while child < end {
                if byte[child] == bytes[position] { found = child; break }
                child += Int(subtreeSize[child])
            }
            if found < 0 { break }
            node = found
            position += 1
            if tokenStart[node] < tokenStart[node + 1] {
                best = (tokenIDs[Int(tokenStart[node])], position - from)
            }
        }
        return best
    }
}
