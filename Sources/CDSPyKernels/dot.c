// Portable dot products of one quantized weight row against Q8 activation rows. They perform
// the float operations of the AVX2 kernels (and llama.cpp's) in the same order: eight lanes of
// four-element integer sums, each accumulated with a fused multiply-add, summed as hsum_ps
// sums a vector; Q4_1's minimum terms fused into their own sum. So results are bit-identical.
#include "internal.h"
#include "lanes_scalar.h"

#include <math.h>

#pragma STDC FP_CONTRACT OFF

// Element e of a 4-bit block: low nibbles are elements 0…15, high nibbles 16…31.
static inline int nibble(const uint8_t *qs, int e) { return e < 16 ? qs[e] & 0x0F : qs[e - 16] >> 4; }

void dspy_dot_q4_0_scalar(const void *wv, const dspy_block_q8 *xq, int xs, int n, float *out,
                          int os, int blocks) {
    const dspy_block_q4_0 *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        float acc[8] = {0};
        for (int b = 0; b < blocks; b++) {
            float d = dspy_fp16_to_fp32(w[b].d) * x[b].d;
            for (int k = 0; k < 8; k++) {
                int si = 0;
                for (int e = 4 * k; e < 4 * k + 4; e++) si += (nibble(w[b].qs, e) - 8) * x[b].qs[e];
                acc[k] = fmaf(d, (float)si, acc[k]);
            }
        }
        out[(size_t)t * os] = dspy_hsum8(acc);
    }
}

void dspy_dot_q4_1_scalar(const void *wv, const dspy_block_q8 *xq, int xs, int n, float *out,
                          int os, int blocks) {
    const dspy_block_q4_1 *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        float acc[8] = {0}, mins = 0;
        for (int b = 0; b < blocks; b++) {
            float d = dspy_fp16_to_fp32(w[b].d) * x[b].d;
            for (int k = 0; k < 8; k++) {
                int si = 0;
                for (int e = 4 * k; e < 4 * k + 4; e++) si += nibble(w[b].qs, e) * x[b].qs[e];
                acc[k] = fmaf(d, (float)si, acc[k]);
            }
            mins = fmaf(dspy_fp16_to_fp32(w[b].m), x[b].s, mins);
        }
        out[(size_t)t * os] = dspy_hsum8(acc) + mins;
    }
}

void dspy_dot_q8_0_scalar(const void *wv, const dspy_block_q8 *xq, int xs, int n, float *out,
                          int os, int blocks) {
    const dspy_block_q8_0 *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        float acc[8] = {0};
        for (int b = 0; b < blocks; b++) {
            float d = dspy_fp16_to_fp32(w[b].d) * x[b].d;
            for (int k = 0; k < 8; k++) {
                int si = 0;
                for (int e = 4 * k; e < 4 * k + 4; e++) si += w[b].qs[e] * x[b].qs[e];
                acc[k] = fmaf(d, (float)si, acc[k]);
            }
        }
        out[(size_t)t * os] = dspy_hsum8(acc);
    }
}
