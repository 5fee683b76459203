// Portable dot products of one quantized weight row against Q8 activation rows.
#include "internal.h"

void dspy_dot_q4_0_scalar(const void *wv, const dspy_block_q8 *xq, int xs, int n, float *out,
                          int os, int blocks) {
    const dspy_block_q4_0 *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            int si = 0;
            for (int j = 0; j < 16; j++) {
                si += ((w[b].qs[j] & 0x0F) - 8) * x[b].qs[j];
                si += ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + 16];
            }
            sum += dspy_fp16_to_fp32(w[b].d) * x[b].d * (float)si;
        }
        out[(size_t)t * os] = sum;
    }
}

void dspy_dot_q4_1_scalar(const void *wv, const dspy_block_q8 *xq, int xs, int n, float *out,
                          int os, int blocks) {
    const dspy_block_q4_1 *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        float sum = 0, mins = 0;
        for (int b = 0; b < blocks; b++) {
            int si = 0;
            for (int j = 0; j < 16; j++) {
                si += (w[b].qs[j] & 0x0F) * x[b].qs[j];
                si += (w[b].qs[j] >> 4) * x[b].qs[j + 16];
            }
            sum += dspy_fp16_to_fp32(w[b].d) * x[b].d * (float)si;
            mins += dspy_fp16_to_fp32(w[b].m) * x[b].s;
        }
        out[(size_t)t * os] = sum + mins;
    }
}

void dspy_dot_q8_0_scalar(const void *wv, const dspy_block_q8 *xq, int xs, int n, float *out,
                          int os, int blocks) {
    const dspy_block_q8_0 *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            int si = 0;
            for (int j = 0; j < 32; j++) si += w[b].qs[j] * x[b].qs[j];
            sum += dspy_fp16_to_fp32(w[b].d) * x[b].d * (float)si;
        }
        out[(size_t)t * os] = sum;
    }
}

float dspy_dot_f32_scalar(const float *a, const float *b, int n) {
    float sum = 0;
    for (int i = 0; i < n; i++) sum += a[i] * b[i];
    return sum;
}
