import CDSPyKernels

/// Buffers of the loss over target rows, for groups of up to `rows` rows.
final class LossBuffers {
    static let rows = 32
    let hidden: ScratchBuffer<Float>      // [row][hidden]: final residual rows
    let normed: ScratchBuffer<Float>      // [row][hidden]
    let inverseRMS: ScratchBuffer<Float>  // [row]
    let logits: ScratchBuffer<Float>      // [row][vocabulary]
    let normedGradient: ScratchBuffer<Float>
    let hiddenGradient: ScratchBuffer<Float>
    let scratch: ScratchBuffer<Float>
    var losses = [Double](repeating: 0, count: rows)

    init(configuration c: ModelConfiguration, threads: Int) {
        let n = Self.rows
        hidden = ScratchBuffer(n * c.hiddenSize)
        normed = ScratchBuffer(n * c.hiddenSize)
        inverseRMS = ScratchBuffer(n)
        logits = ScratchBuffer(n * c.vocabularySize)
        normedGradient = ScratchBuffer(n * c.hiddenSize)
        hiddenGradient = ScratchBuffer(n * c.hiddenSize)
        scratch = ScratchBuffer(dspy_train_logits_scratch_count(Int32(c.hiddenSize), Int32(n), Int32(threads)))
    }
}

extension TrainingPass {
    /// The summed cross-entropy of the masked tokens (token i predicted from the final
    /// residual row i − 1, after the output norm, the output matrix, its bias and the soft-cap),
    /// and their count. Sets `gradients.residual` to `scale` × d (summed loss) / d final residual
    /// (zero on rows without a target). Logits are computed only for the target rows.
    ///
    /// Cost: 4 × vocabulary × hidden FLOPs per target, plus the vocabulary's softmax.
    func loss(tokens: [Int32], mask: [Bool], scale: Float) -> (sum: Double, count: Int) {
        let c = weights.configuration
        let (hidden, vocabulary) = (c.hiddenSize, c.vocabularySize)
        let t = tokens.count
        let final = residuals[c.layerCount].pointer
        let dResidual = gradients.residual.pointer
        dResidual.update(repeating: 0, count: t * hidden)
        let positions = (1..<max(t, 1)).filter { mask[$0] }
        let output = weights.base.output
        let b = lossBuffers
        var total = 0.0
        var start = 0
        while start < positions.count {
            let group = Array(positions[start..<min(start + LossBuffers.rows, positions.count)])
            let n = group.count
            for (row, position) in group.enumerated() {
                (b.hidden.pointer + row * hidden).update(from: final + (position - 1) * hidden, count: hidden)
            }
            dspy_train_rmsnorm(b.hidden.pointer, Int32(hidden), weights.base.outputNorm, b.normed.pointer, Int32(hidden),
                               b.inverseRMS.pointer, Int32(n), Int32(hidden), c.rmsEpsilon)
            let dense = weights.denseOutput.map { UnsafePointer($0.pointer) }
            dspy_train_logits(pool.pointer, dense, Int32(output.type.rawValue), output.base, output.rowBytes,
                              Int32(vocabulary), Int32(hidden), b.normed.pointer, Int32(n), b.logits.pointer,
                              b.scratch.pointer)
            let targets = group.map { tokens[$0] }
            targets.withUnsafeBufferPointer { targetPointer in
                weights.base.outputBias.withOptionalBuffer { bias in
                    b.losses.withUnsafeMutableBufferPointer { losses in
                        dspy_train_cross_entropy(pool.pointer, b.logits.pointer, Int32(n), Int32(vocabulary),
                                                 targetPointer.baseAddress, bias, c.finalLogitSoftcap, scale,
                                                 losses.baseAddress)
                    }
                }
            }
            total += b.losses[0..<n].reduce(0, +)
            dspy_train_logits_backward(pool.pointer, dense, Int32(output.type.rawValue), output.base, output.rowBytes,
                                       Int32(vocabulary), Int32(hidden), b.logits.pointer, Int32(n),
                                       b.normedGradient.pointer, b.scratch.pointer)
            dspy_train_rmsnorm_backward(b.hidden.pointer, Int32(hidden), weights.base.outputNorm, b.inverseRMS.pointer,
                                        b.normedGradient.pointer, Int32(hidden), b.hiddenGradient.pointer, Int32(hidden),
                                        Int32(n), Int32(hidden), 0)
            for (row, position) in group.enumerated() {
                (dResidual + (position - 1) * hidden).update(from: b.hiddenGradient.pointer + row * hidden, count: hidden)
            }
            start += n
        }
        return (total, positions.count)
    }
}
