import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// Prints the engine's speed; runs only with DSPYC_BENCH=1 (a figure, not a pass/fail test).
@Suite("Engine benchmark", .enabled(if: ProcessInfo.processInfo.environment["DSPYC_BENCH"] != nil && GoldenFiles.modelAvailable))
struct BenchmarkProbe {
    @Test("Prints pp512 and tg128 throughput")
    func printThroughput() async throws {
        let threads = ProcessInfo.processInfo.environment["DSPYC_THREADS"].flatMap { Int($0) }
        let engine = try LanguageEngine(contentsOf: Fixtures.defaultModel, threads: threads)
        _ = try await engine.benchmark(promptTokens: 16, generatedTokens: 4)  // warm the page cache
        let promptTokens = ProcessInfo.processInfo.environment["DSPYC_PP"].flatMap { Int($0) } ?? 512
        let result = try await engine.benchmark(promptTokens: promptTokens, generatedTokens: 128)
        print("[bench] \(result)")
    }
}
