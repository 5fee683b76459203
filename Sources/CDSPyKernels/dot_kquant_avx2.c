// AVX2 products of Q4_K, Q5_K and Q6_K weights with Q8_K activations in llama.cpp's float
// orders: its vec_dot kernels' (eight lanes of integer sums per super-block, one fused
// multiply-add each, Q4_K's minimum terms in four more lanes, Q5_K's summed first) and its tiled
// matmul's (per super-block d·S1, minus dmin·S2 fused, times y.d added fused). dot_kquant.c
// performs the same operations without vectors. Called only after the CPU check.
#include "avx2_common.h"

#if DSPY_X86
// MARK: - Q4_K and Q5_K × Q8_K

// One Q4_K/Q5_K super-block unpacked: sub-block j's 32 unsigned quants, its scale and min.
typedef struct {
    __m256i q[8];
    __m256i scale16[8];  // scale j in every 16-bit lane
    __m128i mins16;      // the eight mins as 16-bit lanes
} k4_block;

// The eight 6-bit scales (bytes 0-7) and mins (bytes 8-15) of the 12 packed bytes: for j < 4
// the low six bits of bytes j and j + 4; for j ≥ 4 a nibble of byte j + 4 and the top two bits
// of byte j − 4 (scales) or j (mins).
DSPY_AVX2 static inline void k4_scales(const uint8_t *packed, uint32_t out[4]) {
    uint32_t a[3];
    memcpy(a, packed, 12);
    out[0] = a[0] & 0x3F3F3F3Fu;
    out[1] = (a[2] & 0x0F0F0F0Fu) | (((a[0] >> 6) & 0x03030303u) << 4);
    out[2] = a[1] & 0x3F3F3F3Fu;
    out[3] = ((a[2] >> 4) & 0x0F0F0F0Fu) | (((a[1] >> 6) & 0x03030303u) << 4);
}

DSPY_AVX2 static INLINE void k4_unpack(const uint8_t *scales, const uint8_t *qs, const uint8_t *qh, k4_block *u) {
    uint32_t sm[4];
    k4_scales(scales, sm);
    const uint8_t *sc = (const uint8_t *)sm;
    for (int j = 0; j < 8; j++) u->scale16[j] = _mm256_set1_epi16(sc[j]);
    u->mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)(sm + 2)));
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    __m256i hbits = qh ? _mm256_loadu_si256((const __m256i *)qh) : _mm256_setzero_si256();
    for (int c = 0; c < 4; c++) {
        __m256i bits = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
        __m256i lo = _mm256_and_si256(bits, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
        if (qh) {
            __m256i b0 = _mm256_and_si256(_mm256_srl_epi16(hbits, _mm_cvtsi32_si128(2 * c)), one);
            __m256i b1 = _mm256_and_si256(_mm256_srl_epi16(hbits, _mm_cvtsi32_si128(2 * c + 1)), one);
            lo = _mm256_or_si256(lo, _mm256_slli_epi16(b0, 4));
            hi = _mm256_or_si256(hi, _mm256_slli_epi16(b1, 4));
        }
        u->q[2 * c] = lo;
        u->q[2 * c + 1] = hi;
    }
}

// lanes[k] = Σ_j scale_j · (elements 4k … 4k + 3 of sub-block j); *mins = four lanes of
// min[2m]·B[2m] + min[2m+1]·B[2m+1], B[j] the sum of sub-block j's activations.
DSPY_AVX2 static INLINE __m256i k4_lanes(const k4_block *u, const dspy_block_q8_k *y, __m128i *mins) {
    __m256i sum = _mm256_setzero_si256();
    for (int j = 0; j < 8; j++) {
        __m256i p = _mm256_maddubs_epi16(u->q[j], LOAD_Y(y->qs + 32 * j));
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(u->scale16[j], p));
    }
    __m128i b_lo = _mm_loadu_si128((const __m128i *)y->bsums), b_hi = _mm_loadu_si128((const __m128i *)(y->bsums + 8));
    *mins = _mm_madd_epi16(u->mins16, _mm_hadd_epi16(b_lo, b_hi));
    return sum;
}

// The lane sums of eight vectors (exact integers), vector t's in lane t.
DSPY_AVX2 static INLINE __m256i lane_sums8(const __m256i v[8]) {
    __m256i a01 = _mm256_hadd_epi32(v[0], v[1]), a23 = _mm256_hadd_epi32(v[2], v[3]);
    __m256i a45 = _mm256_hadd_epi32(v[4], v[5]), a67 = _mm256_hadd_epi32(v[6], v[7]);
    __m256i b0 = _mm256_hadd_epi32(a01, a23), b1 = _mm256_hadd_epi32(a45, a67);
    __m128i c0 = _mm_add_epi32(_mm256_castsi256_si128(b0), _mm256_extracti128_si256(b0, 1));
    __m128i c1 = _mm_add_epi32(_mm256_castsi256_si128(b1), _mm256_extracti128_si256(b1, 1));
    return _mm256_set_m128i(c1, c0);
}

// The same for eight four-lane vectors.
DSPY_AVX2 static INLINE __m256i lane_sums8x4(const __m128i m[8]) {
    __m128i a01 = _mm_hadd_epi32(m[0], m[1]), a23 = _mm_hadd_epi32(m[2], m[3]);
    __m128i a45 = _mm_hadd_epi32(m[4], m[5]), a67 = _mm_hadd_epi32(m[6], m[7]);
    return _mm256_set_m128i(_mm_hadd_epi32(a45, a67), _mm_hadd_epi32(a01, a23));
}

// The tiled order for eight tokens at once, one per float lane: each lane performs the scalar
// steps of the one-token code (res = d·S1; res −= dmin·S2 fused; out += res·y.d fused).
DSPY_AVX2 static INLINE void k4_tiled8(const uint8_t *w, size_t block_bytes, size_t qh_offset, size_t qs_offset,
                                       int has_qh, const dspy_block_q8_k *xq, int xs, float *out, int os, int blocks,
                                       int t0) {
    __m256 sums = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *block = w + (size_t)b * block_bytes;
        uint16_t dh, dminh;
        memcpy(&dh, block, 2);
        memcpy(&dminh, block + 2, 2);
        k4_block u;
        k4_unpack(block + 4, block + qs_offset, has_qh ? block + qh_offset : NULL, &u);
        __m256i lanes[8];
        __m128i mins[8];
        DSPY_ALIGN32 float yd[8];
        for (int t = 0; t < 8; t++) {
            const dspy_block_q8_k *y = xq + (size_t)(t0 + t) * xs + b;
            lanes[t] = k4_lanes(&u, y, &mins[t]);
            yd[t] = y->d;
        }
        __m256 res = _mm256_mul_ps(_mm256_set1_ps(HALF(dh)), _mm256_cvtepi32_ps(lane_sums8(lanes)));
        res = _mm256_fnmadd_ps(_mm256_set1_ps(HALF(dminh)), _mm256_cvtepi32_ps(lane_sums8x4(mins)), res);
        sums = _mm256_fmadd_ps(res, _mm256_load_ps(yd), sums);
    }
    DSPY_ALIGN32 float r[8];
    _mm256_store_ps(r, sums);
    for (int t = 0; t < 8; t++) out[(size_t)(t0 + t) * os] = r[t];
}

// Q4_K (qh NULL) or Q5_K against up to GROUP tokens, in vec_dot's order (`tiled` 0) or the
// tiled matmul's (1). Q4_K keeps the mins in four float lanes; Q5_K sums them first.
DSPY_AVX2 static INLINE void k4_group(const uint8_t *w, size_t block_bytes, size_t qh_offset, size_t qs_offset,
                                      int has_qh, int tiled, const dspy_block_q8_k *xq, int xs, float *out, int os,
                                      int blocks, int t0, int count) {
    if (tiled && count == GROUP) {
        k4_tiled8(w, block_bytes, qh_offset, qs_offset, has_qh, xq, xs, out, os, blocks, t0);
        return;
    }
    {
        __m256 acc[GROUP];
        __m128 acc_m[GROUP];
        float sums[GROUP];
        for (int t = 0; t < count; t++) {
            acc[t] = _mm256_setzero_ps();
            acc_m[t] = _mm_setzero_ps();
            sums[t] = 0;
        }
        for (int b = 0; b < blocks; b++) {
            const uint8_t *block = w + (size_t)b * block_bytes;
            uint16_t dh, dminh;
            memcpy(&dh, block, 2);
            memcpy(&dminh, block + 2, 2);
            float dw = HALF(dh), dminw = HALF(dminh);
            k4_block u;
            k4_unpack(block + 4, block + qs_offset, has_qh ? block + qh_offset : NULL, &u);
            for (int t = 0; t < count; t++) {
                const dspy_block_q8_k *y = xq + (size_t)(t0 + t) * xs + b;
                __m128i mins;
                __m256i lanes = k4_lanes(&u, y, &mins);
                if (tiled) {
                    float res = dw * (float)hsum_i32(lanes);
                    res = fmaf(-dminw, (float)hsum_i32x4(mins), res);
                    sums[t] = fmaf(res, y->d, sums[t]);
                    continue;
                }
                float d = y->d * dw, dmin = -y->d * dminw;
                if (has_qh) {
                    sums[t] = fmaf(dmin, (float)hsum_i32x4(mins), sums[t]);
                } else {
                    acc_m[t] = _mm_fmadd_ps(_mm_set1_ps(dmin), _mm_cvtepi32_ps(mins), acc_m[t]);
                }
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(lanes), acc[t]);
            }
        }
        for (int t = 0; t < count; t++) {
            float r = tiled ? sums[t] : has_qh ? hsum8(acc[t]) + sums[t] : hsum8(acc[t]) + hsum4(acc_m[t]);
            out[(size_t)(t0 + t) * os] = r;
        }
    }
}

DSPY_AVX2 static INLINE void k4_rows(const uint8_t *w, size_t block_bytes, size_t qh_offset, size_t qs_offset,
                                     int has_qh, int tiled, const dspy_block_q8_k *xq, int xs, int n, float *out,
                                     int os, int blocks) {
    FOR_GROUPS(n, k4_group, w, block_bytes, qh_offset, qs_offset, has_qh, tiled, xq, xs, out, os, blocks)
}

DSPY_AVX2 void dspy_dot_q4_k_avx2(const void *w, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                  int blocks) {
    k4_rows(w, sizeof(dspy_block_q4_k), 0, offsetof(dspy_block_q4_k, qs), 0, 0, xq, xs, n, out, os, blocks);
}

DSPY_AVX2 void dspy_dot_q5_k_avx2(const void *w, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                  int blocks) {
    k4_rows(w, sizeof(dspy_block_q5_k), offsetof(dspy_block_q5_k, qh), offsetof(dspy_block_q5_k, qs), 1, 0, xq, xs,
            n, out, os, blocks);
}

DSPY_AVX2 void dspy_dot_q4_k_tiled_avx2(const void *w, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                        int blocks) {
    k4_rows(w, sizeof(dspy_block_q4_k), 0, offsetof(dspy_block_q4_k, qs), 0, 1, xq, xs, n, out, os, blocks);
}

DSPY_AVX2 void dspy_dot_q5_k_tiled_avx2(const void *w, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                        int blocks) {
    k4_rows(w, sizeof(dspy_block_q5_k), offsetof(dspy_block_q5_k, qh), offsetof(dspy_block_q5_k, qs), 1, 1, xq, xs,
            n, out, os, blocks);
}

// MARK: - Q6_K × Q8_K

// One Q6_K super-block unpacked: 32-element chunk i of half j is q[4j + i], unsigned (0…63);
// scale16[4j + i] holds its two 16-element sub-blocks' scales in the low and high 128-bit halves.
typedef struct {
    __m256i q[8];
    __m256i scale16[8];
    __m256i scales16;  // all sixteen scales, for the −32 offset
} q6_block;

DSPY_AVX2 static INLINE void q6_unpack(const dspy_block_q6_k *x, q6_block *u) {
    const __m256i m15 = _mm256_set1_epi8(15), m3 = _mm256_set1_epi8(3);
    for (int j = 0; j < 2; j++) {
        __m256i bits1 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * j));
        __m256i bits2 = _mm256_loadu_si256((const __m256i *)(x->ql + 64 * j + 32));
        __m256i hb = _mm256_loadu_si256((const __m256i *)(x->qh + 32 * j));
        u->q[4 * j] = _mm256_or_si256(_mm256_and_si256(bits1, m15), _mm256_slli_epi16(_mm256_and_si256(hb, m3), 4));
        u->q[4 * j + 1] = _mm256_or_si256(_mm256_and_si256(bits2, m15),
                                          _mm256_slli_epi16(_mm256_and_si256(hb, _mm256_set1_epi8(12)), 2));
        u->q[4 * j + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits1, 4), m15),
                                          _mm256_and_si256(hb, _mm256_set1_epi8(48)));
        u->q[4 * j + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits2, 4), m15),
                                          _mm256_srli_epi16(_mm256_and_si256(hb, _mm256_set1_epi8((char)0xC0)), 2));
    }
    __m128i scales = _mm_loadu_si128((const __m128i *)x->scales);
    for (int c = 0; c < 8; c++) {
        // Bytes 0-7 ← scale 2c, bytes 8-15 ← scale 2c + 1, then widened to 16 bits (signed).
        __m128i pick = _mm_set_epi64x((long long)(0x0101010101010101ULL * (uint64_t)(2 * c + 1)),
                                      (long long)(0x0101010101010101ULL * (uint64_t)(2 * c)));
        u->scale16[c] = _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales, pick));
    }
    u->scales16 = _mm256_cvtepi8_epi16(scales);
}

DSPY_AVX2 static INLINE __m256i q6_lanes(const q6_block *u, const dspy_block_q8_k *y) {
    __m256i offset = _mm256_slli_epi32(_mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)y->bsums), u->scales16), 5);
    __m256i sum = _mm256_setzero_si256();
    for (int c = 0; c < 8; c++)
        sum = _mm256_add_epi32(sum, _mm256_madd_epi16(u->scale16[c], _mm256_maddubs_epi16(u->q[c], LOAD_Y(y->qs + 32 * c))));
    return _mm256_sub_epi32(sum, offset);
}

DSPY_AVX2 static INLINE void q6_tiled8(const dspy_block_q6_k *w, const dspy_block_q8_k *xq, int xs, float *out, int os,
                                       int blocks, int t0) {
    __m256 sums = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        q6_block u;
        q6_unpack(&w[b], &u);
        __m256i lanes[8];
        DSPY_ALIGN32 float yd[8];
        for (int t = 0; t < 8; t++) {
            const dspy_block_q8_k *y = xq + (size_t)(t0 + t) * xs + b;
            lanes[t] = q6_lanes(&u, y);
            yd[t] = y->d;
        }
        __m256 res = _mm256_mul_ps(_mm256_set1_ps(HALF(w[b].d)), _mm256_cvtepi32_ps(lane_sums8(lanes)));
        sums = _mm256_fmadd_ps(res, _mm256_load_ps(yd), sums);
    }
    DSPY_ALIGN32 float r[8];
    _mm256_store_ps(r, sums);
    for (int t = 0; t < 8; t++) out[(size_t)(t0 + t) * os] = r[t];
}

DSPY_AVX2 static INLINE void q6_group(const dspy_block_q6_k *w, int tiled, const dspy_block_q8_k *xq, int xs,
                                      float *out, int os, int blocks, int t0, int count) {
    if (tiled && count == GROUP) {
        q6_tiled8(w, xq, xs, out, os, blocks, t0);
        return;
    }
    {
        __m256 acc[GROUP];
        float sums[GROUP];
        for (int t = 0; t < count; t++) {
            acc[t] = _mm256_setzero_ps();
            sums[t] = 0;
        }
        for (int b = 0; b < blocks; b++) {
            q6_block u;
            q6_unpack(&w[b], &u);
            float dw = HALF(w[b].d);
            for (int t = 0; t < count; t++) {
                const dspy_block_q8_k *y = xq + (size_t)(t0 + t) * xs + b;
                __m256i lanes = q6_lanes(&u, y);
                if (tiled) {
                    float res = dw * (float)hsum_i32(lanes);
                    sums[t] = fmaf(res, y->d, sums[t]);
                } else {
                    acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(y->d * dw), _mm256_cvtepi32_ps(lanes), acc[t]);
                }
            }
        }
        for (int t = 0; t < count; t++) out[(size_t)(t0 + t) * os] = tiled ? sums[t] : hsum8(acc[t]);
    }
}

DSPY_AVX2 static INLINE void q6_rows(const dspy_block_q6_k *w, int tiled, const dspy_block_q8_k *xq, int xs, int n,
                                     float *out, int os, int blocks) {
    FOR_GROUPS(n, q6_group, w, tiled, xq, xs, out, os, blocks)
}

DSPY_AVX2 void dspy_dot_q6_k_avx2(const void *w, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                  int blocks) {
    q6_rows(w, 0, xq, xs, n, out, os, blocks);
}

DSPY_AVX2 void dspy_dot_q6_k_tiled_avx2(const void *w, const dspy_block_q8_k *xq, int xs, int n, float *out, int os,
                                        int blocks) {
    q6_rows(w, 1, xq, xs, n, out, os, blocks);
}
#endif
