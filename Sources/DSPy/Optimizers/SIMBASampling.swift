import Foundation

/// SIMBA's program pool: every candidate with its minibatch scores, and the random choices
/// DSPy 3.4.1 makes over it (`top_k_plus_baseline`, `softmax_sample`), drawn from the same
/// `random.Random(seed)` sequence as DSPy.
struct SIMBAPool {
    var programs: [any Program]
    var scores: [[Double]]

    init(baseline: any Program) {
        programs = [baseline]
        scores = [[]]
    }

    /// The mean of a program's recorded scores (0 when none).
    func average(_ index: Int) -> Double {
        let s = scores[index]
        return s.isEmpty ? 0 : s.reduce(0, +) / Double(s.count)
    }

    mutating func register(_ program: any Program, scores list: [Double]) {
        programs.append(program)
        scores.append(list)
    }

    /// The `k` best programs by mean score (ties keep pool order), with the baseline (0)
    /// forced into the last place when missing.
    func topKPlusBaseline(_ k: Int) -> [Int] {
        let order = programs.indices.sorted { a, b in
            let (sa, sb) = (average(a), average(b))
            return sa != sb ? sa > sb : a < b
        }
        var top = Array(order.prefix(k))
        if !top.contains(0), !top.isEmpty { top[top.count - 1] = 0 }
        var seen = Set<Int>()
        return top.filter { seen.insert($0).inserted }
    }

    /// A program drawn with probability ∝ exp(mean / temperature) (`softmax_sample`).
    func softmaxSample(_ rng: inout PythonRandom, _ indices: [Int], temperature: Double) -> Int {
        let exps = indices.map { Foundation.exp(average($0) / temperature) }
        let total = exps.reduce(0, +)
        guard total > 0, total.isFinite else { return rng.choice(indices) }
        return rng.choices(indices, weights: exps.map { $0 / total })
    }
}

extension PythonRandom {
    /// `random.choices(population, weights=weights, k=1)[0]`: bisect on the cumulative weights.
    mutating func choices<T>(_ population: [T], weights: [Double]) -> T {
        var cumulative: [Double] = []
        var sum = 0.0
        for w in weights { sum += w; cumulative.append(sum) }
        let x = random() * (sum + 0.0)
        var lo = 0, hi = population.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if x < cumulative[mid] { hi = mid } else { lo = mid + 1 }
        }
        return population[lo]
    }

    /// A Poisson draw with mean `lambda` (Knuth's product of uniforms). DSPy draws this from
    /// NumPy's `default_rng(seed)`; dspyc uses a second `PythonRandom` stream, so the number of
    /// demos dropped follows the same law but not NumPy's exact sequence.
    mutating func poisson(_ lambda: Double) -> Int {
        guard lambda > 0 else { return 0 }
        let limit = Foundation.exp(-lambda)
        var k = 0
        var product = random()
        while product > limit {
            k += 1
            product *= random()
        }
        return k
    }
}

/// NumPy's `percentile(values, q)` with the default linear method (including its lerp form).
func numpyPercentile(_ values: [Double], _ q: Double) -> Double {
    let sorted = values.sorted()
    guard let first = sorted.first else { return .nan }
    let position = Double(sorted.count - 1) * q / 100
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let t = position - Double(lower)
    let (a, b) = (sorted[lower], sorted[upper])
    guard sorted.count > 1 else { return first }
    let diff = b - a
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
}

/// Runs (program, example) pairs for SIMBA, each with its trace and score (DSPy's
/// `wrap_program` under `dspy.Parallel`): a run that throws scores 0, as does a metric that
/// throws.
struct SIMBARunner: Sendable {
    let metric: Metric
    let maxConcurrency: Int

    struct Job: Sendable {
        var program: any Program
        var example: Example
        /// Sampling overrides for the whole run (temperature 1 and a rollout id while sampling).
        var sampling: SamplingParameters?
        var lm: (any LanguageModel)?
    }

    func run(_ jobs: [Job]) async throws -> [SIMBARun] {
        let slots = ResultSlots<SIMBARun>(count: jobs.count)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, job) in jobs.enumerated() {
                if index >= maxConcurrency { try await group.next() }
                try Task.checkCancellation()
                group.addTask {
                    let run = try await self.runOne(job)
                    _ = slots.set(index, run, failed: run.failed)
                }
            }
            try await group.waitForAll()
        }
        let values = slots.values
        return jobs.indices.map {
            values[$0] ?? SIMBARun(prediction: nil, steps: [], score: 0, example: jobs[$0].example, rewardInfo: [:], failed: true)
        }
    }

    private func runOne(_ job: Job) async throws -> SIMBARun {
        let names = Dictionary(job.program.namedPredictors().map { (ObjectIdentifier($0.predictor), $0.name) },
                               uniquingKeysWith: { a, _ in a })
        var prediction: Prediction?
        var steps: [TraceStep] = []
        do {
            let inputs = try job.example.inputs().fields
            let (result, trace) = try await DSPySettings.with({ s in
                s.traceID = UUID().uuidString
                if let sampling = job.sampling {
                    s.samplingOverride = (s.samplingOverride ?? SamplingParameters()).merged(with: sampling)
                }
                if let lm = job.lm { s.lm = lm }
            }) {
                try await TraceRecorder.capture { try await job.program.forward(inputs) }
            }
            prediction = result
            steps = trace
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            prediction = nil
        }
        var score = 0.0
        var info = JSONObject()
        var failed = prediction == nil
        if let prediction {
            do {
                if let feedback = metric.feedbackFunction {
                    let result = try await feedback(job.example, prediction, steps, nil)
                    score = result.score
                    if let text = result.feedback { info["feedback"] = .string(text) }
                } else {
                    score = try await metric(job.example, prediction, trace: steps)
                }
                if !score.isFinite { score = 0; failed = true }
            } catch {
                failed = true
            }
        }
        let named = steps.map { SIMBARun.Step(name: names[ObjectIdentifier($0.predictor)], inputs: $0.inputs, outputs: $0.prediction.fields) }
        return SIMBARun(prediction: prediction, steps: named, score: score, example: job.example, rewardInfo: info, failed: failed)
    }
}
