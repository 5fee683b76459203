// AVX2 products of Q5_0 weights with Q8_0 activations and Q5_1 weights with Q8_1 activations,
// in the float order of llama.cpp's AVX2 kernels (eight lanes of four-element integer sums, one
// fused multiply-add per block, Q5_1's minimum terms fused into their own sum); dot_kquant.c
// performs the same operations without vectors. Weight blocks are unpacked once for up to eight
// tokens; batches of four or more Q5_0 tokens take the lane kernel, with the same results.
// Called only after the CPU check.
#include "avx2_common.h"

#if DSPY_X86

DSPY_AVX2 static INLINE void q5_0_group(const dspy_block_q5_0 *w, const dspy_block_q8 *xq, int xs, float *out, int os,
                                        int blocks, int t0, int count) {
    {
        __m256 acc[GROUP];
        for (int t = 0; t < count; t++) acc[t] = _mm256_setzero_ps();
        for (int b = 0; b < blocks; b++) {
            __m256i u = _mm256_or_si256(nibbles32(w[b].qs), fifth_bits(w[b].qh));
            float dw = HALF(w[b].d);
            for (int t = 0; t < count; t++) {
                const dspy_block_q8 *x = xq + (size_t)(t0 + t) * xs + b;
                __m256i y = LOAD_Y(x->qs);
                // (u − 16)·y, exact in 16 bits: u·y − 16·y.
                __m256i p = _mm256_sub_epi16(_mm256_maddubs_epi16(u, y), _mm256_maddubs_epi16(_mm256_set1_epi8(16), y));
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x->d), _mm256_cvtepi32_ps(pairs(p)), acc[t]);
            }
        }
        for (int t = 0; t < count; t++) out[(size_t)(t0 + t) * os] = hsum8(acc[t]);
    }
}

DSPY_AVX2 void dspy_dot_q5_0_avx2(const void *w, const dspy_block_q8 *xq, int xs, int n, float *out, int os,
                                  int blocks) {
    FOR_GROUPS(n, q5_0_group, (const dspy_block_q5_0 *)w, xq, xs, out, os, blocks)
}

// Four weight bytes broadcast to every lane straight from memory: a load, where the compiler's
// own choice (a shuffle and a cross-lane broadcast of a register) costs two vector operations.
DSPY_AVX2 static INLINE __m256i broadcast32(const int32_t *p) {
    __m256i v;
    __asm__("vpbroadcastd %1, %0" : "=x"(v) : "m"(*p));
    return v;
}

// Q5_0 rows against eight tokens at once, one token per lane, the activations regrouped as for
// the Q4_0/Q4_1/Q8_0 lane kernels (dot_lanes.inc explains why the float operations are those of
// the one-token kernel above, whatever the batch). The weights are kept unsigned (u = w + 16),
// so group k's integer sum is Σ u·y − 16·Σ y; the second term depends on the tokens only and
// comes precomputed in `offsets` (dspy_q5_offsets_fill): one add per group rather than a second
// byte product per token. Per block: the unpacking, one scale multiply, and eight groups of one
// broadcast load, two integer products, an add, a conversion and a fused multiply-add.
DSPY_AVX2 void dspy_dot_q5_0_lanes_avx2(const void *wv, const dspy_block_q8_lanes *x, const dspy_lanes_bias *offsets,
                                        int blocks, float *out, int os, int n) {
    const dspy_block_q5_0 *w = wv;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    for (int b = 0; b < blocks; b++) {
        DSPY_ALIGN32 int32_t u[8];
        _mm256_store_si256((__m256i *)u, _mm256_or_si256(nibbles32(w[b].qs), fifth_bits(w[b].qh)));
        __m256 scale = _mm256_mul_ps(_mm256_set1_ps(HALF(w[b].d)), _mm256_loadu_ps(x[b].d));
        const __m256i *o = (const __m256i *)offsets[b].v;
#define Q5_GROUP(k, a)                                                                                       \
    a = _mm256_fmadd_ps(                                                                                     \
        scale,                                                                                               \
        _mm256_cvtepi32_ps(_mm256_add_epi32(                                                                 \
            _mm256_madd_epi16(_mm256_maddubs_epi16(broadcast32(&u[k]), LOAD_Y(x[b].qs[k])), ones),          \
            _mm256_load_si256(o + (k)))),                                                                    \
        a)
        Q5_GROUP(0, a0);
        Q5_GROUP(1, a1);
        Q5_GROUP(2, a2);
        Q5_GROUP(3, a3);
        Q5_GROUP(4, a4);
        Q5_GROUP(5, a5);
        Q5_GROUP(6, a6);
        Q5_GROUP(7, a7);
#undef Q5_GROUP
    }
    // The groups summed as hsum8 sums one accumulator's lanes: ((0+4)+(2+6))+((1+5)+(3+7)).
    __m256 r = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a4), _mm256_add_ps(a2, a6)),
                             _mm256_add_ps(_mm256_add_ps(a1, a5), _mm256_add_ps(a3, a7)));
    float v[8];
    _mm256_storeu_ps(v, r);
    for (int t = 0; t < n; t++) out[(size_t)t * os] = v[t];
}

DSPY_AVX2 static INLINE void q5_1_group(const dspy_block_q5_1 *w, const dspy_block_q8 *xq, int xs, float *out, int os,
                                        int blocks, int t0, int count) {
    {
        __m256 acc[GROUP];
        float mins[GROUP];
        for (int t = 0; t < count; t++) {
            acc[t] = _mm256_setzero_ps();
            mins[t] = 0;
        }
        for (int b = 0; b < blocks; b++) {
            __m256i u = _mm256_or_si256(nibbles32(w[b].qs), fifth_bits(w[b].qh));
            float dw = HALF(w[b].d), mw = HALF(w[b].m);
            for (int t = 0; t < count; t++) {
                const dspy_block_q8 *x = xq + (size_t)(t0 + t) * xs + b;
                mins[t] = fmaf(mw, x->s, mins[t]);
                __m256 q = _mm256_cvtepi32_ps(pairs(_mm256_maddubs_epi16(u, LOAD_Y(x->qs))));
                acc[t] = _mm256_fmadd_ps(q, _mm256_set1_ps(dw * x->d), acc[t]);
            }
        }
        for (int t = 0; t < count; t++) out[(size_t)(t0 + t) * os] = hsum8(acc[t]) + mins[t];
    }
}

DSPY_AVX2 void dspy_dot_q5_1_avx2(const void *w, const dspy_block_q8 *xq, int xs, int n, float *out, int os,
                                  int blocks) {
    FOR_GROUPS(n, q5_1_group, (const dspy_block_q5_1 *)w, xq, xs, out, os, blocks)
}
#endif
