import Foundation
import Logging
import Testing
@testable import DSPyStore

/// A swift-log handler that keeps every message, with its level and metadata.
private final class CollectingHandler: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [(Logger.Level, String, Logger.Metadata)] = []
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        lock.withLock { collected.append((event.level, "\(event.message)", event.metadata ?? [:])) }
    }
    var messages: [(level: Logger.Level, text: String, metadata: Logger.Metadata)] { lock.withLock { collected } }
}

@Suite("The store logs busy retries and their recovery through swift-log")
struct StoreLoggingTests {
    @Test("Two busy failures then success log the first retry at debug, the next at trace, and the recovery at notice")
    func retriesAndRecoveryAreLogged() throws {
        let handler = CollectingHandler()
        let logger = Logger(label: StoreLog.label) { _ in handler }
        var attempts = 0
        let value = try Store.retryingWhileBusy(
            until: Date().addingTimeInterval(10), operation: "testing", logger: logger
        ) { () throws -> Int in
            attempts += 1
            if attempts < 3 { throw StoreError.databaseLocked(path: "/tmp/x.sqlite", timeout: 10) }
            return 42
        }
        #expect(value == 42)
        let messages = handler.messages
        #expect(messages.map(\.level) == [.debug, .trace, .notice])
        #expect(messages.last?.text == "store recovered after busy retries")
        #expect(messages.last?.metadata["retries"] == "2")
        #expect(messages.last?.metadata["operation"] == "testing")
    }

    @Test("Still busy at the deadline: a warning, then the error is thrown")
    func givingUpIsLogged() throws {
        let handler = CollectingHandler()
        let logger = Logger(label: StoreLog.label) { _ in handler }
        #expect(throws: StoreError.self) {
            try Store.retryingWhileBusy(until: Date().addingTimeInterval(0.05), operation: "testing", logger: logger) {
                () throws -> Int in throw StoreError.databaseLocked(path: "/tmp/x.sqlite", timeout: 0.05)
            }
        }
        #expect(handler.messages.last?.level == .warning)
        #expect(handler.messages.last?.text == "store still busy at the deadline; giving up")
    }

    @Test("A success at the first attempt logs nothing")
    func quietWhenNotBusy() throws {
        let handler = CollectingHandler()
        let logger = Logger(label: StoreLog.label) { _ in handler }
        #expect(try Store.retryingWhileBusy(until: Date(), logger: logger) { 1 } == 1)
        #expect(handler.messages.isEmpty)
    }
}
