@testable import DSPy
import DSPyEmbedded
import DSPyTestSupport
import Foundation
import Testing

private final class ProgressLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

@Suite("SIMBA on the real embedded model", .serialized)
struct SIMBARealModelTests {
    @Test("A short SIMBA run on sentiment completes and returns a program at least as good as the baseline on its trainset")
    func shortRun() async throws {
        let lm = try RealModel.lm(.second)
        let train = Array(try JSONL.load(Fixtures.dataset("sentiment", split: "train"), inputKeys: ["text"]).prefix(16))
        let progress = ProgressLines()
        let simba = SIMBA(metric: .exactMatch(field: "sentiment"), bsize: 6, numCandidates: 2, maxSteps: 1, maxDemos: 2,
                          seed: 0, maxConcurrency: 4, progress: { progress.append($0) })
        let compiled = try await DSPySettings.with(DSPySettings(lm: lm)) {
            try await simba.compile(try Predict("text -> sentiment: Literal['positive', 'negative']"), trainset: train)
        }
        let baseline = try #require(compiled.candidates.first { $0.label == "baseline" })
        let best = try #require(compiled.report.bestScore)
        #expect(best >= baseline.score)
        #expect(compiled.candidates.first?.score == best)
        #expect(progress.lines.count == 1)
        #expect(progress.lines.first?.hasPrefix("SIMBA step 1/1: ") == true)
        // At least the sampled runs (6 × 2) and the baseline's final scoring (16).
        #expect(compiled.report.lmCalls >= 12 + 16)
        print("SIMBA real-model run:", compiled.report)
    }
}
