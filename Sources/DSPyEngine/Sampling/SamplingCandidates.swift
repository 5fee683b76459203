#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tokens still in the running for one draw, with their (adjusted) logits.
///
/// Starts as the whole vocabulary in id order; each ``CandidateFilter`` of the
/// sampler chain adjusts logits or removes candidates. ``isSorted`` records
/// whether the candidates are in descending logit order, which some filters need
/// and some produce, exactly as llama.cpp's `llama_token_data_array.sorted`.
public struct SamplingCandidates: Sendable {
    /// One candidate token.
    public struct Candidate: Sendable, Equatable {
        /// The token id.
        public var id: Int32
        /// Its logit after the filters applied so far.
        public var logit: Float
    }

    /// The candidates, in id order until a filter sorts them.
    public var items: [Candidate]
    /// Whether ``items`` is in descending logit order.
    public var isSorted: Bool

    /// All tokens of a logits row, in id order.
    public init(logits: UnsafeBufferPointer<Float>) {
        items = logits.enumerated().map { Candidate(id: Int32($0.offset), logit: $0.element) }
        isSorted = false
    }

    /// Explicit candidates (for tests and custom chains).
    public init(items: [Candidate], isSorted: Bool = false) {
        self.items = items
        self.isSorted = isSorted
    }

    /// The number of candidates left.
    public var count: Int { items.count }

    /// Sorts in descending logit order, keeping only the first `limit` items.
    ///
    /// Small limits use a bounded heap (`O(n log k)`), so keeping the top 40 of a
    /// 49k vocabulary costs about one pass.
    public mutating func sortDescending(keeping limit: Int? = nil) {
        let keep = min(limit ?? items.count, items.count)
        if keep < items.count, keep <= 256 {
            items = Self.top(keep, of: items)
        } else {
            items.sort { $0.logit > $1.logit }
            if keep < items.count { items.removeSubrange(keep...) }
        }
        isSorted = true
    }

    /// The softmax of the current logits, in the current order (llama.cpp's
    /// `softmax_impl`: float exponentials of `logit - max`, float sum).
    public func probabilities() -> [Float] {
        guard let maxLogit = isSorted ? items.first?.logit : items.map(\.logit).max() else { return [] }
        var probabilities = items.map { expf($0.logit - maxLogit) }
        var sum: Float = 0
        for p in probabilities { sum += p }
        for index in probabilities.indices { probabilities[index] /= sum }
        return probabilities
    }

    private static func top(_ k: Int, of items: [Candidate]) -> [Candidate] {
        guard k > 0 else { return [] }
        // A min-heap of the best k seen so far; its root is the weakest kept.
        var heap: [Candidate] = []
        heap.reserveCapacity(k)
        for item in items {
            if heap.count < k {
                heap.append(item)
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard heap[child].logit < heap[parent].logit else { break }
                    heap.swapAt(child, parent)
                    child = parent
                }
            } else if item.logit > heap[0].logit {
                heap[0] = item
                var parent = 0
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var smallest = parent
                    if left < k, heap[left].logit < heap[smallest].logit { smallest = left }
                    if right < k, heap[right].logit < heap[smallest].logit { smallest = right }
                    if smallest == parent { break }
                    heap.swapAt(parent, smallest)
                    parent = smallest
                }
            }
        }
        heap.sort { $0.logit > $1.logit || ($0.logit == $1.logit && $0.id < $1.id) }
        return heap
    }
}
