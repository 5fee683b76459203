#include "CDSPyKernels.h"
#include "internal.h"

#include <stdatomic.h>

int dspy_cpu_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

static _Atomic int force_scalar = 0;
static _Atomic int has_avx2 = -1;

void dspy_set_force_scalar(int force) { atomic_store(&force_scalar, force ? 1 : 0); }

int dspy_kernels_use_avx2(void) {
    if (atomic_load_explicit(&force_scalar, memory_order_relaxed)) return 0;
    int cached = atomic_load_explicit(&has_avx2, memory_order_relaxed);
    if (cached < 0) {
        cached = dspy_cpu_has_avx2_fma();
        atomic_store(&has_avx2, cached);
    }
    return cached;
}

static _Atomic int vector_limit = 0;

void dspy_set_vector_limit(int limit) { atomic_store(&vector_limit, limit); }

#if defined(__x86_64__) || defined(__i386__)
// `probe()` once per process, then its cached answer.
static int cached_probe(_Atomic int *cache, int (*probe)(void)) {
    int value = atomic_load_explicit(cache, memory_order_relaxed);
    if (value < 0) {
        __builtin_cpu_init();
        value = probe() ? 1 : 0;
        atomic_store(cache, value);
    }
    return value;
}

static int probe_avx_vnni(void) { return __builtin_cpu_supports("avxvnni"); }

// The runtime reports AVX-512 only when the OS also saves the 512-bit registers.
static int probe_avx512_vnni(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512vnni");
}
#endif

int dspy_cpu_has_avx_vnni(void) {
#if defined(__x86_64__) || defined(__i386__)
    static _Atomic int cached = -1;
    if (atomic_load_explicit(&vector_limit, memory_order_relaxed) >= 2) return 0;
    return cached_probe(&cached, probe_avx_vnni);
#else
    return 0;
#endif
}

int dspy_cpu_has_avx512_vnni(void) {
#if defined(__x86_64__) || defined(__i386__)
    static _Atomic int cached = -1;
    if (atomic_load_explicit(&vector_limit, memory_order_relaxed) >= 1) return 0;
    return cached_probe(&cached, probe_avx512_vnni);
#else
    return 0;
#endif
}
