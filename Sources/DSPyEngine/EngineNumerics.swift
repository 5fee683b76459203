/// The version of the engine's numerics: what its kernels compute, bit for bit.
///
/// Every fingerprint that stands for "the answers this model gives" includes it: the
/// LM-call cache key (through `EmbeddedLM.modelIdentifier`) and the compiled-program
/// fingerprint (`dspyc compile`). Calls cached under another version are not replayed;
/// they are simply not found (a cache miss), and the compile runs again.
///
/// **Bump ``version`` in the same commit as any change to `Sources/CDSPyKernels`, the
/// quantization formats, the forward pass or sampling that can change a logit or a chosen
/// token** (a new SIMD path, a different summation order, a fused kernel). Changes that
/// only move memory or threads around while keeping results identical need no bump; the
/// kernel tests (`scripts/kernels-portable/run`, `DSPyEngineTests`) tell which it is.
public enum EngineNumerics {
    /// The current numerics version (1: the kernels as of December 2026).
    public static let version = 1
}
