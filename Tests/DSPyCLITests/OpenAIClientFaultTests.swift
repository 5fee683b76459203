import DSPy
import DSPyHTTP
import Foundation
import Testing

/// `OpenAICompatibleLM` against a local server that fails on purpose: retries with
/// back-off on 429/5xx and broken connections, no retry on 400, a concurrency limit.
@Suite("OpenAI client against a fault-injecting server", .serialized)
struct OpenAIClientFaultTests {
    /// Answers chat completions after failing with `faults` (statuses) first, counting
    /// requests and the most in flight at once.
    final class FaultServer: @unchecked Sendable {
        private let lock = NSLock()
        private var faults: [Int]
        private(set) var requests = 0
        private var inFlight = 0
        private(set) var maxInFlight = 0
        let delay: Duration

        init(faults: [Int], delay: Duration = .zero) {
            self.faults = faults
            self.delay = delay
        }

        func handle(_ request: HTTPRequest) async -> HTTPResponse {
            let fault: Int? = lock.withLock {
                requests += 1
                inFlight += 1
                maxInFlight = max(maxInFlight, inFlight)
                return faults.isEmpty ? nil : faults.removeFirst()
            }
            if delay > .zero { try? await Task.sleep(for: delay) }
            lock.withLock { inFlight -= 1 }
            if let fault {
                return HTTPResponse(status: fault, headers: [("Content-Type", "application/json"), ("Retry-After", "0")],
                                    body: .data(Data(#"{"error":{"message":"injected \#(fault)"}}"#.utf8)))
            }
            return .json(Data(#"{"model":"fake","choices":[{"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}"#.utf8))
        }
    }

    private func withServer(_ faults: FaultServer, _ body: (URL) async throws -> Void) async throws {
        let server = HTTPServer(port: 0) { await faults.handle($0) }
        let port = try await server.start()
        do { try await body(URL(string: "http://127.0.0.1:\(port)/v1")!) } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private let request = LMRequest(messages: [.user("Hi")], parameters: .init(temperature: 0, maxTokens: 4))

    @Test("503, 429 and 500 answers are retried until the server answers")
    func retriesServerErrors() async throws {
        let faults = FaultServer(faults: [503, 429, 500])
        try await withServer(faults) { base in
            let lm = OpenAICompatibleLM(model: "fake", baseURL: base, retryPolicy: RetryPolicy(maxAttempts: 4, baseDelay: 0.01))
            let response = try await lm.complete(request)
            #expect(response.completions.first?.text == "ok")
            #expect(faults.requests == 4)
        }
    }

    @Test("Retries stop after maxAttempts with the server's last message; a 400 is not retried")
    func givesUp() async throws {
        let failing = FaultServer(faults: [503, 503, 503, 503])
        try await withServer(failing) { base in
            let lm = OpenAICompatibleLM(model: "fake", baseURL: base, retryPolicy: RetryPolicy(maxAttempts: 3, baseDelay: 0.01))
            await #expect(throws: DSPyError.self) { _ = try await lm.complete(request) }
            #expect(failing.requests == 3)
        }
        let refused = FaultServer(faults: [400])
        try await withServer(refused) { base in
            let lm = OpenAICompatibleLM(model: "fake", baseURL: base, retryPolicy: RetryPolicy(maxAttempts: 3, baseDelay: 0.01))
            do {
                _ = try await lm.complete(request)
                Issue.record("a 400 answer should fail")
            } catch {
                #expect("\(error)".contains("answered 400: injected 400"))
            }
            #expect(refused.requests == 1)
        }
    }

    @Test("A refused connection is retried, then reported naming the URL")
    func connectionRefused() async throws {
        // A port that was just free: bind, note it, stop.
        let probe = HTTPServer(port: 0) { _ in .text("") }
        let port = try await probe.start()
        await probe.stop()
        let lm = OpenAICompatibleLM(
            model: "fake", baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!,
            retryPolicy: RetryPolicy(maxAttempts: 2, baseDelay: 0.01))
        do {
            _ = try await lm.complete(request)
            Issue.record("nothing listens there")
        } catch {
            #expect("\(error)".contains("after 2 attempt(s)") && "\(error)".contains("127.0.0.1:\(port)"))
        }
    }

    @Test("At most maxConcurrentRequests requests are in flight at once")
    func concurrencyLimit() async throws {
        let faults = FaultServer(faults: [], delay: .milliseconds(150))
        try await withServer(faults) { base in
            let lm = OpenAICompatibleLM(model: "fake", baseURL: base, maxConcurrentRequests: 2)
            try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<6 { group.addTask { [request] in try await lm.complete(request).completions.first?.text } }
                for try await text in group { #expect(text == "ok") }
            }
            #expect(faults.requests == 6)
            #expect(faults.maxInFlight == 2)
        }
    }
}
