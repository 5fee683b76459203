import DSPy
import DSPyTestSupport
import Foundation
import Testing

/// A model that answers like its base after a fixed pause, so wall time passes during a compile.
private final class SlowLM: LanguageModel, @unchecked Sendable {
    let base: any LanguageModel
    let pause: Duration
    var modelIdentifier: String { base.modelIdentifier }

    init(_ base: any LanguageModel, pause: Duration) {
        self.base = base
        self.pause = pause
    }

    func complete(_ request: LMRequest) async throws -> LMResponse {
        try await Task.sleep(for: pause)
        return try await base.complete(request)
    }
}

@Suite("Compile budgets: parsing, and every limit stopping a compile with the best program so far")
struct CompileBudgetTests {
    let train = qaExamples((0..<8).map { ("q\($0)", "a\($0)") })

    /// Random search over one bootstrapped seed: zero-shot scores 0, the labeled candidate 100
    /// (the model answers right only when a demo shows the same question).
    func search() -> BootstrapFewShotWithRandomSearch {
        BootstrapFewShotWithRandomSearch(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 8,
                                         numCandidatePrograms: 1)
    }

    func followingLM() -> DummyLM {
        DummyLM([DummyLM.Answer](repeating: .fields(["answer": "wrong"]), count: 500), followExamples: true)
    }

    @Test("calls, tokens and time parse in any order and subset; durations take ms, s, m and h")
    func parses() throws {
        let full = try CompileBudget(parsing: "calls=200, tokens=50_000,time=90s")
        #expect(full == CompileBudget(calls: 200, tokens: 50_000, time: .seconds(90)))
        #expect(try CompileBudget(parsing: "time=5m").time == .seconds(300))
        #expect(try CompileBudget(parsing: "time=1.5h").time == .seconds(5400))
        #expect(try CompileBudget(parsing: "time=250ms").time == .milliseconds(250))
        #expect(try CompileBudget(parsing: "tokens=10").description == "tokens=10")
        #expect(full.description == "calls=200,tokens=50000,time=90s")
    }

    @Test("a malformed budget names the part that is wrong and what was expected", arguments: [
        ("calls=abc", "budget part 'calls=abc': 'abc' is not a positive integer"),
        ("calls=0", "budget part 'calls=0': '0' is not a positive integer"),
        ("time=5x", "budget part 'time=5x': '5x' is not a duration; expected a number with s, m or h (90s, 5m, 1h)"),
        ("time=-3s", "budget part 'time=-3s': '-3s' is not a positive duration"),
        ("dollars=5", "budget part 'dollars=5': unknown limit 'dollars'; the limits are calls, tokens and time"),
        ("calls", "budget part 'calls': expected key=value (calls=N, tokens=N or time=DURATION)"),
        ("calls=1,calls=2", "budget part 'calls=2': 'calls' is given twice"),
        ("calls=5,", "budget part '': expected key=value (calls=N, tokens=N or time=DURATION)"),
    ])
    func parseErrors(text: String, message: String) {
        #expect { try CompileBudget(parsing: text) } throws: { "\($0)" == message }
    }

    @Test("a call budget is never exceeded and the compile returns the best candidate scored before it")
    func callsStop() async throws {
        let lm = followingLM()
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await search().compile(SimpleModule("question -> answer"), trainset: train, valset: nil,
                                       budget: CompileBudget(calls: 20))
        }
        // Zero-shot (8 calls) and labeled (8 calls) are scored; seed -1's bootstrap hits the limit.
        #expect(lm.callCount == 20)
        let status = try #require(compiled.report.budget)
        #expect(status.stoppedBy == "calls")
        #expect(status.calls == 20)
        #expect(compiled.report.bestScore == 100)
        #expect(compiled.program.predictors()[0].demos.count == 8, "the labeled candidate")
        #expect(compiled.report.notes.contains { $0.contains("stopped by budget (calls): calls 20/20") && $0.contains("seed -2 (labeled)") })
        // The result is usable: it answers the training questions.
        let score = try await DSPySettings.with(DSPySettings(lm: followingLM())) {
            try await Evaluate(devset: train, metric: .exactMatch())(compiled.program)
        }
        #expect(score.score == 100)
    }

    @Test("a token budget stops the compile once the computed tokens reach it")
    func tokensStop() async throws {
        // The tracker goes inside the settings: a new DSPySettings would drop it.
        let (_, full) = try await DSPySettings.with(DSPySettings(lm: followingLM())) {
            try await UsageTracker.measure {
                try await search().compile(SimpleModule("question -> answer"), trainset: train)
            }
        }
        #expect(full.totalTokens > 0)
        let limit = full.totalTokens / 2
        let lm = followingLM()
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await search().compile(SimpleModule("question -> answer"), trainset: train, valset: nil,
                                       budget: CompileBudget(tokens: limit))
        }
        let status = try #require(compiled.report.budget)
        #expect(status.stoppedBy == "tokens")
        #expect(status.tokens >= limit)
        #expect(status.tokens < full.totalTokens)
        #expect(status.calls == lm.callCount)
        #expect(compiled.report.notes.contains { $0.contains("best program found so far") })
    }

    @Test("a time budget stops a compile whose calls take longer than the limit")
    func timeStops() async throws {
        let lm = SlowLM(followingLM(), pause: .milliseconds(20))
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await search().compile(SimpleModule("question -> answer"), trainset: train, valset: nil,
                                       budget: try CompileBudget(parsing: "time=50ms"))
        }
        let status = try #require(compiled.report.budget)
        #expect(status.stoppedBy == "time")
        #expect(status.calls < 40, "the full search makes more calls than were admitted")
        #expect(compiled.program.predictors().count == 1)
    }

    @Test("bootstrap stopped among its teacher runs keeps the demos it already has")
    func bootstrapKeepsPartialDemos() async throws {
        let lm = lookupLM((0..<8).map { ("q\($0)", "a\($0)") })
        let bootstrap = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 4, maxLabeledDemos: 0, mode: .dspy)
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await bootstrap.compile(SimpleModule("question -> answer"), trainset: train, valset: nil,
                                        budget: CompileBudget(calls: 2))
        }
        #expect(lm.callCount == 2)
        #expect(compiled.program.predictors()[0].demos.count == 2)
        #expect(compiled.report.budget?.stoppedBy == "calls")
        #expect(compiled.report.notes.contains { $0.contains("Stopped by the compile budget") })
    }

    @Test("a compile within its budget is complete and says so")
    func withinBudget() async throws {
        let lm = lookupLM((0..<8).map { ("q\($0)", "a\($0)") })
        let bootstrap = BootstrapFewShot(metric: .exactMatch(), maxBootstrappedDemos: 2, maxLabeledDemos: 0, mode: .dspy)
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await bootstrap.compile(SimpleModule("question -> answer"), trainset: train, valset: nil,
                                        budget: CompileBudget(calls: 100))
        }
        #expect(compiled.report.budget?.stopped == false)
        #expect(compiled.report.budget?.calls == 2)
        #expect(compiled.report.description.contains("within budget: calls 2/100"))
    }

    @Test("Evaluate passes a spent budget on instead of scoring it as a failed example")
    func evaluateRethrows() async throws {
        let meter = BudgetMeter(CompileBudget(calls: 3))
        let lm = lookupLM((0..<8).map { ("q\($0)", "a\($0)") })
        await #expect(throws: BudgetExhausted.self) {
            try await BudgetMeter.$current.withValue(meter) {
                try await DSPySettings.with(DSPySettings(lm: lm)) {
                    try await Evaluate(devset: train, metric: .exactMatch(), maxConcurrency: 1)(SimpleModule("question -> answer"))
                }
            }
        }
        #expect(lm.callCount == 3)
    }
}
