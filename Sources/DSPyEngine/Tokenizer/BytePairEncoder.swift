import Foundation

/// Byte-level BPE over one pre-tokenized word, by merge rank, as llama.cpp does it.
///
/// A word's UTF-8 bytes start as one symbol each (the vocabulary's byte tokens).
/// Then, repeatedly, the adjacent pair with the best (lowest) merge rank is
/// replaced by the merged token; ties go to the leftmost pair. The loop keeps the
/// candidate pairs in a binary min-heap keyed by `(rank, position)` and the
/// symbols in a doubly linked list, so a word of `n` bytes costs `O(n log n)`;
/// stale heap entries are recognised and skipped when popped.
///
/// Pairs are looked up by token ids (`(left, right) → (rank, merged id)`), never
/// by strings. Results for long words are cached (short ones merge faster than a
/// lookup), behind a lock so one encoder can serve concurrent requests.
struct BytePairEncoder: Sendable {
    /// The token id of each single byte, or -1 when the vocabulary lacks it.
    private let byteTokenIDs: [Int32]
    /// `(left << 32 | right)` → `(rank << 32 | merged id)`.
    private let mergeTable: [UInt64: UInt64]
    private let cache = WordCache(limit: 65_536)
    /// Token ids by the UTF-8 bytes of their (byte-level) text, for `ignoreMerges`.
    private let idForText: [[UInt8]: Int32]
    /// Whether a word that is a vocabulary token is emitted whole (llama.cpp's
    /// `ignore_merges`, used by Llama 3).
    private let ignoreMerges: Bool
    /// Words at least this long (in bytes) go through the cache.
    static let cachedWordLength = 12

    /// Builds the merge table from `"left right"` merge lines.
    ///
    /// Merges whose parts or result are missing from the vocabulary can never
    /// apply to text the vocabulary can express, and are ignored.
    ///
    /// - Throws: ``TokenizerError/malformedMerge(index:merge:)`` for a line without
    ///   a separating space.
    init(merges: [String], idForText: [[UInt8]: Int32], ignoreMerges: Bool = false) throws {
        self.idForText = idForText
        self.ignoreMerges = ignoreMerges
        var byteIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            byteIDs[byte] = idForText[Array(String(ByteLevelAlphabet.scalarForByte[byte]).utf8)] ?? -1
        }
        byteTokenIDs = byteIDs
        var table: [UInt64: UInt64] = [:]
        table.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let scalars = merge.unicodeScalars
            guard let space = Self.separator(of: merge) else { throw TokenizerError.malformedMerge(index: rank, merge: merge) }
            let left = Array(String(scalars[..<space]).utf8)
            let right = Array(String(scalars[scalars.index(after: space)...]).utf8)
            guard let leftID = idForText[left], let rightID = idForText[right],
                let mergedID = idForText[left + right]
            else { continue }
            let key = UInt64(UInt32(bitPattern: leftID)) << 32 | UInt64(UInt32(bitPattern: rightID))
            if table[key] == nil {
                table[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: mergedID))
            }
        }
        mergeTable = table
    }

    /// Where a merge line splits: the first space after its first character
    /// (llama.cpp's rule), or nil for a malformed line.
    static func separator(of merge: String) -> String.UnicodeScalarView.Index? {
        let scalars = merge.unicodeScalars
        guard !scalars.isEmpty else { return nil }
        return scalars[scalars.index(after: scalars.startIndex)...].firstIndex(of: " ")
    }

    /// Appends the tokens of one word (its UTF-8 bytes) to `output`.
    func encode(word bytes: ArraySlice<UInt8>, into output: inout [Int32]) {
        guard !bytes.isEmpty else { return }
        if ignoreMerges, let id = idForText[Array(ByteLevelAlphabet.encode(bytes).utf8)] {
            output.append(id)
            return
        }
        if bytes.count == 1 {
            let id = byteTokenIDs[Int(bytes[bytes.startIndex])]
            if id >= 0 { output.append(id) }
            return
        }
        // Short words merge faster than a locked cache lookup; cache the long ones.
        guard bytes.count >= Self.cachedWordLength else {
            output.append(contentsOf: merge(bytes))
            return
        }
        if let cached = cache.lookup(bytes) {
            output.append(contentsOf: cached)
            return
        }
        let tokens = merge(bytes)
        cache.store(bytes, tokens)
        output.append(contentsOf: tokens)
    }

    private struct Candidate {
        var rank: UInt32
        var left: Int32
        var right: Int32
        var leftID: Int32
        var rightID: Int32
        var mergedID: Int32

        @inline(__always) func precedes(_ other: Candidate) -> Bool {
            rank != other.rank ? rank < other.rank : left < other.left
        }
    }

    private func candidate(_ left: Int, _ right: Int, _ ids: [Int32]) -> Candidate? {
        let leftID = ids[left], rightID = ids[right]
        guard leftID >= 0, rightID >= 0 else { return nil }
        let key = UInt64(UInt32(bitPattern: leftID)) << 32 | UInt64(UInt32(bitPattern: rightID))
        guard let value = mergeTable[key] else { return nil }
        return Candidate(
            rank: UInt32(value >> 32), left: Int32(left), right: Int32(right),
            leftID: leftID, rightID: rightID, mergedID: Int32(bitPattern: UInt32(truncatingIfNeeded: value)))
    }

    private func merge(_ bytes: ArraySlice<UInt8>) -> [Int32] {
        let count = bytes.count
        var ids = bytes.map { byteTokenIDs[Int($0)] }
        var previous = (0..<count).map { Int32($0 - 1) }
        var next = (0..<count).map { Int32($0 + 1 < count ? $0 + 1 : -1) }
        var heap = CandidateHeap()
        for index in 0..<(count - 1) {
            if let pair = candidate(index, index + 1, ids) { heap.push(pair) }
        }
        while let best = heap.pop() {
            let left = Int(best.left), right = Int(best.right)
            // Stale: a side was merged away or changed since this pair was queued.
            guard next[left] == best.right, ids[left] == best.leftID, ids[right] == best.rightID else { continue }
            ids[left] = best.mergedID
            ids[right] = -2
            let after = next[right]
            next[left] = after
            if after >= 0 { previous[Int(after)] = Int32(left) }
            next[right] = -1
            let before = previous[left]
            if before >= 0, let pair = candidate(Int(before), left, ids) { heap.push(pair) }
            if after >= 0, let pair = candidate(left, Int(after), ids) { heap.push(pair) }
        }
        var result: [Int32] = []
        result.reserveCapacity(count)
        var index: Int32 = 0
        while index >= 0 {
            let id = ids[Int(index)]
            if id >= 0 { result.append(id) }
            index = next[Int(index)]
        }
        return result
    }

    /// A binary min-heap of merge candidates ordered by `(rank, left position)`.
    private struct CandidateHeap {
        private var items: [Candidate] = []

        mutating func push(_ item: Candidate) {
            items.append(item)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[child].precedes(items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }

        mutating func pop() -> Candidate? {
            guard let top = items.first else { return nil }
            let last = items.removeLast()
            if !items.isEmpty {
                items[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var best = parent
                    if left < items.count, items[left].precedes(items[best]) { best = left }
                    if right < items.count, items[right].precedes(items[best]) { best = right }
                    if best == parent { break }
                    items.swapAt(parent, best)
                    parent = best
                }
            }
            return top
        }
    }
}

/// A bounded, thread-safe cache from a word's bytes to its tokens.
///
/// When full it is emptied (words of natural text are highly repetitive, so the
/// hot set refills at once).
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: [Int32]] = [:]
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func lookup(_ word: ArraySlice<UInt8>) -> [Int32]? {
        let key = Array(word)
        lock.lock()
        defer { lock.unlock() }
        return entries[key]
    }

    func store(_ word: ArraySlice<UInt8>, _ tokens: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
        entries[Array(word)] = tokens
    }
}
