// The row loop for weight types whose products take Q8_K, half, bfloat16 or float activations,
// or Q8 blocks without lane kernels (Q5_0, Q5_1), and the rule by which llama.cpp's CPU backend
// picks between its kernels' float orders for a product of `tokens` activation rows:
//
// - F32, F16, BF16: vec_dot (four accumulators) for one token; llamafile's tinyBLAS (one
//   accumulator) for two or more when rows % 4 == 0 and cols % 8 == 0, else vec_dot again.
// - Q4_K, Q5_K, Q6_K: vec_dot for fewer than eight tokens; the tiled matmul for eight or more
//   (its own order), unless turned off like GGML_CPU_TILED_MM=0.
// - Q5_0, Q5_1: one order (tinyBLAS's Q5_0 kernel has vec_dot's).
#include "internal.h"

#include <math.h>
#include <stdatomic.h>

static _Atomic int kquant_tiled = 1;
static _Thread_local int kquant_tiled_here = -1;

void dspy_set_kquant_tiled(int enabled) { atomic_store(&kquant_tiled, enabled ? 1 : 0); }

void dspy_set_kquant_tiled_on_thread(int setting) { kquant_tiled_here = setting < 0 ? -1 : setting ? 1 : 0; }

static int tiled_enabled(void) {
    return kquant_tiled_here >= 0 ? kquant_tiled_here : atomic_load_explicit(&kquant_tiled, memory_order_relaxed);
}

int dspy_activation_encoding(int type) {
    switch (type) {
    case DSPY_TYPE_F32: return DSPY_ACTIVATIONS_F32;
    case DSPY_TYPE_F16: return DSPY_ACTIVATIONS_F16;
    case DSPY_TYPE_BF16: return DSPY_ACTIVATIONS_BF16;
    case DSPY_TYPE_Q4_0:
    case DSPY_TYPE_Q4_1:
    case DSPY_TYPE_Q5_0:
    case DSPY_TYPE_Q5_1:
    case DSPY_TYPE_Q8_0: return DSPY_ACTIVATIONS_Q8;
    case DSPY_TYPE_Q4_K:
    case DSPY_TYPE_Q5_K:
    case DSPY_TYPE_Q6_K: return DSPY_ACTIVATIONS_Q8_K;
    default: return -1;
    }
}

#if DSPY_X86
#define PICK(avx2, vector, scalar) ((avx2) ? (vector) : (scalar))
#else
#define PICK(avx2, vector, scalar) (scalar)
#endif

static dspy_row_dot q5_dot_for(int type, int avx2) {
    switch (type) {
    case DSPY_TYPE_Q5_0: return PICK(avx2, dspy_dot_q5_0_avx2, dspy_dot_q5_0_scalar);
    case DSPY_TYPE_Q5_1: return PICK(avx2, dspy_dot_q5_1_avx2, dspy_dot_q5_1_scalar);
    default: return NULL;
    }
}

static dspy_row_dot_k kquant_dot_for(int type, int avx2, int tiled) {
    switch (type) {
    case DSPY_TYPE_Q4_K:
        return tiled ? PICK(avx2, dspy_dot_q4_k_tiled_avx2, dspy_dot_q4_k_tiled_scalar)
                     : PICK(avx2, dspy_dot_q4_k_avx2, dspy_dot_q4_k_scalar);
    case DSPY_TYPE_Q5_K:
        return tiled ? PICK(avx2, dspy_dot_q5_k_tiled_avx2, dspy_dot_q5_k_tiled_scalar)
                     : PICK(avx2, dspy_dot_q5_k_avx2, dspy_dot_q5_k_scalar);
    case DSPY_TYPE_Q6_K:
        return tiled ? PICK(avx2, dspy_dot_q6_k_tiled_avx2, dspy_dot_q6_k_tiled_scalar)
                     : PICK(avx2, dspy_dot_q6_k_avx2, dspy_dot_q6_k_scalar);
    default: return NULL;
    }
}

static dspy_row_dot_float float_dot_for(int type, int avx2, int tiny) {
    switch (type) {
    case DSPY_TYPE_F32:
        return tiny ? PICK(avx2, dspy_tiny_dot_f32_avx2, dspy_tiny_dot_f32_scalar)
                    : PICK(avx2, dspy_vec_dot_f32_avx2, dspy_vec_dot_f32_scalar);
    case DSPY_TYPE_F16:
        return tiny ? PICK(avx2, dspy_tiny_dot_f16_avx2, dspy_tiny_dot_f16_scalar)
                    : PICK(avx2, dspy_vec_dot_f16_avx2, dspy_vec_dot_f16_scalar);
    case DSPY_TYPE_BF16:
        return tiny ? PICK(avx2, dspy_tiny_dot_bf16_avx2, dspy_tiny_dot_bf16_scalar)
                    : PICK(avx2, dspy_vec_dot_bf16_avx2, dspy_vec_dot_bf16_scalar);
    default: return NULL;
    }
}

// Products that cannot be computed (their activations were not given) are NaN.
static void fill_nan(const dspy_matrix *m, int r0, int r1, int tokens) {
    for (int t = 0; t < tokens; t++)
        for (int r = r0; r < r1; r++) m->out[(size_t)t * m->out_stride + r] = NAN;
}

int dspy_matmul_rows_k(const dspy_matrix *m, int r0, int r1, const dspy_activations *x, int tokens, int avx2) {
    const uint8_t *base = m->weights;
    int os = m->out_stride;
    int order = x->order_tokens > 0 ? x->order_tokens : tokens;
#if !DSPY_X86
    avx2 = 0;
#endif
    dspy_row_dot q5 = q5_dot_for(m->type, avx2);
    if (q5) {
        if (!x->q8) {
            fill_nan(m, r0, r1, tokens);
            return 1;
        }
        dspy_path_hit(avx2 ? DSPY_PATH_Q5_AVX2 : DSPY_PATH_Q5_SCALAR);
        int blocks = m->cols / 32;
        for (int r = r0; r < r1; r++) q5(base + (size_t)r * m->row_bytes, x->q8, blocks, tokens, m->out + r, os, blocks);
        return 1;
    }
    int tiled = order >= 8 && tiled_enabled();
    dspy_row_dot_k kq = kquant_dot_for(m->type, avx2, tiled);
    if (kq) {
        if (!x->q8_k) {
            fill_nan(m, r0, r1, tokens);
            return 1;
        }
        dspy_path_hit(tiled ? (avx2 ? DSPY_PATH_KQUANT_TILED_AVX2 : DSPY_PATH_KQUANT_TILED_SCALAR)
                            : (avx2 ? DSPY_PATH_KQUANT_AVX2 : DSPY_PATH_KQUANT_SCALAR));
        int blocks = m->cols / 256;
        for (int r = r0; r < r1; r++) kq(base + (size_t)r * m->row_bytes, x->q8_k, blocks, tokens, m->out + r, os, blocks);
        return 1;
    }
    int tiny = order >= 2 && m->rows % 4 == 0 && m->cols % 8 == 0;
    dspy_row_dot_float fd = float_dot_for(m->type, avx2, tiny);
    if (fd) {
        const void *xs = m->type == DSPY_TYPE_F32 ? (const void *)x->x : m->type == DSPY_TYPE_F16 ? (const void *)x->f16
                                                                                                    : (const void *)x->bf16;
        int stride = m->type == DSPY_TYPE_F32 ? x->x_stride : m->cols;
        if (!xs) {
            fill_nan(m, r0, r1, tokens);
            return 1;
        }
        dspy_path_hit(tiny ? (avx2 ? DSPY_PATH_DOT_FLOAT_AVX2 : DSPY_PATH_DOT_FLOAT_SCALAR)
                           : (avx2 ? DSPY_PATH_FLOAT_VEC_AVX2 : DSPY_PATH_FLOAT_VEC_SCALAR));
        for (int r = r0; r < r1; r++) fd(base + (size_t)r * m->row_bytes, xs, stride, tokens, m->out + r, os, m->cols);
        return 1;
    }
    return 0;
}
