// Helpers shared by the AVX2 products of dot_q5_avx2.c, dot_kquant_avx2.c and dot_float_avx2.c:
// llama.cpp's horizontal sums, exact integer lane sums, block unpacking and half conversion.
// Included only by files compiled for x86; every function is compiled for avx2/fma/f16c.
#ifndef DSPY_AVX2_COMMON_H
#define DSPY_AVX2_COMMON_H

#include "internal.h"

#if DSPY_X86
#include <immintrin.h>
#include <math.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

/// Tokens whose accumulators are kept while one weight row is read.
#define GROUP 8

#define INLINE __attribute__((always_inline)) inline

// Runs GROUP_BODY(t0, count) over the n tokens in groups of up to GROUP; a group of one token is
// its own specialization (the accumulators then live in registers: the decoding case).
#define FOR_GROUPS(n, GROUP_FN, ...)                                  \
    for (int t0 = 0; t0 < (n); t0 += GROUP) {                         \
        int count = (n) - t0 < GROUP ? (n) - t0 : GROUP;              \
        if (count == 1) GROUP_FN(__VA_ARGS__, t0, 1);                 \
        else GROUP_FN(__VA_ARGS__, t0, count);                        \
    }

DSPY_AVX2 static inline float hsum8(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_extractf128_ps(v, 1), _mm256_castps256_ps128(v));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

DSPY_AVX2 static inline float hsum4(__m128 x) {
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

DSPY_AVX2 static inline int32_t hsum_i32(__m256i v) {
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    x = _mm_add_epi32(x, _mm_unpackhi_epi64(x, x));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xB1));
    return _mm_cvtsi128_si32(x);
}

DSPY_AVX2 static inline int32_t hsum_i32x4(__m128i x) {
    x = _mm_add_epi32(x, _mm_unpackhi_epi64(x, x));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xB1));
    return _mm_cvtsi128_si32(x);
}

// Pairs of 16-bit products summed into 32-bit lanes: lane k = elements 4k … 4k + 3.
DSPY_AVX2 static inline __m256i pairs(__m256i products16) { return _mm256_madd_epi16(products16, _mm256_set1_epi16(1)); }

// 32 nibbles: low nibbles are elements 0…15, high nibbles 16…31.
DSPY_AVX2 static inline __m256i nibbles32(const uint8_t *qs) {
    __m128i raw = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
}

// 0x10 in byte i where bit i of the 32-bit `qh` is set.
DSPY_AVX2 static inline __m256i fifth_bits(const uint8_t *qh_bytes) {
    uint32_t qh;
    memcpy(&qh, qh_bytes, sizeof qh);
    __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh),
                                         _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                                           0x0101010101010101, 0));
    __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

#define LOAD_Y(p) _mm256_loadu_si256((const __m256i *)(p))

// A half to float with F16C (exact, as dspy_fp16_to_fp32). The compiler turns _cvtsh_ss (and
// movd + cvtph2ps) into a pinsrw that merges into whatever register it picks, often an
// accumulator, which chains every block's conversion behind the previous fused multiply-add
// (one-token products ran at half speed). A movd it cannot fold breaks that dependency.
DSPY_AVX2 static inline float half_to_float(uint16_t h) {
    __m128i v;
    __asm__("vmovd %1, %0" : "=x"(v) : "r"((uint32_t)h));
    return _mm_cvtss_f32(_mm_cvtph_ps(v));
}
#define HALF(h) half_to_float(h)
#endif

#endif
