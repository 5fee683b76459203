import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Reads one HTTP response as server-sent events (`text/event-stream`), handing each
/// `data:` payload to a callback as it arrives — URLSession's delegate interface, which
/// streams on every platform (`URLSession.bytes` does not exist on Linux).
///
/// A 200 answer is split into lines (LF or CRLF); `data:` lines are payloads, `data: [DONE]`
/// ends the stream, comments and other fields are skipped. Any other status is collected
/// whole and returned as ``Outcome/status(_:_:_:)`` for the caller's retry decision.
final class EventStreamReader: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// How a response ended.
    enum Outcome: Sendable {
        case finished
        case status(Int, Data, retryAfter: String?)
        /// A transport failure, or the callback's error; whether any event had been handed over.
        case failed(Error, receivedEvents: Bool)
    }

    private let lock = NSLock()
    private let onEvent: @Sendable (String) throws -> Void
    private var continuation: CheckedContinuation<Outcome, Never>?
    private var status = 0
    private var retryAfter: String?
    private var buffer = Data()
    private var body = Data()
    private var receivedEvents = false
    private var done = false
    private var callbackError: Error?

    init(onEvent: @escaping @Sendable (String) throws -> Void) {
        self.onEvent = onEvent
    }

    private var session: URLSession?

    /// A session of its own with this reader as its delegate (invalidate it when done).
    func makeSession() -> URLSession {
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: nil)
        lock.withLock { self.session = session }
        return session
    }

    private var task: URLSessionDataTask?
    private var cancelled = false

    /// Sends `request` on the session and waits until its response has ended.
    func run(_ request: URLRequest) async -> Outcome {
        await withCheckedContinuation { continuation in
            let task: URLSessionDataTask? = lock.withLock {
                guard !cancelled, let session else { return nil }
                self.continuation = continuation
                self.task = session.dataTask(with: request)
                return self.task
            }
            guard let task else {
                continuation.resume(returning: .failed(CancellationError(), receivedEvents: false))
                return
            }
            task.resume()
        }
    }

    /// Cancels the request in flight, or the one about to start (the response ends as a failure).
    func cancel() {
        lock.withLock {
            cancelled = true
            return task
        }?.cancel()
    }

    /// Notes the status and `Retry-After` of `task`'s response, once it is known. (Read here rather
    /// than in the response delegate method, whose signature differs between Foundation versions.)
    private func noteResponse(of task: URLSessionTask) {
        guard status == 0, let http = task.response as? HTTPURLResponse else { return }
        status = http.statusCode
        retryAfter = http.value(forHTTPHeaderField: "Retry-After")
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let lines: [String] = lock.withLock {
            guard !done, callbackError == nil else { return [] }
            noteResponse(of: dataTask)
            if status != 200 {
                body.append(data)
                return []
            }
            buffer.append(data)
            var lines: [String] = []
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = buffer[buffer.startIndex..<newline]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                lines.append(String(decoding: line, as: UTF8.self))
                buffer.removeSubrange(buffer.startIndex...newline)
            }
            return lines
        }
        for line in lines {
            guard line.hasPrefix("data:") else { continue }
            let payload = line.dropFirst(5).trimmingCharacters(in: .whitespaces)
            if payload == "[DONE]" {
                lock.withLock { done = true }
                break
            }
            do {
                try onEvent(payload)
                lock.withLock { receivedEvents = true }
            } catch {
                lock.withLock { callbackError = error }
                dataTask.cancel()
                break
            }
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        let (continuation, outcome): (CheckedContinuation<Outcome, Never>?, Outcome) = lock.withLock {
            noteResponse(of: task)
            let outcome: Outcome
            if let callbackError {
                outcome = .failed(callbackError, receivedEvents: true)
            } else if done {
                outcome = .finished
            } else if status != 0 && status != 200 {
                outcome = .status(status, body, retryAfter: retryAfter)
            } else if let error {
                outcome = .failed(error, receivedEvents: receivedEvents)
            } else {
                outcome = .finished  // the server closed the stream without [DONE]
            }
            defer { self.continuation = nil }
            return (self.continuation, outcome)
        }
        continuation?.resume(returning: outcome)
    }
}
