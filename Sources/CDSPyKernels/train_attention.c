// Causal grouped-query attention for training, forward and backward, over one sequence.
// Work is split into blocks of BLOCK query rows (and, for the key/value gradients, BLOCK key
// columns), one pool task per (head, block), largest first; each task runs dspy_sgemm on its
// own thread. A row block only computes the columns left of its diagonal block's end, so the
// masked upper triangle of the tokens × tokens matrices is (mostly) neither computed nor
// stored; masked scores inside that range (future positions, or positions left of a sliding
// window) get probability 0. Every output element is written by exactly one task with a fixed
// summation order, so results do not depend on the thread count.
#include "internal.h"
#include "CDSPyTraining.h"

#include <math.h>

enum { BLOCK = 64 };

typedef struct {
    const float *q, *k, *v, *probs, *d_out;
    float *out, *probs_out, *dq, *dk, *dv, *scratch;
    int q_stride, kv_stride, out_stride, tokens, heads, kv_heads, head_dim, window, blocks;
    float scale;
} attention_job;

static int first_visible(int row, int window) {
    int first = window > 0 ? row + 1 - window : 0;
    return first < 0 ? 0 : first;
}

// Task `index` → (head, block), the blocks with the most columns first.
static void task_block(const attention_job *a, int index, int *head, int *block) {
    *head = index % a->heads;
    *block = a->blocks - 1 - index / a->heads;
}

static void forward_block(void *context, int index, int thread) {
    (void)thread;
    const attention_job *a = context;
    int h, b;
    task_block(a, index, &h, &b);
    int t = a->tokens, d = a->head_dim, g = h / (a->heads / a->kv_heads);
    int i0 = b * BLOCK, i1 = i0 + BLOCK < t ? i0 + BLOCK : t;
    float *p = a->probs_out + (size_t)h * t * t + (size_t)i0 * t;
    dspy_sgemm(NULL, 0, 1, i1 - i0, i1, d, a->scale, a->q + (size_t)i0 * a->q_stride + (size_t)h * d, a->q_stride,
               a->k + (size_t)g * d, a->kv_stride, 0, p, t);
    for (int i = i0; i < i1; i++) {
        float *row = p + (size_t)(i - i0) * t;
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
        for (int j = i + 1; j < i1; j++) row[j] = 0;
    }
    dspy_sgemm(NULL, 0, 0, i1 - i0, d, i1, 1, p, t, a->v + (size_t)g * d, a->kv_stride, 0,
               a->out + (size_t)i0 * a->out_stride + (size_t)h * d, a->out_stride);
}

void dspy_train_attention(dspy_pool *pool, const float *q, int q_stride, const float *k, const float *v,
                          int kv_stride, float *out, int out_stride, float *probs, int tokens, int heads,
                          int kv_heads, int head_dim, int window, float scale) {
    attention_job a = {.q = q, .k = k, .v = v, .out = out, .probs_out = probs, .q_stride = q_stride,
                       .kv_stride = kv_stride, .out_stride = out_stride, .tokens = tokens, .heads = heads, .kv_heads = kv_heads,
                       .head_dim = head_dim, .window = window, .scale = scale, .blocks = (tokens + BLOCK - 1) / BLOCK};
    dspy_parallel_for(pool, heads * a.blocks, forward_block, &a);
}

size_t dspy_train_attention_scratch_count(int tokens, int heads, int head_dim, int threads) {
    (void)threads;
    return (size_t)heads * tokens * tokens + 2 * (size_t)heads * tokens * head_dim;
}

// One row block of one query head: dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)) (into the
// head's scratch matrix), dQ = scale·dS·K.
static void backward_rows(void *context, int index, int thread) {
    (void)thread;
    const attention_job *a = context;
    int h, b;
    task_block(a, index, &h, &b);
    int t = a->tokens, d = a->head_dim, g = h / (a->heads / a->kv_heads);
    int i0 = b * BLOCK, i1 = i0 + BLOCK < t ? i0 + BLOCK : t;
    const float *p = a->probs + (size_t)h * t * t + (size_t)i0 * t;
    float *ds = a->scratch + (size_t)h * t * t + (size_t)i0 * t;
    dspy_sgemm(NULL, 0, 1, i1 - i0, i1, d, 1, a->d_out + (size_t)i0 * a->out_stride + (size_t)h * d, a->out_stride,
               a->v + (size_t)g * d, a->kv_stride, 0, ds, t);
    for (int i = i0; i < i1; i++) {
        const float *pr = p + (size_t)(i - i0) * t;
        float *row = ds + (size_t)(i - i0) * t;
        int first = first_visible(i, a->window);
        double dot = 0;
        for (int j = first; j <= i; j++) dot += (double)pr[j] * row[j];
        float D = (float)dot;
        for (int j = 0; j < first; j++) row[j] = 0;
        for (int j = first; j <= i; j++) row[j] = pr[j] * (row[j] - D);
        for (int j = i + 1; j < i1; j++) row[j] = 0;
    }
    dspy_sgemm(NULL, 0, 0, i1 - i0, d, i1, a->scale, ds, t, a->k + (size_t)g * d, a->kv_stride, 0,
               a->dq + (size_t)i0 * a->q_stride + (size_t)h * d, a->q_stride);
}

// One key column block [j0, j1) of one query head: its partial dK = scale·dSᵀ·Q and dV = Pᵀ·dO
// over the rows i ≥ j0 (the only ones that see these keys), into the scratch.
static void backward_columns(void *context, int index, int thread) {
    (void)thread;
    const attention_job *a = context;
    int h = index % a->heads, b = index / a->heads;
    int t = a->tokens, d = a->head_dim;
    int j0 = b * BLOCK, j1 = j0 + BLOCK < t ? j0 + BLOCK : t;
    const float *p = a->probs + (size_t)h * t * t;
    const float *ds = a->scratch + (size_t)h * t * t;
    float *dk_part = a->scratch + (size_t)a->heads * t * t + (size_t)h * t * d;
    float *dv_part = dk_part + (size_t)a->heads * t * d;
    size_t corner = (size_t)j0 * t + j0;
    dspy_sgemm(NULL, 1, 0, j1 - j0, d, t - j0, a->scale, ds + corner, t,
               a->q + (size_t)j0 * a->q_stride + (size_t)h * d, a->q_stride, 0, dk_part + (size_t)j0 * d, d);
    dspy_sgemm(NULL, 1, 0, j1 - j0, d, t - j0, 1, p + corner, t,
               a->d_out + (size_t)j0 * a->out_stride + (size_t)h * d, a->out_stride, 0, dv_part + (size_t)j0 * d, d);
}

void dspy_train_attention_backward(dspy_pool *pool, const float *q, int q_stride, const float *k,
                                   const float *v, int kv_stride, const float *probs, const float *d_out,
                                   int d_out_stride, float *dq, float *dk, float *dv, int tokens, int heads, int kv_heads,
                                   int head_dim, int window, float scale, float *scratch) {
    attention_job a = {.q = q, .k = k, .v = v, .probs = probs, .d_out = d_out, .dq = dq, .dk = dk, .dv = dv,
                       .scratch = scratch, .q_stride = q_stride, .kv_stride = kv_stride, .out_stride = d_out_stride, .tokens = tokens,
                       .heads = heads, .kv_heads = kv_heads, .head_dim = head_dim, .window = window,
                       .scale = scale, .blocks = (tokens + BLOCK - 1) / BLOCK};
    dspy_parallel_for(pool, heads * a.blocks, backward_rows, &a);
    dspy_parallel_for(pool, heads * a.blocks, backward_columns, &a);
    int t = tokens, d = head_dim, group = heads / kv_heads;
    const float *dk_parts = scratch + (size_t)heads * t * t;
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
