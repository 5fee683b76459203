import CDSPyKernels
import Foundation
import Testing

@testable import DSPyEngine

/// The training attention kernels (`dspy_train_attention` and its backward pass) on sequences
/// of several 64-row blocks, against a direct double-precision evaluation of the formulas.
@Suite("Training attention kernels")
struct TrainingAttentionKernelTests {
    static let (heads, kvHeads, headDimension) = (4, 2, 16)

    /// Forward output, then dq, dk, dv, of random inputs on a pool of `threads`.
    static func run(tokens t: Int, window: Int, threads: Int, seed: UInt64) -> (inputs: [[Float]], results: [[Float]]) {
        let (h, kv, d) = (heads, kvHeads, headDimension)
        var generator = SeededGenerator(seed: seed)
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1...1, using: &generator) } }
        let (q, k, v, dOut) = (random(t * h * d), random(t * kv * d), random(t * kv * d), random(t * h * d))
        let pool = WorkerPool(threads: threads)
        var out = [Float](repeating: .nan, count: t * h * d)
        let probabilities = ScratchBuffer<Float>(h * t * t)
        let scale = 1 / Float(d).squareRoot()
        dspy_train_attention(pool.pointer, q, Int32(h * d), k, v, Int32(kv * d), &out, Int32(h * d), probabilities.pointer,
                             Int32(t), Int32(h), Int32(kv), Int32(d), Int32(window), scale)
        var dq = [Float](repeating: .nan, count: t * h * d)
        var dk = [Float](repeating: .nan, count: t * kv * d), dv = dk
        let scratch = ScratchBuffer<Float>(dspy_train_attention_scratch_count(Int32(t), Int32(h), Int32(d), Int32(threads)))
        dspy_train_attention_backward(pool.pointer, q, Int32(h * d), k, v, Int32(kv * d), probabilities.pointer, dOut,
                                      Int32(h * d), &dq, &dk, &dv, Int32(t), Int32(h), Int32(kv), Int32(d), Int32(window),
                                      scale, scratch.pointer)
        return ([q, k, v, dOut], [out, dq, dk, dv])
    }

    /// The same four results computed directly in doubles.
    static func reference(tokens t: Int, window: Int, inputs: [[Float]]) -> [[Float]] {
        let (h, kv, d) = (heads, kvHeads, headDimension)
        let (q, k, v, dOut) = (inputs[0], inputs[1], inputs[2], inputs[3])
        let scale = 1 / Double(d).squareRoot()
        var out = [Double](repeating: 0, count: t * h * d), dq = out
        var dk = [Double](repeating: 0, count: t * kv * d), dv = dk
        for head in 0..<h {
            let g = head / (h / kv)
            func qv(_ i: Int, _ x: Int) -> Double { Double(q[i * h * d + head * d + x]) }
            func kvv(_ a: [Float], _ j: Int, _ x: Int) -> Double { Double(a[j * kv * d + g * d + x]) }
            func dov(_ i: Int, _ x: Int) -> Double { Double(dOut[i * h * d + head * d + x]) }
            for i in 0..<t {
                let visible = Array(max(0, window > 0 ? i + 1 - window : 0)...i)
                let scores = visible.map { j in scale * (0..<d).reduce(0.0) { $0 + qv(i, $1) * kvv(k, j, $1) } }
                let top = scores.max()!
                let exps = scores.map { Foundation.exp($0 - top) }
                let sum = exps.reduce(0, +)
                let p = exps.map { $0 / sum }
                let dp = visible.map { j in (0..<d).reduce(0.0) { $0 + dov(i, $1) * kvv(v, j, $1) } }
                let dot = zip(p, dp).reduce(0.0) { $0 + $1.0 * $1.1 }
                for (n, j) in visible.enumerated() {
                    let ds = p[n] * (dp[n] - dot)
                    for x in 0..<d {
                        out[i * h * d + head * d + x] += p[n] * kvv(v, j, x)
                        dq[i * h * d + head * d + x] += scale * ds * kvv(k, j, x)
                        dk[j * kv * d + g * d + x] += scale * ds * qv(i, x)
                        dv[j * kv * d + g * d + x] += p[n] * dov(i, x)
                    }
                }
            }
        }
        return [out, dq, dk, dv].map { $0.map(Float.init) }
    }

    @Test("Forward and backward over several row blocks equal the direct formulas",
          arguments: [(150, 0), (150, 40), (64, 0), (65, 7)])
    func matchesDirectFormulas(tokens: Int, window: Int) {
        let (inputs, results) = Self.run(tokens: tokens, window: window, threads: 2, seed: 11)
        let expected = Self.reference(tokens: tokens, window: window, inputs: inputs)
        for (name, (got, want)) in zip(["out", "dq", "dk", "dv"], zip(results, expected)) {
            let error = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(error < 1e-4, "\(name): max error \(error)")
        }
    }

    @Test("The results are the same bits on one thread and on two")
    func threadCountIndependent() {
        let one = Self.run(tokens: 150, window: 0, threads: 1, seed: 5).results
        let two = Self.run(tokens: 150, window: 0, threads: 2, seed: 5).results
        for (a, b) in zip(one, two) {
            #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
        }
    }
}
