// AVX2 dot products of one quantized weight row against 1-4 Q8 activation rows at a
// time (the weight block is unpacked once per group of four tokens), and the AVX2
// activation quantizer. Compiled for avx2/fma/f16c and only called after the CPU check.
#include "internal.h"

#if DSPY_X86
#include <immintrin.h>
#include <string.h>
#include <math.h>

DSPY_AVX2 static inline float hsum_ps(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

DSPY_AVX2 static inline __m256 pairs_to_ps(__m256i products16) {
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(products16, _mm256_set1_epi16(1)));
}

// 32 nibbles of a 4-bit block: low nibbles are elements 0..15, high nibbles 16..31.
DSPY_AVX2 static inline __m256i unpack_nibbles(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    __m256i both = _mm256_set_m128i(_mm_srli_epi16(raw, 4), raw);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// (u - 8) · y computed exactly in 16 bits as u·y - 8·y.
DSPY_AVX2 static inline __m256 q4_0_products(__m256i u, __m256i y) {
    __m256i uy = _mm256_maddubs_epi16(u, y);
    __m256i ey = _mm256_maddubs_epi16(_mm256_set1_epi8(8), y);
    return pairs_to_ps(_mm256_sub_epi16(uy, ey));
}

// Signed·signed via |w| · (y with w's sign).
DSPY_AVX2 static inline __m256 q8_products(__m256i w, __m256i y) {
    return pairs_to_ps(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(y, w)));
}

#define DOT_TARGET DSPY_AVX2
#define DOT_NAME(type) dspy_dot_##type##_avx2
#define U8S8(u, y) pairs_to_ps(_mm256_maddubs_epi16((u), (y)))
#define Q4_0_PRODUCTS(u, y) q4_0_products((u), (y))
#define Q8_PRODUCTS(w, y) q8_products((w), (y))
#include "dot_kernels.inc"
#include "dot_lanes.inc"
#undef DOT_TARGET
#undef DOT_NAME
#undef U8S8
#undef Q4_0_PRODUCTS
#undef Q8_PRODUCTS

DSPY_AVX2 void dspy_quantize_q8_avx2(const float *x, dspy_block_q8 *y, int cols) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (int b = 0; b < cols / 32; b++, x += 32) {
        __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
        __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
        __m256 m = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, v0), _mm256_andnot_ps(sign, v1)),
                                 _mm256_max_ps(_mm256_andnot_ps(sign, v2), _mm256_andnot_ps(sign, v3)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        float amax = _mm_cvtss_f32(h);
        float d = amax / 127.0f;
        __m256 id = _mm256_set1_ps(amax != 0 ? 127.0f / amax : 0.0f);
#define mode (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
        __m256i i0 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v0, id), mode));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v1, id), mode));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v2, id), mode));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(v3, id), mode));
        __m256i s = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
        __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
        s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
        int sum = _mm_cvtsi128_si32(s4);
        __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
        packed = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)y[b].qs, packed);
        y[b].d = dspy_fp16_to_fp32(dspy_fp32_to_fp16(d));
        y[b].s = dspy_fp16_to_fp32(dspy_fp32_to_fp16(d * (float)sum));
#undef mode
    }
}
#endif
