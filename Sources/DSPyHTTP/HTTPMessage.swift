import Foundation

/// An HTTP/1.1 request as the server read it.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The path without the query string, percent-decoded.
    public var path: String
    /// Query parameters (the last value wins for repeated names).
    public var query: [String: String]
    /// Header fields with lower-cased names.
    public var headers: [String: String]
    /// The body, whole (at most the server's `maxBodySize` bytes).
    public var body: Data

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:], body: Data = Data()) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}

/// An HTTP response: a status, headers and either a whole body or a stream.
public struct HTTPResponse: Sendable {
    /// How the body is produced.
    public enum Body: Sendable {
        /// A body known in full (sent with `Content-Length`).
        case data(Data)
        /// A body written piece by piece (sent chunked), e.g. server-sent events.
        case stream(@Sendable (HTTPBodyWriter) async throws -> Void)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int = 200, headers: [(String, String)] = [], body: Body = .data(Data())) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a UTF-8 text body.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: .data(Data(text.utf8)))
    }

    /// A response with a JSON body.
    public static func json(_ data: Data, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: .data(data))
    }

    /// The reason phrase for common status codes.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }
}

/// Writes pieces of a streamed response body (HTTP/1.1 chunked encoding).
public protocol HTTPBodyWriter: Sendable {
    /// Queues one piece to be sent at once.
    ///
    /// - Throws: `HTTPServerError.clientGone` once the client has disconnected (the
    ///   producing task is cancelled then too, so a loop that ignores this error still stops
    ///   at its next cancellation check).
    func write(_ data: Data) throws
}

extension HTTPBodyWriter {
    /// Sends UTF-8 text.
    public func write(_ text: String) throws { try write(Data(text.utf8)) }
}
