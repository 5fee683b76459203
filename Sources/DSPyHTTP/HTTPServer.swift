import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small HTTP/1.1 server for loopback use: the OpenAI-compatible endpoint and
/// the inspector page.
///
/// One thread accepts connections and one thread per connection reads requests
/// (keep-alive supported) and writes responses, so blocking socket I/O never
/// occupies Swift's cooperative thread pool, where the model runs. The handler
/// is async and runs as a task. It binds `127.0.0.1` unless told otherwise;
/// port 0 picks a free port, reported by `start()`.
///
/// Limits: request bodies up to `maxBodySize` with `Content-Length` (no chunked
/// uploads), headers up to 64 KiB, idle connections closed after 30 s.
public final class HTTPServer: @unchecked Sendable {
    /// Handles one request.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    private let host: String
    private let requestedPort: Int
    private let handler: Handler
    private let maxBodySize: Int
    private let lock = NSLock()
    private var listener: Int32 = -1
    private var running = false

    public init(host: String = "127.0.0.1", port: Int = 0, maxBodySize: Int = 16 << 20, handler: @escaping Handler) {
        self.host = host
        self.requestedPort = port
        self.maxBodySize = maxBodySize
        self.handler = handler
    }

    /// Binds, listens and starts accepting; returns the bound port.
    ///
    /// - Throws: `HTTPServerError` naming the address when it cannot bind.
    @discardableResult
    public func start() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError.socket(String(cString: strerror(errno))) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(requestedPort).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw HTTPServerError.bind(host: host, port: requestedPort, reason: "not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HTTPServerError.bind(host: host, port: requestedPort, reason: reason)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        lock.withLock {
            listener = fd
            running = true
        }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "dspyc-http-accept"
        thread.start()
        return Int(UInt16(bigEndian: actual.sin_port))
    }

    /// Stops accepting; open connections finish their current response.
    public func stop() {
        let fd: Int32 = lock.withLock {
            running = false
            defer { listener = -1 }
            return listener
        }
        if fd >= 0 {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private var isRunning: Bool { lock.withLock { running } }

    private func acceptLoop(_ fd: Int32) {
        while isRunning {
            let client = accept(fd, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let thread = Thread { [self] in serve(HTTPConnection(fd: client, maxBodySize: maxBodySize)) }
            thread.name = "dspyc-http-connection"
            thread.start()
        }
    }

    private func serve(_ connection: HTTPConnection) {
        defer { connection.close() }
        while true {
            let request: HTTPRequest
            do {
                guard let next = try connection.readRequest() else { return }
                request = next
            } catch let error as HTTPServerError {
                try? connection.send(.text("\(error)\n", status: error.status), keepAlive: false)
                return
            } catch {
                return
            }
            let keepAlive = (request.headers["connection"]?.lowercased() ?? "keep-alive") != "close"
            let response = runHandler(request)
            do {
                try connection.send(response, keepAlive: keepAlive)
            } catch {
                return
            }
            if !keepAlive { return }
        }
    }

    /// Runs the async handler from this connection's thread and waits for it.
    private func runHandler(_ request: HTTPRequest) -> HTTPResponse {
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let handler = self.handler
        Task {
            box.value = await handler(request)
            done.signal()
        }
        done.wait()
        return box.value ?? .text("no response\n", status: 500)
    }
}

private final class ResponseBox: @unchecked Sendable {
    var value: HTTPResponse?
}

/// Why the server could not start or a request was refused.
public enum HTTPServerError: Error, Equatable, CustomStringConvertible {
    case socket(String)
    case bind(host: String, port: Int, reason: String)
    case malformedRequest(String)
    case bodyTooLarge(limit: Int)

    var status: Int {
        switch self {
        case .bodyTooLarge: return 413
        default: return 400
        }
    }

    public var description: String {
        switch self {
        case .socket(let reason): return "cannot create a socket: \(reason)"
        case .bind(let host, let port, let reason): return "cannot listen on \(host):\(port): \(reason)"
        case .malformedRequest(let reason): return "malformed HTTP request: \(reason)"
        case .bodyTooLarge(let limit): return "request body larger than \(limit) bytes"
        }
    }
}
