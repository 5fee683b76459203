#ifndef CDSPYTRAINING_H
#define CDSPYTRAINING_H

// Kernels of LoRA training (DSPyEngine/Training): float matrix products, attention forward and
// backward, and the element-wise backward passes. Every result is a fixed function of the inputs:
// work is split across the pool only where each output has one writer, and every sum runs in one
// fixed order, so results do not depend on the thread count or on which thread ran what.

#include <stddef.h>
#include <stdint.h>

typedef struct dspy_pool dspy_pool;

/// C = alpha · op(A) · op(B) + beta · C, row-major, as BLAS's sgemm: op(A) is m × k (A itself, or
/// the transpose of a k × m A when trans_a), op(B) is k × n; lda, ldb, ldc are row strides.
/// beta 0 ignores C's previous contents (NaNs included). Blocks of C are split across the pool
/// (NULL: the calling thread); each element's sum over k runs in one fixed order.
/// Cost: 2·m·n·k FLOPs (AVX2 + FMA 6×16 micro-kernel when the CPU has it).
void dspy_sgemm(dspy_pool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/// Causal attention of `tokens` rows of one sequence with grouped query heads, saving the softmax
/// probabilities for the backward pass. q [t][heads][d] (q_stride per row), k and v [t][kv_heads][d]
/// (kv_stride), out [t][heads][d] (out_stride). Row i sees positions [max(0, i + 1 − window), i] (window 0: all).
/// probs holds heads × tokens × tokens floats (row-major per head): row i is written up to the
/// end of its 64-row block (entries outside its visible range 0), the rest is left untouched.
/// Scores are scale · q·k. One pool task per (head, 64-row block); cost about half the full
/// tokens² products.
void dspy_train_attention(dspy_pool *pool, const float *q, int q_stride, const float *k, const float *v,
                          int kv_stride, float *out, int out_stride, float *probs, int tokens, int heads,
                          int kv_heads, int head_dim, int window, float scale);

/// The backward pass of `dspy_train_attention`: from d_out (like out, d_out_stride) and the saved
/// probs, writes dq (like q, q_stride), dk and dv (like k; overwritten). `scratch` holds
/// `dspy_train_attention_scratch_count` floats (heads × tokens² for dS, plus per-head partial
/// key and value gradients, each written by one (head, block) task); each key/value head then
/// sums its query heads in order.
void dspy_train_attention_backward(dspy_pool *pool, const float *q, int q_stride, const float *k,
                                   const float *v, int kv_stride, const float *probs, const float *d_out,
                                   int d_out_stride, float *dq, float *dk, float *dv, int tokens, int heads, int kv_heads,
                                   int head_dim, int window, float scale, float *scratch);

/// Floats of scratch `dspy_train_attention_backward` needs.
size_t dspy_train_attention_scratch_count(int tokens, int heads, int head_dim, int threads);

/// RMS norm of `rows` rows of n floats that also saves each row's 1/rms in `inverse_rms`
/// (x and out may be the same rows). Same float order as `dspy_rmsnorm`.
void dspy_train_rmsnorm(const float *x, int x_stride, const float *weight, float *out, int out_stride,
                        float *inverse_rms, int rows, int n, float eps);

/// The backward pass of RMS norm with a frozen weight: dx = r·(w⊙dy) − x·r³/n·Σ(w⊙dy⊙x), added to
/// dx when `accumulate`, else written. dy and dx may not overlap x.
void dspy_train_rmsnorm_backward(const float *x, int x_stride, const float *weight, const float *inverse_rms,
                                 const float *dy, int dy_stride, float *dx, int dx_stride, int rows, int n,
                                 int accumulate);

/// The cosines and sines of `dspy_rope_ext` (same float order) for positions 0..<positions:
/// cos_out and sin_out hold positions × rot_dims/2 floats, magnitude factor included.
void dspy_train_rope_table(int positions, int rot_dims, float base, float freq_scale, const float *freq_factors,
                           float attn_factor, float *cos_out, float *sin_out);

/// Rotates `rows` rows (row r at position r, `stride` floats apart) of `heads` heads in place
/// with a table from `dspy_train_rope_table`; `inverse` rotates by the transpose (the backward
/// pass: gradients through the rotation). neox as `dspy_rope_ext`.
void dspy_train_rope(float *x, int stride, int rows, int heads, int head_dim, int rot_dims, const float *cosines,
                     const float *sines, int neox, int inverse);

/// Gated units for training: act = f(gate) ⊙ up into `out` (gate and up kept). kind 0: SiLU,
/// 1: GELU-tanh computed in float (not the inference's half-precision table).
void dspy_train_gated(const float *gate, const float *up, float *out, int64_t n, int kind);

/// The backward pass of `dspy_train_gated`: d_gate = d_out ⊙ up ⊙ f'(gate), d_up = d_out ⊙ f(gate).
void dspy_train_gated_backward(const float *gate, const float *up, const float *d_out, float *d_gate, float *d_up,
                               int64_t n, int kind);

/// Inverted dropout of `rows` × `cols` floats: out = x / (1 − p) where a keyed hash of
/// (key, row, col) keeps the element (p resolved to 1/65536), 0 elsewhere. The same key gives
/// the same mask; x and out may be the same rows.
void dspy_train_dropout(const float *x, int x_stride, float *out, int out_stride, int rows, int cols, float p,
                        uint64_t key);

/// Logits of `rows` hidden rows against a vocabulary matrix (vocabulary × hidden), which is
/// either dense floats (`dense`, non-NULL) or a ggml-typed matrix (`type`, `weights`, `row_bytes`)
/// dequantized in chunks. logits[r][v] for every v. Chunks of the vocabulary are pool tasks.
void dspy_train_logits(dspy_pool *pool, const float *dense, int type, const void *weights, size_t row_bytes,
                       int vocabulary, int hidden, const float *x, int rows, float *logits, float *scratch);

/// d_x = d_logits · W (rows × hidden, overwritten) for the matrix of `dspy_train_logits`.
/// Sixteen fixed partitions of the vocabulary are pool tasks whose partial sums are added in
/// order; `scratch` holds `dspy_train_logits_scratch_count` floats.
void dspy_train_logits_backward(dspy_pool *pool, const float *dense, int type, const void *weights,
                                size_t row_bytes, int vocabulary, int hidden, const float *d_logits, int rows,
                                float *d_x, float *scratch);

/// Floats of scratch the logits functions need for `rows` rows (per call, all threads).
size_t dspy_train_logits_scratch_count(int hidden, int rows, int threads);

/// Cross-entropy of `rows` logit rows (vocabulary wide) against `targets`, after adding `bias`
/// (NULL: none) and soft-capping (softcap 0: off; z = c·tanh(z/c)). losses[r] = logsumexp − z[target]
/// (in double). Each row is replaced by scale · d loss / d (raw logits), soft-cap included.
void dspy_train_cross_entropy(dspy_pool *pool, float *logits, int rows, int vocabulary, const int32_t *targets,
                              const float *bias, float softcap, float scale, double *losses);

#endif
