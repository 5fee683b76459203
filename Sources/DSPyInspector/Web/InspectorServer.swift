import DSPyHTTP
import DSPyStore
import Foundation
import Logging

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
/// let url = try await server.start()      // http://127.0.0.1:8765/
/// defer { server.stop() }
/// ```
///
/// The transport is ``HTTPServer`` (Hummingbird): on loopback it answers only requests
/// addressed to a loopback host and refuses requests from non-loopback web origins.
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
        if !HTTPServerConfiguration.isLoopback(host) { options.allowedHosts = nil }
        let app = InspectorWebApp(store: store, options: options)
        self.app = app
        self.host = host
        self.port = port
        var configuration = HTTPServerConfiguration(host: host, port: port, maxBodySize: 64 << 10)
        configuration.allowedHosts = options.allowedHosts
        configuration.logger = Logger(label: "dspyc.inspector")
        // Quiet unless asked: the page's own requests are not news on the terminal.
        configuration.logger.logLevel = .warning
        self.server = HTTPServer(configuration: configuration) { request in app.handle(request) }
    }

    /// The page's address once started, else `nil`.
    public var url: URL? { boundURL.value }

    /// Starts listening and returns the page's address (`http://127.0.0.1:8765/`).
    ///
    /// - Throws: `HTTPServerError` when the address cannot be bound (say, the port is taken).
    @discardableResult
    public func start() async throws -> URL {
        let bound = try await server.start()
        guard let url = Self.url(host: host, port: bound) else {
            await server.stop()
            throw HTTPServerError.bind(host: host, port: bound, reason: "no URL for this address")
        }
        boundURL.value = url
        return url
    }

    /// Starts a graceful shutdown and returns at once (see ``shutdown()`` to wait for it).
    public func stop() {
        boundURL.value = nil
        let server = self.server
        Task { await server.stop() }
    }

    /// Shuts down gracefully and waits until the listener is closed.
    public func shutdown() async {
        boundURL.value = nil
        await server.stop()
    }

    /// Starts, prints where the page is (through `announce`), and serves until the
    /// calling task is cancelled or, with `handlingSignals`, until SIGINT or SIGTERM;
    /// then shuts down gracefully.
    public func serve(handlingSignals: Bool = false, announce: @escaping @Sendable (String) -> Void = { print($0) }) async throws {
        let server = self.server
        try await withTaskCancellationHandler {
            try await server.run(handlingSignals: handlingSignals) { [self] bound in
                guard let url = Self.url(host: host, port: bound) else { return }
                boundURL.value = url
                announce("dspyc inspector: \(url.absoluteString)  (request log in \(app.store.path); Ctrl-C to stop)")
            }
        } onCancel: {
            Task { await server.stop() }
        }
        boundURL.value = nil
    }

    /// The page's address for a bound host and port (`0.0.0.0` shown as `127.0.0.1`).
    private static func url(host: String, port: Int) -> URL? {
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : (host.contains(":") ? "[\(host)]" : host)
        return URL(string: "http://\(shownHost):\(port)/")
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
