// Scalar dequantization of ggml block formats, half-precision conversion, and the
// portable activation quantizer. Block layouts are ggml's file formats.
#include "internal.h"

#include <math.h>
#include <string.h>

// llama.cpp's reference dequantizers round every product and sum separately (no FMA).
#pragma STDC FP_CONTRACT OFF

float dspy_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {
            float f = (float)mantissa * (1.0f / 16777216.0f);  // subnormal: m * 2^-24
            return sign ? -f : f;
        }
    } else if (exponent == 31) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint16_t dspy_fp32_to_fp16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t absx = x & 0x7FFFFFFFu;
    if (absx > 0x7F800000u) return sign | 0x7E00;          // NaN
    if (absx >= 0x47800000u) return sign | 0x7C00;         // >= 65536 (and inf): inf
    if (absx < 0x38800000u) {                              // below 2^-14: subnormal or zero
        float a;
        memcpy(&a, &absx, sizeof a);
        return sign | (uint16_t)nearbyintf(a * 16777216.0f);
    }
    uint32_t mantissa = absx & 0x7FFFFFu;
    uint32_t h = (((absx >> 23) - 112) << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++;  // may carry into inf: correct
    return sign | (uint16_t)h;
}

static void fp32_to_fp16_row_scalar(const float *x, uint16_t *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] = dspy_fp32_to_fp16(x[i]);
}

static void dequantize_q4_0(const dspy_block_q4_0 *b, float *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++, y += 32) {
        float d = dspy_fp16_to_fp32(b[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((b[i].qs[j] & 0x0F) - 8) * d;
            y[j + 16] = (float)((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

static void dequantize_q4_1(const dspy_block_q4_1 *b, float *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++, y += 32) {
        float d = dspy_fp16_to_fp32(b[i].d), m = dspy_fp16_to_fp32(b[i].m);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(b[i].qs[j] & 0x0F) * d + m;
            y[j + 16] = (float)(b[i].qs[j] >> 4) * d + m;
        }
    }
}

static void dequantize_q8_0(const dspy_block_q8_0 *b, float *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++, y += 32) {
        float d = dspy_fp16_to_fp32(b[i].d);
        for (int j = 0; j < 32; j++) y[j] = (float)b[i].qs[j] * d;
    }
}

static void dequantize_q4_k(const dspy_block_q4_k *b, float *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++) {
        float d = dspy_fp16_to_fp32(b[i].d), dmin = dspy_fp16_to_fp32(b[i].dmin);
        const uint8_t *q = b[i].qs;
        for (int j = 0; j < 8; j += 2, q += 32) {
            uint8_t sc, m;
            dspy_k_scale_min(j, b[i].scales, &sc, &m);
            float d1 = d * sc, m1 = dmin * m;
            dspy_k_scale_min(j + 1, b[i].scales, &sc, &m);
            float d2 = d * sc, m2 = dmin * m;
            for (int l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0x0F) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
        }
    }
}

static void dequantize_q6_k(const dspy_block_q6_k *b, float *y, int64_t blocks) {
    for (int64_t i = 0; i < blocks; i++) {
        float d = dspy_fp16_to_fp32(b[i].d);
        const uint8_t *ql = b[i].ql, *qh = b[i].qh;
        const int8_t *sc = b[i].scales;
        for (int half = 0; half < 2; half++, y += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = (int)((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
                int q2 = (int)((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
                int q3 = (int)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                int q4 = (int)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = d * (float)sc[is] * (float)q1;
                y[l + 32] = d * (float)sc[is + 2] * (float)q2;
                y[l + 64] = d * (float)sc[is + 4] * (float)q3;
                y[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
        }
    }
}

int dspy_dequantize(int type, const void *src, float *dst, int64_t n) {
    switch (type) {
    case DSPY_TYPE_F32: memcpy(dst, src, (size_t)n * sizeof(float)); return 0;
    case DSPY_TYPE_F16: {
        const uint16_t *h = src;
        for (int64_t i = 0; i < n; i++) dst[i] = dspy_fp16_to_fp32(h[i]);
        return 0;
    }
    case DSPY_TYPE_Q4_0: dequantize_q4_0(src, dst, n / 32); return 0;
    case DSPY_TYPE_Q4_1: dequantize_q4_1(src, dst, n / 32); return 0;
    case DSPY_TYPE_Q8_0: dequantize_q8_0(src, dst, n / 32); return 0;
    case DSPY_TYPE_Q5_0: dspy_dequantize_q5_0(src, dst, n / 32); return 0;
    case DSPY_TYPE_Q5_1: dspy_dequantize_q5_1(src, dst, n / 32); return 0;
    case DSPY_TYPE_Q4_K: dequantize_q4_k(src, dst, n / 256); return 0;
    case DSPY_TYPE_Q5_K: dspy_dequantize_q5_k(src, dst, n / 256); return 0;
    case DSPY_TYPE_Q6_K: dequantize_q6_k(src, dst, n / 256); return 0;
    case DSPY_TYPE_BF16: {
        const uint16_t *h = src;
        for (int64_t i = 0; i < n; i++) dst[i] = dspy_bf16_to_fp32(h[i]);
        return 0;
    }
    default: return -1;
    }
}

// Rounds a scale through half precision, as llama.cpp stores activation block scales.
static inline float round_half(float f) { return dspy_fp16_to_fp32(dspy_fp32_to_fp16(f)); }

static void quantize_q8_scalar(const float *x, dspy_block_q8 *y, int cols) {
    for (int b = 0; b < cols / 32; b++, x += 32) {
        float amax = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f;
        float id = amax != 0 ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int q = (int)nearbyintf(x[j] * id);
            y[b].qs[j] = (int8_t)q;
            sum += q;
        }
        y[b].d = round_half(d);
        y[b].s = round_half(d * (float)sum);
    }
}

void dspy_quantize_q8(const float *x, int x_stride, dspy_block_q8 *y, int rows, int cols) {
    int blocks = cols / 32;
    for (int r = 0; r < rows; r++) {
#if DSPY_X86
        if (dspy_kernels_use_avx2()) {
            dspy_quantize_q8_avx2(x + (size_t)r * x_stride, y + (size_t)r * blocks, cols);
            continue;
        }
#endif
        quantize_q8_scalar(x + (size_t)r * x_stride, y + (size_t)r * blocks, cols);
    }
}

void dspy_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n) {
#if DSPY_X86
    if (dspy_kernels_use_avx2()) {
        dspy_fp32_to_fp16_row_avx2(x, y, n);
        return;
    }
#endif
    fp32_to_fp16_row_scalar(x, y, n);
}

void dspy_pack_q8_lanes(const dspy_block_q8 *xq, int xs, int n, int blocks, dspy_block_q8_lanes *out) {
    memset(out, 0, sizeof *out * (size_t)blocks);
    for (int t = 0; t < n; t++) {
        const dspy_block_q8 *x = xq + (size_t)t * xs;
        for (int b = 0; b < blocks; b++) {
            for (int k = 0; k < 8; k++) memcpy(&out[b].qs[k][4 * t], &x[b].qs[4 * k], 4);
            out[b].d[t] = x[b].d;
            out[b].s[t] = x[b].s;
        }
    }
}

// v[k][t] = factor × the sum of token t's four activation bytes of group k.
static void group_sums_fill(const dspy_block_q8_lanes *x, int count, int factor, dspy_lanes_bias *out) {
    for (int b = 0; b < count; b++)
        for (int k = 0; k < 8; k++)
            for (int t = 0; t < 8; t++) {
                const int8_t *q = &x[b].qs[k][4 * t];
                out[b].v[k][t] = factor * (q[0] + q[1] + q[2] + q[3]);
            }
}

void dspy_lanes_bias_fill(const dspy_block_q8_lanes *x, int count, dspy_lanes_bias *out) {
    group_sums_fill(x, count, -128, out);
}

void dspy_q5_offsets_fill(const dspy_block_q8_lanes *x, int count, dspy_lanes_bias *out) {
    group_sums_fill(x, count, -16, out);
}
