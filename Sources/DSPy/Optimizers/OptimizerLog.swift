import Logging

/// The optimizers' logging label (`dspy.optimizer`): each phase of a compile at `debug`.
///
/// Optimizers never print; their phases (bootstrapping, calibration, candidate scoring,
/// instruction proposals, the search) go to swift-log, so an app that bootstraps
/// `LoggingSystem` can follow a long compile, and `dspyc --verbose` shows them.
public enum OptimizerLog {
    /// The label of the optimizers' logger.
    public static let label = "dspy.optimizer"

    /// A logger with ``label``, made from the bootstrapped logging system when called.
    public static var logger: Logger { Logger(label: label) }
}
