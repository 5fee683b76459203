import CDSPyKernels
import Foundation
import Testing

/// The kernels whose float order depends on the llama.cpp build they follow (AVX-512 or
/// AVX2, `dspy_set_kernel_order`): each order runs its own code (by the path counters),
/// the two orders really differ, each stays within rounding of the exact result, the
/// portable code matches the vector code, and a pool runs its jobs in its caller's order.
@Suite("Kernel float orders of llama.cpp's AVX-512 and AVX2 builds", .serialized)
struct KernelOrderTests {
    static let orders: [(name: String, value: Int32)] = [("avx2", Int32(DSPY_ORDER_AVX2)), ("avx512", Int32(DSPY_ORDER_AVX512))]

    /// Runs `body` on this thread in `order` (and `scalar` code if asked) and returns its
    /// result with the kernel paths that ran.
    static func run<T>(order: Int32, scalar: Bool = false, _ body: () -> T) -> (result: T, paths: [String]) {
        dspy_set_kernel_order(order)
        defer { dspy_set_kernel_order(Int32(DSPY_ORDER_DETECT)) }
        let setting = KernelPaths.settings[scalar ? 3 : 0]
        return KernelPaths.run(setting, body)
    }

    static func swiglu(_ gate: [Float], _ up: [Float]) -> [Float] {
        var out = gate
        dspy_swiglu(&out, up, Int64(out.count))
        return out
    }

    @Test("SwiGLU follows each build's exponential and step: its own path, different bits, both within rounding of exact silu",
          .enabled(if: KernelPaths.hasAVX2, "this CPU has no AVX2: SwiGLU runs libm's expf in every order"))
    func swigluOrders() throws {
        var generator = SeededGenerator(seed: 21)
        // 4,109 elements: whole 16- and 8-lane steps and a tail; inputs up to ±120 reach
        // the exponentials' large-exponent branches.
        let gate = (0..<4109).map { i in Float.random(in: i % 50 == 0 ? -120...120 : -8...8, using: &generator) }
        let up = (0..<gate.count).map { _ in Float.random(in: -2...2, using: &generator) }
        var results: [[UInt32]] = []
        for order in Self.orders {
            let (out, paths) = Self.run(order: order.value) { Self.swiglu(gate, up) }
            #expect(paths == ["swiglu-order-\(order.name)"])
            for i in gate.indices {
                let g = Double(gate[i])
                let exact = g / (1 + Foundation.exp(-g)) * Double(up[i])
                #expect(abs(Double(out[i]) - exact) <= 1e-6 * max(1, abs(exact)), "\(order.name) element \(i): \(gate[i])")
            }
            results.append(out.map(\.bitPattern))
        }
        let differing = zip(results[0], results[1]).filter { $0 != $1 }.count
        print("swiglu: the AVX2 and AVX-512 orders differ in \(differing) of \(gate.count) elements")
        #expect(differing > 0, "the orders gave the same bits: the switch changed nothing")
        // Each build leaves what its steps do not cover to libm's expf: the AVX-512 build the
        // last 4109 mod 16 = 13 elements, the AVX2 build the last 4109 mod 8 = 5.
        let libm = gate.indices.map { i in (gate[i] / (1 + expf(-gate[i])) * up[i]).bitPattern }
        #expect((4096..<4109).allSatisfy { results[1][$0] == libm[$0] })
        #expect((4104..<4109).allSatisfy { results[0][$0] == libm[$0] })
    }

    /// `dspy_attention` (decoding: one query row per token) on a random cache, optionally on `pool`.
    static func decode(pool: OpaquePointer?, visible: [Int], seed: UInt64) -> [Float] {
        AttentionKernelTests.attend(tokens: visible.count, visible: visible, heads: 9, kvHeads: 3, seed: seed, pool: pool)
    }

    @Test("Decoding attention's half-precision dot product follows each build's order: its own path, different bits, within 1e-3",
          .enabled(if: KernelPaths.hasAVX2, "this CPU has no AVX2: attention runs the scalar dot product in every order"))
    func decodingOrders() throws {
        let visible = [1, 7, 64, 100, 300]
        var results: [[Float]] = []
        for order in Self.orders {
            let (out, paths) = Self.run(order: order.value) { Self.decode(pool: nil, visible: visible, seed: 5) }
            #expect(paths.contains("f16-dot-order-\(order.name)") && !paths.contains { $0.contains("-order-") && !$0.hasSuffix(order.name) },
                    "\(paths)")
            results.append(out)
        }
        let worst = zip(results[0], results[1]).map { abs($0 - $1) }.max() ?? .infinity
        let differing = zip(results[0], results[1]).filter { $0.bitPattern != $1.bitPattern }.count
        print("decoding attention: orders differ in \(differing) of \(results[0].count) outputs, by at most \(worst)")
        // Scores differ in the last bit; values accumulated in halves (ulp 2^-10 near 1)
        // carry that into the outputs' third or fourth digit.
        #expect(differing > 0 && worst < 1e-3)
    }

    @Test("A pool runs its jobs in its caller's order and hands their path counts back")
    func poolCarriesOrder() throws {
        let pool = try #require(dspy_pool_create(2))
        defer { dspy_pool_destroy(pool) }
        let visible = [3, 70, 129, 200]
        for order in Self.orders {
            let alone = Self.run(order: order.value) { Self.decode(pool: nil, visible: visible, seed: 9) }
            let pooled = Self.run(order: order.value) { Self.decode(pool: pool, visible: visible, seed: 9) }
            #expect(pooled.result.map(\.bitPattern) == alone.result.map(\.bitPattern), "\(order.name)")
            #expect(pooled.paths == alone.paths, "\(order.name): \(pooled.paths) against \(alone.paths)")
        }
    }

    /// `dspy_attention_tiled` (prefill) for `tokens` causal rows on a random cache.
    static func prefill(tokens: Int, seed: UInt64) -> [Float] {
        let (heads, kvHeads, hd) = (4, 2, 64)
        var generator = SeededGenerator(seed: seed)
        let width = kvHeads * hd
        let keys = (0..<tokens * width).map { _ in dspy_fp32_to_fp16(Float.random(in: -2...2, using: &generator)) }
        let values = (0..<tokens * width).map { _ in dspy_fp32_to_fp16(Float.random(in: -1...1, using: &generator)) }
        let queries = (0..<tokens * heads * hd).map { _ in Float.random(in: -3...3, using: &generator) }
        let visible = (1...tokens).map { Int32($0) }
        var output = [Float](repeating: .nan, count: queries.count)
        var scratch = [Float](repeating: 0, count: dspy_attention_tiled_scratch_count(Int32(hd)))
        dspy_attention_tiled(nil, queries, Int32(heads * hd), &output, Int32(heads * hd), keys, values, visible,
                             Int32(tokens), Int32(heads), Int32(kvHeads), Int32(hd), 0.125, &scratch)
        return output
    }

    @Test("Prefill attention's softmax follows each build's order, the same bits in vector and portable code")
    func prefillOrders() throws {
        var results: [[UInt32]] = []
        for order in Self.orders {
            let vector = Self.run(order: order.value) { Self.prefill(tokens: 150, seed: 13) }
            let scalar = Self.run(order: order.value, scalar: true) { Self.prefill(tokens: 150, seed: 13) }
            #expect(scalar.paths == ["softmax-order-\(order.name)", "tiled-scalar"])
            if KernelPaths.hasAVX2 {
                #expect(vector.paths == ["softmax-order-\(order.name)", "tiled-avx2"])
            }
            #expect(vector.result.map(\.bitPattern) == scalar.result.map(\.bitPattern), "\(order.name)")
            #expect(!vector.result.contains { $0.isNaN })
            results.append(vector.result.map(\.bitPattern))
        }
        let differing = zip(results[0], results[1]).filter { $0 != $1 }.count
        print("prefill attention: orders differ in \(differing) of \(results[0].count) outputs")
        #expect(differing > 0, "the orders gave the same bits: the switch changed nothing")
    }
}
