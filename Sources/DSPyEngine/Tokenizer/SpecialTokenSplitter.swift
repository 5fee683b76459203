/// Finds special tokens written out in text, as llama.cpp's `parse_special` does.
///
/// Control, unknown and user-defined tokens are searched for in the raw text.
/// llama.cpp takes the special tokens longest text first and, for each, claims
/// its leftmost non-overlapping occurrences in the text not yet claimed; the
/// text around the claims is tokenized normally. When special parsing is off,
/// only user-defined tokens are still recognised (llama.cpp's rule), so
/// `"<|im_start|>"` then tokenizes as the characters `<`, `|`, `im`, ….
///
/// Vocabularies can hold thousands of special tokens (Gemma 3 has 6,400), so
/// instead of scanning the text once per token, one pass over the text with a
/// byte trie of all special texts lists every occurrence; the claims are then
/// made in llama.cpp's order. Cost: `O(text × longest partial match)`.
struct SpecialTokenSplitter: Sendable {
    /// A piece of the input: raw text (a byte range) or a special token.
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Special: Sendable {
        var length: Int
        var id: Int32
        var alwaysParsed: Bool
        /// Drops the white space that follows it (llama.cpp's `LLAMA_TOKEN_ATTR_RSTRIP`).
        var stripsRight: Bool
    }

    /// In llama.cpp's priority order: longest text first, ties by id.
    private let specials: [Special]
    /// Trie edges: `node << 8 | byte` → child node. Node 0 is the root.
    private let edges: [Int: Int32]
    /// The special (index into ``specials``) whose text ends at each trie node, or -1.
    private let terminal: [Int32]

    init(vocabulary: TokenizerVocabulary) {
        var found: [(bytes: [UInt8], special: Special)] = []
        let notStripped: Set<String> = ["<unk>", "<s>", "<|endoftext|>"]
        for (index, text) in vocabulary.tokens.enumerated() where !text.isEmpty {
            let type = vocabulary.type(of: Int32(index))
            guard type == .control || type == .unknown || type == .userDefined else { continue }
            let bytes = Array(text.utf8)
            let strips = vocabulary.stripsSpaceAfterSpecials && !notStripped.contains(text)
            found.append((bytes, Special(length: bytes.count, id: Int32(index), alwaysParsed: type == .userDefined,
                                         stripsRight: strips)))
        }
        found.sort { $0.special.length != $1.special.length ? $0.special.length > $1.special.length : $0.special.id < $1.special.id }
        specials = found.map(\.special)

        var edges: [Int: Int32] = [:]
        var terminal: [Int32] = [-1]
        for (rank, entry) in found.enumerated() {
            var node = 0
            for byte in entry.bytes {
                let key = node << 8 | Int(byte)
                if let child = edges[key] {
                    node = Int(child)
                } else {
                    terminal.append(-1)
                    edges[key] = Int32(terminal.count - 1)
                    node = terminal.count - 1
                }
            }
            if terminal[node] < 0 { terminal[node] = Int32(rank) }  // duplicate texts: first wins
        }
        self.edges = edges
        self.terminal = terminal
    }

    /// Splits `bytes` into text fragments and special tokens, in order.
    func split(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        guard !specials.isEmpty else { return [.text(0..<bytes.count)] }

        // Every occurrence of every usable special, grouped by special.
        var occurrences: [Int32: [Int]] = [:]
        for start in bytes.indices {
            var node = 0
            var index = start
            while index < bytes.count, let child = edges[node << 8 | Int(bytes[index])] {
                node = Int(child)
                index += 1
                let rank = terminal[node]
                if rank >= 0, parseSpecial || specials[Int(rank)].alwaysParsed {
                    occurrences[rank, default: []].append(start)
                }
            }
        }
        guard !occurrences.isEmpty else { return [.text(0..<bytes.count)] }

        // Claim in priority order, leftmost first, never overlapping earlier claims.
        var claimed = [Bool](repeating: false, count: bytes.count)
        var claims: [(start: Int, special: Int)] = []
        for rank in occurrences.keys.sorted() {
            let length = specials[Int(rank)].length
            var nextAllowed = 0
            for start in occurrences[rank] ?? [] where start >= nextAllowed {
                if claimed[start..<(start + length)].contains(true) { continue }
                for index in start..<(start + length) { claimed[index] = true }
                claims.append((start, Int(rank)))
                nextAllowed = start + length
            }
        }
        claims.sort { $0.start < $1.start }
        var fragments: [Fragment] = []
        var position = 0
        for claim in claims {
            if claim.start > position { fragments.append(.text(position..<claim.start)) }
            let special = specials[claim.special]
            fragments.append(.token(special.id))
            position = claim.start + special.length
            if special.stripsRight {
                // C's isspace: space, \t, \n, \v, \f, \r.
                while position < bytes.count, bytes[position] == 0x20 || (0x09...0x0D).contains(bytes[position]),
                      !claimed[position] { position += 1 }
            }
        }
        if position < bytes.count { fragments.append(.text(position..<bytes.count)) }
        return fragments
    }
}
