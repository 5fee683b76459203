import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an ``HTTPServer`` listens, which limits it keeps and whom it answers.
///
/// The defaults suit a server on loopback that a browser on the same machine may
/// reach: requests must name a loopback host (`127.0.0.1`, `localhost`, `[::1]`) in
/// `Host` — so a page elsewhere cannot reach it through DNS rebinding — and a request
/// that carries an `Origin` must come from a loopback origin or one in
/// ``allowedOrigins``, so a web page on another site cannot make the server work
/// (a cross-origin `text/plain` POST needs no CORS preflight, so only this check
/// stops it).
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind (IPv4 or IPv6 literal, or `localhost`).
    public var host: String
    /// The port; 0 picks a free one (``HTTPServer/start()`` returns it).
    public var port: Int
    /// Largest request body accepted; larger ones get 413.
    public var maxBodySize: Int
    /// Most connections open at once. Past it the listener stops accepting (the kernel's
    /// backlog holds newcomers) until one closes, so file descriptors never run out
    /// under load; `nil` takes ``defaultMaxConnections()``.
    public var maxConnections: Int?
    /// Time allowed to read a whole request (headers and body), counted from the
    /// connection's start or the end of the previous response. Slow clients that
    /// never finish their headers are closed after it.
    public var requestReadTimeout: Duration
    /// Time a keep-alive connection may sit idle between requests before it is closed.
    public var idleTimeout: Duration
    /// Host names (without port) the `Host` header may name; `nil` accepts any.
    public var allowedHosts: Set<String>?
    /// Origins (`scheme://host[:port]`) accepted besides loopback ones; `"*"` accepts all.
    public var allowedOrigins: [String]
    /// Whether a request other than GET/HEAD/OPTIONS is cancelled when its client goes away.
    ///
    /// Its handler (and a streamed body) then runs as a task that is cancelled as soon as
    /// the connection's input closes; the response carries `Connection: close`.
    public var cancelsOnDisconnect: Bool
    /// How long a graceful shutdown waits for requests in flight before cancelling them.
    public var shutdownGracePeriod: Duration
    /// Request logs (one line per request at `.info`) and server events.
    public var logger: Logger

    /// Loopback host names.
    public static let loopbackHosts: Set<String> = ["127.0.0.1", "localhost", "::1"]

    public init(
        host: String = "127.0.0.1", port: Int = 0, maxBodySize: Int = 16 << 20, maxConnections: Int? = nil,
        requestReadTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
        allowedHosts: Set<String>? = HTTPServerConfiguration.loopbackHosts, allowedOrigins: [String] = [],
        cancelsOnDisconnect: Bool = true, shutdownGracePeriod: Duration = .seconds(10),
        logger: Logger = Logger(label: "dspyc.http")
    ) {
        self.host = host
        self.port = port
        self.maxBodySize = maxBodySize
        self.maxConnections = maxConnections
        self.requestReadTimeout = requestReadTimeout
        self.idleTimeout = idleTimeout
        self.allowedHosts = allowedHosts
        self.allowedOrigins = allowedOrigins
        self.cancelsOnDisconnect = cancelsOnDisconnect
        self.shutdownGracePeriod = shutdownGracePeriod
        self.logger = logger
    }

    /// Whether `host` is a loopback address or name (`127.x.x.x`, `::1`, `localhost`).
    public static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased()
        return name == "localhost" || name == "::1" || name == "[::1]" || name.hasPrefix("127.")
    }

    /// The connection limit when none is given: 1,024, or less when the process may open
    /// fewer files (`ulimit -n`), keeping a quarter (at least 32) of the descriptors for the
    /// model, the store and the listener.
    public static func defaultMaxConnections() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 128 }
        let open = Int(clamping: limit.rlim_cur)
        let spare = max(32, open / 4)
        return max(8, min(1024, open - spare))
    }

    /// The connection limit in force.
    var effectiveMaxConnections: Int { maxConnections ?? Self.defaultMaxConnections() }
}
