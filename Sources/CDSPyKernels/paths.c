// Counts which kernel variant each dispatch picked, so tests can prove which vector paths
// ran (and that a comparison between two settings really compared two different paths).
// The counters are per thread: a test that runs kernels without a pool (they then run on
// the calling thread) reads exactly its own dispatches, whatever other tests run meanwhile.
// One increment per dispatch (per matrix chunk or attention job), not per element.
#include "internal.h"

static _Thread_local uint64_t counts[DSPY_PATH_COUNT];

static const char *const names[DSPY_PATH_COUNT] = {
    [DSPY_PATH_DOT_SCALAR] = "dot-scalar",
    [DSPY_PATH_DOT_AVX2] = "dot-avx2",
    [DSPY_PATH_DOT_VNNI] = "dot-avx-vnni",
    [DSPY_PATH_LANES_AVX2] = "lanes-avx2",
    [DSPY_PATH_LANES_VNNI] = "lanes-avx-vnni",
    [DSPY_PATH_LANES2_AVX512] = "lanes2-avx512-vnni",
    [DSPY_PATH_DOT_FLOAT_SCALAR] = "float-dot-scalar",
    [DSPY_PATH_DOT_FLOAT_AVX2] = "float-dot-avx2",
    [DSPY_PATH_ATTEND_SCALAR] = "attend-scalar",
    [DSPY_PATH_ATTEND_AVX2] = "attend-avx2",
    [DSPY_PATH_ATTEND_GROUP_AVX512] = "attend-grouped-avx512",
    [DSPY_PATH_TILED_SCALAR] = "tiled-scalar",
    [DSPY_PATH_TILED_AVX2] = "tiled-avx2",
    [DSPY_PATH_Q5_SCALAR] = "q5-dot-scalar",
    [DSPY_PATH_Q5_AVX2] = "q5-dot-avx2",
    [DSPY_PATH_KQUANT_SCALAR] = "kquant-dot-scalar",
    [DSPY_PATH_KQUANT_AVX2] = "kquant-dot-avx2",
    [DSPY_PATH_KQUANT_TILED_SCALAR] = "kquant-tiled-scalar",
    [DSPY_PATH_KQUANT_TILED_AVX2] = "kquant-tiled-avx2",
    [DSPY_PATH_FLOAT_VEC_SCALAR] = "float-vec-dot-scalar",
    [DSPY_PATH_FLOAT_VEC_AVX2] = "float-vec-dot-avx2",
    [DSPY_PATH_ORDER_SWIGLU_AVX2] = "swiglu-order-avx2",
    [DSPY_PATH_ORDER_SWIGLU_AVX512] = "swiglu-order-avx512",
    [DSPY_PATH_ORDER_F16_DOT_AVX2] = "f16-dot-order-avx2",
    [DSPY_PATH_ORDER_F16_DOT_AVX512] = "f16-dot-order-avx512",
    [DSPY_PATH_ORDER_SOFTMAX_AVX2] = "softmax-order-avx2",
    [DSPY_PATH_ORDER_SOFTMAX_AVX512] = "softmax-order-avx512",
    [DSPY_PATH_Q5_LANES_AVX2] = "q5-lanes-avx2",
    [DSPY_PATH_PEAK_SCALAR] = "peak-scalar",
    [DSPY_PATH_PEAK_AVX2] = "peak-avx2",
    [DSPY_PATH_PEAK_AVX_VNNI] = "peak-avx-vnni",
    [DSPY_PATH_PEAK_AVX512_VNNI] = "peak-avx512-vnni",
};

void dspy_path_hit(int path) {
    if (path >= 0 && path < DSPY_PATH_COUNT) counts[path]++;
}

void dspy_path_counts_reset(void) {
    for (int i = 0; i < DSPY_PATH_COUNT; i++) counts[i] = 0;
}

uint64_t dspy_path_count(int path) {
    return path >= 0 && path < DSPY_PATH_COUNT ? counts[path] : 0;
}

void dspy_path_counts_snapshot(uint64_t *out) {
    for (int i = 0; i < DSPY_PATH_COUNT; i++) out[i] = counts[i];
}

void dspy_path_counts_add_since(const uint64_t *before, const uint64_t *now, uint64_t *into) {
    for (int i = 0; i < DSPY_PATH_COUNT; i++) into[i] += now[i] - before[i];
}

void dspy_path_counts_merge(const uint64_t *delta) {
    for (int i = 0; i < DSPY_PATH_COUNT; i++) counts[i] += delta[i];
}

const char *dspy_path_name(int path) { return path >= 0 && path < DSPY_PATH_COUNT ? names[path] : "unknown"; }
