import DSPyHTTP
import DSPyStore
import Foundation

/// Serves ``InspectorWebApp`` over HTTP: what `dspyc inspect --serve [--port N]` runs.
///
/// Binds `127.0.0.1` unless another host is given; port 0 picks a free one.
///
/// ```swift
/// let server = InspectorServer(store: try Store.open(), port: 8765)
/// try await server.serve()          // prints the URL, serves until the task is cancelled
/// ```
///
/// or, without blocking:
///
/// ```swift
/// let url = try server.start()      // http://127.0.0.1:8765/
/// defer { server.stop() }
/// ```
public final class InspectorServer: Sendable {
    /// The port `dspyc inspect --serve` uses when none is given.
    public static let defaultPort = 8765

    /// The app that answers requests.
    public let app: InspectorWebApp
    /// The address it binds.
    public let host: String
    /// The port asked for (0: any free port).
    public let port: Int
    private let server: HTTPServer
    private let boundURL = LockedURL()

    /// - Parameters:
    ///   - store: The store whose request log is shown.
    ///   - host: The IPv4 address to bind; loopback by default. On any other
    ///     address the page accepts requests for any host name.
    ///   - port: The port; 0 for any free one.
    public init(store: Store, host: String = "127.0.0.1", port: Int = InspectorServer.defaultPort) {
        var options = InspectorWebApp.Options()
        if !host.hasPrefix("127.") { options.allowedHosts = nil }
        let app = InspectorWebApp(store: store, options: options)
        self.app = app
        self.host = host
        self.port = port
        self.server = HTTPServer(host: host, port: port) { request in app.handle(request) }
    }

    /// The page's address once started, else `nil`.
    public var url: URL? { boundURL.value }

    /// Starts listening and returns the page's address (`http://127.0.0.1:8765/`).
    ///
    /// - Throws: `HTTPServerError` when the address cannot be bound (say, the port is taken).
    @discardableResult
    public func start() throws -> URL {
        let bound = try server.start()
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        guard let url = URL(string: "http://\(shownHost):\(bound)/") else {
            server.stop()
            throw HTTPServerError.bind(host: host, port: bound, reason: "no URL for this address")
        }
        boundURL.value = url
        return url
    }

    /// Stops listening.
    public func stop() {
        server.stop()
        boundURL.value = nil
    }

    /// Starts, prints where the page is (through `announce`), and serves until the
    /// calling task is cancelled (Ctrl-C ends the process).
    public func serve(announce: @Sendable (String) -> Void = { print($0) }) async throws {
        let url = try start()
        defer { stop() }
        announce("dspyc inspector: \(url.absoluteString)  (request log in \(app.store.path); Ctrl-C to stop)")
        while !Task.isCancelled {
            try await Task.sleep(nanoseconds: 3_600_000_000_000)
        }
    }
}

/// A URL behind a lock (`Mutex` needs macOS 15).
private final class LockedURL: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: URL?

    var value: URL? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
