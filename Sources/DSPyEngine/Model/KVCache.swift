/// The keys and values one sequence has computed, for every layer.
///
/// Stored as IEEE halves (like llama.cpp's default cache), laid out per layer as
/// `[position][kv head][head dimension]`, so appending a token writes one contiguous
/// row and growing is a copy of the used prefix. Capacity grows by doubling up to the
/// context length: 46 KB per token for SmolLM2-135M (30 layers × 2 × 192 halves).
///
/// A cache belongs to one sequence and is used only inside the engine's isolation
/// domain. `copyPrefix(of:length:)` seeds a cache from another one's prefix, which is
/// how a shared prompt prefix is computed once and reused.
final class KVCache {
    /// Layers in the cache.
    let layerCount: Int
    /// Halves per position per layer (`kvHeadCount * headDimension`).
    let width: Int
    /// The most positions the cache may ever hold.
    let maximumLength: Int
    /// Positions filled so far; the next token goes at this position.
    private(set) var length = 0
    /// The LoRA adapter the cached keys and values were computed with (nil: the base model).
    var adapter: AdapterID?
    /// Positions allocated.
    private(set) var capacity = 0
    private var keys: [UnsafeMutablePointer<UInt16>] = []
    private var values: [UnsafeMutablePointer<UInt16>] = []

    init(layerCount: Int, width: Int, maximumLength: Int) {
        self.layerCount = layerCount
        self.width = width
        self.maximumLength = maximumLength
    }

    deinit { release() }

    /// Bytes held by the allocation.
    var allocatedBytes: Int { capacity * width * 2 * 2 * layerCount }

    /// Makes room for `count` positions (at most `maximumLength`).
    func reserve(_ count: Int) {
        guard count > capacity else { return }
        var newCapacity = max(capacity, 64)
        while newCapacity < count { newCapacity *= 2 }
        newCapacity = min(max(newCapacity, count), maximumLength)
        let newKeys = (0..<layerCount).map { _ in UnsafeMutablePointer<UInt16>.allocate(capacity: newCapacity * width) }
        let newValues = (0..<layerCount).map { _ in UnsafeMutablePointer<UInt16>.allocate(capacity: newCapacity * width) }
        for layer in 0..<keys.count where length > 0 {
            newKeys[layer].update(from: keys[layer], count: length * width)
            newValues[layer].update(from: values[layer], count: length * width)
        }
        release()
        keys = newKeys
        values = newValues
        capacity = newCapacity
    }

    /// The key rows of `layer`.
    func keys(layer: Int) -> UnsafeMutablePointer<UInt16> { keys[layer] }
    /// The value rows of `layer`.
    func values(layer: Int) -> UnsafeMutablePointer<UInt16> { values[layer] }

    /// Marks positions up to `newLength` as filled (after a forward pass wrote them).
    func advance(to newLength: Int) {
        precondition(newLength <= capacity)
        length = newLength
    }

    /// Forgets positions from `newLength` on, so they can be recomputed differently.
    func truncate(to newLength: Int) {
        length = min(length, max(0, newLength))
    }

    /// Replaces this cache's contents with the first `count` positions of `other`.
    func copyPrefix(of other: KVCache, length count: Int) {
        precondition(other.width == width && other.layerCount == layerCount && count <= other.length)
        reserve(count)
        for layer in 0..<layerCount where count > 0 {
            keys[layer].update(from: other.keys[layer], count: count * width)
            values[layer].update(from: other.values[layer], count: count * width)
        }
        length = count
    }

    private func release() {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
        keys = []
        values = []
    }
}
