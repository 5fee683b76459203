import CDSPyKernels

extension TrainingPass {
    /// C = alpha · op(A) · op(B) + beta · C on the pool (`dspy_sgemm`, row-major).
    func gemm(
        _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        dspy_sgemm(pool.pointer, transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                   a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The dropout key of pair `slot` in the pass keyed `passKey`.
    func dropoutKey(_ passKey: UInt64, slot: Int) -> UInt64 { TrainingRandom.key(passKey, UInt64(slot)) }

    /// `input` with LoRA dropout applied (into the shared buffer), or `input` itself without dropout.
    private func droppedInput(_ input: UnsafePointer<Float>, tokens: Int, columns: Int, key: UInt64) -> UnsafePointer<Float> {
        guard dropout > 0 else { return input }
        dspy_train_dropout(input, Int32(columns), gradients.dropped.pointer, Int32(columns), Int32(tokens),
                           Int32(columns), dropout, key)
        return UnsafePointer(gradients.dropped.pointer)
    }

    /// out (+)= input · Wᵀ + scale · (dropout(input) · Aᵀ) · Bᵀ for `tokens` rows; saves A·x in `inner`.
    func linearForward(
        _ input: UnsafePointer<Float>, tokens t: Int, matrix: FrozenMatrix, slot: Int?, inner: ScratchBuffer<Float>?,
        out: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, passKey: UInt64
    ) {
        let (rows, columns) = (matrix.rows, matrix.columns)
        gemm(false, true, t, rows, columns, 1, input, columns, matrix.pointer, columns, accumulate ? 1 : 0, out, ldc)
        guard let slot, let inner else { return }
        let r = parameters.rank
        let x = droppedInput(input, tokens: t, columns: columns, key: dropoutKey(passKey, slot: slot))
        gemm(false, true, t, r, columns, 1, x, columns, parameters.a(slot), columns, 0, inner.pointer, r)
        gemm(false, true, t, rows, r, parameters.scale, inner.pointer, r, parameters.b(slot), r, 1, out, ldc)
    }

    /// The backward pass of `linearForward`: adds the pair's gradients (dB += s·dYᵀ·(A x),
    /// dA += (s·dY·B)ᵀ·dropout(x)) and, when `inputGradient` is given, writes (or adds, when
    /// `accumulate`) dX = dY·W + (s·dY·B)·A.
    func linearBackward(
        _ outputGradient: UnsafePointer<Float>, ldy: Int, input: UnsafePointer<Float>, tokens t: Int,
        matrix: FrozenMatrix, slot: Int?, inner: ScratchBuffer<Float>?, inputGradient: UnsafeMutablePointer<Float>?,
        accumulate: Bool, passKey: UInt64
    ) {
        let (rows, columns) = (matrix.rows, matrix.columns)
        if let inputGradient {
            gemm(false, false, t, columns, rows, 1, outputGradient, ldy, matrix.pointer, columns, accumulate ? 1 : 0,
                 inputGradient, columns)
        }
        guard let slot, let inner else { return }
        let r = parameters.rank
        let s = parameters.scale
        let dInner = gradients.inner.pointer
        gemm(true, false, rows, r, t, s, outputGradient, ldy, inner.pointer, r, 1, parameters.gradientB(slot), r)
        gemm(false, false, t, r, rows, s, outputGradient, ldy, parameters.b(slot), r, 0, dInner, r)
        let x = droppedInput(input, tokens: t, columns: columns, key: dropoutKey(passKey, slot: slot))
        gemm(true, false, r, columns, t, 1, dInner, r, x, columns, 1, parameters.gradientA(slot), columns)
        if let inputGradient {
            gemm(false, false, t, columns, r, 1, dInner, r, parameters.a(slot), columns, 1, inputGradient, columns)
        }
    }
}
