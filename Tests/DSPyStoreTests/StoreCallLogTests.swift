import Foundation
import Testing
@testable import DSPyStore

@Suite("Request log")
struct StoreCallLogTests {
    @Test("A logged call reads back with every field intact")
    func roundTrip() throws {
        try withTemporaryDirectory { dir in
            let store = try Store(path: dir.appendingPathComponent("db.sqlite").path)
            var call = sampleCall(run: "run-1", user: "see https://example.com/a \"quoted\"\nline two")
            call.parseError = nil
            call.finishReason = "stop"
            call.traceID = "example-3"
            call.otherCompletions = ["second choice", "third choice"]
            call.adapterFallback = true
            let logged = try store.log(call)
            let id = try #require(logged.id)
            var expected = call
            expected.id = id
            #expect(try store.call(id: id) == expected)
        }
    }

    @Test("Calls logged equal calls made, from many concurrent tasks")
    func everyCallIsLogged() async throws {
        try await withTemporaryDirectory { dir in
            let store = try Store(path: dir.appendingPathComponent("db.sqlite").path)
            let run = try store.beginRun(kind: .eval, program: "sentiment")
            let tasks = 8
            let perTask = 25
            try await withThrowingTaskGroup(of: Void.self) { group in
                for t in 0..<tasks {
                    group.addTask {
                        for i in 0..<perTask {
                            let call = sampleCall(run: run.id, user: "task \(t) call \(i)")
                            if i.isMultiple(of: 2) {
                                try await store.record(call, caching: CacheEntry(key: call.cacheKey!, response: "{}"))
                            } else {
                                try await store.log(call)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try store.callCount(CallQuery(runID: run.id)) == tasks * perTask)
            let users = try store.calls(CallQuery(runID: run.id)).map { $0.messages[1].content }
            #expect(Set(users).count == tasks * perTask)
            #expect(try store.cachedResponseCount() == tasks * ((perTask + 1) / 2))
        }
    }

    @Test("Credential-looking sampling keys are never written")
    func noCredentials() throws {
        let store = try Store.inMemory()
        var call = sampleCall()
        call.sampling["api_key"] = "sk-live-123"
        call.sampling["Authorization"] = "Bearer abc"
        call.sampling["top_p"] = 0.9
        let logged = try store.log(call)
        let read = try #require(try store.call(id: logged.id!))
        #expect(read.sampling["api_key"] == nil)
        #expect(read.sampling["Authorization"] == nil)
        #expect(read.sampling["top_p"] == 0.9)
        #expect(read.sampling["max_tokens"] == 64)
    }

    @Test("Filters select by run, program, module path, text and date")
    func filters() throws {
        let store = try Store.inMemory()
        try store.log(sampleCall(run: "a", program: "qa", module: "qa.answer", user: "capital of France?", at: 1000))
        try store.log(sampleCall(run: "a", program: "qa", module: "qa.answer.retry", user: "100% sure", at: 2000))
        try store.log(sampleCall(run: "b", program: "qa", module: "qa_other", user: "a_b", at: 3000))
        try store.log(sampleCall(run: "b", program: "sentiment", module: "classify", completion: "NEGATIVE", at: 4000))

        func users(_ query: CallQuery) throws -> [String] {
            try store.calls(query).map { $0.messages[1].content }
        }
        #expect(try store.callCount(CallQuery(runID: "a")) == 2)
        #expect(try store.callCount(CallQuery(program: "qa")) == 3)
        #expect(try users(CallQuery(modulePath: "qa.answer")) == ["capital of France?", "100% sure"])
        #expect(try store.callCount(CallQuery(modulePath: "qa")) == 2)
        #expect(try store.callCount(CallQuery(modulePath: "qa.ans")) == 0)
        #expect(try store.callCount(CallQuery(modulePath: "qa_other")) == 1)
        #expect(try users(CallQuery(text: "france")) == ["capital of France?"])
        #expect(try users(CallQuery(text: "100%")) == ["100% sure"])
        #expect(try users(CallQuery(text: "a_b")) == ["a_b"])
        #expect(try store.callCount(CallQuery(text: "negative")) == 1)
        #expect(try store.callCount(CallQuery(text: "`text` (str)")) == 4)
        #expect(try store.callCount(CallQuery(since: Date(timeIntervalSince1970: 2000))) == 3)
        #expect(try store.callCount(CallQuery(until: Date(timeIntervalSince1970: 2000))) == 1)
        #expect(try store.callCount(CallQuery(runID: "b", program: "qa")) == 1)
        var multi = sampleCall(user: "multi")
        multi.otherCompletions = ["an OTHER choice"]
        try store.log(multi)
        #expect(try users(CallQuery(text: "other choice")) == ["multi"])
    }

    @Test("The limit keeps the most recent calls, oldest first")
    func limit() throws {
        let store = try Store.inMemory()
        for i in 0..<5 { try store.log(sampleCall(user: "call \(i)", at: TimeInterval(1000 + i))) }
        let last = try store.calls(CallQuery(limit: 2)).map { $0.messages[1].content }
        #expect(last == ["call 3", "call 4"])
        #expect(try store.calls(CallQuery(limit: 0)).isEmpty)
        var visited: [String] = []
        try store.forEachCall(CallQuery(limit: 2)) { visited.append($0.messages[1].content) }
        #expect(visited == ["call 3", "call 4"])
        visited = []
        try store.forEachCall(CallQuery(limit: 10)) { visited.append($0.messages[1].content) }
        #expect(visited.count == 5)
        visited = []
        try store.forEachCall(CallQuery(limit: 0)) { visited.append($0.messages[1].content) }
        #expect(visited.isEmpty)
    }

    @Test("A call naming a run that was never begun creates a placeholder run")
    func placeholderRun() throws {
        let store = try Store.inMemory()
        try store.log(sampleCall(run: "orphan"))
        let run = try #require(try store.run(id: "orphan"))
        #expect(run.kind == .eval)
        #expect(run.status == .running)
    }
}
