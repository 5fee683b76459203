import CDSPyKernels
import Foundation

/// A persistent pool of kernel threads (the C `dspy_pool`).
///
/// Jobs are started by the C kernels themselves (`dspy_matmul`, `dspy_attention`),
/// which split their rows or heads across the pool; the calling thread takes part.
/// Idle workers spin for about a millisecond, then sleep, so a pool costs nothing
/// between requests. One pool serves one model; it is not re-entrant.
final class WorkerPool {
    let pointer: OpaquePointer
    /// Threads per job, the caller included.
    let threadCount: Int

    /// Creates a pool of `threads` threads (default: the active processor count).
    init(threads: Int? = nil) {
        let count = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        pointer = dspy_pool_create(Int32(count))
        threadCount = Int(dspy_pool_threads(pointer))
    }

    deinit { dspy_pool_destroy(pointer) }
}

/// An owned, uninitialized buffer of `T` (scratch space for the forward pass).
final class ScratchBuffer<T> {
    let pointer: UnsafeMutablePointer<T>
    let count: Int

    init(_ count: Int) {
        self.count = max(count, 1)
        pointer = .allocate(capacity: self.count)
    }

    deinit { pointer.deallocate() }

    subscript(offset: Int) -> UnsafeMutablePointer<T> { pointer + offset }
}
