import Foundation
internal import HummingbirdCore
import Logging
internal import NIOCore
internal import NIOPosix
internal import ServiceLifecycle
internal import UnixSignals

/// The HTTP/1.1 server of `dspyc serve` and the inspector page: Hummingbird 2 on swift-nio.
///
/// Requests reach one async ``Handler`` as ``HTTPRequest`` values (body read whole, up to
/// ``HTTPServerConfiguration/maxBodySize``); its ``HTTPResponse`` goes back whole or
/// streamed. Around it the server keeps the limits a server facing hostile clients needs
/// (``HTTPServerConfiguration``): a connection limit below the file-descriptor limit
/// (and swift-nio's back-off when `accept` fails anyway, so the listener never stops for
/// good), a time limit for reading each request, an idle timeout, a body limit, the
/// `Host`/`Origin` checks, cancellation of a request's work when its client goes away,
/// graceful shutdown, and one log line per request through swift-log. Socket I/O runs on
/// swift-nio's event loops, never on Swift's cooperative threads where the model runs.
///
/// ```swift
/// let server = HTTPServer(configuration: .init(port: 0)) { request in .text("hello") }
/// let port = try await server.start()      // listening; returns the bound port
/// await server.stop()                      // graceful: requests in flight finish
/// ```
///
/// or, for a command: `try await server.run { port in print(port) }` serves until
/// SIGINT or SIGTERM, then shuts down gracefully.
public final class HTTPServer: Sendable {
    /// Handles one request.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    /// Where it listens and the limits it keeps.
    public let configuration: HTTPServerConfiguration
    let handler: Handler
    let policy: RequestPolicy
    private let state = LockedState()

    public init(configuration: HTTPServerConfiguration, handler: @escaping Handler) {
        self.configuration = configuration
        self.handler = handler
        self.policy = RequestPolicy(allowedHosts: configuration.allowedHosts, allowedOrigins: configuration.allowedOrigins)
    }

    /// A server with the default limits on `host:port`.
    public convenience init(host: String = "127.0.0.1", port: Int = 0, maxBodySize: Int = 16 << 20, handler: @escaping Handler) {
        var configuration = HTTPServerConfiguration(host: host, port: port, maxBodySize: maxBodySize)
        if !HTTPServerConfiguration.isLoopback(host) { configuration.allowedHosts = nil }
        self.init(configuration: configuration, handler: handler)
    }

    /// Binds, starts serving in the background and returns the bound port.
    ///
    /// - Throws: `HTTPServerError.bind` naming the address when it cannot listen (a port
    ///   in use, an address this machine does not have).
    @discardableResult
    public func start() async throws -> Int {
        try await launch(signals: [])
    }

    /// Serves until SIGINT or SIGTERM (or ``stop()``), then shuts down gracefully:
    /// stops accepting, lets requests in flight finish for up to
    /// ``HTTPServerConfiguration/shutdownGracePeriod``, then cancels them.
    ///
    /// - Parameters:
    ///   - handlingSignals: whether SIGINT and SIGTERM start the shutdown (a command wants
    ///     this; a test or an embedding process usually does not).
    ///   - announce: called with the bound port once the server listens.
    public func run(handlingSignals: Bool = true, announce: @Sendable (Int) -> Void) async throws {
        let port = try await launch(signals: handlingSignals ? [.sigint, .sigterm] : [])
        announce(port)
        if let task = state.task { try await task.value }
    }

    /// Shuts down gracefully and waits until the server has stopped. Also stops a
    /// server still starting; a no-op on one never started.
    public func stop() async {
        guard let group = state.requestStop() else { return }
        await group.triggerGracefulShutdown()
        _ = try? await state.task?.value
    }

    private func launch(signals: [UnixSignal]) async throws -> Int {
        let configuration = self.configuration
        let logger = configuration.logger
        let (ports, announcePort) = AsyncStream<Result<Int, any Error>>.makeStream()
        let readTimeout = configuration.requestReadTimeout
        let channel = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestReadTimeoutHandler(timeout: readTimeout)],
            idleTimeout: Self.timeAmount(configuration.idleTimeout))
        let service = try HTTPServerBuilder.http1(configuration: channel).buildServer(
            configuration: ServerConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                backlog: 256,
                reuseAddress: true,
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.effectiveMaxConnections, logger: logger)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger,
            responder: { [self] request, writer, channel in
                try await respond(to: request, writer: writer, channel: channel)
            },
            onServerRunning: { channel in
                announcePort.yield(.success(channel.localAddress?.port ?? configuration.port))
            })
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: service)], gracefulShutdownSignals: signals, logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        let group = ServiceGroup(configuration: groupConfiguration)
        let task = Task {
            do {
                try await group.run()
                announcePort.finish()
            } catch {
                announcePort.yield(.failure(error))
                announcePort.finish()
                throw error
            }
        }
        if state.set(group: group, task: task) {
            // stop() came while this was starting.
            await group.triggerGracefulShutdown()
        }
        for await outcome in ports {
            switch outcome {
            case .success(let port): return port
            case .failure(let error):
                throw HTTPServerError.bind(host: configuration.host, port: configuration.port, reason: "\(error)")
            }
        }
        throw HTTPServerError.bind(host: configuration.host, port: configuration.port, reason: "the server stopped before it listened")
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// The running service group and its task, behind a lock (`Mutex` needs macOS 15).
private final class LockedState: @unchecked Sendable {
    private let lock = NSLock()
    private var storedGroup: ServiceGroup?
    private var storedTask: Task<Void, any Error>?
    private var stopRequested = false

    var task: Task<Void, any Error>? { lock.withLock { storedTask } }

    /// Records the running group; returns whether a stop was asked for meanwhile.
    func set(group: ServiceGroup, task: Task<Void, any Error>) -> Bool {
        lock.withLock {
            storedGroup = group
            storedTask = task
            return stopRequested
        }
    }

    /// Marks the server as stopping; returns its group if it has one yet.
    func requestStop() -> ServiceGroup? {
        lock.withLock {
            stopRequested = true
            return storedGroup
        }
    }
}

/// Why the server could not start, or why a request or a streamed body failed.
public enum HTTPServerError: Error, Equatable, CustomStringConvertible {
    case bind(host: String, port: Int, reason: String)
    case bodyTooLarge(limit: Int)
    /// The client disconnected: nothing more can be sent to it.
    case clientGone

    public var description: String {
        switch self {
        case .bind(let host, let port, let reason): return "cannot listen on \(host):\(port): \(reason)"
        case .bodyTooLarge(let limit): return "request body larger than \(limit) bytes"
        case .clientGone: return "the client disconnected"
        }
    }
}
