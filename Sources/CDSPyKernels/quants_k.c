// The encodings added for llama.cpp's full set of common types: dequantization of Q5_0, Q5_1,
// Q5_K and BF16 (the reference order of ggml-quants.c: products then sums, never fused), the
// Q8_K activation quantizer of K-quant products, and bfloat16 conversions.
#include "internal.h"

#include <math.h>
#include <string.h>

// ggml-base, whose reference code these reproduce, is built without FMA: keep every multiply
// and add separately rounded.
#pragma STDC FP_CONTRACT OFF

float dspy_bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t dspy_fp32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 64);  // NaN: force quiet
    return (uint16_t)((u + (0x7FFFu + ((u >> 16) & 1))) >> 16);
}

void dspy_fp32_to_bf16_row(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = dspy_fp32_to_bf16(x[i]);
}

void dspy_k_scale_min(int j, const uint8_t *q, uint8_t *scale, uint8_t *min) {
    if (j < 4) {
        *scale = q[j] & 63;
        *min = q[j + 4] & 63;
    } else {
        *scale = (uint8_t)((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4));
        *min = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

static uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

// Q5_0: element j < 16 is the low nibble of qs[j] plus 16 × bit j of qh, element j + 16 the high
// nibble plus 16 × bit j + 16; the value is (that - 16) × d.
void dspy_dequantize_q5_0(const void *src, float *y, int64_t blocks) {
    const dspy_block_q5_0 *b = src;
    for (int64_t i = 0; i < blocks; i++, y += 32) {
        float d = dspy_fp16_to_fp32(b[i].d);
        uint32_t qh = load_u32(b[i].qh);
        for (int j = 0; j < 16; j++) {
            int lo = (int)((b[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4)) - 16;
            int hi = (int)((b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            y[j] = (float)lo * d;
            y[j + 16] = (float)hi * d;
        }
    }
}

// Q5_1: the same 5-bit values, unsigned, times d plus the minimum m.
void dspy_dequantize_q5_1(const void *src, float *y, int64_t blocks) {
    const dspy_block_q5_1 *b = src;
    for (int64_t i = 0; i < blocks; i++, y += 32) {
        float d = dspy_fp16_to_fp32(b[i].d), m = dspy_fp16_to_fp32(b[i].m);
        uint32_t qh = load_u32(b[i].qh);
        for (int j = 0; j < 16; j++) {
            int lo = (int)((b[i].qs[j] & 0x0F) | (((qh >> j) & 1) << 4));
            int hi = (int)((b[i].qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
            float plo = (float)lo * d, phi = (float)hi * d;
            y[j] = plo + m;
            y[j + 16] = phi + m;
        }
    }
}

// Q5_K: Q4_K's layout with a fifth bit per element in qh (bit 2c for the low nibbles of 64-element
// chunk c, bit 2c + 1 for its high nibbles): w = d·sc·q − dmin·m.
void dspy_dequantize_q5_k(const void *src, float *y, int64_t blocks) {
    const dspy_block_q5_k *b = src;
    for (int64_t i = 0; i < blocks; i++) {
        float d = dspy_fp16_to_fp32(b[i].d), dmin = dspy_fp16_to_fp32(b[i].dmin);
        const uint8_t *ql = b[i].qs, *qh = b[i].qh;
        for (int c = 0; c < 4; c++, ql += 32) {
            uint8_t sc, m;
            dspy_k_scale_min(2 * c, b[i].scales, &sc, &m);
            float d1 = d * (float)sc, m1 = dmin * (float)m;
            dspy_k_scale_min(2 * c + 1, b[i].scales, &sc, &m);
            float d2 = d * (float)sc, m2 = dmin * (float)m;
            for (int l = 0; l < 32; l++) {
                float p = d1 * (float)((ql[l] & 0x0F) + ((qh[l] >> (2 * c)) & 1) * 16);
                *y++ = p - m1;
            }
            for (int l = 0; l < 32; l++) {
                float p = d2 * (float)((ql[l] >> 4) + ((qh[l] >> (2 * c + 1)) & 1) * 16);
                *y++ = p - m2;
            }
        }
    }
}

// ggml's nearest_int: adding 1.5 × 2^23 leaves the rounded integer (ties to even) in the low
// mantissa bits. Valid for |v| < 2^22.
static inline int nearest_int(float v) {
    float shifted = v + 12582912.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    return (bits & 0x007FFFFF) - 0x00400000;
}

static void quantize_q8_k_row(const float *x, dspy_block_q8_k *y, int blocks) {
    for (int b = 0; b < blocks; b++, x += 256) {
        float max = 0, amax = 0;
        for (int j = 0; j < 256; j++) {
            float ax = fabsf(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        if (amax == 0) {
            memset(&y[b], 0, sizeof y[b]);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < 256; j++) {
            float scaled = iscale * x[j];
            int v = nearest_int(scaled);
            y[b].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += y[b].qs[16 * j + i];
            y[b].bsums[j] = (int16_t)sum;
        }
        y[b].d = 1 / iscale;
    }
}

void dspy_quantize_q8_k(const float *x, int x_stride, dspy_block_q8_k *y, int rows, int cols) {
    int blocks = cols / 256;
    for (int r = 0; r < rows; r++) quantize_q8_k_row(x + (size_t)r * x_stride, y + (size_t)r * blocks, blocks);
}
