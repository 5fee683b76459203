// Decoding attention for 64-dimensional heads (SmolLM2's and many small models') on AVX-512
// CPUs. It does, lane for lane, what attention.c's AVX2 path does — llama.cpp's CPU flash
// attention: the query rounded to halves, scores summed in the order of llama.cpp's AVX-512
// build, an online softmax with libm's expf, values accumulated in halves — so the results
// are identical; it is faster because
// - the query heads sharing a key/value head are done together, so each cached key and
//   value is read once for all of them (batched decoding over long prompts is bound by
//   reading the cache), and rows a few positions ahead are prefetched;
// - 16-lane registers halve the conversions and multiply-adds; and
// - a chunk of keys' scores and softmax factors (the running maximum depends only on the
//   scores) is computed first, so dot products and expf calls do not wait on one another.
#include "internal.h"

#if DSPY_X86
#include <immintrin.h>
#include <math.h>

#define DSPY_AVX512F __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma,f16c")))

// q · k for 64 dimensions, k already widened: four 16-lane products, folded 0+2, 1+3, then
// together, then the 512-bit horizontal sum (upper half + lower half, then 4 + 4, then pairs).
DSPY_AVX512F static inline float dot64(const __m512 q[4], const __m512 k[4]) {
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(k[0], q[0]), _mm512_mul_ps(k[2], q[2])),
                             _mm512_add_ps(_mm512_mul_ps(k[1], q[1]), _mm512_mul_ps(k[3], q[3])));
    __m256 t3 = _mm256_add_ps(_mm512_extractf32x8_ps(s, 1), _mm512_castps512_ps256(s));
    __m128 t6 = _mm_add_ps(_mm256_extractf128_ps(t3, 1), _mm256_castps256_ps128(t3));
    __m128 t8 = _mm_add_ps(t6, _mm_shuffle_ps(t6, t6, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(t8) + _mm_cvtss_f32(_mm_shuffle_ps(t8, t8, 1));
}

// Cached row `position` (64 halves, rows `stride` apart) as floats; the row a few positions
// on is prefetched, since reading the cache bounds batched decoding over long prompts.
DSPY_AVX512F static inline void widen_row(const uint16_t *rows, int position, int stride, __m512 out[4]) {
    enum { AHEAD = 8 };
    const uint16_t *h = rows + (size_t)position * stride;
    _mm_prefetch((const char *)(h + (size_t)AHEAD * stride), _MM_HINT_T0);
    _mm_prefetch((const char *)(h + (size_t)AHEAD * stride + 32), _MM_HINT_T0);
    for (int j = 0; j < 4; j++) out[j] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(h + 16 * j)));
}

DSPY_AVX512F static inline __m512 round_to_halves(__m512 x) {
    return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
}

DSPY_AVX512F void dspy_attend_group_hd64_avx512(const float *q, int heads, const uint16_t *keys,
                                                const uint16_t *values, int visible, int kv_stride, float scale,
                                                float *o) {
    enum { CHUNK = 64 };
    float score[DSPY_ATTENTION_GROUP_MAX][CHUNK], rescale[DSPY_ATTENTION_GROUP_MAX][CHUNK],
        weight[DSPY_ATTENTION_GROUP_MAX][CHUNK], best[DSPY_ATTENTION_GROUP_MAX], total[DSPY_ATTENTION_GROUP_MAX];
    __m512 q16[DSPY_ATTENTION_GROUP_MAX][4], acc[DSPY_ATTENTION_GROUP_MAX][4];
    for (int h = 0; h < heads; h++) {
        for (int j = 0; j < 4; j++) {
            q16[h][j] = round_to_halves(_mm512_loadu_ps(q + 64 * h + 16 * j));
            acc[h][j] = _mm512_setzero_ps();
        }
        best[h] = -INFINITY;
        total[h] = 0;
    }
    for (int j0 = 0; j0 < visible; j0 += CHUNK) {
        int n = visible - j0 < CHUNK ? visible - j0 : CHUNK;
        for (int j = 0; j < n; j++) {
            __m512 kf[4];
            widen_row(keys, j0 + j, kv_stride, kf);
            for (int h = 0; h < heads; h++) score[h][j] = dot64(q16[h], kf) * scale;
        }
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < n; j++) {
                float ms = 1.0f, vs = 1.0f;
                if (score[h][j] > best[h]) {
                    float old = best[h];
                    best[h] = score[h][j];
                    ms = expf(old - best[h]);
                } else {
                    vs = expf(score[h][j] - best[h]);
                }
                rescale[h][j] = ms;
                weight[h][j] = vs;
                total[h] = total[h] * ms + vs;
            }
        }
        for (int j = 0; j < n; j++) {
            __m512 vf[4];
            widen_row(values, j0 + j, kv_stride, vf);
            for (int h = 0; h < heads; h++) {
                if (rescale[h][j] != 1.0f) {  // scaling halves by 1 changes nothing
                    __m512 m = _mm512_set1_ps(rescale[h][j]);
                    for (int i = 0; i < 4; i++) acc[h][i] = round_to_halves(_mm512_mul_ps(acc[h][i], m));
                }
                __m512 w = _mm512_set1_ps(weight[h][j]);
                for (int i = 0; i < 4; i++) acc[h][i] = round_to_halves(_mm512_fmadd_ps(vf[i], w, acc[h][i]));
            }
        }
    }
    for (int h = 0; h < heads; h++) {
        __m512 inverse = _mm512_set1_ps(total[h] > 0 ? 1.0f / total[h] : 0.0f);
        for (int i = 0; i < 4; i++) _mm512_storeu_ps(o + 64 * h + 16 * i, _mm512_mul_ps(acc[h][i], inverse));
    }
}
#endif
