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

// The test caps are per thread: kernels run without a pool run on the calling thread, so a
// test's caps never reach kernels that other tests run at the same time.
static _Thread_local int force_scalar = 0;
static _Atomic int has_avx2 = -1;

void dspy_set_force_scalar(int force) { force_scalar = force ? 1 : 0; }

int dspy_kernels_use_avx2(void) {
    if (force_scalar) return 0;
    int cached = atomic_load_explicit(&has_avx2, memory_order_relaxed);
    if (cached < 0) {
        cached = dspy_cpu_has_avx2_fma();
        atomic_store(&has_avx2, cached);
    }
    return cached;
}

static _Thread_local int vector_limit = 0;

void dspy_set_vector_limit(int limit) { vector_limit = limit; }

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
    if (vector_limit >= 2) return 0;
    return cached_probe(&cached, probe_avx_vnni);
#else
    return 0;
#endif
}

int dspy_cpu_has_avx512_vnni(void) {
#if defined(__x86_64__) || defined(__i386__)
    static _Atomic int cached = -1;
    if (vector_limit >= 1) return 0;
    return cached_probe(&cached, probe_avx512_vnni);
#else
    return 0;
#endif
}

// MARK: - Float order

#if defined(__x86_64__) || defined(__i386__)
static int probe_avx512f(void) { return __builtin_cpu_supports("avx512f"); }
#endif

int dspy_cpu_has_avx512f(void) {
#if defined(__x86_64__) || defined(__i386__)
    static _Atomic int cached = -1;
    return cached_probe(&cached, probe_avx512f);
#else
    return 0;
#endif
}

static _Thread_local int order_override = DSPY_ORDER_DETECT;

void dspy_set_kernel_order(int order) {
    order_override = order == DSPY_ORDER_AVX2 || order == DSPY_ORDER_AVX512 ? order : DSPY_ORDER_DETECT;
}

int dspy_kernel_order_override(void) { return order_override; }

// Off x86 the kernels keep the AVX-512 order they followed before the orders were told
// apart (llama.cpp's NEON and other builds round in orders of their own).
int dspy_kernel_order(void) {
    if (order_override != DSPY_ORDER_DETECT) return order_override;
#if defined(__x86_64__) || defined(__i386__)
    return dspy_cpu_has_avx512f() ? DSPY_ORDER_AVX512 : DSPY_ORDER_AVX2;
#else
    return DSPY_ORDER_AVX512;
#endif
}
