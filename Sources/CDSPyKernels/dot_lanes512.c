// AVX-512 lane kernels: two weight rows against eight tokens per pass, row A in lanes
// 0-7 and row B in lanes 8-15 of each 512-bit register (see dot_lanes.inc for the lane
// layout). Every lane does the same integer products, conversions, multiplies and FMAs,
// in the same order, as the one-token kernels do for its row, so results are identical
// bit for bit; a 512-bit instruction just does two rows' work.
//
// AVX-512 has no byte sign instruction, so signed weights (Q8_0) and Q4_0's offset nibbles
// use unsigned bytes and start from the offset's share: (w + 128)·y − 128·Σy and u·y − 8·Σy,
// with −128·Σy (Σy: each token's sum of the group's four activation bytes) computed once
// per product by dspy_lanes_bias_fill, not once per row. Integer sums are exact, so the
// partial sums equal the AVX2 kernels'.
#include "internal.h"

#if DSPY_X86
#include <immintrin.h>

#define DSPY_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,avx2,fma,f16c")))

enum { PLAIN, Q4_0_OFFSET, Q8_0_OFFSET };

// One block's 32 weight bytes of rows A and B as unsigned bytes (4-bit values, or Q8_0's
// w + 128): dwords 0-3 in `lo` and 4-7 in `hi`, each laid out [A | A | B | B] by 128-bit lane,
// so that one in-lane shuffle puts dword k of row A in lanes 0-7 and of row B in lanes 8-15.
typedef struct {
    __m512i lo, hi;
} weight_pair;

DSPY_AVX512 static inline __m512i quads(const void *a, const void *b) {
    return _mm512_mask_broadcast_i32x4(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)a)), 0xFF00,
                                       _mm_loadu_si128((const __m128i *)b));
}

// Q4_0 and Q4_1: element j is the low nibble of byte j and element j + 16 its high nibble.
DSPY_AVX512 static inline weight_pair nibble_pair(const uint8_t *qa, const uint8_t *qb) {
    __m512i raw = quads(qa, qb), mask = _mm512_set1_epi8(0x0F);
    return (weight_pair){_mm512_and_si512(raw, mask), _mm512_and_si512(_mm512_srli_epi16(raw, 4), mask)};
}

DSPY_AVX512 static inline weight_pair biased_pair(const int8_t *qa, const int8_t *qb) {
    __m512i bias = _mm512_set1_epi8((char)0x80);
    return (weight_pair){_mm512_xor_si512(quads(qa, qb), bias), _mm512_xor_si512(quads(qa + 16, qb + 16), bias)};
}

// Lanes 0-7 = a, 8-15 = b.
DSPY_AVX512 static inline __m512 pair_ps(float a, float b) {
    return _mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1);
}

DSPY_AVX512 static inline __m512 twice_ps(const float *v) {
    return _mm512_broadcast_f32x8(_mm256_loadu_ps(v));
}

// One block: the eight group accumulators for the weight pair w; `bias` is the block's
// offset terms for Q4_0 and Q8_0.
#define LANES2_STEP(k, half)                                                                          \
    do {                                                                                              \
        __m512i wk = _mm512_shuffle_epi32(w.half, (_MM_PERM_ENUM)(0x55 * ((k) & 3)));                 \
        __m512i y = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)x->qs[k]));            \
        __m512i start = _mm512_setzero_si512();                                                       \
        if (offset != PLAIN) {                                                                        \
            start = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)bias->v[k]));          \
            if (offset == Q4_0_OFFSET) start = _mm512_srai_epi32(start, 4); /* −128·Σy / 16 = −8·Σy */ \
        }                                                                                             \
        acc[k] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(start, wk, y)), acc[k]); \
    } while (0)

DSPY_AVX512 static inline void lanes2_block(__m512 acc[8], weight_pair w, const dspy_block_q8_lanes *x,
                                            const dspy_lanes_bias *bias, __m512 scale, int offset) {
    LANES2_STEP(0, lo); LANES2_STEP(1, lo); LANES2_STEP(2, lo); LANES2_STEP(3, lo);
    LANES2_STEP(4, hi); LANES2_STEP(5, hi); LANES2_STEP(6, hi); LANES2_STEP(7, hi);
}
#undef LANES2_STEP

// Sums the group accumulators as the one-token kernels' horizontal sum does, adds `tail` if any,
// and writes row A's first n lanes to outA and row B's to outB.
DSPY_AVX512 static inline void lanes2_store(const __m512 a[8], const __m512 *tail, float *outA, float *outB, int os,
                                            int n) {
    __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a[0], a[4]), _mm512_add_ps(a[2], a[6])),
                               _mm512_add_ps(_mm512_add_ps(a[1], a[5]), _mm512_add_ps(a[3], a[7])));
    float v[16];
    _mm512_storeu_ps(v, tail ? _mm512_add_ps(sum, *tail) : sum);
    for (int t = 0; t < n; t++) {
        outA[(size_t)t * os] = v[t];
        outB[(size_t)t * os] = v[8 + t];
    }
}

#define LANES2_BEGIN                                          \
    __m512 acc[8];                                            \
    for (int k = 0; k < 8; k++) acc[k] = _mm512_setzero_ps();

// Rows A and B are adjacent (B = A + one row) and later calls take the rows after them:
// fetching the pair after next (rows A + 4 and A + 5) while this pair computes hides the
// weights' memory latency, which otherwise stalls these kernels (perf: at the weight loads).
DSPY_AVX512 static inline void prefetch_pair_after_next(const void *wa, const void *wb, size_t offset) {
    const char *a = wa, *b = wb;
    ptrdiff_t row = b - a;
    _mm_prefetch(b + 3 * row + offset, _MM_HINT_T0);
    _mm_prefetch(b + 4 * row + offset, _MM_HINT_T0);
}

DSPY_AVX512 void dspy_dot_q4_1_lanes2_avx512(const void *wav, const void *wbv, const dspy_block_q8_lanes *x,
                                             const dspy_lanes_bias *bias, int blocks, float *outA, float *outB,
                                             int os, int n) {
    const dspy_block_q4_1 *wa = wav, *wb = wbv;
    (void)bias;  // Q4_1's weights are unsigned: no offset
    LANES2_BEGIN
    __m512 tail = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        __m512 scale = _mm512_mul_ps(pair_ps(_cvtsh_ss(wa[b].d), _cvtsh_ss(wb[b].d)), twice_ps(x[b].d));
        tail = _mm512_fmadd_ps(pair_ps(_cvtsh_ss(wa[b].m), _cvtsh_ss(wb[b].m)), twice_ps(x[b].s), tail);
        prefetch_pair_after_next(wa, wb, sizeof *wa * (size_t)b);
        lanes2_block(acc, nibble_pair(wa[b].qs, wb[b].qs), &x[b], NULL, scale, PLAIN);
    }
    lanes2_store(acc, &tail, outA, outB, os, n);
}

// The kernels of signed weights (Q4_0's offset nibbles, Q8_0's bytes) differ only in the
// block type and how its bytes become unsigned.
#define LANES2_SIGNED(NAME, BLOCK, PAIR, OFFSET)                                                         \
    DSPY_AVX512 void NAME(const void *wav, const void *wbv, const dspy_block_q8_lanes *x,                 \
                          const dspy_lanes_bias *bias, int blocks, float *outA, float *outB, int os, int n) { \
        const BLOCK *wa = wav, *wb = wbv;                                                                 \
        LANES2_BEGIN                                                                                      \
        for (int b = 0; b < blocks; b++) {                                                                \
            __m512 scale = _mm512_mul_ps(pair_ps(_cvtsh_ss(wa[b].d), _cvtsh_ss(wb[b].d)), twice_ps(x[b].d)); \
            prefetch_pair_after_next(wa, wb, sizeof *wa * (size_t)b);                                     \
            lanes2_block(acc, PAIR(wa[b].qs, wb[b].qs), &x[b], &bias[b], scale, OFFSET);                  \
        }                                                                                                 \
        lanes2_store(acc, NULL, outA, outB, os, n);                                                       \
    }

LANES2_SIGNED(dspy_dot_q4_0_lanes2_avx512, dspy_block_q4_0, nibble_pair, Q4_0_OFFSET)
LANES2_SIGNED(dspy_dot_q8_0_lanes2_avx512, dspy_block_q8_0, biased_pair, Q8_0_OFFSET)
#undef LANES2_SIGNED
#endif
