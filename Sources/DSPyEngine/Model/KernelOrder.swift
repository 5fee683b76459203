import CDSPyKernels

/// Which build of llama.cpp's CPU backend the engine's float arithmetic follows where its
/// AVX-512 and AVX2 builds round differently.
///
/// llama.cpp built natively for a CPU uses its AVX-512 code when the CPU has AVX-512F and
/// its AVX2 code otherwise; three of its kernels then give different bits: the SiLU
/// exponential of SwiGLU, the half-precision dot product of decoding attention, and the
/// exponential and lane sums of the prefill (tiled) attention softmax. The engine follows
/// the running CPU's build by default (``detected``), so its logits are bit for bit those
/// of the llama.cpp a user builds on the same machine. Either order runs on any AVX2 CPU
/// (the AVX-512 one emulated with 8-lane halves), which lets results recorded on another
/// CPU be reproduced. Choosing an order costs nothing per token.
public enum KernelOrder: Sendable, Equatable, CustomStringConvertible {
    /// The running CPU's: ``avx512`` with AVX-512F, else ``avx2``.
    case detected
    /// llama.cpp's AVX2 build.
    case avx2
    /// llama.cpp's AVX-512 build.
    case avx512

    /// The order ``detected`` resolves to on this CPU (``avx2`` or ``avx512``).
    /// (Off x86 the kernels keep the AVX-512 order.)
    public static var running: KernelOrder {
        #if arch(x86_64) || arch(i386)
        dspy_cpu_has_avx512f() != 0 ? .avx512 : .avx2
        #else
        .avx512
        #endif
    }

    /// ``avx2`` or ``avx512``: ``detected`` resolved on this CPU.
    public var resolved: KernelOrder { self == .detected ? Self.running : self }

    /// "avx2" or "avx512" (of ``resolved``).
    public var description: String { resolved == .avx512 ? "avx512" : "avx2" }

    /// The C kernels' DSPY_ORDER_* value.
    var kernelValue: Int32 {
        switch self {
        case .detected: Int32(DSPY_ORDER_DETECT)
        case .avx2: Int32(DSPY_ORDER_AVX2)
        case .avx512: Int32(DSPY_ORDER_AVX512)
        }
    }
}

/// The C kernels' path counters of the calling thread (which include what pool threads
/// counted for the jobs it started), by path name.
enum KernelPathCounters {
    /// Every counter, in DSPY_PATH_* order.
    static func snapshot() -> [UInt64] { (0..<Int32(DSPY_PATH_COUNT)).map { dspy_path_count($0) } }

    /// The name of counter `index`.
    static func name(_ index: Int) -> String { String(cString: dspy_path_name(Int32(index))) }
}
