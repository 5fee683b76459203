// Causal grouped-query attention over a half-precision KV cache. Each (token, head)
// pair is one task; tasks are dealt round-robin to the pool's threads.
#include "internal.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#if DSPY_X86
#include <immintrin.h>

// Sums in the order llama.cpp's AVX-512 build does (four 16-lane accumulators over
// 64-element steps, folded pairwise, then the 512-bit horizontal reduction), emulated
// with 8-lane halves: this model amplifies one-ulp differences, so the order matters.
// Leftover elements are added in double, as ggml_vec_dot_f16 does.
DSPY_AVX2 static float dot_f16_order512(const float *q, const uint16_t *k, int n) {
    __m256 lo[4], hi[4];
    for (int j = 0; j < 4; j++) lo[j] = hi[j] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int j = 0; j < 4; j++) {
            const float *qj = q + i + 16 * j;
            const uint16_t *kj = k + i + 16 * j;
            lo[j] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)kj)), _mm256_loadu_ps(qj), lo[j]);
            hi[j] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kj + 8))), _mm256_loadu_ps(qj + 8), hi[j]);
        }
    }
    lo[0] = _mm256_add_ps(lo[0], lo[2]); hi[0] = _mm256_add_ps(hi[0], hi[2]);
    lo[1] = _mm256_add_ps(lo[1], lo[3]); hi[1] = _mm256_add_ps(hi[1], hi[3]);
    lo[0] = _mm256_add_ps(lo[0], lo[1]); hi[0] = _mm256_add_ps(hi[0], hi[1]);
    __m256 t3 = _mm256_add_ps(hi[0], lo[0]);
    __m128 t6 = _mm_add_ps(_mm256_extractf128_ps(t3, 1), _mm256_castps256_ps128(t3));
    __m128 t8 = _mm_add_ps(t6, _mm_shuffle_ps(t6, t6, _MM_SHUFFLE(1, 0, 3, 2)));
    double sum = _mm_cvtss_f32(t8) + _mm_cvtss_f32(_mm_shuffle_ps(t8, t8, 1));
    for (; i < n; i++) sum += (double)(q[i] * _cvtsh_ss(k[i]));
    return (float)sum;
}

// The order of llama.cpp's AVX2 build: four 8-lane accumulators over 32-element steps,
// folded 0+2, 1+3, then together, then the upper and lower 128-bit halves added and the
// four lanes summed pairwise ((0+1) + (2+3), its two horizontal adds); leftovers in double.
DSPY_AVX2 static float dot_f16_order256(const float *q, const uint16_t *k, int n) {
    __m256 acc[4];
    for (int j = 0; j < 4; j++) acc[j] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 32 <= n; i += 32)
        for (int j = 0; j < 4; j++)
            acc[j] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(k + i + 8 * j))),
                                     _mm256_loadu_ps(q + i + 8 * j), acc[j]);
    acc[0] = _mm256_add_ps(acc[0], acc[2]);
    acc[1] = _mm256_add_ps(acc[1], acc[3]);
    acc[0] = _mm256_add_ps(acc[0], acc[1]);
    __m128 t0 = _mm_add_ps(_mm256_castps256_ps128(acc[0]), _mm256_extractf128_ps(acc[0], 1));
    __m128 t1 = _mm_hadd_ps(t0, t0);
    double sum = _mm_cvtss_f32(_mm_hadd_ps(t1, t1));
    for (; i < n; i++) sum += (double)(q[i] * _cvtsh_ss(k[i]));
    return (float)sum;
}

DSPY_AVX2 void dspy_fp32_to_fp16_row_avx2(const float *x, uint16_t *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = dspy_fp32_to_fp16(x[i]);
}
#endif

static float dot_f16_scalar(const float *q, const uint16_t *k, int n) {
    float sum = 0;
    for (int i = 0; i < n; i++) sum += q[i] * dspy_fp16_to_fp32(k[i]);
    return sum;
}

typedef struct {
    const float *q;
    int q_stride;
    float *out;
    int out_stride;
    const dspy_attention_span *spans;
    int tokens, heads, kv_heads, head_dim;
    float scale;
    _Atomic int next_task;
} attention_job;

#if DSPY_X86
// One (token, head) the way llama.cpp's CPU flash attention computes it: the query
// rounded to halves, an online softmax, and the weighted sum of values accumulated in
// halves (rounded after every step). Matching this keeps logits within ~1e-2 of it.
DSPY_AVX2 static void attend_one_avx2(const float *q, const uint16_t *keys, const uint16_t *values,
                                      int visible, int kv_stride, int hd, float scale, float *o, int order) {
    float q16[256];
    uint16_t acc[256];
    for (int i = 0; i < hd; i += 8) {
        __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(q + i), _MM_FROUND_TO_NEAREST_INT);
        _mm256_storeu_ps(q16 + i, _mm256_cvtph_ps(h));
        _mm_storeu_si128((__m128i *)(acc + i), _mm_setzero_si128());
    }
    float best = -INFINITY, total = 0;
    for (int j = 0; j < visible; j++) {
        const uint16_t *key = keys + (size_t)j * kv_stride;
        float s = (order == DSPY_ORDER_AVX512 ? dot_f16_order512(q16, key, hd) : dot_f16_order256(q16, key, hd)) * scale;
        float ms = 1.0f, vs = 1.0f;
        if (s > best) {
            float old = best;
            best = s;
            ms = expf(old - best);
            __m256 m = _mm256_set1_ps(ms);
            for (int i = 0; i < hd; i += 8) {
                __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i)));
                _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_mul_ps(a, m), _MM_FROUND_TO_NEAREST_INT));
            }
        } else {
            vs = expf(s - best);
        }
        const uint16_t *v = values + (size_t)j * kv_stride;
        __m256 w = _mm256_set1_ps(vs);
        for (int i = 0; i < hd; i += 8) {
            __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i)));
            __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
            _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_fmadd_ps(x, w, a), _MM_FROUND_TO_NEAREST_INT));
        }
        total = total * ms + vs;
    }
    __m256 inverse = _mm256_set1_ps(total > 0 ? 1.0f / total : 0.0f);
    for (int i = 0; i < hd; i += 8)
        _mm256_storeu_ps(o + i, _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i))), inverse));
}
#endif

static inline float round_to_half(float x) { return dspy_fp16_to_fp32(dspy_fp32_to_fp16(x)); }

static void attend_one_scalar(const float *q, const uint16_t *keys, const uint16_t *values,
                              int visible, int kv_stride, int hd, float scale, float *o) {
    float q16[256], acc[256];
    for (int i = 0; i < hd; i++) {
        q16[i] = round_to_half(q[i]);
        acc[i] = 0;
    }
    float best = -INFINITY, total = 0;
    for (int j = 0; j < visible; j++) {
        float s = dot_f16_scalar(q16, keys + (size_t)j * kv_stride, hd) * scale;
        float ms = 1.0f, vs = 1.0f;
        if (s > best) {
            float old = best;
            best = s;
            ms = expf(old - best);
            for (int i = 0; i < hd; i++) acc[i] = round_to_half(acc[i] * ms);
        } else {
            vs = expf(s - best);
        }
        const uint16_t *v = values + (size_t)j * kv_stride;
        for (int i = 0; i < hd; i++) acc[i] = round_to_half(acc[i] + dspy_fp16_to_fp32(v[i]) * vs);
        total = total * ms + vs;
    }
    float inverse = total > 0 ? 1.0f / total : 0.0f;
    for (int i = 0; i < hd; i++) o[i] = acc[i] * inverse;
}

static void attention_worker(void *context, int ith, int nth) {
    (void)ith;
    (void)nth;
    attention_job *job = context;
    int avx2 = DSPY_X86 && dspy_kernels_use_avx2() && job->head_dim % 8 == 0;
    int order = dspy_kernel_order();
    int group = job->heads / job->kv_heads;
    int kv_stride = job->kv_heads * job->head_dim;
    int hd = job->head_dim;
    // A task is one query head of one token, or on AVX-512 (64-dimensional heads) all the
    // query heads sharing a key/value head, which then read the cache once.
    int grouped = 0;
#if DSPY_X86
    grouped = avx2 && hd == 64 && group <= DSPY_ATTENTION_GROUP_MAX && dspy_cpu_has_avx512_vnni() &&
              order == DSPY_ORDER_AVX512;
#endif
    int per_task = grouped ? group : 1;
    dspy_path_hit(grouped ? DSPY_PATH_ATTEND_GROUP_AVX512 : avx2 ? DSPY_PATH_ATTEND_AVX2 : DSPY_PATH_ATTEND_SCALAR);
    if (avx2) dspy_path_hit(order == DSPY_ORDER_AVX512 ? DSPY_PATH_ORDER_F16_DOT_AVX512 : DSPY_PATH_ORDER_F16_DOT_AVX2);
    int tasks_per_token = job->heads / per_task;
    for (;;) {
        int task = atomic_fetch_add_explicit(&job->next_task, 1, memory_order_relaxed);
        if (task >= job->tokens * tasks_per_token) return;
        int t = task / tasks_per_token, h = task % tasks_per_token * per_task, g = h / group;
        const float *q = job->q + (size_t)t * job->q_stride + (size_t)h * hd;
        float *o = job->out + (size_t)t * job->out_stride + (size_t)h * hd;
        const dspy_attention_span span = job->spans[t];
        const uint16_t *keys = span.keys + (size_t)g * hd;
        const uint16_t *values = span.values + (size_t)g * hd;
#if DSPY_X86
        if (grouped) {
            dspy_attend_group_hd64_avx512(q, group, keys, values, span.visible, kv_stride, job->scale, o);
            continue;
        }
        if (avx2) {
            attend_one_avx2(q, keys, values, span.visible, kv_stride, hd, job->scale, o, order);
            continue;
        }
#endif
        attend_one_scalar(q, keys, values, span.visible, kv_stride, hd, job->scale, o);
    }
}

void dspy_attention(dspy_pool *pool, const float *q, int q_stride, float *out, int out_stride,
                    const dspy_attention_span *spans, int tokens, int heads, int kv_heads,
                    int head_dim, float scale) {
    attention_job job = {q, q_stride, out, out_stride, spans, tokens, heads, kv_heads,
                         head_dim, scale, 0};
    dspy_pool_run(pool, attention_worker, &job);
}
