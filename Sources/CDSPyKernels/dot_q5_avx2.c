// AVX2 products of Q5_0 weights with Q8_0 activations and Q5_1 weights with Q8_1 activations,
// in the float order of llama.cpp's AVX2 kernels (eight lanes of four-element integer sums, one
// fused multiply-add per block, Q5_1's minimum terms fused into their own sum); dot_kquant.c
// performs the same operations without vectors. Weight blocks are unpacked once for up to eight
// tokens. Called only after the CPU check.
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
