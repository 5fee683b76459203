import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One accepted socket: reads requests and writes responses with blocking I/O.
final class HTTPConnection: HTTPBodyWriter, @unchecked Sendable {
    private let fd: Int32
    private let maxBodySize: Int
    private var buffer = Data()
    private let writeLock = NSLock()

    init(fd: Int32, maxBodySize: Int) {
        self.fd = fd
        self.maxBodySize = maxBodySize
    }

    func close() {
        shutdown(fd, Int32(SHUT_RDWR))
        _ = systemClose(fd)
    }

    /// Reads the next request, or nil when the peer closed the connection.
    func readRequest() throws -> HTTPRequest? {
        let separator = Data("\r\n\r\n".utf8)
        var headerEnd = buffer.range(of: separator)
        while headerEnd == nil {
            guard buffer.count < 64 << 10 else { throw HTTPServerError.malformedRequest("headers larger than 64 KiB") }
            guard try fill() else {
                if buffer.isEmpty { return nil }
                throw HTTPServerError.malformedRequest("connection closed inside the headers")
            }
            headerEnd = buffer.range(of: separator)
        }
        guard let headerEnd else { return nil }
        let head = String(decoding: buffer[buffer.startIndex..<headerEnd.lowerBound], as: UTF8.self)
        buffer.removeSubrange(buffer.startIndex..<headerEnd.upperBound)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
            throw HTTPServerError.malformedRequest("bad request line")
        }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPServerError.malformedRequest("bad header line") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if headers["transfer-encoding"] != nil {
            throw HTTPServerError.malformedRequest("chunked request bodies are not supported")
        }
        let length = Int(headers["content-length"] ?? "0") ?? -1
        guard length >= 0 else { throw HTTPServerError.malformedRequest("bad Content-Length") }
        guard length <= maxBodySize else { throw HTTPServerError.bodyTooLarge(limit: maxBodySize) }
        while buffer.count < length {
            guard try fill() else { throw HTTPServerError.malformedRequest("connection closed inside the body") }
        }
        let body = buffer.prefix(length)
        buffer.removeSubrange(buffer.startIndex..<buffer.startIndex + length)
        let target = String(requestLine[1])
        let (path, query) = Self.splitTarget(target)
        return HTTPRequest(method: String(requestLine[0]), path: path, query: query, headers: headers, body: Data(body))
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        return false
    }

    static func splitTarget(_ target: String) -> (String, [String: String]) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[0])
                let value = kv.count > 1
                    ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
                query[key] = value
            }
        }
        return (path, query)
    }

    /// Writes a response; a streamed body is sent chunked and ends the keep-alive.
    func send(_ response: HTTPResponse, keepAlive: Bool) throws {
        var head = "HTTP/1.1 \(response.status) \(HTTPResponse.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        switch response.body {
        case .data(let data):
            head += "Content-Length: \(data.count)\r\n"
            head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
            try sendAll(Data(head.utf8) + data)
        case .stream(let produce):
            head += "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n"
            head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
            try sendAll(Data(head.utf8))
            let done = DispatchSemaphore(value: 0)
            let failure = FailureBox()
            Task { [self] in
                do { try await produce(self) } catch { failure.error = error }
                done.signal()
            }
            done.wait()
            try sendAll(Data("0\r\n\r\n".utf8))
            if let error = failure.error { throw error }
        }
    }

    /// `HTTPBodyWriter`: one chunk of a streamed body.
    func write(_ data: Data) throws {
        guard !data.isEmpty else { return }
        try sendAll(Data(String(data.count, radix: 16).utf8) + Data("\r\n".utf8) + data + Data("\r\n".utf8))
    }

    private func sendAll(_ data: Data) throws {
        try writeLock.withLock {
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let sent = systemSend(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    if sent <= 0 {
                        if errno == EINTR { continue }
                        throw HTTPServerError.socket(String(cString: strerror(errno)))
                    }
                    offset += sent
                }
            }
        }
    }
}

private final class FailureBox: @unchecked Sendable {
    var error: Error?
}

#if canImport(Glibc)
private let systemClose = Glibc.close
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    Glibc.send(fd, bytes, count, flags)
}
#else
private let systemClose = Darwin.close
private let MSG_NOSIGNAL: Int32 = 0
private func systemSend(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
    Darwin.send(fd, bytes, count, flags)
}
#endif
