import DSPyTestSupport
import DSPyHTTP
import Foundation
import Logging

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Status and body of one request over a fresh connection.
func fetch(_ request: URLRequest) async throws -> (Int, String) {
    let session = URLSession(configuration: .ephemeral)
    defer { session.finishTasksAndInvalidate() }
    let (data, response) = try await session.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? -1, String(decoding: data, as: UTF8.self))
}

/// Sends raw bytes on one connection and returns everything the server answers until it closes.
func rawExchange(port: Int, _ text: String) async throws -> String {
    try await python("""
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
        s.sendall(sys.argv[2].encode())
        out = b""
        while True:
            b = s.recv(65536)
            if not b: break
            out += b
        sys.stdout.write(out.decode())
        """, [String(port), text])
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A flag and counters set from handlers, read by the test.
final class Probe: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]

    func add(_ key: String) { lock.withLock { values[key, default: 0] += 1 } }
    subscript(key: String) -> Int { lock.withLock { values[key, default: 0] } }

    /// Waits (bounded) until `key` is at least `count`; returns whether it got there.
    func wait(for key: String, count: Int = 1, seconds: Int = 20) async throws -> Bool {
        for _ in 0..<(seconds * 50) {
            if self[key] >= count { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return self[key] >= count
    }
}

/// A swift-log handler that keeps the messages, so a test can read the request log.
struct CapturingLogHandler: LogHandler {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.withLock { stored.append(line) } }
        var all: [String] { lock.withLock { stored } }
    }

    let lines: Lines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.append("\(event.level) \(event.message)")
    }
}
