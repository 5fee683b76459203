import Foundation
import DSPyUtilities
import GRDB

extension Store {
    /// Looks up a cached LM response.
    ///
    /// - Parameter key: The SHA-256 hex digest of the canonical request.
    /// - Returns: The entry, or `nil` on a miss.
    /// - Throws: ``StoreError/invalidCacheKey(_:)`` for a key that is not a digest.
    public func cachedResponse(forKey key: String) throws -> CacheEntry? {
        guard CacheEntry.isValidKey(key) else { throw StoreError.invalidCacheKey(key) }
        return try read("reading the LM-call cache") { db in
            try CacheEntry.fetchOne(db, key: key)
        }
    }

    /// Stores (or replaces) a cached LM response.
    ///
    /// - Throws: ``StoreError/invalidCacheKey(_:)`` for a key that is not a digest.
    public func storeCachedResponse(_ entry: CacheEntry) throws {
        guard CacheEntry.isValidKey(entry.key) else { throw StoreError.invalidCacheKey(entry.key) }
        try write("writing the LM-call cache") { db in
            try entry.upsert(db)
        }
    }

    /// The number of cached responses.
    public func cachedResponseCount() throws -> Int {
        try read("counting the LM-call cache") { db in try CacheEntry.fetchCount(db) }
    }

    /// Empties the LM-call cache (the request log is kept).
    ///
    /// - Returns: How many entries were removed.
    @discardableResult
    public func removeAllCachedResponses() throws -> Int {
        try write("clearing the LM-call cache") { db in try CacheEntry.deleteAll(db) }
    }

    /// The SHA-256 hex digest of a canonical request, for callers that have the
    /// canonical text at hand. The framework decides what is canonical (sorted-key
    /// JSON of model, messages and every sampling parameter, without credentials).
    public static func cacheKey(canonicalRequest: String) -> String {
        DSPyUtilities.SHA256.hash(canonicalRequest).hexString
    }
}
