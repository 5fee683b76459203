// The exponentials of llama.cpp's AVX-512 and AVX2 builds, on 8-lane AVX2 vectors. Shared
// by the SwiGLU and the prefill attention kernels, which pick one by dspy_kernel_order().
// Both reduce x = n·ln2 + b and evaluate the same degree-5 polynomial; they differ in how
// the last term and the scaling by 2^n round.
#ifndef DSPY_EXP_AVX2_H
#define DSPY_EXP_AVX2_H

#include "internal.h"

#include <math.h>
#include <string.h>

#if DSPY_X86
#include <immintrin.h>

// exp(x) by range reduction x = n·ln2 + b and a degree-5 polynomial (the "optimized
// routines" algorithm, max error ~1.5 ulp), scaled by 2^n exactly: what ggml's 512-bit
// ggml_v_expf returns lane for lane (its 256-bit variant rounds differently).
DSPY_AVX2 static inline __m256 dspy_exp_avx2(__m256 x) {
    const __m256 shift = _mm256_set1_ps(0x1.8p23f);
    __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shift);
    __m256 n = _mm256_sub_ps(z, shift);
    __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    __m256 u = _mm256_mul_ps(b, b);
    __m256 high = _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f));
    __m256 mid = _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f));
    __m256 low = _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f));
    __m256 j = _mm256_fmadd_ps(_mm256_fmadd_ps(high, u, mid), u, low);
    __m256 limit = _mm256_set1_ps(126.0f);
    __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
    if (_mm256_movemask_ps(_mm256_cmp_ps(magnitude, limit, _CMP_GT_OQ)) == 0) {
        __m256i exponent = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
        return _mm256_mul_ps(j, _mm256_castsi256_ps(exponent));
    }
    float jv[8], nv[8], out[8];
    _mm256_storeu_ps(jv, j);
    _mm256_storeu_ps(nv, n);
    for (int i = 0; i < 8; i++) {
        if (fabsf(nv[i]) > 192.0f) out[i] = nv[i] <= 0 ? 0.0f : INFINITY;
        else out[i] = ldexpf(jv[i], (int)nv[i]);
    }
    return _mm256_loadu_ps(out);
}

// exp(x) as ggml's 256-bit ggml_v_expf returns it lane for lane: the polynomial's last term
// is c1·b (not c1·b + 1), the scale k = 2^n is built from z's bits, and the result is
// j·k + k in one fused multiply-add. Lanes with |n| > 126 are scaled in two steps (2^n
// split as s1·s2) so that they neither overflow nor flush early; |n| > 192 gives 0 or ∞.
DSPY_AVX2 static inline __m256 dspy_exp256_avx2(__m256 x) {
    const __m256 shift = _mm256_set1_ps(0x1.8p23f);
    __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), shift);
    __m256 n = _mm256_sub_ps(z, shift);
    __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
    __m256i e = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
    __m256 k = _mm256_castsi256_ps(_mm256_add_epi32(e, _mm256_castps_si256(_mm256_set1_ps(1.0f))));
    __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
    __m256 large = _mm256_cmp_ps(magnitude, _mm256_set1_ps(126.0f), _CMP_GT_OQ);
    __m256 u = _mm256_mul_ps(b, b);
    __m256 high = _mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f));
    __m256 mid = _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f));
    __m256 j = _mm256_fmadd_ps(_mm256_fmadd_ps(high, u, mid), u, _mm256_mul_ps(_mm256_set1_ps(0x1.ffffecp-1f), b));
    if (!_mm256_movemask_ps(large)) return _mm256_fmadd_ps(j, k, k);
    __m256i g = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ)),
                                 _mm256_set1_epi32((int)0x82000000u));
    __m256 s1 = _mm256_castsi256_ps(_mm256_add_epi32(g, _mm256_set1_epi32(0x7f000000)));
    __m256 s2 = _mm256_castsi256_ps(_mm256_sub_epi32(e, g));
    __m256 huge = _mm256_cmp_ps(magnitude, _mm256_set1_ps(192.0f), _CMP_GT_OQ);
    __m256 split = _mm256_mul_ps(_mm256_fmadd_ps(s2, j, s2), s1);
    __m256 normal = _mm256_fmadd_ps(k, j, k);
    __m256 finite = _mm256_blendv_ps(normal, split, large);
    return _mm256_blendv_ps(finite, _mm256_mul_ps(s1, s1), huge);
}
#endif

// One lane of dspy_exp256_avx2 without vectors (the portable tiled attention's).
static inline float dspy_exp256_scalar(float x) {
    float z = fmaf(x, 0x1.715476p+0f, 0x1.8p23f);
    float n = z - 0x1.8p23f;
    float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    uint32_t zbits, one = 0x3f800000u;
    memcpy(&zbits, &z, sizeof zbits);
    uint32_t e = zbits << 23, kbits = e + one;
    float k;
    memcpy(&k, &kbits, sizeof k);
    float u = b * b;
    float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                   0x1.ffffecp-1f * b);
    if (!(fabsf(n) > 126.0f)) return fmaf(j, k, k);
    uint32_t g = n <= 0 ? 0x82000000u : 0, s1bits = g + 0x7f000000u, s2bits = e - g;
    float s1, s2;
    memcpy(&s1, &s1bits, sizeof s1);
    memcpy(&s2, &s2bits, sizeof s2);
    if (fabsf(n) > 192.0f) return s1 * s1;
    return fmaf(s2, j, s2) * s1;
}

#endif
