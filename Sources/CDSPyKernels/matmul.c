// Matrix products over a pool: the rows of one or more weight matrices that share an
// input are concatenated and split evenly across threads; each row is multiplied
// with every token's activations while it is hot in L1. With eight or more tokens the
// activations are first regrouped so that the lane kernels take eight tokens per pass.
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const dspy_matrix *matrices;
    int count;
    int total_rows;
    dspy_activations x;
    const dspy_block_q8 *xq;          // x.q8
    int tokens;
    const dspy_block_q8_lanes *lanes; // the first lane_tokens tokens, eight per group
    const dspy_lanes_bias *bias;      // their offset terms, when an AVX-512 kernel needs them
    const dspy_lanes_bias *q5_offsets; // their offset terms for the Q5_0 lane kernel
    int lane_tokens;
    int chunk_rows;
    _Atomic int next_chunk;
} matmul_job;

static dspy_row_dot row_dot_for(int type, int avx2) {
#if DSPY_X86
    if (avx2 && dspy_cpu_has_avx_vnni()) {
        switch (type) {
        case DSPY_TYPE_Q4_0: return dspy_dot_q4_0_vnni;
        case DSPY_TYPE_Q4_1: return dspy_dot_q4_1_vnni;
        case DSPY_TYPE_Q8_0: return dspy_dot_q8_0_vnni;
        default: break;
        }
    }
#endif
    switch (type) {
#if DSPY_X86
    case DSPY_TYPE_Q4_0: return avx2 ? dspy_dot_q4_0_avx2 : dspy_dot_q4_0_scalar;
    case DSPY_TYPE_Q4_1: return avx2 ? dspy_dot_q4_1_avx2 : dspy_dot_q4_1_scalar;
    case DSPY_TYPE_Q8_0: return avx2 ? dspy_dot_q8_0_avx2 : dspy_dot_q8_0_scalar;
#else
    case DSPY_TYPE_Q4_0: return dspy_dot_q4_0_scalar;
    case DSPY_TYPE_Q4_1: return dspy_dot_q4_1_scalar;
    case DSPY_TYPE_Q8_0: return dspy_dot_q8_0_scalar;
#endif
    default: return NULL;
    }
}

static dspy_lanes_dot lanes_dot_for(int type) {
#if DSPY_X86
    if (!dspy_kernels_use_avx2()) return NULL;
    int vnni = dspy_cpu_has_avx_vnni();
    switch (type) {
    case DSPY_TYPE_Q4_0: return vnni ? dspy_dot_q4_0_lanes_vnni : dspy_dot_q4_0_lanes_avx2;
    case DSPY_TYPE_Q4_1: return vnni ? dspy_dot_q4_1_lanes_vnni : dspy_dot_q4_1_lanes_avx2;
    case DSPY_TYPE_Q8_0: return vnni ? dspy_dot_q8_0_lanes_vnni : dspy_dot_q8_0_lanes_avx2;
    default: return NULL;
    }
#else
    (void)type;
    return NULL;
#endif
}

static dspy_lanes2_dot lanes2_dot_for(int type) {
#if DSPY_X86
    if (!dspy_kernels_use_avx2() || !dspy_cpu_has_avx512_vnni()) return NULL;
    switch (type) {
    case DSPY_TYPE_Q4_0: return dspy_dot_q4_0_lanes2_avx512;
    case DSPY_TYPE_Q4_1: return dspy_dot_q4_1_lanes2_avx512;
    case DSPY_TYPE_Q8_0: return dspy_dot_q8_0_lanes2_avx512;
    default: return NULL;
    }
#else
    (void)type;
    return NULL;
#endif
}

// Whether Q5_0 rows take the lane kernel (AVX2, whatever else the CPU has: one kernel for all).
static int q5_lanes_for(int type) {
#if DSPY_X86
    return type == DSPY_TYPE_Q5_0 && dspy_kernels_use_avx2();
#else
    (void)type;
    return 0;
#endif
}

// Whether the two-row kernel for `type` needs the offset terms (signed weights: Q4_0, Q8_0).
static int lanes2_needs_bias(int type) { return type != DSPY_TYPE_Q4_1 && lanes2_dot_for(type) != NULL; }

// Rows [r0, r1) against the tokens packed in lanes, two rows at a time where AVX-512 allows.
static void lanes_rows(const matmul_job *job, const dspy_matrix *m, int r0, int r1, dspy_lanes_dot one,
                       dspy_lanes2_dot two) {
    const uint8_t *base = m->weights;
    int blocks = m->cols / 32, os = m->out_stride;
    int r = r0;
    for (; two && r + 2 <= r1; r += 2) {
        const void *wa = base + (size_t)r * m->row_bytes, *wb = base + (size_t)(r + 1) * m->row_bytes;
        for (int t = 0; t < job->lane_tokens; t += 8) {
            int n = job->lane_tokens - t < 8 ? job->lane_tokens - t : 8;
            float *out = m->out + (size_t)t * os + r;
            size_t group = (size_t)(t / 8) * blocks;
            two(wa, wb, job->lanes + group, job->bias ? job->bias + group : NULL, blocks, out, out + 1, os, n);
        }
    }
    for (; r < r1; r++) {
        const void *w = base + (size_t)r * m->row_bytes;
        for (int t = 0; t < job->lane_tokens; t += 8) {
            int n = job->lane_tokens - t < 8 ? job->lane_tokens - t : 8;
            one(w, job->lanes + (size_t)(t / 8) * blocks, blocks, m->out + (size_t)t * os + r, os, n);
        }
    }
}

#if DSPY_X86
// Q5_0 rows [r0, r1) against the packed tokens: eight tokens at a time across all the rows, so
// that the eight tokens' activations stay in L1 while the rows stream past.
static void q5_lanes_rows(const matmul_job *job, const dspy_matrix *m, int r0, int r1) {
    const uint8_t *base = m->weights;
    int blocks = m->cols / 32, os = m->out_stride;
    for (int t = 0; t < job->lane_tokens; t += 8) {
        int n = job->lane_tokens - t < 8 ? job->lane_tokens - t : 8;
        size_t group = (size_t)(t / 8) * blocks;
        for (int r = r0; r < r1; r++)
            dspy_dot_q5_0_lanes_avx2(base + (size_t)r * m->row_bytes, job->lanes + group, job->q5_offsets + group,
                                     blocks, m->out + (size_t)t * os + r, os, n);
    }
}
#endif

static void matmul_rows(const matmul_job *job, const dspy_matrix *m, int r0, int r1) {
    int avx2 = dspy_kernels_use_avx2();
    const uint8_t *base = m->weights;
    int blocks = m->cols / 32;
    size_t os = (size_t)m->out_stride;
#if DSPY_X86
    if (job->q5_offsets && q5_lanes_for(m->type)) {
        // The packed tokens through the lane kernel, the rest (fewer than four) one row at a time.
        dspy_path_hit(DSPY_PATH_Q5_LANES_AVX2);
        q5_lanes_rows(job, m, r0, r1);
        int done = job->lane_tokens;
        if (done == job->tokens) return;
        dspy_matrix rest = *m;
        rest.out = m->out + (size_t)done * os;
        dspy_activations x = job->x;
        x.q8 = job->xq + (size_t)done * blocks;
        dspy_matmul_rows_k(&rest, r0, r1, &x, job->tokens - done, avx2);
        return;
    }
#endif
    if (dspy_matmul_rows_k(m, r0, r1, &job->x, job->tokens, avx2)) return;
    dspy_row_dot dot = row_dot_for(m->type, avx2);
    if (dot) {
        // Quantized rows: the packed tokens through the lane kernels, the rest one row at a time.
        dspy_lanes_dot lanes_dot = job->lanes ? lanes_dot_for(m->type) : NULL;
        int done = lanes_dot ? job->lane_tokens : 0;
        // The two-row kernels of signed weights need the offset terms (absent if out of memory).
        dspy_lanes2_dot two = job->bias || !lanes2_needs_bias(m->type) ? lanes2_dot_for(m->type) : NULL;
        if (lanes_dot) {
            dspy_path_hit(two ? DSPY_PATH_LANES2_AVX512
                              : dspy_cpu_has_avx_vnni() ? DSPY_PATH_LANES_VNNI : DSPY_PATH_LANES_AVX2);
            lanes_rows(job, m, r0, r1, lanes_dot, two);
        }
        if (done == job->tokens) return;
        dspy_path_hit(!avx2 ? DSPY_PATH_DOT_SCALAR : dspy_cpu_has_avx_vnni() ? DSPY_PATH_DOT_VNNI : DSPY_PATH_DOT_AVX2);
        for (int r = r0; r < r1; r++)
            dot(base + (size_t)r * m->row_bytes, job->xq + (size_t)done * blocks, blocks, job->tokens - done,
                m->out + done * os + r, m->out_stride, blocks);
        return;
    }
}

// Runs rows [begin, end) of the matrices' concatenated rows.
static void matmul_range(const matmul_job *job, int begin, int end) {
    int offset = 0;
    for (int i = 0; i < job->count && begin < end; i++) {
        const dspy_matrix *m = &job->matrices[i];
        int lo = begin - offset, hi = end - offset;
        if (lo < 0) lo = 0;
        if (hi > m->rows) hi = m->rows;
        if (lo < hi) matmul_rows(job, m, lo, hi);
        offset += m->rows;
    }
}

static void matmul_worker(void *context, int ith, int nth) {
    (void)nth;
    (void)ith;
    matmul_job *job = context;
    for (;;) {
        int chunk = atomic_fetch_add_explicit(&job->next_chunk, 1, memory_order_relaxed);
        int begin = chunk * job->chunk_rows;
        if (begin >= job->total_rows) return;
        int end = begin + job->chunk_rows;
        matmul_range(job, begin, end < job->total_rows ? end : job->total_rows);
    }
}

void dspy_matmul_activations(dspy_pool *pool, const dspy_matrix *matrices, int count, const dspy_activations *x,
                             int tokens) {
    matmul_job job = {matrices, count, 0, *x, x->q8, tokens, NULL, NULL, NULL, 0, 16, 0};
    const dspy_block_q8 *xq = x->q8;
    int lanes_wanted = 0, bias_wanted = 0, q5_wanted = 0;
    for (int i = 0; i < count; i++) {
        job.total_rows += matrices[i].rows;
        lanes_wanted |= lanes_dot_for(matrices[i].type) != NULL || q5_lanes_for(matrices[i].type);
        bias_wanted |= lanes2_needs_bias(matrices[i].type);
        q5_wanted |= q5_lanes_for(matrices[i].type);
    }
    // Whole groups of eight, and a last group of at least four; fewer stay with the row kernels.
    int lane_tokens = tokens % 8 >= 4 ? tokens : tokens / 8 * 8;
    dspy_block_q8_lanes *lanes = NULL;
    dspy_lanes_bias *bias = NULL, *q5_offsets = NULL;
    if (xq && lanes_wanted && lane_tokens > 0) {
        int blocks = matrices[0].cols / 32;
        int groups = (lane_tokens + 7) / 8;
        lanes = aligned_alloc(32, sizeof *lanes * (size_t)groups * (size_t)blocks);
        if (lanes) {
            for (int g = 0; g < groups; g++) {
                int n = lane_tokens - 8 * g < 8 ? lane_tokens - 8 * g : 8;
                dspy_pack_q8_lanes(xq + (size_t)8 * g * blocks, blocks, n, blocks, lanes + (size_t)g * blocks);
            }
            job.lanes = lanes;
            job.lane_tokens = lane_tokens;
            if (bias_wanted) bias = aligned_alloc(32, sizeof *bias * (size_t)groups * (size_t)blocks);
            if (bias) dspy_lanes_bias_fill(lanes, groups * blocks, bias);
            job.bias = bias;
            // Without them (out of memory) Q5_0 rows go one at a time, with the same results.
            if (q5_wanted) q5_offsets = aligned_alloc(32, sizeof *q5_offsets * (size_t)groups * (size_t)blocks);
            if (q5_offsets) dspy_q5_offsets_fill(lanes, groups * blocks, q5_offsets);
            job.q5_offsets = q5_offsets;
        }
    }
    // About eight chunks per thread, so a late or slow thread costs little.
    int per_chunk = job.total_rows / (8 * dspy_pool_threads(pool));
    job.chunk_rows = per_chunk > 16 ? (per_chunk + 3) / 4 * 4 : 16;
    dspy_pool_run(pool, matmul_worker, &job);
    free(q5_offsets);
    free(bias);
    free(lanes);
}

void dspy_matmul(dspy_pool *pool, const dspy_matrix *matrices, int count, const float *x, int x_stride,
                 const dspy_block_q8 *xq, int tokens, float *scratch) {
    (void)scratch;
    dspy_activations a = {x, x_stride, xq, NULL, NULL, NULL, 0};
    int wanted[5] = {0};
    for (int i = 0; i < count; i++) {
        int e = dspy_activation_encoding(matrices[i].type);
        if (e >= 0) wanted[e] = 1;
    }
    int cols = count > 0 ? matrices[0].cols : 0;
    size_t elements = (size_t)tokens * (size_t)cols;
    void *q8 = NULL, *q8_k = NULL, *f16 = NULL, *bf16 = NULL;
    if (wanted[DSPY_ACTIVATIONS_Q8] && !xq && (q8 = malloc(sizeof(dspy_block_q8) * (elements / 32 + 1)))) {
        dspy_quantize_q8(x, x_stride, q8, tokens, cols);
        a.q8 = q8;
    }
    if (wanted[DSPY_ACTIVATIONS_Q8_K] && (q8_k = malloc(sizeof(dspy_block_q8_k) * (elements / 256 + 1)))) {
        dspy_quantize_q8_k(x, x_stride, q8_k, tokens, cols);
        a.q8_k = q8_k;
    }
    if (wanted[DSPY_ACTIVATIONS_F16] && (f16 = malloc(sizeof(uint16_t) * (elements + 1)))) {
        for (int t = 0; t < tokens; t++)
            dspy_fp32_to_fp16_row(x + (size_t)t * x_stride, (uint16_t *)f16 + (size_t)t * cols, cols);
        a.f16 = f16;
    }
    if (wanted[DSPY_ACTIVATIONS_BF16] && (bf16 = malloc(sizeof(uint16_t) * (elements + 1)))) {
        for (int t = 0; t < tokens; t++)
            dspy_fp32_to_bf16_row(x + (size_t)t * x_stride, (uint16_t *)bf16 + (size_t)t * cols, cols);
        a.bf16 = bf16;
    }
    dspy_matmul_activations(pool, matrices, count, &a, tokens);
    free(bf16);
    free(f16);
    free(q8_k);
    free(q8);
}
