import Foundation

/// Runs many (program, inputs) pairs concurrently: DSPy's `Parallel`.
///
/// At most `maxConcurrency` run at once (DSPy's `num_threads`). A failing
/// pair yields `nil` and counts as an error; when errors reach `maxErrors`
/// the remaining work is cancelled and
/// `"Execution cancelled due to errors or interruption."` is thrown, as in
/// DSPy. Results keep the input order. Task-local settings (LM, trace, log)
/// flow into every task.
public struct Parallel: Sendable {
    public var maxConcurrency: Int
    public var maxErrors: Int

    public init(maxConcurrency: Int = 8, maxErrors: Int = 10) {
        self.maxConcurrency = max(1, maxConcurrency)
        self.maxErrors = max(1, maxErrors)
    }

    /// The outcome of one pair.
    public enum Outcome: Sendable {
        case success(Prediction)
        case failure(String)

        public var prediction: Prediction? { if case .success(let p) = self { return p } else { return nil } }
    }

    /// Runs every pair; throws once `maxErrors` pairs have failed.
    public func callAsFunction(_ work: [(any Program, JSONObject)]) async throws -> [Outcome] {
        let results = ResultSlots<Outcome>(count: work.count)
        let maxErrors = self.maxErrors
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, pair) in work.enumerated() {
                if index >= maxConcurrency { try await group.next() }
                group.addTask {
                    let outcome: Outcome
                    do { outcome = .success(try await pair.0.forward(pair.1)) } catch { outcome = .failure("\(error)") }
                    let isFailure: Bool
                    if case .failure = outcome { isFailure = true } else { isFailure = false }
                    if results.set(index, outcome, failed: isFailure) >= maxErrors {
                        throw DSPyError.module("Execution cancelled due to errors or interruption.")
                    }
                }
            }
            try await group.waitForAll()
        }
        return results.values.map { $0 ?? .failure("not run") }
    }

    /// Runs one program over many examples (their inputs).
    public func callAsFunction(_ program: any Program, examples: [Example]) async throws -> [Outcome] {
        try await self(try examples.map { (program, try $0.inputs().fields) })
    }
}

/// Results of concurrent work by index, and the count of failures so far.
final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]
    private var failures = 0

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// Stores a result; returns the number of failures including this one.
    func set(_ index: Int, _ value: Value, failed: Bool) -> Int {
        lock.withLock {
            slots[index] = value
            if failed { failures += 1 }
            return failures
        }
    }

    var values: [Value?] { lock.withLock { slots } }
}
