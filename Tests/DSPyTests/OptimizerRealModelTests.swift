import DSPy
import DSPyEmbedded
import DSPyTestSupport
import Foundation
import Testing

/// BootstrapFewShot on the real default model (run in release:
/// `swift test -c release -Xswiftc -enable-testing --filter OptimizerRealModel`).
@Suite("Optimizers on the real embedded model", .serialized)
struct OptimizerRealModelTests {
    static func load(_ split: String, limit: Int) throws -> [Example] {
        let url = Fixtures.dataset("sentiment", split: split)
        return Array(try JSONL.load(url, inputKeys: ["text"]).prefix(limit))
    }

    @Test("BootstrapFewShot on sentiment-tweets raises the dev score over zero-shot")
    func bootstrapSentiment() async throws {
        let lm = try RealModel.lm(.second)
        let train = try Self.load("train", limit: 40)
        let dev = try Self.load("dev", limit: 80)
        let program = try Predict("text -> sentiment: Literal['positive', 'negative']")
        let evaluate = Evaluate(devset: dev, metric: .exactMatch(field: "sentiment"), maxConcurrency: 8)
        let log = MemoryCallLog()
        try await DSPySettings.with(DSPySettings(lm: lm, callLog: log)) {
            let zeroShot = try await evaluate(program)
            print("zero-shot: \(zeroShot.summary); \(zeroShot.distributionLine)")

            let stratified = BootstrapFewShot(metric: .exactMatch(field: "sentiment"), maxBootstrappedDemos: 4, maxLabeledDemos: 4)
            let compiled = try await stratified.compile(program, trainset: train)
            let compiledScore = try await evaluate(compiled.program)
            print("bootstrap (stratified): \(compiledScore.summary); \(compiledScore.distributionLine)")
            print(compiled.report)

            #expect(compiledScore.score > zeroShot.score)
            #expect(compiledScore.labelDistribution.count == 2)
            #expect(compiledScore.errorCount == 0)
        }
    }
}
