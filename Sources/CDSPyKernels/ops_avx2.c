// AVX2 versions of the element-wise helpers that reproduce llama.cpp's CPU arithmetic
// (its SiLU exponential polynomial, in the rounding of its AVX-512 or AVX2 build and the fused multiply-adds its compiler emits in
// RoPE). The model amplifies one-ulp differences across layers, so these follow the
// same operation order rather than libm.
#include "internal.h"

#include "exp_avx2.h"

#if DSPY_X86
// silu(x) · up for 8 lanes, with the exponential of llama.cpp's AVX-512 (1) or AVX2 (0) build.
DSPY_AVX2 static inline __m256 swiglu8(__m256 x, __m256 up, int avx512) {
    __m256 minus = _mm256_sub_ps(_mm256_setzero_ps(), x);
    __m256 e = avx512 ? dspy_exp_avx2(minus) : dspy_exp256_avx2(minus);
    return _mm256_mul_ps(_mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), up);
}

// The AVX-512 build takes 16 elements a step and the AVX2 build 8, each leaving the rest
// to libm's expf: the step decides which elements get the polynomial.
DSPY_AVX2 void dspy_swiglu_avx2(float *gate, const float *up, int64_t n, int order) {
    int64_t i = 0;
    if (order == DSPY_ORDER_AVX512) {
        for (; i + 16 <= n; i += 16) {
            __m256 lo = swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i), 1);
            __m256 hi = swiglu8(_mm256_loadu_ps(gate + i + 8), _mm256_loadu_ps(up + i + 8), 1);
            _mm256_storeu_ps(gate + i, lo);
            _mm256_storeu_ps(gate + i + 8, hi);
        }
    } else {
        for (; i + 8 <= n; i += 8)
            _mm256_storeu_ps(gate + i, swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i), 0));
    }
    for (; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}
#endif
