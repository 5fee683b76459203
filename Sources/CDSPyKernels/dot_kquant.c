// Portable products for Q5_0, Q5_1, Q4_K, Q5_K and Q6_K weights that perform exactly the float
// operations of llama.cpp's AVX2 kernels (and of dot_q5_avx2.c, dot_kquant_avx2.c), in the same
// order: the vector lanes are arrays here, every fused multiply-add is fmaf, and the horizontal
// sums add the lanes as the vector code does. The integer parts are exact either way.
#include "internal.h"
#include "lanes_scalar.h"

#include <math.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

// MARK: - Q5_0 × Q8_0, Q5_1 × Q8_1

// Lane k of a 32-element block product holds elements 4k … 4k + 3 (maddubs, then madd with ones).
static void q5_lanes(const uint8_t *qs, const uint8_t *qh_bytes, int offset, const int8_t *y, int32_t lanes[8]) {
    uint32_t qh;
    memcpy(&qh, qh_bytes, sizeof qh);
    for (int k = 0; k < 8; k++) {
        int32_t sum = 0;
        for (int e = 4 * k; e < 4 * k + 4; e++) {
            int nibble = e < 16 ? qs[e] & 0x0F : qs[e - 16] >> 4;
            int v = (nibble | (int)((qh >> e) & 1) << 4) - offset;
            sum += v * y[e];
        }
        lanes[k] = sum;
    }
}

void dspy_dot_q5_0_scalar(const void *wv, const dspy_block_q8 *xq, int xs, int n, float *out, int os, int blocks) {
    const dspy_block_q5_0 *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        float acc[8] = {0};
        for (int b = 0; b < blocks; b++) {
            float d = dspy_fp16_to_fp32(w[b].d) * x[b].d;
            int32_t lanes[8];
            q5_lanes(w[b].qs, w[b].qh, 16, x[b].qs, lanes);
            for (int k = 0; k < 8; k++) acc[k] = fmaf(d, (float)lanes[k], acc[k]);
        }
        out[(size_t)t * os] = dspy_hsum8(acc);
    }
}

void dspy_dot_q5_1_scalar(const void *wv, const dspy_block_q8 *xq, int xs, int n, float *out, int os, int blocks) {
    const dspy_block_q5_1 *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        float acc[8] = {0}, mins = 0;
        for (int b = 0; b < blocks; b++) {
            mins = fmaf(dspy_fp16_to_fp32(w[b].m), x[b].s, mins);
            float d = dspy_fp16_to_fp32(w[b].d) * x[b].d;
            int32_t lanes[8];
            q5_lanes(w[b].qs, w[b].qh, 0, x[b].qs, lanes);
            for (int k = 0; k < 8; k++) acc[k] = fmaf((float)lanes[k], d, acc[k]);
        }
        out[(size_t)t * os] = dspy_hsum8(acc) + mins;
    }
}

// MARK: - K-quants × Q8_K

// The integer parts of one Q4_K or Q5_K super-block (qh NULL for Q4_K): lanes[k] = Σ over the
// four 64-element chunks c of sc[2c]·(elements 4k…4k+3 of the low half) + sc[2c+1]·(… of the
// high half), as llama.cpp's AVX2 kernel keeps them; mins[m] = m[2m]·B[2m] + m[2m+1]·B[2m+1]
// with B[j] the sum of sub-block j's activations.
static void k4_ints(const uint8_t *scales, const uint8_t *qs, const uint8_t *qh, const dspy_block_q8_k *y,
                    int32_t lanes[8], int32_t mins[4]) {
    uint8_t sc[8], mn[8];
    for (int j = 0; j < 8; j++) dspy_k_scale_min(j, scales, &sc[j], &mn[j]);
    for (int k = 0; k < 8; k++) lanes[k] = 0;
    for (int c = 0; c < 4; c++) {
        const uint8_t *q = qs + 32 * c;
        const int8_t *lo_y = y->qs + 64 * c, *hi_y = lo_y + 32;
        for (int k = 0; k < 8; k++) {
            int32_t lo = 0, hi = 0;
            for (int e = 4 * k; e < 4 * k + 4; e++) {
                int l = q[e] & 0x0F, h = q[e] >> 4;
                if (qh) {
                    l += ((qh[e] >> (2 * c)) & 1) << 4;
                    h += ((qh[e] >> (2 * c + 1)) & 1) << 4;
                }
                lo += l * lo_y[e];
                hi += h * hi_y[e];
            }
            lanes[k] += sc[2 * c] * lo + sc[2 * c + 1] * hi;
        }
    }
    for (int m = 0; m < 4; m++) {
        int32_t b0 = y->bsums[4 * m] + y->bsums[4 * m + 1], b1 = y->bsums[4 * m + 2] + y->bsums[4 * m + 3];
        mins[m] = mn[2 * m] * b0 + mn[2 * m + 1] * b1;
    }
}

// The integer lanes of one Q6_K super-block: for the 32-element chunk i of 128-half j, lane k
// gets sc[8j + 2i + (k ≥ 4)]·(elements 4k…4k+3, unsigned 6-bit quants); then every lane loses
// 32·(bsums[2k]·sc[2k] + bsums[2k+1]·sc[2k+1]), which makes the quants signed (q − 32).
static void q6_ints(const dspy_block_q6_k *x, const dspy_block_q8_k *y, int32_t lanes[8]) {
    for (int k = 0; k < 8; k++) lanes[k] = -32 * (y->bsums[2 * k] * x->scales[2 * k] + y->bsums[2 * k + 1] * x->scales[2 * k + 1]);
    for (int j = 0; j < 2; j++) {
        const uint8_t *ql = x->ql + 64 * j, *qh = x->qh + 32 * j;
        for (int i = 0; i < 4; i++) {
            const int8_t *yy = y->qs + 128 * j + 32 * i;
            for (int k = 0; k < 8; k++) {
                int32_t sum = 0;
                for (int e = 4 * k; e < 4 * k + 4; e++) {
                    int low = i & 1 ? ql[e + 32] : ql[e];
                    int q = (i < 2 ? low & 0x0F : low >> 4) | (((qh[e] >> (2 * i)) & 3) << 4);
                    sum += q * yy[e];
                }
                lanes[k] += x->scales[8 * j + 2 * i + (k >= 4)] * sum;
            }
        }
    }
}

void dspy_dot_q4_k_scalar(const void *wv, const dspy_block_q8_k *xq, int xs, int n, float *out, int os, int blocks) {
    const dspy_block_q4_k *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8_k *y = xq + (size_t)t * xs;
        float acc[8] = {0}, acc_m[4] = {0};
        for (int b = 0; b < blocks; b++) {
            float d = y[b].d * dspy_fp16_to_fp32(w[b].d);
            float dmin = -y[b].d * dspy_fp16_to_fp32(w[b].dmin);
            int32_t lanes[8], mins[4];
            k4_ints(w[b].scales, w[b].qs, NULL, &y[b], lanes, mins);
            for (int m = 0; m < 4; m++) acc_m[m] = fmaf(dmin, (float)mins[m], acc_m[m]);
            for (int k = 0; k < 8; k++) acc[k] = fmaf(d, (float)lanes[k], acc[k]);
        }
        out[(size_t)t * os] = dspy_hsum8(acc) + dspy_hsum4(acc_m);
    }
}

void dspy_dot_q5_k_scalar(const void *wv, const dspy_block_q8_k *xq, int xs, int n, float *out, int os, int blocks) {
    const dspy_block_q5_k *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8_k *y = xq + (size_t)t * xs;
        float acc[8] = {0}, mins_sum = 0;
        for (int b = 0; b < blocks; b++) {
            float d = y[b].d * dspy_fp16_to_fp32(w[b].d);
            float dmin = -y[b].d * dspy_fp16_to_fp32(w[b].dmin);
            int32_t lanes[8], mins[4];
            k4_ints(w[b].scales, w[b].qs, w[b].qh, &y[b], lanes, mins);
            mins_sum = fmaf(dmin, (float)(mins[0] + mins[1] + mins[2] + mins[3]), mins_sum);
            for (int k = 0; k < 8; k++) acc[k] = fmaf(d, (float)lanes[k], acc[k]);
        }
        out[(size_t)t * os] = dspy_hsum8(acc) + mins_sum;
    }
}

void dspy_dot_q6_k_scalar(const void *wv, const dspy_block_q8_k *xq, int xs, int n, float *out, int os, int blocks) {
    const dspy_block_q6_k *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8_k *y = xq + (size_t)t * xs;
        float acc[8] = {0};
        for (int b = 0; b < blocks; b++) {
            float d = y[b].d * dspy_fp16_to_fp32(w[b].d);
            int32_t lanes[8];
            q6_ints(&w[b], &y[b], lanes);
            for (int k = 0; k < 8; k++) acc[k] = fmaf(d, (float)lanes[k], acc[k]);
        }
        out[(size_t)t * os] = dspy_hsum8(acc);
    }
}

// llama.cpp's tiled matmul (AVX2 micro-kernel): per super-block the whole integer sums S1 =
// Σ sc·q·y and S2 = Σ m·B, then res = d·S1, res = res − dmin·S2 (fused), out += res·y.d (fused).

static inline float tiled_step(float out, float d, float dmin, int32_t s1, int32_t s2, float yd) {
    float res = d * (float)s1;
    res = fmaf(-dmin, (float)s2, res);
    return fmaf(res, yd, out);
}

void dspy_dot_q4_k_tiled_scalar(const void *wv, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                int blocks) {
    const dspy_block_q4_k *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8_k *y = xq + (size_t)t * xs;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            int32_t lanes[8], mins[4];
            k4_ints(w[b].scales, w[b].qs, NULL, &y[b], lanes, mins);
            int32_t s1 = 0, s2 = mins[0] + mins[1] + mins[2] + mins[3];
            for (int k = 0; k < 8; k++) s1 += lanes[k];
            sum = tiled_step(sum, dspy_fp16_to_fp32(w[b].d), dspy_fp16_to_fp32(w[b].dmin), s1, s2, y[b].d);
        }
        out[(size_t)t * os] = sum;
    }
}

void dspy_dot_q5_k_tiled_scalar(const void *wv, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                int blocks) {
    const dspy_block_q5_k *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8_k *y = xq + (size_t)t * xs;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            int32_t lanes[8], mins[4];
            k4_ints(w[b].scales, w[b].qs, w[b].qh, &y[b], lanes, mins);
            int32_t s1 = 0, s2 = mins[0] + mins[1] + mins[2] + mins[3];
            for (int k = 0; k < 8; k++) s1 += lanes[k];
            sum = tiled_step(sum, dspy_fp16_to_fp32(w[b].d), dspy_fp16_to_fp32(w[b].dmin), s1, s2, y[b].d);
        }
        out[(size_t)t * os] = sum;
    }
}

void dspy_dot_q6_k_tiled_scalar(const void *wv, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                int blocks) {
    const dspy_block_q6_k *w = wv;
    for (int t = 0; t < n; t++) {
        const dspy_block_q8_k *y = xq + (size_t)t * xs;
        float sum = 0;
        for (int b = 0; b < blocks; b++) {
            int32_t lanes[8], s1 = 0;
            q6_ints(&w[b], &y[b], lanes);
            for (int k = 0; k < 8; k++) s1 += lanes[k];
            float res = dspy_fp16_to_fp32(w[b].d) * (float)s1;
            sum = fmaf(res, y[b].d, sum);
        }
        out[(size_t)t * os] = sum;
    }
}
