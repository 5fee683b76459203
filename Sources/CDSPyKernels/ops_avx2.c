// AVX2 versions of the element-wise helpers that reproduce llama.cpp's CPU arithmetic
// (its SiLU exponential polynomial and the fused multiply-adds its compiler emits in
// RoPE). The model amplifies one-ulp differences across layers, so these follow the
// same operation order rather than libm.
#include "internal.h"

#if DSPY_X86
#include <immintrin.h>
#include <math.h>

// exp(x) by range reduction x = n·ln2 + b and a degree-5 polynomial (the "optimized
// routines" algorithm, max error ~1.5 ulp), scaled by 2^n exactly.
DSPY_AVX2 static __m256 exp_poly(__m256 x) {
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

DSPY_AVX2 void dspy_swiglu_avx2(float *gate, const float *up, int64_t n) {
    int64_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f);
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(gate + i);
        __m256 e = exp_poly(_mm256_sub_ps(_mm256_setzero_ps(), x));
        __m256 silu = _mm256_div_ps(x, _mm256_add_ps(one, e));
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
    }
    for (; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

DSPY_AVX2 void dspy_rope_rotate_avx2(float *v, const float *cosines, const float *sines, int pairs) {
    for (int i = 0; i < pairs; i++) {
        float a = v[2 * i], b = v[2 * i + 1];
        v[2 * i] = fmaf(a, cosines[i], -(b * sines[i]));
        v[2 * i + 1] = fmaf(a, sines[i], b * cosines[i]);
    }
}
#endif

#if DSPY_X86
DSPY_AVX2 void dspy_softmax_rows_avx2(float *s, int ld, int rows, const int *visible) {
    for (int r = 0; r < rows; r++) {
        float *row = s + (size_t)r * ld;
        int n = visible[r];
        float best = -INFINITY;
        for (int j = 0; j < n; j++) best = row[j] > best ? row[j] : best;
        __m256 m = _mm256_set1_ps(best), total = _mm256_setzero_ps();
        int j = 0;
        for (; j + 8 <= n; j += 8) {
            __m256 e = exp_poly(_mm256_sub_ps(_mm256_loadu_ps(row + j), m));
            _mm256_storeu_ps(row + j, e);
            total = _mm256_add_ps(total, e);
        }
        float sum = 0;
        float lanes[8];
        _mm256_storeu_ps(lanes, total);
        for (int i = 0; i < 8; i++) sum += lanes[i];
        for (; j < n; j++) {
            row[j] = expf(row[j] - best);
            sum += row[j];
        }
        __m256 inverse = _mm256_set1_ps(1.0f / sum);
        for (j = 0; j + 8 <= n; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inverse));
        for (; j < n; j++) row[j] *= 1.0f / sum;
        for (j = n; j < ld; j++) row[j] = 0;
    }
}

DSPY_AVX2 void dspy_fp16_to_fp32_rows_avx2(const uint16_t *x, int x_stride, float *y, int rows, int n) {
    for (int r = 0; r < rows; r++) {
        const uint16_t *xr = x + (size_t)r * x_stride;
        float *yr = y + (size_t)r * n;
        int i = 0;
        for (; i + 8 <= n; i += 8) _mm256_storeu_ps(yr + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(xr + i))));
        for (; i < n; i++) yr[i] = dspy_fp16_to_fp32(xr[i]);
    }
}
#endif
