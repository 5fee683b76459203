// The int8 multiply-accumulate peak of the running CPU, per instruction path: what the
// quantized dot products could reach if they never waited for memory. `dspyc bench`
// divides prompt processing's int8 work by it.
//
// Each path's loop keeps everything in registers (two operand registers, a constant and the
// accumulators), so it measures the arithmetic units alone. The accumulators are
// independent so that the adds (AVX2) or the dot-product instructions (VNNI), whose
// results feed the next iteration, never wait for each other's latency: with k chains an
// instruction of latency L and throughput T per cycle keeps the units busy once k ≥ L·T
// (vpdpbusd: L ≈ 4–5, T ≤ 2, hence 12 chains of 256 bits and 16 of 512). An empty asm
// statement that "modifies" an operand before each step stops the compiler from hoisting
// the loop-invariant products out of the loop or merging the identical ones; it emits no
// instruction.
//
// Cost: the caller's `seconds` of every pool thread's time; no memory beyond the stack.
#include "internal.h"

#include <stdatomic.h>
#include <time.h>

#if DSPY_X86
#include <immintrin.h>
#define DSPY_PEAK_VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))
#define DSPY_PEAK_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma,f16c")))
#endif

/// Iterations between two looks at the clock: tens of microseconds of work on any path.
enum { CHUNK = 4096 };

// "Changes" a register operand: forces the next product to be recomputed.
#define TOUCH(reg, v) __asm__ volatile("" : "+" reg(v))

// MARK: - Scalar: one imul and one add per multiply-accumulate

enum { SCALAR_CHAINS = 8 };

static uint32_t loop_scalar(uint64_t iterations) {
    int a = 3, b = -5;
    uint32_t acc[SCALAR_CHAINS] = {0};
    for (uint64_t i = 0; i < iterations; i++) {
        for (int k = 0; k < SCALAR_CHAINS; k++) {
            TOUCH("r", a);
            acc[k] += (uint32_t)(a * b);
        }
    }
    uint32_t sum = 0;
    for (int k = 0; k < SCALAR_CHAINS; k++) sum += acc[k];
    return sum;
}

#if DSPY_X86
// MARK: - AVX2: vpmaddubsw (32 u8·s8 products, summed in pairs) + vpmaddwd (pairs to dwords) + vpaddd

enum { AVX2_CHAINS = 8 };

DSPY_AVX2 static uint32_t loop_avx2(uint64_t iterations) {
    __m256i w = _mm256_set1_epi8(3), y = _mm256_set1_epi8(-5), ones = _mm256_set1_epi16(1);
    __m256i acc[AVX2_CHAINS];
    for (int k = 0; k < AVX2_CHAINS; k++) acc[k] = _mm256_setzero_si256();
    for (uint64_t i = 0; i < iterations; i++) {
        for (int k = 0; k < AVX2_CHAINS; k++) {
            TOUCH("x", w);
            acc[k] = _mm256_add_epi32(acc[k], _mm256_madd_epi16(_mm256_maddubs_epi16(w, y), ones));
        }
    }
    __m256i sum = acc[0];
    for (int k = 1; k < AVX2_CHAINS; k++) sum = _mm256_add_epi32(sum, acc[k]);
    return (uint32_t)_mm256_extract_epi32(sum, 0);
}

// MARK: - AVX-VNNI: vpdpbusd on 256 bits (32 u8·s8 products added into 8 dwords)

enum { VNNI_CHAINS = 12 };

DSPY_PEAK_VNNI static uint32_t loop_avx_vnni(uint64_t iterations) {
    __m256i w = _mm256_set1_epi8(3), y = _mm256_set1_epi8(-5);
    __m256i acc[VNNI_CHAINS];
    for (int k = 0; k < VNNI_CHAINS; k++) acc[k] = _mm256_setzero_si256();
    for (uint64_t i = 0; i < iterations; i++) {
        TOUCH("x", w);
        for (int k = 0; k < VNNI_CHAINS; k++) acc[k] = _mm256_dpbusd_avx_epi32(acc[k], w, y);
    }
    __m256i sum = acc[0];
    for (int k = 1; k < VNNI_CHAINS; k++) sum = _mm256_add_epi32(sum, acc[k]);
    return (uint32_t)_mm256_extract_epi32(sum, 0);
}

// MARK: - AVX-512 VNNI: vpdpbusd on 512 bits (64 products into 16 dwords)

enum { AVX512_CHAINS = 16 };

DSPY_PEAK_AVX512 static uint32_t loop_avx512_vnni(uint64_t iterations) {
    __m512i w = _mm512_set1_epi8(3), y = _mm512_set1_epi8(-5);
    __m512i acc[AVX512_CHAINS];
    for (int k = 0; k < AVX512_CHAINS; k++) acc[k] = _mm512_setzero_si512();
    for (uint64_t i = 0; i < iterations; i++) {
        TOUCH("v", w);
        for (int k = 0; k < AVX512_CHAINS; k++) acc[k] = _mm512_dpbusd_epi32(acc[k], w, y);
    }
    __m512i sum = acc[0];
    for (int k = 1; k < AVX512_CHAINS; k++) sum = _mm512_add_epi32(sum, acc[k]);
    return (uint32_t)_mm512_reduce_add_epi32(sum);
}
#endif

// MARK: - The paths and the timed run

typedef uint32_t (*peak_loop)(uint64_t iterations);

typedef struct {
    peak_loop loop;
    int counter;            // the DSPY_PATH_* hit once per thread that ran
    uint64_t per_iteration; // int8 multiply-adds of one iteration
} peak_path;

static peak_path path_of(int path) {
    switch (path) {
    case DSPY_PEAK_SCALAR: return (peak_path){loop_scalar, DSPY_PATH_PEAK_SCALAR, SCALAR_CHAINS};
#if DSPY_X86
    case DSPY_PEAK_AVX2: return (peak_path){loop_avx2, DSPY_PATH_PEAK_AVX2, AVX2_CHAINS * 32};
    case DSPY_PEAK_AVX_VNNI: return (peak_path){loop_avx_vnni, DSPY_PATH_PEAK_AVX_VNNI, VNNI_CHAINS * 32};
    case DSPY_PEAK_AVX512_VNNI: return (peak_path){loop_avx512_vnni, DSPY_PATH_PEAK_AVX512_VNNI, AVX512_CHAINS * 64};
#endif
    default: return (peak_path){NULL, -1, 0};
    }
}

int dspy_int8_peak_counter(int path) { return path_of(path).counter; }

int dspy_int8_peak_available(int path) {
    switch (path) {
    case DSPY_PEAK_SCALAR: return 1;
    case DSPY_PEAK_AVX2: return dspy_cpu_has_avx2_fma();
    case DSPY_PEAK_AVX_VNNI: return dspy_cpu_has_avx_vnni();
    case DSPY_PEAK_AVX512_VNNI: return dspy_cpu_has_avx512_vnni();
    default: return 0;
    }
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct {
    peak_path path;
    double deadline;
    _Atomic uint64_t iterations; // summed over the threads that ran
    _Atomic uint32_t checksum;   // keeps the accumulators' results alive
} peak_job;

// Every thread runs chunks until the shared deadline, so all stop together.
static void peak_worker(void *context, int ith, int nth) {
    (void)ith;
    (void)nth;
    peak_job *job = context;
    dspy_path_hit(job->path.counter);
    uint64_t done = 0;
    uint32_t checksum = 0;
    do {
        checksum += job->path.loop(CHUNK);
        done += CHUNK;
    } while (now_seconds() < job->deadline);
    atomic_fetch_add_explicit(&job->iterations, done, memory_order_relaxed);
    atomic_fetch_add_explicit(&job->checksum, checksum, memory_order_relaxed);
}

double dspy_int8_peak(dspy_pool *pool, int path, double seconds) {
    if (!dspy_int8_peak_available(path)) return 0;
    peak_job job = {.path = path_of(path)};
    atomic_init(&job.iterations, 0);
    atomic_init(&job.checksum, 0);
    double start = now_seconds();
    job.deadline = start + seconds;
    dspy_pool_run(pool, peak_worker, &job);
    double elapsed = now_seconds() - start;
    double multiply_adds = (double)atomic_load(&job.iterations) * (double)job.path.per_iteration;
    return elapsed > 0 ? multiply_adds / elapsed : 0;
}
