import Logging

/// The store's logging label (`dspyc.store`): busy retries at `debug`/`trace`, their
/// recovery at `notice`, giving up at `warning`.
///
/// The store never prints. Apps that bootstrap swift-log's `LoggingSystem` receive these
/// messages with their own.
public enum StoreLog {
    /// The label of the store's logger.
    public static let label = "dspyc.store"

    /// A logger with ``label``, made from the bootstrapped logging system when called.
    public static var logger: Logger { Logger(label: label) }
}
