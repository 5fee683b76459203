import Logging

/// The engine's logging label (`dspyc.engine`): model loads at `info`, their steps at `debug`.
///
/// The engine never prints. Types that log take a `Logger` (defaulting to one with this
/// label), so an app that bootstraps swift-log's `LoggingSystem` receives the engine's
/// diagnostics with the rest of its own.
public enum EngineLog {
    /// The label of the engine's default logger.
    public static let label = "dspyc.engine"
}
