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
        var outcomes = [Outcome?](repeating: nil, count: work.count)
        var errors = 0
        try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            var next = 0
            var done = 0
            while next < work.count || !group.isEmpty {
                // Keep up to `maxConcurrency` pairs running.
                while next < work.count, next - done < maxConcurrency {
                    let (program, inputs) = work[next]
                    let index = next
                    group.addTask {
                        do { return (index, .success(try await program.forward(inputs))) } catch {
                            return (index, .failure("\(error)"))
                        }
                    }
                    next += 1
                }
                guard let (index, outcome) = try await group.next() else { break }
                done += 1
                outcomes[index] = outcome
                if case .failure = outcome {
                    errors += 1
                    if errors >= maxErrors {
                        group.cancelAll()
                        throw DSPyError.module("Execution cancelled due to errors or interruption.")
                    }
                }
            }
        }
        return outcomes.map { $0 ?? .failure("not run") }
    }

    /// Runs one program over many examples (their inputs).
    public func callAsFunction(_ program: any Program, examples: [Example]) async throws -> [Outcome] {
        try await self(try examples.map { (program, try $0.inputs().fields) })
    }
}
