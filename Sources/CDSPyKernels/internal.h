#ifndef DSPY_KERNELS_INTERNAL_H
#define DSPY_KERNELS_INTERNAL_H

#include "CDSPyKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define DSPY_X86 1
#define DSPY_AVX2 __attribute__((target("avx2,fma,f16c")))
#else
#define DSPY_X86 0
#endif

// ggml block layouts (file formats).
typedef struct { uint16_t d; uint8_t qs[16]; } dspy_block_q4_0;            // 18 bytes
typedef struct { uint16_t d; uint16_t m; uint8_t qs[16]; } dspy_block_q4_1; // 20 bytes
typedef struct { uint16_t d; int8_t qs[32]; } dspy_block_q8_0;              // 34 bytes
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qs[128]; } dspy_block_q4_k; // 144
typedef struct { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } dspy_block_q6_k; // 210
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } dspy_block_q5_0;              // 22
typedef struct { uint16_t d; uint16_t m; uint8_t qh[4]; uint8_t qs[16]; } dspy_block_q5_1; // 24
typedef struct { uint16_t d; uint16_t dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } dspy_block_q5_k; // 176

#define DSPY_ALIGN32 __attribute__((aligned(32)))

/// Q8 activations of eight tokens regrouped for the lane kernels (dot_lanes.inc): qs[k]
/// holds elements 4k..4k+3 of token 0, then of token 1, … token 7; d and s per token.
typedef struct {
    int8_t qs[8][32];
    float d[8];
    float s[8];
} dspy_block_q8_lanes; // 320 bytes

/// Regroups `n` (≤ 8) tokens' Q8 blocks (`xs` blocks apart) into `blocks` lane blocks;
/// missing tokens are zeros.
void dspy_pack_q8_lanes(const dspy_block_q8 *xq, int xs, int n, int blocks, dspy_block_q8_lanes *out);

/// Dot products of one weight row against up to eight tokens, one per lane; the first `n`
/// results go to out[t * out_stride]. Bit-identical to the dspy_row_dot kernels.
typedef void (*dspy_lanes_dot)(const void *w, const dspy_block_q8_lanes *x, int blocks,
                               float *out, int out_stride, int n);

/// The offset term of one lane block for the AVX-512 kernels, whose byte products need
/// unsigned weights: v[k][t] = −128 × the sum of token t's four activation bytes of group k.
/// Computed once per product (`dspy_lanes_bias_fill`) rather than once per weight row.
typedef struct {
    int32_t v[8][8];
} dspy_lanes_bias; // 256 bytes

/// Fills the offset terms of `count` lane blocks.
void dspy_lanes_bias_fill(const dspy_block_q8_lanes *x, int count, dspy_lanes_bias *out);

/// Fills the offset terms of Q5_0's lane kernel for `count` lane blocks: v[k][t] = −16 × the
/// sum of token t's four activation bytes of group k (Q5_0's weights are stored as w + 16).
void dspy_q5_offsets_fill(const dspy_block_q8_lanes *x, int count, dspy_lanes_bias *out);

/// The lane kernels for two weight rows at once (AVX-512): row A's results go to outA, row B's
/// to outB, each `out_stride` apart per token. `bias` (one per lane block) is needed by the
/// Q4_0 and Q8_0 kernels and ignored by Q4_1's.
typedef void (*dspy_lanes2_dot)(const void *wa, const void *wb, const dspy_block_q8_lanes *x,
                                const dspy_lanes_bias *bias, int blocks, float *outA, float *outB,
                                int out_stride, int n);

/// A job run on every thread of a pool: `ith` of `nth`.
typedef void (*dspy_job)(void *context, int ith, int nth);
void dspy_pool_run(dspy_pool *pool, dspy_job job, void *context);

// Dot products of one weight row against `n` activation rows (`xq_stride` blocks apart),
// writing n results `out_stride` floats apart. `blocks` = cols / 32.
typedef void (*dspy_row_dot)(const void *w, const dspy_block_q8 *xq, int xq_stride, int n,
                             float *out, int out_stride, int blocks);

void dspy_dot_q4_0_scalar(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q4_1_scalar(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q8_0_scalar(const void *, const dspy_block_q8 *, int, int, float *, int, int);
/// CPU feature probes (cpu.c); defined on every architecture, 0 off x86, so callers
/// need no #if around them.
int dspy_cpu_has_avx_vnni(void);
int dspy_cpu_has_avx512_vnni(void);

#if DSPY_X86
void dspy_dot_q4_0_avx2(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q4_1_avx2(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q8_0_avx2(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q4_0_vnni(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q4_1_vnni(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q8_0_vnni(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q4_0_lanes_avx2(const void *, const dspy_block_q8_lanes *, int, float *, int, int);
void dspy_dot_q4_1_lanes_avx2(const void *, const dspy_block_q8_lanes *, int, float *, int, int);
void dspy_dot_q8_0_lanes_avx2(const void *, const dspy_block_q8_lanes *, int, float *, int, int);
void dspy_dot_q4_0_lanes_vnni(const void *, const dspy_block_q8_lanes *, int, float *, int, int);
void dspy_dot_q4_1_lanes_vnni(const void *, const dspy_block_q8_lanes *, int, float *, int, int);
void dspy_dot_q8_0_lanes_vnni(const void *, const dspy_block_q8_lanes *, int, float *, int, int);
void dspy_dot_q4_0_lanes2_avx512(const void *, const void *, const dspy_block_q8_lanes *, const dspy_lanes_bias *, int,
                                 float *, float *, int, int);
void dspy_dot_q4_1_lanes2_avx512(const void *, const void *, const dspy_block_q8_lanes *, const dspy_lanes_bias *, int,
                                 float *, float *, int, int);
void dspy_dot_q8_0_lanes2_avx512(const void *, const void *, const dspy_block_q8_lanes *, const dspy_lanes_bias *, int,
                                 float *, float *, int, int);
/// The most query heads dspy_attend_group_hd64_avx512 takes at once.
#define DSPY_ATTENTION_GROUP_MAX 8
/// Decoding attention of one token for `heads` (≤ DSPY_ATTENTION_GROUP_MAX) consecutive
/// 64-dimensional query heads sharing one key/value head, with the same results as
/// attention.c's per-head AVX2 path (llama.cpp's half-precision online softmax).
void dspy_attend_group_hd64_avx512(const float *q, int heads, const uint16_t *keys, const uint16_t *values,
                                   int visible, int kv_stride, float scale, float *o);
void dspy_quantize_q8_avx2(const float *x, dspy_block_q8 *y, int cols);
void dspy_fp32_to_fp16_row_avx2(const float *x, uint16_t *y, int64_t n);
void dspy_swiglu_avx2(float *gate, const float *up, int64_t n, int order);
#endif

// MARK: Kernels of the types added for llama.cpp's full set (dot_kquant.c, dot_float.c and their _avx2 files)

/// Q8_K products of one weight row against `n` tokens (`xs` blocks apart), `blocks`
/// super-blocks per row, results `os` floats apart.
typedef void (*dspy_row_dot_k)(const void *w, const dspy_block_q8_k *x, int xs, int n,
                               float *out, int os, int blocks);
/// Float products of one weight row (F32, F16 or BF16) against `n` tokens of `cols`
/// activations in the same encoding, `xs` elements apart.
typedef void (*dspy_row_dot_float)(const void *w, const void *x, int xs, int n,
                                   float *out, int os, int cols);

/// Computes rows [r0, r1) of `m` when its type is one of matmul_k.c's (returns 1), else returns 0.
int dspy_matmul_rows_k(const dspy_matrix *m, int r0, int r1, const dspy_activations *x, int tokens, int avx2);

/// The 6-bit scale and min of sub-block j (0…7) of a Q4_K/Q5_K block's 12 packed bytes.
void dspy_k_scale_min(int j, const uint8_t *q, uint8_t *scale, uint8_t *min);

void dspy_dequantize_q5_0(const void *src, float *y, int64_t blocks);
void dspy_dequantize_q5_1(const void *src, float *y, int64_t blocks);
void dspy_dequantize_q5_k(const void *src, float *y, int64_t blocks);

void dspy_dot_q5_0_scalar(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q5_1_scalar(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q4_k_scalar(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q5_k_scalar(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q6_k_scalar(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q4_k_tiled_scalar(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q5_k_tiled_scalar(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q6_k_tiled_scalar(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_vec_dot_f32_scalar(const void *, const void *, int, int, float *, int, int);
void dspy_vec_dot_f16_scalar(const void *, const void *, int, int, float *, int, int);
void dspy_vec_dot_bf16_scalar(const void *, const void *, int, int, float *, int, int);
void dspy_tiny_dot_f32_scalar(const void *, const void *, int, int, float *, int, int);
void dspy_tiny_dot_f16_scalar(const void *, const void *, int, int, float *, int, int);
void dspy_tiny_dot_bf16_scalar(const void *, const void *, int, int, float *, int, int);
#if DSPY_X86
void dspy_dot_q5_0_avx2(const void *, const dspy_block_q8 *, int, int, float *, int, int);
void dspy_dot_q5_1_avx2(const void *, const dspy_block_q8 *, int, int, float *, int, int);
/// Q5_0 rows against up to eight packed tokens (`offsets` from dspy_q5_offsets_fill), with the
/// results of dspy_dot_q5_0_avx2.
void dspy_dot_q5_0_lanes_avx2(const void *w, const dspy_block_q8_lanes *x, const dspy_lanes_bias *offsets, int blocks,
                              float *out, int os, int n);
void dspy_dot_q4_k_avx2(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q5_k_avx2(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q6_k_avx2(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q4_k_tiled_avx2(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q5_k_tiled_avx2(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_dot_q6_k_tiled_avx2(const void *, const dspy_block_q8_k *, int, int, float *, int, int);
void dspy_vec_dot_f32_avx2(const void *, const void *, int, int, float *, int, int);
void dspy_vec_dot_f16_avx2(const void *, const void *, int, int, float *, int, int);
void dspy_vec_dot_bf16_avx2(const void *, const void *, int, int, float *, int, int);
void dspy_tiny_dot_f32_avx2(const void *, const void *, int, int, float *, int, int);
void dspy_tiny_dot_f16_avx2(const void *, const void *, int, int, float *, int, int);
void dspy_tiny_dot_bf16_avx2(const void *, const void *, int, int, float *, int, int);
#endif

/// Counts one dispatch of kernel variant `path` (a DSPY_PATH_* value).
void dspy_path_hit(int path);
/// Copies the calling thread's counters (DSPY_PATH_COUNT values) to `out`.
void dspy_path_counts_snapshot(uint64_t *out);
/// Adds now − before to `into`, counter by counter.
void dspy_path_counts_add_since(const uint64_t *before, const uint64_t *now, uint64_t *into);
/// Adds `delta` to the calling thread's counters (what pool threads counted for its job).
void dspy_path_counts_merge(const uint64_t *delta);

/// RMS norm of `rows` rows (ops.c): `dspy_rmsnorm`'s arithmetic, also writing each row's
/// 1/rms to `inverse_rms` when it is not NULL (what training's backward pass needs).
void dspy_rmsnorm_rows(const float *x, int x_stride, const float *weight, float *out, int out_stride,
                       float *inverse_rms, int rows, int n, float eps);

#endif
