// AVX-VNNI versions of the row dot products: vpdpbusd does a byte multiply and the
// four-way sum in one instruction where AVX2 needs maddubs + madd. Same results.
#include "internal.h"

#if DSPY_X86
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define DSPY_VNNI __attribute__((target("avx2,fma,f16c,avxvnni")))

DSPY_VNNI static inline float hsum_ps(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

DSPY_VNNI static inline __m256i unpack_nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

DSPY_VNNI static inline __m256 u8s8(__m256i u, __m256i y) {
    return _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, y));
}

DSPY_VNNI static inline __m256 q4_0_products(__m256i u, __m256i y) {
    __m256i uy = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), u, y);
    __m256i ey = _mm256_dpbusd_avx_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), y);
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(uy, ey));
}

DSPY_VNNI static inline __m256 q8_products(__m256i w, __m256i y) {
    return u8s8(_mm256_sign_epi8(w, w), _mm256_sign_epi8(y, w));
}

#define DOT_TARGET DSPY_VNNI
#define DOT_NAME(type) dspy_dot_##type##_vnni
#define U8S8(u, y) u8s8((u), (y))
#define Q4_0_PRODUCTS(u, y) q4_0_products((u), (y))
#define Q8_PRODUCTS(w, y) q8_products((w), (y))
#include "dot_kernels.inc"
#include "dot_lanes.inc"
#endif
