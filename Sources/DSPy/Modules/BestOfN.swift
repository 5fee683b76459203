import Foundation

/// A reward for a program's output: `(inputs, prediction) -> score`.
public typealias RewardFunction = @Sendable (JSONObject, Prediction) async throws -> Double

/// Runs a program up to `N` times and keeps the best: DSPy's `BestOfN`.
///
/// Attempt `i` runs a copy of the program with `rolloutID = i` and
/// `temperature = 1.0` (so cached answers differ per attempt). It returns
/// the first prediction whose reward reaches `threshold`, else the best one.
/// Attempts that throw count against `failCount` (default `N`); when that
/// is exhausted the last error is rethrown. Cost: ≤ N program runs.
public final class BestOfN: Program, @unchecked Sendable {
    public let module: any Program
    public let n: Int
    public let threshold: Double
    public let failCount: Int
    let reward: RewardFunction

    public init(_ module: any Program, n: Int, threshold: Double, failCount: Int? = nil, reward: @escaping RewardFunction) {
        self.module = module
        self.n = n
        self.threshold = threshold
        self.failCount = failCount ?? n
        self.reward = reward
    }

    public func deepCopy() -> BestOfN {
        BestOfN(module.deepCopy(), n: n, threshold: threshold, failCount: failCount, reward: reward)
    }

    public func forward(_ inputs: JSONObject) async throws -> Prediction {
        try await BestOfN.search(module: module, n: n, threshold: threshold, failCount: failCount,
                                 reward: reward, inputs: inputs, between: nil)
    }

    /// The shared loop of BestOfN and Refine; `between` runs after each failed attempt and returns hints.
    static func search(
        module: any Program, n: Int, threshold: Double, failCount: Int, reward: RewardFunction, inputs: JSONObject,
        between: ((any Program, Prediction?, [TraceStep], Double) async throws -> [ObjectIdentifier: String])?
    ) async throws -> Prediction {
        var best: (Prediction, [TraceStep], Double)? = nil
        var failures = 0
        var hints: [ObjectIdentifier: String] = [:]
        for attempt in 0..<n {
            let copy = module.deepCopy()
            // Hints are keyed by the original predictors; map them onto the copy's.
            var copyHints: [ObjectIdentifier: String] = [:]
            for (orig, cp) in zip(module.predictors(), copy.predictors()) {
                if let h = hints[ObjectIdentifier(orig)] { copyHints[ObjectIdentifier(cp)] = h }
            }
            do {
                let (prediction, trace) = try await DSPySettings.with({ s in
                    s.samplingOverride = (s.samplingOverride ?? SamplingParameters())
                        .merged(with: SamplingParameters(temperature: 1.0, rolloutID: attempt))
                    s.hints = copyHints
                }) {
                    try await TraceRecorder.capture { try await copy.forward(inputs) }
                }
                let score = try await reward(inputs, prediction)
                if score > (best?.2 ?? -.infinity) { best = (prediction, trace, score) }
                if score >= threshold { break }
                if attempt < n - 1, let between {
                    let mapped = try await between(copy, prediction, trace, score)
                    hints = [:]
                    for (orig, cp) in zip(module.predictors(), copy.predictors()) {
                        if let h = mapped[ObjectIdentifier(cp)] { hints[ObjectIdentifier(orig)] = h }
                    }
                }
            } catch {
                failures += 1
                if failures >= failCount { throw error }
            }
        }
        guard let (prediction, trace, _) = best else {
            throw DSPyError.module("BestOfN: every attempt failed")
        }
        if let recorder = DSPySettings.current.trace { for step in trace { recorder.append(step) } }
        return prediction
    }
}
