import Foundation
internal import HTTPTypes
internal import HummingbirdCore
import Logging
internal import NIOCore

extension HTTPServer {
    /// Answers one request: the `Host`/`Origin` checks, a CORS preflight, then the handler,
    /// inside a scope cancelled when the client goes away for requests that change state.
    func respond(to request: Request, writer: consuming ResponseWriter, channel: any Channel) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let method = request.method.rawValue
        let target = request.uri.string
        let origin = request.headers[.origin]
        var status = 0
        defer {
            let milliseconds = (clock.now - started).seconds * 1000
            configuration.logger.info(
                "\(method) \(target) \(status == 0 ? "cancelled (client gone)" : String(status)) \(String(format: "%.1f", milliseconds)) ms",
                metadata: ["peer": "\(channel.remoteAddress?.description ?? "?")"])
        }
        // HTTP/1.1's Host header is the request head's authority in swift-http-types.
        if let refusal = policy.refusal(host: request.head.authority, origin: origin) {
            status = refusal.status
            Self.closeAfterResponse(channel)
            let body = Self.errorJSON(refusal.message, status: refusal.status)
            var head = Self.head(.json(body, status: refusal.status), contentLength: body.count)
            head.headerFields[.connection] = "close"
            try await writer.write(response: head, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            return
        }
        let corsOrigin = origin.flatMap { policy.allowsOrigin($0) ? $0 : nil }
        if request.method == .options, let corsOrigin {
            status = 204
            var head = HTTPTypes.HTTPResponse(status: .noContent)
            head.headerFields[.accessControlAllowOrigin] = corsOrigin
            head.headerFields[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            head.headerFields[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Authorization, Content-Type"
            head.headerFields[.accessControlMaxAge] = "600"
            head.headerFields[.vary] = "Origin"
            try await writer.writeResponse(head)
            return
        }
        let cancellable = configuration.cancelsOnDisconnect && ![.get, .head, .options].contains(request.method)
        if cancellable {
            Self.closeAfterResponse(channel)
            var pending: ResponseWriter? = consume writer
            try await request.body.consumeWithCancellationOnInboundClose { body in
                guard let writer = pending.take() else { return }
                status = try await exchange(request, body: body, writer: writer, channel: channel, corsOrigin: corsOrigin, closing: true)
            }
        } else {
            status = try await exchange(request, body: request.body, writer: writer, channel: channel, corsOrigin: corsOrigin, closing: false)
        }
    }

    /// Reads the body, runs the handler and writes its response; returns the status sent.
    private func exchange(
        _ request: Request, body: RequestBody, writer: consuming ResponseWriter, channel: any Channel, corsOrigin: String?,
        closing: Bool
    ) async throws -> Int {
        let bytes: ByteBuffer
        do {
            bytes = try await body.collect(upTo: configuration.maxBodySize)
        } catch is NIOTooManyBytesError {
            if !closing { Self.closeAfterResponse(channel) }
            let message = HTTPServerError.bodyTooLarge(limit: configuration.maxBodySize).description
            let body = Self.errorJSON(message, status: 413)
            var head = Self.head(.json(body, status: 413), contentLength: body.count)
            head.headerFields[.connection] = "close"
            try await writer.write(response: head, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
            return 413
        }
        var headers: [String: String] = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        let path = request.uri.path.removingPercentEncoding ?? request.uri.path
        let response = await handler(HTTPRequest(
            method: request.method.rawValue, path: path, query: Self.parseQuery(request.uri.query), headers: headers,
            body: Data(bytes.readableBytesView)))
        var head = Self.head(response, contentLength: nil)
        if closing { head.headerFields[.connection] = "close" }
        if let corsOrigin {
            head.headerFields[.accessControlAllowOrigin] = corsOrigin
            head.headerFields[.vary] = "Origin"
        }
        switch response.body {
        case .data(let data):
            head.headerFields[.contentLength] = String(data.count)
            try await writer.write(response: head, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        case .stream(let produce):
            head.headerFields[.cacheControl] = "no-cache"
            var bodyWriter = try await writer.writeHead(head)
            let (chunks, continuation) = AsyncStream<Data>.makeStream()
            let logger = configuration.logger
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { continuation.finish() }
                    do {
                        try await produce(ChunkWriter(continuation: continuation))
                    } catch {
                        logger.debug("a streamed body ended early: \(error)")
                    }
                }
                // A failed write (the client is gone) leaves this scope with an error,
                // which cancels the producer.
                for await chunk in chunks where !chunk.isEmpty {
                    try await bodyWriter.write(ByteBuffer(bytes: chunk))
                }
                try await group.waitForAll()
            }
            try await bodyWriter.finish(nil)
        }
        return response.status
    }

    /// Makes the connection close once the current response has been written (the
    /// response says `Connection: close`): the same quiesce event a graceful shutdown sends.
    static func closeAfterResponse(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    /// The head of `response`, its header names checked (a name HTTP forbids is dropped).
    static func head(_ response: HTTPResponse, contentLength: Int?) -> HTTPTypes.HTTPResponse {
        var head = HTTPTypes.HTTPResponse(
            status: .init(code: response.status, reasonPhrase: HTTPResponse.reason(response.status)))
        for (name, value) in response.headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            head.headerFields.append(HTTPField(name: fieldName, value: value))
        }
        if let contentLength { head.headerFields[.contentLength] = String(contentLength) }
        return head
    }

    /// An OpenAI-style error body, which also reads well as plain JSON for the inspector.
    static func errorJSON(_ message: String, status: Int) -> Data {
        let object: [String: Any] = ["error": ["message": message, "type": "invalid_request_error", "code": status]]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// `a=1&b=x%20y` → `["a": "1", "b": "x y"]` (`+` is a space; the last repeated name wins).
    static func parseQuery(_ query: String?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            result[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }
}

/// Hands a streamed body's pieces to the task that writes them to the socket.
private struct ChunkWriter: HTTPBodyWriter {
    let continuation: AsyncStream<Data>.Continuation

    func write(_ data: Data) throws {
        if case .terminated = continuation.yield(data) { throw HTTPServerError.clientGone }
    }
}

extension Duration {
    /// The duration in seconds.
    fileprivate var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
