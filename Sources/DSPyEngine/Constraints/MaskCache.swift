import Foundation

/// Masks of byte-level states, shared by every decoder of one ``OutputConstraint``.
///
/// A free-text or JSON-string state allows most of the vocabulary, and computing its
/// mask walks most of the trie (about a millisecond); the same few states recur at
/// every step and in every generation with the same constraint, so their masks are
/// computed once per process. Keys are states normalized so that counters which
/// cannot matter within one token are replaced by sentinels. Thread-safe (a lock
/// around a dictionary); holds at most `capacity` masks (6 KiB each for 49,152
/// tokens) and starts over when full.
final class MaskCache: @unchecked Sendable {
    private let lock = NSLock()
    private var masks: [ByteState: TokenMask] = [:]
    private let capacity: Int

    init(capacity: Int = 512) { self.capacity = capacity }

    /// The cached mask for `key`, computing and storing it with `compute` if absent.
    /// `compute` runs outside the lock, so two threads may both compute a new key.
    func mask(for key: ByteState, compute: () -> TokenMask) -> TokenMask {
        lock.lock()
        let cached = masks[key]
        lock.unlock()
        if let cached { return cached }
        let mask = compute()
        lock.lock()
        if masks.count >= capacity { masks.removeAll(keepingCapacity: true) }
        masks[key] = mask
        lock.unlock()
        return mask
    }

    /// The number of cached masks.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return masks.count
    }
}
