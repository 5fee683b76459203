// A portable check of CDSPyKernels' scalar path, for any architecture (run by
// scripts/kernels-portable/run, e.g. for aarch64 under qemu-user): a Q8_0 and a Q4_0
// matrix product against a float reference over the dequantized weights, fp16
// round trips, RMS norm and SwiGLU. Prints one line per check and exits 1 on a failure.
#include "CDSPyKernels.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 48, COLS = 128, TOKENS = 3 };

static uint64_t state = 0x9E3779B97F4A7C15ull;
static float next_float(void) {  // SplitMix64, uniform in [-1, 1)
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((z >> 40) / 8388608.0) - 1.0f;
}

static int failures = 0;
static void check(const char *name, int ok, double detail) {
    printf("%-34s %s (%g)\n", name, ok ? "ok" : "FAILED", detail);
    if (!ok) failures++;
}

/// ggml's Q8_0: per 32 weights an fp16 scale and 32 int8.
static void quantize_q8_0(const float *w, uint8_t *out, int n) {
    for (int b = 0; b < n / 32; b++) {
        float amax = 0;
        for (int i = 0; i < 32; i++) amax = fmaxf(amax, fabsf(w[b * 32 + i]));
        float d = amax / 127.0f;
        uint16_t dh = dspy_fp32_to_fp16(d);
        memcpy(out + b * 34, &dh, 2);
        for (int i = 0; i < 32; i++) out[b * 34 + 2 + i] = (uint8_t)(int8_t)lroundf(d ? w[b * 32 + i] / d : 0);
    }
}

/// ggml's Q4_0: per 32 weights an fp16 scale and 16 bytes of nibbles (value = d * (q - 8)).
static void quantize_q4_0(const float *w, uint8_t *out, int n) {
    for (int b = 0; b < n / 32; b++) {
        float max = 0;
        for (int i = 0; i < 32; i++) if (fabsf(w[b * 32 + i]) > fabsf(max)) max = w[b * 32 + i];
        float d = max / -8.0f;
        uint16_t dh = dspy_fp32_to_fp16(d);
        memcpy(out + b * 18, &dh, 2);
        for (int i = 0; i < 16; i++) {
            int lo = (int)fminf(15, fmaxf(0, lroundf(d ? w[b * 32 + i] / d : 0) + 8));
            int hi = (int)fminf(15, fmaxf(0, lroundf(d ? w[b * 32 + 16 + i] / d : 0) + 8));
            out[b * 18 + 2 + i] = (uint8_t)(lo | (hi << 4));
        }
    }
}

static void matmul_check(const char *name, int type, size_t block_bytes) {
    static float w[ROWS * COLS], x[TOKENS * COLS], deq[ROWS * COLS], out[TOKENS * ROWS];
    for (int i = 0; i < ROWS * COLS; i++) w[i] = next_float();
    for (int i = 0; i < TOKENS * COLS; i++) x[i] = next_float();
    size_t row_bytes = COLS / 32 * block_bytes;
    uint8_t *weights = calloc(ROWS, row_bytes);
    for (int r = 0; r < ROWS; r++) {
        if (type == DSPY_TYPE_Q8_0) quantize_q8_0(w + r * COLS, weights + r * row_bytes, COLS);
        else quantize_q4_0(w + r * COLS, weights + r * row_bytes, COLS);
    }
    int dq = dspy_dequantize(type, weights, deq, ROWS * COLS);
    dspy_block_q8 xq[TOKENS * COLS / 32];
    dspy_quantize_q8(x, COLS, xq, TOKENS, COLS);
    dspy_pool *pool = dspy_pool_create(2);
    float scratch[2 * COLS];
    dspy_matrix m = {type, weights, row_bytes, ROWS, COLS, out, ROWS};
    dspy_matmul(pool, &m, 1, x, COLS, xq, TOKENS, scratch);
    dspy_pool_destroy(pool);
    double worst = 0;
    for (int t = 0; t < TOKENS; t++)
        for (int r = 0; r < ROWS; r++) {
            double ref = 0;
            for (int c = 0; c < COLS; c++) ref += (double)deq[r * COLS + c] * x[t * COLS + c];
            worst = fmax(worst, fabs(ref - out[t * ROWS + r]));
        }
    // The activations are quantized to 8 bits: the products differ from the float reference
    // by well under 0.1 over 128 terms of magnitude < 1.
    check(name, dq == 0 && worst < 0.1, worst);
    free(weights);
}

int main(void) {
    printf("AVX2 kernels in use: %d (0 off x86)\n", dspy_kernels_use_avx2());
    matmul_check("matmul Q8_0 vs dequantized floats", DSPY_TYPE_Q8_0, 34);
    matmul_check("matmul Q4_0 vs dequantized floats", DSPY_TYPE_Q4_0, 18);

    int exact = 1;
    const float halves[] = {0.0f, 1.0f, -2.5f, 65504.0f, 0.000061035156f, 3.140625f};
    for (int i = 0; i < 6; i++) exact &= dspy_fp16_to_fp32(dspy_fp32_to_fp16(halves[i])) == halves[i];
    check("fp16 round trip of representable values", exact, 6);

    float v[64], weight[64], normed[64], sum = 0;
    for (int i = 0; i < 64; i++) { v[i] = next_float(); weight[i] = 1.0f; sum += v[i] * v[i]; }
    dspy_rmsnorm(v, 64, weight, normed, 64, 1, 64, 1e-6f);
    double rms_err = fabs(normed[5] - v[5] / sqrt(sum / 64 + 1e-6));
    check("rmsnorm", rms_err < 1e-5, rms_err);

    float gate[40], up[40], expect[40];
    for (int i = 0; i < 40; i++) {
        gate[i] = 4 * next_float(); up[i] = next_float();
        expect[i] = gate[i] / (1 + expf(-gate[i])) * up[i];
    }
    dspy_swiglu(gate, up, 40);
    double swiglu_err = 0;
    for (int i = 0; i < 40; i++) swiglu_err = fmax(swiglu_err, fabs(gate[i] - expect[i]));
    check("swiglu", swiglu_err < 1e-4, swiglu_err);

    printf("%s\n", failures ? "FAILED" : "all passed");
    return failures ? 1 : 0;
}
