import CDSPyKernels
import DSPyTestSupport
import Foundation
import Testing

@testable import DSPyEngine

/// The int8 peak microbenchmark (peak.c) and the int8 work of a token it is compared with.
/// No timing is asserted beyond "positive" and "vector beats scalar".
@Suite("Int8 peak and the int8 work of a token")
struct Int8PeakTests {
    @Test("The peak microbenchmark runs each path this CPU has, and only those, at a positive finite rate")
    func everyAvailablePathRuns() {
        #expect(Int8Peak.Path.scalar.isAvailable)
        #expect(Int8Peak.Path.avx2.isAvailable == KernelPaths.hasAVX2)
        for path in Int8Peak.Path.allCases {
            dspy_path_counts_reset()
            let rate = Int8Peak.rate(of: path, pool: nil, seconds: 0.05)
            if path.isAvailable {
                #expect(rate > 0 && rate.isFinite, "\(path): \(rate) multiply-adds/s")
                #expect(dspy_path_count(path.counter) == 1, "\(path) did not run")
            } else {
                #expect(rate == 0, "\(path) is missing on this CPU but reported \(rate)")
                #expect(dspy_path_count(path.counter) == 0, "\(path) ran without the CPU having it")
            }
        }
        print("[int8 peak] paths on this CPU: \(Int8Peak.Path.available.map(\.rawValue))")
    }

    @Test("On a pool the microbenchmark runs on the pool's threads, the caller's included")
    func runsOnPoolThreads() {
        let pool = WorkerPool(threads: 2)
        let path = Int8Peak.Path.available.last ?? .scalar
        dspy_path_counts_reset()
        let rate = Int8Peak.rate(of: path, pool: pool, seconds: 0.05)
        #expect(rate > 0 && rate.isFinite)
        // A worker the scheduler did not start before the caller finished is shut out of the job.
        #expect((1...UInt64(pool.threadCount)).contains(dspy_path_count(path.counter)))
    }

    @Test("The AVX2 path multiplies faster than the scalar path", .enabled(if: KernelPaths.hasAVX2, "no AVX2"))
    func avx2BeatsScalar() {
        func best(_ path: Int8Peak.Path) -> Double {
            (0..<3).map { _ in Int8Peak.rate(of: path, pool: nil, seconds: 0.05) }.max() ?? 0
        }
        let scalar = best(.scalar), avx2 = best(.avx2)
        #expect(avx2 > scalar, "AVX2 \(avx2 / 1e9) GMAC/s, scalar \(scalar / 1e9) GMAC/s")
        print(String(format: "[int8 peak] one thread: scalar %.1f, AVX2 %.1f GMAC/s", scalar / 1e9, avx2 / 1e9))
    }

    @Test("The default model's int8 work per token is the sum of its weight matrices' sizes")
    func defaultModelArithmetic() async throws {
        let file = try GGUFFile(contentsOf: Fixtures.defaultModel)
        // Counted from the tensor directory alone: blk.N.<matrix>.weight for the matrices a token
        // multiplies, and the output projection (tied to the embedding in SmolLM2).
        let matrices: Set = ["attn_q", "attn_k", "attn_v", "attn_qkv", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
        let layerElements = file.tensors.reduce(0) { total, tensor in
            let parts = tensor.name.split(separator: ".")
            let isMatrix = parts.count == 4 && parts[0] == "blk" && matrices.contains(String(parts[2])) && parts[3] == "weight"
            return total + (isMatrix ? tensor.elementCount : 0)
        }
        let output = try #require(file.tensorInfo(named: "output.weight") ?? file.tensorInfo(named: "token_embd.weight"))
        // SmolLM2-135M: 30 layers of width 576, 3 of 9 heads for keys and values (192), feed-forward 1536.
        #expect(layerElements == 30 * (2 * 576 * 576 + 2 * 192 * 576 + 3 * 1536 * 576))
        #expect(output.elementCount == 49152 * 576)

        let engine = try LanguageEngine(file: file, threads: 1)
        let work = await engine.tokenArithmetic()
        #expect(work.layerMultiplyAdds == layerElements)
        #expect(work.outputMultiplyAdds == output.elementCount)
        #expect(work.promptMultiplyAddsPerToken(promptTokens: 512) == Double(layerElements) + Double(output.elementCount) / 512)
        #expect(work.generationMultiplyAddsPerToken == Double(layerElements + output.elementCount))
        #expect(work.attentionMultiplyAddsPerPosition == 2 * 576 * 30)
    }

    @Test("A peak fraction is tokens per second times the work of a token over the peak")
    func peakFraction() {
        let peak = Int8Peak(path: .avx2, threads: 2, multiplyAddsPerSecond: 100e9)
        #expect(peak.fraction(tokensPerSecond: 1000, multiplyAddsPerToken: 0.05e9) == 0.5)
        #expect(Int8Peak(path: .scalar, threads: 1, multiplyAddsPerSecond: 0).fraction(tokensPerSecond: 1, multiplyAddsPerToken: 1) == 0)
    }
}
