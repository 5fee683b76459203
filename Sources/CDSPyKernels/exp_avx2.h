// The exponential of llama.cpp's AVX-512 build, on 8-lane AVX2 vectors. Shared by the
// SwiGLU and the prefill attention kernels.
#ifndef DSPY_EXP_AVX2_H
#define DSPY_EXP_AVX2_H

#include "internal.h"

#if DSPY_X86
#include <immintrin.h>
#include <math.h>

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
#endif

#endif
