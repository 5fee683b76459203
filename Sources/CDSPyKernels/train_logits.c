// The vocabulary products of training, only for the rows that have targets: logits = X·Wᵀ and
// d_X = d_logits·W, with W dense floats or a ggml-typed matrix dequantized chunk by chunk (a
// 262k-token vocabulary need not be expanded to floats). The backward pass splits the
// vocabulary into sixteen fixed partitions whose partial sums are added in order, so the
// result does not depend on the thread count.
#include "internal.h"
#include "CDSPyTraining.h"

#include <math.h>
#include <string.h>

enum { CHUNK = 256, PARTITIONS = 16 };

typedef struct {
    const float *dense;
    int type;
    const void *weights;
    size_t row_bytes;
    int vocabulary, hidden, rows;
    const float *x;
    float *logits;
    const float *d_logits;
    float *partials, *chunk_scratch;
} logits_job;

// Rows [v0, v0 + count) of W as floats: the dense matrix itself, or dequantized into `buffer`.
static const float *chunk_rows(const logits_job *j, int v0, int count, float *buffer) {
    if (j->dense) return j->dense + (size_t)v0 * j->hidden;
    for (int r = 0; r < count; r++)
        dspy_dequantize(j->type, (const char *)j->weights + (size_t)(v0 + r) * j->row_bytes,
                        buffer + (size_t)r * j->hidden, j->hidden);
    return buffer;
}

static void forward_chunk(void *context, int chunk, int thread) {
    const logits_job *j = context;
    int v0 = chunk * CHUNK, count = j->vocabulary - v0 < CHUNK ? j->vocabulary - v0 : CHUNK;
    const float *w = chunk_rows(j, v0, count, j->chunk_scratch + (size_t)thread * CHUNK * j->hidden);
    dspy_sgemm(NULL, 0, 1, j->rows, count, j->hidden, 1, j->x, j->hidden, w, j->hidden, 0, j->logits + v0,
               j->vocabulary);
}

void dspy_train_logits(dspy_pool *pool, const float *dense, int type, const void *weights, size_t row_bytes,
                       int vocabulary, int hidden, const float *x, int rows, float *logits, float *scratch) {
    logits_job j = {dense, type, weights, row_bytes, vocabulary, hidden, rows, x, logits, NULL, NULL,
                    scratch + (size_t)PARTITIONS * rows * hidden};
    dspy_parallel_for(pool, (vocabulary + CHUNK - 1) / CHUNK, forward_chunk, &j);
}

static void backward_partition(void *context, int partition, int thread) {
    const logits_job *j = context;
    int chunks = (j->vocabulary + CHUNK - 1) / CHUNK;
    int first = (int)((long)chunks * partition / PARTITIONS), last = (int)((long)chunks * (partition + 1) / PARTITIONS);
    float *partial = j->partials + (size_t)partition * j->rows * j->hidden;
    if (first == last) {
        memset(partial, 0, (size_t)j->rows * j->hidden * sizeof(float));
        return;
    }
    for (int c = first; c < last; c++) {
        int v0 = c * CHUNK, count = j->vocabulary - v0 < CHUNK ? j->vocabulary - v0 : CHUNK;
        const float *w = chunk_rows(j, v0, count, j->chunk_scratch + (size_t)thread * CHUNK * j->hidden);
        dspy_sgemm(NULL, 0, 0, j->rows, j->hidden, count, 1, j->d_logits + v0, j->vocabulary, w, j->hidden,
                   c == first ? 0 : 1, partial, j->hidden);
    }
}

void dspy_train_logits_backward(dspy_pool *pool, const float *dense, int type, const void *weights,
                                size_t row_bytes, int vocabulary, int hidden, const float *d_logits, int rows,
                                float *d_x, float *scratch) {
    logits_job j = {dense, type, weights, row_bytes, vocabulary, hidden, rows, NULL, NULL, d_logits, scratch,
                    scratch + (size_t)PARTITIONS * rows * hidden};
    dspy_parallel_for(pool, PARTITIONS, backward_partition, &j);
    size_t count = (size_t)rows * hidden;
    for (size_t i = 0; i < count; i++) {
        float sum = 0;
        for (int p = 0; p < PARTITIONS; p++) sum += scratch[(size_t)p * count + i];
        d_x[i] = sum;
    }
}

size_t dspy_train_logits_scratch_count(int hidden, int rows, int threads) {
    return (size_t)PARTITIONS * rows * hidden + (size_t)threads * CHUNK * hidden;
}

typedef struct {
    float *logits;
    int vocabulary;
    const int32_t *targets;
    const float *bias;
    float softcap, scale;
    double *losses;
} entropy_job;

static void entropy_row(void *context, int row, int thread) {
    (void)thread;
    const entropy_job *j = context;
    float *z = j->logits + (size_t)row * j->vocabulary;
    int n = j->vocabulary;
    if (j->bias) for (int v = 0; v < n; v++) z[v] += j->bias[v];
    if (j->softcap != 0) {
        float inverse = 1.0f / j->softcap;
        for (int v = 0; v < n; v++) z[v] = tanhf(z[v] * inverse) * j->softcap;
    }
    float max = -INFINITY;
    for (int v = 0; v < n; v++) max = z[v] > max ? z[v] : max;
    double sum = 0;
    for (int v = 0; v < n; v++) sum += exp((double)(z[v] - max));
    double lse = (double)max + log(sum);
    int target = j->targets[row];
    j->losses[row] = lse - (double)z[target];
    for (int v = 0; v < n; v++) {
        float capped = z[v];
        float d = (float)exp((double)capped - lse) * j->scale;
        if (v == target) d -= j->scale;
        if (j->softcap != 0) {
            float ratio = capped / j->softcap;
            d *= 1.0f - ratio * ratio;
        }
        z[v] = d;
    }
}

void dspy_train_cross_entropy(dspy_pool *pool, float *logits, int rows, int vocabulary, const int32_t *targets,
                              const float *bias, float softcap, float scale, double *losses) {
    entropy_job j = {logits, vocabulary, targets, bias, softcap, scale, losses};
    dspy_parallel_for(pool, rows, entropy_row, &j);
}
