import Foundation

/// A compilable program as `dspyc compile NAME` sees it: how to build it, its
/// data, its metric and its default optimizer.
///
/// Example programs register one each (`programs/`); ad-hoc programs made from
/// `--signature` on the command line are specs too.
///
/// ```swift
/// ProgramSpec(
///     name: "sentiment", summary: "Tweet sentiment (Predict, typed enum output)",
///     makeProgram: { Predict(Sentiment.self) },
///     trainset: dataURL("train.jsonl"), devset: dataURL("dev.jsonl"),
///     inputKeys: ["text"], metric: .exactMatch(field: "sentiment"),
///     optimizer: "bootstrap", optimizerSettings: ["max_bootstrapped_demos": "4", "max_labeled_demos": "4"])
/// ```
public struct ProgramSpec: Sendable {
    /// The name users type (`sentiment`).
    public var name: String
    /// One line for `dspyc programs` / `--help`.
    public var summary: String
    /// Builds a fresh, uncompiled program.
    public var makeProgram: @Sendable () throws -> any Program
    /// JSONL training examples (for optimizers).
    public var trainset: URL
    /// JSONL development examples (the scores a compile reports).
    public var devset: URL
    /// The fields of each example that are inputs.
    public var inputKeys: [String]
    /// The metric compile optimizes and reports.
    public var metric: Metric
    /// The default optimizer's registry name (`bootstrap`, `labeled`, `mipro`, …).
    public var optimizer: String
    /// The default optimizer's settings, by name, as the CLI's `--set key=value` gives them.
    public var optimizerSettings: [String: String]

    public init(
        name: String, summary: String, makeProgram: @escaping @Sendable () throws -> any Program,
        trainset: URL, devset: URL, inputKeys: [String], metric: Metric,
        optimizer: String = "bootstrap", optimizerSettings: [String: String] = [:]
    ) {
        self.name = name
        self.summary = summary
        self.makeProgram = makeProgram
        self.trainset = trainset
        self.devset = devset
        self.inputKeys = inputKeys
        self.metric = metric
        self.optimizer = optimizer
        self.optimizerSettings = optimizerSettings
    }
}
