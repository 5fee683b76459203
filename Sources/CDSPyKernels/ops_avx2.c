// AVX2 versions of the element-wise helpers that reproduce llama.cpp's CPU arithmetic
// (its SiLU exponential polynomial and the fused multiply-adds its compiler emits in
// RoPE). The model amplifies one-ulp differences across layers, so these follow the
// same operation order rather than libm.
#include "internal.h"

#include "exp_avx2.h"

#if DSPY_X86
DSPY_AVX2 void dspy_swiglu_avx2(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(gate + i);
        __m256 e = dspy_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
        __m256 silu = _mm256_div_ps(x, _mm256_add_ps(one, e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}
#endif
