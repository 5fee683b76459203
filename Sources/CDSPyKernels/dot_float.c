// Portable products for F32, F16 and BF16 weights that perform exactly the float operations of
// llama.cpp's AVX2 ggml_vec_dot_* and tinyBLAS kernels (and of dot_float_avx2.c), in the same
// order: lanes as arrays, fused multiply-adds as fmaf, the reductions as the vector code does.
#include "internal.h"
#include "lanes_scalar.h"

#include <math.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

// MARK: - F32, F16, BF16

typedef float (*element_reader)(const void *p, int i);
static float read_f32(const void *p, int i) { return ((const float *)p)[i]; }
static float read_f16(const void *p, int i) { return dspy_fp16_to_fp32(((const uint16_t *)p)[i]); }
static float read_bf16(const void *p, int i) { return dspy_bf16_to_fp32(((const uint16_t *)p)[i]); }

// ggml_vec_dot_f32/f16/bf16's main loop: four 8-lane accumulators over runs of 32 elements.
static void four_accumulators(const void *a, const void *b, int np, element_reader get, float s[4][8]) {
    memset(s, 0, sizeof(float) * 32);
    for (int i = 0; i < np; i += 32)
        for (int j = 0; j < 4; j++)
            for (int l = 0; l < 8; l++) s[j][l] = fmaf(get(a, i + 8 * j + l), get(b, i + 8 * j + l), s[j][l]);
}

// GGML_F32_VEC_REDUCE on AVX: (s0 + s2) + (s1 + s3), the two halves added, then two hadds.
static float reduce_hadd(float s[4][8]) {
    float v[8], t[4];
    for (int l = 0; l < 8; l++) v[l] = (s[0][l] + s[2][l]) + (s[1][l] + s[3][l]);
    for (int i = 0; i < 4; i++) t[i] = v[i + 4] + v[i];
    return (t[0] + t[1]) + (t[2] + t[3]);
}

// The F32 kernel's leftover elements (n % 32) as llama.cpp's build compiled them: runs of eight,
// then one of four, as separately rounded products added in order; the last one to three fused.
static float f32_leftovers(const float *a, const float *b, int np, int n, float sum) {
    int c = n - np;
    int separate = c / 8 * 8 + (c % 8 >= 4 ? 4 : 0);
    int i = np;
    for (; i < np + separate; i++) {
        float p = a[i] * b[i];
        sum += p;
    }
    for (; i < n; i++) sum = fmaf(a[i], b[i], sum);
    return sum;
}

static float vec_f32(const void *a, const void *b, int n) {
    float s[4][8];
    int np = n & ~31;
    four_accumulators(a, b, np, read_f32, s);
    return f32_leftovers(a, b, np, n, reduce_hadd(s));
}

static float vec_f16(const void *a, const void *b, int n) {
    float s[4][8];
    int np = n & ~31;
    four_accumulators(a, b, np, read_f16, s);
    double sum = reduce_hadd(s);
    for (int i = np; i < n; i++) {
        float p = read_f16(a, i) * read_f16(b, i);
        sum += (double)p;
    }
    return (float)sum;
}

static float vec_bf16(const void *a, const void *b, int n) {
    float s[4][8], v[8], g[4];
    int np = n & ~31;
    four_accumulators(a, b, np, read_bf16, s);
    for (int l = 0; l < 8; l++) v[l] = (s[0][l] + s[2][l]) + (s[1][l] + s[3][l]);
    for (int i = 0; i < 4; i++) g[i] = v[i + 4] + v[i];
    double sum = 0.0;
    sum += (double)dspy_hsum4(g);
    for (int i = np; i < n; i++) {
        float p = read_bf16(a, i) * read_bf16(b, i);
        sum += (double)p;
    }
    return (float)sum;
}

// tinyBLAS (two or more tokens): one 8-lane accumulator over the whole row (n % 8 == 0), hsum.
static float tiny(const void *a, const void *b, int n, element_reader get) {
    float acc[8] = {0};
    for (int i = 0; i < n; i += 8)
        for (int l = 0; l < 8; l++) acc[l] = fmaf(get(a, i + l), get(b, i + l), acc[l]);
    return dspy_hsum8(acc);
}

static float tiny_f32(const void *a, const void *b, int n) { return tiny(a, b, n, read_f32); }
static float tiny_f16(const void *a, const void *b, int n) { return tiny(a, b, n, read_f16); }
static float tiny_bf16(const void *a, const void *b, int n) { return tiny(a, b, n, read_bf16); }

#define FLOAT_ROWS(name, function, size)                                                                \
    void name(const void *w, const void *x, int xs, int n, float *out, int os, int cols) {              \
        for (int t = 0; t < n; t++)                                                                     \
            out[(size_t)t * os] = function(w, (const char *)x + (size_t)t * xs * (size), cols);       \
    }
FLOAT_ROWS(dspy_vec_dot_f32_scalar, vec_f32, 4)
FLOAT_ROWS(dspy_vec_dot_f16_scalar, vec_f16, 2)
FLOAT_ROWS(dspy_vec_dot_bf16_scalar, vec_bf16, 2)
FLOAT_ROWS(dspy_tiny_dot_f32_scalar, tiny_f32, 4)
FLOAT_ROWS(dspy_tiny_dot_f16_scalar, tiny_f16, 2)
FLOAT_ROWS(dspy_tiny_dot_bf16_scalar, tiny_bf16, 2)
#undef FLOAT_ROWS
