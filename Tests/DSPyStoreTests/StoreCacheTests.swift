import Foundation
import Testing
@testable import DSPyStore

@Suite("LM-call cache")
struct StoreCacheTests {
    @Test("A repeated key is a cache hit, also after reopening the file")
    func repeatedKeyHits() throws {
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("dspyc.sqlite").path
            let key = Store.cacheKey(canonicalRequest: #"{"messages":[],"model":"m","temperature":0}"#)
            do {
                let store = try Store(path: path)
                #expect(try store.cachedResponse(forKey: key) == nil)
                try store.storeCachedResponse(CacheEntry(key: key, model: "m", response: #"{"text":"hi"}"#))
                #expect(try store.cachedResponse(forKey: key)?.response == #"{"text":"hi"}"#)
            }
            let reopened = try Store(path: path)
            #expect(try reopened.cachedResponse(forKey: key)?.response == #"{"text":"hi"}"#)
            #expect(try reopened.cachedResponseCount() == 1)
            let other = Store.cacheKey(canonicalRequest: #"{"messages":[],"model":"m","temperature":1}"#)
            #expect(try reopened.cachedResponse(forKey: other) == nil)
        }
    }

    @Test("Storing the same key again replaces the response")
    func replace() throws {
        let store = try Store.inMemory()
        let key = Store.cacheKey(canonicalRequest: "x")
        try store.storeCachedResponse(CacheEntry(key: key, response: "1"))
        try store.storeCachedResponse(CacheEntry(key: key, response: "2"))
        #expect(try store.cachedResponse(forKey: key)?.response == "2")
        #expect(try store.cachedResponseCount() == 1)
        #expect(try store.removeAllCachedResponses() == 1)
        #expect(try store.cachedResponse(forKey: key) == nil)
    }

    @Test("A key that is not a SHA-256 hex digest is refused")
    func invalidKey() throws {
        let store = try Store.inMemory()
        #expect(throws: StoreError.invalidCacheKey("sk-secret")) {
            try store.cachedResponse(forKey: "sk-secret")
        }
        let upper = String(repeating: "A", count: 64)
        #expect(throws: StoreError.invalidCacheKey(upper)) {
            try store.storeCachedResponse(CacheEntry(key: upper, response: "{}"))
        }
    }

    @Test("The key is the SHA-256 of the canonical request")
    func keyIsSHA256() {
        #expect(Store.cacheKey(canonicalRequest: "abc")
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("Logging a call and caching its response happen together")
    func recordIsAtomic() throws {
        let store = try Store.inMemory()
        let call = sampleCall(run: "r1")
        let key = try #require(call.cacheKey)
        try store.record(call, caching: CacheEntry(key: key, response: "{}"))
        #expect(try store.callCount() == 1)
        #expect(try store.cachedResponse(forKey: key) != nil)
        #expect(throws: StoreError.invalidCacheKey("bad")) {
            try store.record(call, caching: CacheEntry(key: "bad", response: "{}"))
        }
        #expect(try store.callCount() == 1)
    }
}

@Suite("Async store API")
struct StoreAsyncTests {
    @Test("The async calls behave like the synchronous ones")
    func asyncRoundTrip() async throws {
        try await withTemporaryDirectory { dir in
            let store = try Store(path: dir.appendingPathComponent("db.sqlite").path)
            let call = sampleCall(run: "r")
            let key = try #require(call.cacheKey)
            #expect(try await store.cachedResponse(forKey: key) == nil)
            try await store.record(call, caching: CacheEntry(key: key, response: "{}"))
            #expect(try await store.cachedResponse(forKey: key)?.response == "{}")
            try await store.storeCachedResponse(CacheEntry(key: key, response: "[]"))
            #expect(try await store.cachedResponse(forKey: key)?.response == "[]")
            try await store.log(call)
            #expect(try store.callCount() == 2)
            try await store.saveCompiledProgram(CompiledProgramRecord(fingerprint: "f", program: "p", state: "{}"))
            #expect(try await store.compiledProgram(fingerprint: "f")?.program == "p")
            await #expect(throws: StoreError.invalidCacheKey("nope")) {
                try await store.cachedResponse(forKey: "nope")
            }
        }
    }
}

@Suite("JSON values")
struct StoredJSONTests {
    struct Parameters: Encodable {
        var temperature = 0.5
        var maxTokens = 64
        var stop = ["\n\n"]
    }

    @Test("Any Encodable converts to a JSON value")
    func encoding() throws {
        let value = try StoredJSON(encoding: Parameters())
        #expect(value == ["temperature": 0.5, "maxTokens": 64, "stop": ["\n\n"]])
        #expect(value.objectValue?["maxTokens"] == .int(64))
    }

    @Test("Numbers compare by value across int and double")
    func numbers() throws {
        #expect(StoredJSON.int(1) == StoredJSON.double(1.0))
        #expect(StoredJSON.int(1) != StoredJSON.double(1.5))
        #expect(Set([StoredJSON.int(2), StoredJSON.double(2)]).count == 1)
        #expect(try StoredJSON.parse(#"{"a":[1,2.5,true,null,"x"]}"#).jsonText == #"{"a":[1,2.5,true,null,"x"]}"#)
        #expect(throws: StoreError.self) { try StoredJSON.parse("{", field: "state") }
    }
}
