// Causal grouped-query attention for training, forward and backward, over one sequence.
// Scores and products go through dspy_sgemm on the task's own thread (one pool task per head);
// masked scores (future positions, or positions left of a sliding window) get probability 0.
// The full tokens × tokens score matrix of a head is computed and kept for the backward pass.
#include "internal.h"
#include "CDSPyTraining.h"

#include <math.h>

typedef struct {
    const float *q, *k, *v, *probs, *d_out;
    float *out, *probs_out, *dq, *dk, *dv, *scratch;
    int q_stride, kv_stride, tokens, heads, kv_heads, head_dim, window, threads;
    float scale;
} attention_job;

static int first_visible(int row, int window) {
    int first = window > 0 ? row + 1 - window : 0;
    return first < 0 ? 0 : first;
}

static void forward_head(void *context, int h, int thread) {
    (void)thread;
    const attention_job *a = context;
    int t = a->tokens, d = a->head_dim, g = h / (a->heads / a->kv_heads);
    float *p = a->probs_out + (size_t)h * t * t;
    dspy_sgemm(NULL, 0, 1, t, t, d, a->scale, a->q + (size_t)h * d, a->q_stride, a->k + (size_t)g * d, a->kv_stride,
               0, p, t);
    for (int i = 0; i < t; i++) {
        float *row = p + (size_t)i * t;
        int first = first_visible(i, a->window);
        float max = -INFINITY;
        for (int j = first; j <= i; j++) max = row[j] > max ? row[j] : max;
        double sum = 0;
        for (int j = first; j <= i; j++) {
            row[j] = expf(row[j] - max);
            sum += row[j];
        }
        float inverse = (float)(1.0 / sum);
        for (int j = 0; j < first; j++) row[j] = 0;
        for (int j = first; j <= i; j++) row[j] *= inverse;
        for (int j = i + 1; j < t; j++) row[j] = 0;
    }
    dspy_sgemm(NULL, 0, 0, t, d, t, 1, p, t, a->v + (size_t)g * d, a->kv_stride, 0, a->out + (size_t)h * d,
               a->q_stride);
}

void dspy_train_attention(dspy_pool *pool, const float *q, int q_stride, const float *k, const float *v,
                          int kv_stride, float *out, float *probs, int tokens, int heads, int kv_heads,
                          int head_dim, int window, float scale) {
    attention_job a = {.q = q, .k = k, .v = v, .out = out, .probs_out = probs, .q_stride = q_stride,
                       .kv_stride = kv_stride, .tokens = tokens, .heads = heads, .kv_heads = kv_heads,
                       .head_dim = head_dim, .window = window, .scale = scale};
    dspy_parallel_for(pool, heads, forward_head, &a);
}

size_t dspy_train_attention_scratch_count(int tokens, int heads, int head_dim, int threads) {
    return (size_t)threads * tokens * tokens + 2 * (size_t)heads * tokens * head_dim;
}

// One query head: dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)), dQ = scale·dS·K, and this head's
// partial dK = scale·dSᵀ·Q and dV = Pᵀ·dO (tokens rows, head_dim wide, in the scratch).
static void backward_head(void *context, int h, int thread) {
    const attention_job *a = context;
    int t = a->tokens, d = a->head_dim, g = h / (a->heads / a->kv_heads);
    const float *p = a->probs + (size_t)h * t * t;
    const float *d_out = a->d_out + (size_t)h * d;
    float *ds = a->scratch + (size_t)thread * t * t;
    float *dk_part = a->scratch + (size_t)a->threads * t * t + (size_t)h * t * d;
    float *dv_part = dk_part + (size_t)a->heads * t * d;
    dspy_sgemm(NULL, 0, 1, t, t, d, 1, d_out, a->q_stride, a->v + (size_t)g * d, a->kv_stride, 0, ds, t);
    for (int i = 0; i < t; i++) {
        const float *pr = p + (size_t)i * t;
        float *row = ds + (size_t)i * t;
        int first = first_visible(i, a->window);
        double dot = 0;
        for (int j = first; j <= i; j++) dot += (double)pr[j] * row[j];
        float D = (float)dot;
        for (int j = 0; j < first; j++) row[j] = 0;
        for (int j = first; j <= i; j++) row[j] = pr[j] * (row[j] - D);
        for (int j = i + 1; j < t; j++) row[j] = 0;
    }
    dspy_sgemm(NULL, 0, 0, t, d, t, a->scale, ds, t, a->k + (size_t)g * d, a->kv_stride, 0, a->dq + (size_t)h * d,
               a->q_stride);
    dspy_sgemm(NULL, 1, 0, t, d, t, a->scale, ds, t, a->q + (size_t)h * d, a->q_stride, 0, dk_part, d);
    dspy_sgemm(NULL, 1, 0, t, d, t, 1, p, t, d_out, a->q_stride, 0, dv_part, d);
}

void dspy_train_attention_backward(dspy_pool *pool, const float *q, int q_stride, const float *k,
                                   const float *v, int kv_stride, const float *probs, const float *d_out,
                                   float *dq, float *dk, float *dv, int tokens, int heads, int kv_heads,
                                   int head_dim, int window, float scale, float *scratch) {
    attention_job a = {.q = q, .k = k, .v = v, .probs = probs, .d_out = d_out, .dq = dq, .dk = dk, .dv = dv,
                       .scratch = scratch, .q_stride = q_stride, .kv_stride = kv_stride, .tokens = tokens,
                       .heads = heads, .kv_heads = kv_heads, .head_dim = head_dim, .window = window,
                       .scale = scale, .threads = dspy_pool_threads(pool)};
    dspy_parallel_for(pool, heads, backward_head, &a);
    int t = tokens, d = head_dim, group = heads / kv_heads;
    const float *dk_parts = scratch + (size_t)a.threads * t * t;
    const float *dv_parts = dk_parts + (size_t)heads * t * d;
    for (int g = 0; g < kv_heads; g++) {
        for (int i = 0; i < t; i++) {
            float *dk_row = dk + (size_t)i * kv_stride + (size_t)g * d;
            float *dv_row = dv + (size_t)i * kv_stride + (size_t)g * d;
            for (int x = 0; x < d; x++) {
                float sk = 0, sv = 0;
                for (int h = g * group; h < (g + 1) * group; h++) {
                    sk += dk_parts[(size_t)h * t * d + (size_t)i * d + x];
                    sv += dv_parts[(size_t)h * t * d + (size_t)i * d + x];
                }
                dk_row[x] = sk;
                dv_row[x] = sv;
            }
        }
    }
}
