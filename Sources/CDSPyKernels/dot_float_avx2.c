// AVX2 products of F32, F16 and BF16 weights with activations in the same encoding, in the two
// float orders of llama.cpp's CPU backend: ggml_vec_dot_* (four 8-lane accumulators over runs of
// 32, reduced as its build does, leftovers as it compiled them) and llamafile's tinyBLAS (one
// accumulator per row and token). dot_float.c performs the same operations without vectors.
// Called only after the CPU check.
#include "avx2_common.h"

#if DSPY_X86

DSPY_AVX2 static inline __m256 load_f32(const void *p, int i) { return _mm256_loadu_ps((const float *)p + i); }
DSPY_AVX2 static inline __m256 load_f16(const void *p, int i) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + i)));
}
DSPY_AVX2 static inline __m256 load_bf16(const void *p, int i) {
    __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + i)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

// ggml_vec_dot_*'s four accumulators over runs of 32 elements, summed (s0 + s2) + (s1 + s3).
#define FOUR_ACCUMULATORS(load, a, b, np, v)                                              \
    do {                                                                                  \
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;                       \
        for (int i = 0; i < (np); i += 32) {                                              \
            s0 = _mm256_fmadd_ps(load(a, i), load(b, i), s0);                             \
            s1 = _mm256_fmadd_ps(load(a, i + 8), load(b, i + 8), s1);                     \
            s2 = _mm256_fmadd_ps(load(a, i + 16), load(b, i + 16), s2);                   \
            s3 = _mm256_fmadd_ps(load(a, i + 24), load(b, i + 24), s3);                   \
        }                                                                                 \
        v = _mm256_add_ps(_mm256_add_ps(s0, s2), _mm256_add_ps(s1, s3));                  \
    } while (0)

// GGML_F32_VEC_REDUCE's last steps: the halves added, then two hadds.
DSPY_AVX2 static inline float reduce_hadd(__m256 v) {
    __m128 t = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    t = _mm_hadd_ps(t, t);
    t = _mm_hadd_ps(t, t);
    return _mm_cvtss_f32(t);
}

DSPY_AVX2 static float vec_f32(const void *av, const void *bv, int n) {
    const float *a = av, *b = bv;
    int np = n & ~31;
    __m256 v;
    FOUR_ACCUMULATORS(load_f32, a, b, np, v);
    float sum = reduce_hadd(v);
    // The leftovers as llama.cpp's build compiled them (see dot_float.c).
    int c = n - np, i = np;
    int separate = c / 8 * 8 + (c % 8 >= 4 ? 4 : 0);
    for (; i < np + separate; i++) {
        float p = a[i] * b[i];
        sum += p;
    }
    for (; i < n; i++) sum = fmaf(a[i], b[i], sum);
    return sum;
}

DSPY_AVX2 static float vec_f16(const void *a, const void *b, int n) {
    int np = n & ~31;
    __m256 v;
    FOUR_ACCUMULATORS(load_f16, a, b, np, v);
    double sum = reduce_hadd(v);
    const uint16_t *ha = a, *hb = b;
    for (int i = np; i < n; i++) {
        float p = HALF(ha[i]) * HALF(hb[i]);
        sum += (double)p;
    }
    return (float)sum;
}

DSPY_AVX2 static float vec_bf16(const void *a, const void *b, int n) {
    int np = n & ~31;
    __m256 v;
    FOUR_ACCUMULATORS(load_bf16, a, b, np, v);
    double sum = 0.0;
    sum += (double)hsum8(v);
    const uint16_t *ha = a, *hb = b;
    for (int i = np; i < n; i++) {
        float p = dspy_bf16_to_fp32(ha[i]) * dspy_bf16_to_fp32(hb[i]);
        sum += (double)p;
    }
    return (float)sum;
}

// tinyBLAS's order: one accumulator per (row, token) over the whole row (cols % 8 == 0). Four
// tokens share each weight load; every accumulator sees the same fused steps as alone.
#define TINY_ROWS(name, load, size)                                                                \
    DSPY_AVX2 void name(const void *w, const void *x, int xs, int n, float *out, int os, int cols) { \
        const char *xb = x;                                                                        \
        size_t step = (size_t)xs * (size);                                                         \
        int t = 0;                                                                                 \
        for (; t + 4 <= n; t += 4) {                                                               \
            const char *x0 = xb + t * step, *x1 = x0 + step, *x2 = x1 + step, *x3 = x2 + step;     \
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;                            \
            for (int i = 0; i < cols; i += 8) {                                                    \
                __m256 wv = load(w, i);                                                            \
                a0 = _mm256_fmadd_ps(wv, load(x0, i), a0);                                         \
                a1 = _mm256_fmadd_ps(wv, load(x1, i), a1);                                         \
                a2 = _mm256_fmadd_ps(wv, load(x2, i), a2);                                         \
                a3 = _mm256_fmadd_ps(wv, load(x3, i), a3);                                         \
            }                                                                                      \
            out[(size_t)t * os] = hsum8(a0);                                                       \
            out[(size_t)(t + 1) * os] = hsum8(a1);                                                 \
            out[(size_t)(t + 2) * os] = hsum8(a2);                                                 \
            out[(size_t)(t + 3) * os] = hsum8(a3);                                                 \
        }                                                                                          \
        for (; t < n; t++) {                                                                       \
            const char *x0 = xb + t * step;                                                        \
            __m256 a0 = _mm256_setzero_ps();                                                       \
            for (int i = 0; i < cols; i += 8) a0 = _mm256_fmadd_ps(load(w, i), load(x0, i), a0);  \
            out[(size_t)t * os] = hsum8(a0);                                                       \
        }                                                                                          \
    }
TINY_ROWS(dspy_tiny_dot_f32_avx2, load_f32, 4)
TINY_ROWS(dspy_tiny_dot_f16_avx2, load_f16, 2)
TINY_ROWS(dspy_tiny_dot_bf16_avx2, load_bf16, 2)
#undef TINY_ROWS

#define FLOAT_ROWS(name, function, size)                                                          \
    DSPY_AVX2 void name(const void *w, const void *x, int xs, int n, float *out, int os, int cols) { \
        for (int t = 0; t < n; t++)                                                               \
            out[(size_t)t * os] = function(w, (const char *)x + (size_t)t * xs * (size), cols);  \
    }
FLOAT_ROWS(dspy_vec_dot_f32_avx2, vec_f32, 4)
FLOAT_ROWS(dspy_vec_dot_f16_avx2, vec_f16, 2)
FLOAT_ROWS(dspy_vec_dot_bf16_avx2, vec_bf16, 2)
#undef FLOAT_ROWS
#endif
