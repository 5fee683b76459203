#ifndef CDSPYKERNELS_H
#define CDSPYKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Returns 1 when the CPU supports AVX2, FMA and F16C, so the vector kernels may run.
int dspy_cpu_has_avx2_fma(void);

/// Forces the portable scalar kernels (1) or lets the CPU check decide (0), for kernels run
/// on the calling thread (without a pool). For tests.
void dspy_set_force_scalar(int force);

/// Caps the vector kernels run on the calling thread, for tests (all give identical
/// results): 0 lets the CPU check decide, 1 keeps AVX-512 out, 2 also keeps AVX-VNNI out.
void dspy_set_vector_limit(int limit);

/// Returns 1 when the vector kernels are in use.
int dspy_kernels_use_avx2(void);

/// The float orders of llama.cpp's CPU backend the kernels can follow where its AVX-512
/// and AVX2 builds round differently (the SiLU exponential, the half-precision attention
/// dot product, the prefill softmax): llama.cpp built natively uses its AVX-512 code on a
/// CPU with AVX-512F and its AVX2 code otherwise. Both orders run on any AVX2 CPU (the
/// AVX-512 one emulated with 8-lane halves) and in the scalar fallback.
enum {
    DSPY_ORDER_DETECT = 0,  // the running CPU's (the default)
    DSPY_ORDER_AVX2 = 1,
    DSPY_ORDER_AVX512 = 2,
};

/// Returns 1 when the CPU (and OS) has AVX-512F, so a native llama.cpp build uses its
/// AVX-512 code.
int dspy_cpu_has_avx512f(void);

/// Overrides the float order for kernels run on the calling thread and, through
/// `dspy_pool_run`, on the pool threads of the jobs it starts (DSPY_ORDER_DETECT: the
/// running CPU's). For tests and for reproducing results recorded on another CPU.
void dspy_set_kernel_order(int order);

/// The float order the kernels use on the calling thread: DSPY_ORDER_AVX2 or
/// DSPY_ORDER_AVX512 (the override, else the running CPU's).
int dspy_kernel_order(void);

/// The calling thread's override as set by `dspy_set_kernel_order` (DSPY_ORDER_DETECT if none).
int dspy_kernel_order_override(void);

/// The kernel variants the dispatch chooses between. Each dispatch counts the variant it
/// ran on the thread that ran it, so tests (calling kernels without a pool, on their own
/// thread) can state which paths ran and never compare a path with itself.
enum {
    DSPY_PATH_DOT_SCALAR = 0,
    DSPY_PATH_DOT_AVX2,
    DSPY_PATH_DOT_VNNI,
    DSPY_PATH_LANES_AVX2,
    DSPY_PATH_LANES_VNNI,
    DSPY_PATH_LANES2_AVX512,
    DSPY_PATH_DOT_FLOAT_SCALAR,   // F32, F16, BF16 in tinyBLAS's order (two or more tokens)
    DSPY_PATH_DOT_FLOAT_AVX2,
    DSPY_PATH_ATTEND_SCALAR,
    DSPY_PATH_ATTEND_AVX2,
    DSPY_PATH_ATTEND_GROUP_AVX512,
    DSPY_PATH_TILED_SCALAR,
    DSPY_PATH_TILED_AVX2,
    DSPY_PATH_Q5_SCALAR,          // Q5_0 × Q8_0, Q5_1 × Q8_1 rows
    DSPY_PATH_Q5_AVX2,
    DSPY_PATH_KQUANT_SCALAR,      // Q4_K, Q5_K, Q6_K × Q8_K, vec_dot order (fewer than 8 tokens)
    DSPY_PATH_KQUANT_AVX2,
    DSPY_PATH_KQUANT_TILED_SCALAR, // the same in the order of llama.cpp's tiled matmul (8+ tokens)
    DSPY_PATH_KQUANT_TILED_AVX2,
    DSPY_PATH_FLOAT_VEC_SCALAR,   // F32, F16, BF16 in vec_dot's order (one token, or no tinyBLAS)
    DSPY_PATH_FLOAT_VEC_AVX2,
    DSPY_PATH_ORDER_SWIGLU_AVX2,     // SwiGLU's exponential as llama.cpp's AVX2 build computes it
    DSPY_PATH_ORDER_SWIGLU_AVX512,   // … as its AVX-512 build does
    DSPY_PATH_ORDER_F16_DOT_AVX2,    // decoding attention's half-precision dot product, AVX2 order
    DSPY_PATH_ORDER_F16_DOT_AVX512,  // … AVX-512 order
    DSPY_PATH_ORDER_SOFTMAX_AVX2,    // prefill (tiled) attention's softmax exponential and sums, AVX2 order
    DSPY_PATH_ORDER_SOFTMAX_AVX512,  // … AVX-512 order
    DSPY_PATH_Q5_LANES_AVX2,      // Q5_0 × Q8_0, eight tokens per pass (four or more tokens)
    DSPY_PATH_PEAK_SCALAR,        // the int8 peak microbenchmark (peak.c), once per thread that ran it
    DSPY_PATH_PEAK_AVX2,
    DSPY_PATH_PEAK_AVX_VNNI,
    DSPY_PATH_PEAK_AVX512_VNNI,
    DSPY_PATH_COUNT
};

/// Sets the calling thread's path counters to zero.
void dspy_path_counts_reset(void);
/// How many dispatches on the calling thread chose `path` since its last reset.
uint64_t dspy_path_count(int path);
/// A short name of `path` ("lanes2-avx512-vnni", "attend-avx2", …).
const char *dspy_path_name(int path);

// MARK: - Tensor types (ggml type ids)

enum {
    DSPY_TYPE_F32 = 0,
    DSPY_TYPE_F16 = 1,
    DSPY_TYPE_Q4_0 = 2,
    DSPY_TYPE_Q4_1 = 3,
    DSPY_TYPE_Q5_0 = 6,
    DSPY_TYPE_Q5_1 = 7,
    DSPY_TYPE_Q8_0 = 8,
    DSPY_TYPE_Q4_K = 12,
    DSPY_TYPE_Q5_K = 13,
    DSPY_TYPE_Q6_K = 14,
    DSPY_TYPE_BF16 = 30,
};

/// Converts one IEEE half (bits) to float.
float dspy_fp16_to_fp32(uint16_t h);
/// Converts one float to IEEE half bits, rounding to nearest even.
uint16_t dspy_fp32_to_fp16(float f);
/// Converts one bfloat16 (bits) to float (exact).
float dspy_bf16_to_fp32(uint16_t h);
/// Converts one float to bfloat16 bits as ggml does: nearest, ties to even; NaNs stay quiet NaNs.
uint16_t dspy_fp32_to_bf16(float f);

/// Dequantizes `n` elements (a multiple of the type's block size) of `type` to floats.
/// Returns 0, or -1 when the type is not supported.
int dspy_dequantize(int type, const void *src, float *dst, int64_t n);

// MARK: - Activation quantization

/// One block of 32 activations quantized to 8 bits: value = d * qs[i]; s = d * sum(qs).
typedef struct {
    float d;
    float s;
    int8_t qs[32];
} dspy_block_q8;

/// Quantizes `rows` rows of `cols` floats (cols a multiple of 32) to Q8 blocks.
void dspy_quantize_q8(const float *x, int x_stride, dspy_block_q8 *y, int rows, int cols);

/// One block of 256 activations quantized for K-quant weights (ggml's block_q8_K, 292 bytes):
/// value = d * qs[i]; bsums[j] = qs[16j] + … + qs[16j + 15].
typedef struct {
    float d;
    int8_t qs[256];
    int16_t bsums[16];
} dspy_block_q8_k;

/// Quantizes `rows` rows of `cols` floats (cols a multiple of 256) to Q8_K blocks exactly as
/// llama.cpp's quantize_row_q8_K does on every CPU: the scale comes from the first element
/// of largest magnitude (d = max / -127 as 1 / (-127 / max)), values round to nearest with
/// ties to even and are capped at 127. A block of zeros has d = 0, zero quants and sums.
void dspy_quantize_q8_k(const float *x, int x_stride, dspy_block_q8_k *y, int rows, int cols);

/// Converts n floats to bfloat16s (`dspy_fp32_to_bf16` each).
void dspy_fp32_to_bf16_row(const float *x, uint16_t *y, int64_t n);

// MARK: - Worker pool

typedef struct dspy_pool dspy_pool;

/// Creates a pool that runs jobs on `threads` threads (the caller counts as one).
dspy_pool *dspy_pool_create(int threads);
/// Stops and joins the worker threads and frees the pool.
void dspy_pool_destroy(dspy_pool *pool);
/// The number of threads a job runs on, the caller included.
int dspy_pool_threads(const dspy_pool *pool);

/// A task of a parallel loop: `index` of the loop, run on thread `thread` (0-based).
typedef void (*dspy_task)(void *context, int index, int thread);

/// Runs `task` for indices 0..<count on the pool's threads (dynamically claimed); returns
/// when all are done. Per-thread scratch may be indexed by `thread`.
void dspy_parallel_for(dspy_pool *pool, int count, dspy_task task, void *context);

// MARK: - Int8 peak (peak.c)

/// The instruction paths of the int8 peak microbenchmark, slowest first.
enum {
    DSPY_PEAK_SCALAR = 0,      // a plain C loop: one imul and one add per multiply-add
    DSPY_PEAK_AVX2 = 1,        // vpmaddubsw + vpmaddwd + vpaddd, the AVX2 dot kernels' mix
    DSPY_PEAK_AVX_VNNI = 2,    // vpdpbusd on 256 bits
    DSPY_PEAK_AVX512_VNNI = 3, // vpdpbusd on 512 bits
    DSPY_PEAK_COUNT
};

/// Returns 1 when the running CPU (and the calling thread's vector caps) allow `path`.
int dspy_int8_peak_available(int path);

/// The DSPY_PATH_PEAK_* counter `path` counts once per thread that ran it (-1 for none).
int dspy_int8_peak_counter(int path);

/// Measures the int8 multiply-accumulate rate of `path` on every thread of `pool` at once
/// (NULL: the calling thread alone) for about `seconds`, and returns multiply-adds per second
/// summed over the threads that ran (0 when the CPU lacks the path). Register-resident: no
/// memory traffic. Each thread that ran counts one hit of the path's DSPY_PATH_PEAK_* counter.
double dspy_int8_peak(dspy_pool *pool, int path, double seconds);

// MARK: - Matrix products

/// One weight matrix of `rows` rows by `cols` columns (ggml row-major, `row_bytes` per row),
/// whose products are written to `out[t * out_stride + r]`.
typedef struct {
    int type;
    const void *weights;
    size_t row_bytes;
    int rows;
    int cols;
    float *out;
    int out_stride;
} dspy_matrix;

/// The encodings products take their activations in: llama.cpp's vec_dot_type of each
/// weight type, which its CPU backend converts the float activations to first.
enum {
    DSPY_ACTIVATIONS_F32 = 0,  // F32 weights: the floats themselves
    DSPY_ACTIVATIONS_Q8 = 1,   // Q4_0, Q4_1, Q5_0, Q5_1, Q8_0: `dspy_quantize_q8` blocks
    DSPY_ACTIVATIONS_Q8_K = 2, // Q4_K, Q5_K, Q6_K: `dspy_quantize_q8_k` blocks
    DSPY_ACTIVATIONS_F16 = 3,  // F16: halves (`dspy_fp32_to_fp16_row`)
    DSPY_ACTIVATIONS_BF16 = 4, // BF16: bfloat16s (`dspy_fp32_to_bf16_row`)
};

/// The activation encoding (DSPY_ACTIVATIONS_*) that products with `type` weights take, or
/// -1 when the type has no products.
int dspy_activation_encoding(int type);

/// One micro-batch of activations in the encodings its matrices need; rows of token t start
/// at t * stride of their unit (floats, blocks, halves). Unused encodings may be NULL.
typedef struct {
    const float *x;            // x_stride floats per token
    int x_stride;
    const dspy_block_q8 *q8;   // cols / 32 blocks per token
    const dspy_block_q8_k *q8_k; // cols / 256 blocks per token
    const uint16_t *f16;       // cols halves per token
    const uint16_t *bf16;      // cols bfloat16s per token
    /// The tokens of the whole product llama.cpp computes in one call, when this call computes
    /// only some of them (e.g. output rows in groups): it picks the float order. 0: `tokens`.
    int order_tokens;
} dspy_activations;

/// Computes out = W · x for every matrix (all with the same `cols`) and each of `tokens`
/// activation rows, each product the way llama.cpp's CPU backend computes it (AVX2 build,
/// weights not repacked): its vec_dot kernel for one token; for two or more tokens
/// llamafile's tinyBLAS order where llama.cpp takes it (F32, F16 and BF16 matrices with
/// rows % 4 == 0 and cols % 8 == 0; Q4_0, Q5_0 and Q8_0 use vec_dot's order anyway); for
/// eight or more tokens, K-quants in the order of its tiled matmul (unless turned off with
/// `dspy_set_kquant_tiled`). The scalar fallback performs the same float operations, so
/// results do not depend on the CPU's vector level or on the thread count. Rows are split
/// across the pool (NULL: the calling thread).
void dspy_matmul_activations(dspy_pool *pool, const dspy_matrix *matrices, int count,
                             const dspy_activations *x, int tokens);

/// Whether K-quant products of eight or more tokens follow llama.cpp's tiled matmul (1, the
/// default, as llama.cpp ships) or its vec_dot kernels (0, as with GGML_CPU_TILED_MM=0).
/// Process-wide.
void dspy_set_kquant_tiled(int enabled);

/// Overrides `dspy_set_kquant_tiled` for kernels run on the calling thread (without a pool),
/// for tests: 0 or 1, or -1 to follow the process-wide setting again.
void dspy_set_kquant_tiled_on_thread(int setting);

/// `dspy_matmul_activations` with floats `x` and optional Q8 blocks `xq`: encodings the
/// matrices need that are not given are converted here, in memory allocated per call.
/// `scratch` is not used (kept for callers of the earlier dequantizing fallback).
void dspy_matmul(dspy_pool *pool, const dspy_matrix *matrices, int count,
                 const float *x, int x_stride, const dspy_block_q8 *xq, int tokens,
                 float *scratch);

// MARK: - Attention

/// The keys and values one query token may attend to: positions [0, visible) of one
/// sequence's layer cache, laid out [position][kv head][head dim] as IEEE halves.
typedef struct {
    const uint16_t *keys;
    const uint16_t *values;
    int visible;
} dspy_attention_span;

/// Scaled dot-product attention with grouped query heads, for `tokens` query rows, the
/// way llama.cpp's CPU flash attention computes one query row: query rounded to halves,
/// online softmax, values accumulated in halves. Each (token, head) is one pool task; on
/// AVX-512 CPUs, with 64-dimensional heads, each (token, key/value head), so that the query
/// heads sharing a cached key and value read it once (same results).
///
/// q is [token][head][head_dim] floats (`q_stride` per token); out has the same shape.
/// Query head h reads key/value head h / (heads / kv_heads).
void dspy_attention(dspy_pool *pool, const float *q, int q_stride, float *out, int out_stride,
                    const dspy_attention_span *spans, int tokens, int heads, int kv_heads,
                    int head_dim, float scale);

/// Causal attention for a prefill run of `tokens` query rows of one sequence, computed
/// per row exactly as llama.cpp's CPU flash attention does for micro-batches of 64 or
/// more query rows (its tiled path): float query, keys in tiles of 64 from position 0,
/// an online softmax per tile, float accumulation. Results do not depend on the thread
/// count or on whether the CPU has AVX2 (the scalar fallback performs the same operations).
///
/// Row t attends to positions [0, visible[t]) of `keys` and `values`, one layer of one
/// sequence's cache laid out [position][kv head][head dim] as IEEE halves. q and out
/// are as for `dspy_attention`. Each (head, 64-row tile) is one pool task. `scratch`
/// holds `dspy_attention_tiled_scratch_count(head_dim)` floats per pool thread.
void dspy_attention_tiled(dspy_pool *pool, const float *q, int q_stride, float *out, int out_stride,
                          const uint16_t *keys, const uint16_t *values, const int *visible, int tokens,
                          int heads, int kv_heads, int head_dim, float scale, float *scratch);

/// `dspy_attention_tiled` where row t sees only positions [first[t], visible[t]) (a sliding
/// window; `first` NULL means 0 for every row). Masked keys count as llama.cpp's −∞ mask
/// entries: with `first` all zero the results are those of `dspy_attention_tiled`.
void dspy_attention_tiled_window(dspy_pool *pool, const float *q, int q_stride, float *out, int out_stride,
                                 const uint16_t *keys, const uint16_t *values, const int *first, const int *visible,
                                 int tokens, int heads, int kv_heads, int head_dim, float scale, float *scratch);

/// Floats of scratch `dspy_attention_tiled` needs per pool thread.
size_t dspy_attention_tiled_scratch_count(int head_dim);

// MARK: - Element-wise helpers

/// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight, for `rows` rows of `n` floats.
void dspy_rmsnorm(const float *x, int x_stride, const float *weight, float *out, int out_stride,
                  int rows, int n, float eps);

/// RoPE as ggml_rope_ext computes it without YaRN: angle freq_scale · position ·
/// base^(−2i/rot_dims) / freq_factors[i] (freq_factors may be NULL), cos and sin scaled by
/// attn_factor. `neox` 0 rotates adjacent pairs (x[2i], x[2i+1]) (llama);
/// 1 rotates (x[i], x[i + rot_dims/2]). Dimensions from rot_dims on are left as they are.
void dspy_rope_ext(float *x, int heads, int head_dim, int rot_dims, int position, float base, float freq_scale,
                   const float *freq_factors, float attn_factor, int neox);

/// gate[i] = gelu_tanh(gate[i]) * up[i] through llama.cpp's table of halves
/// (GGML_GELU_FP16): the input rounded to a half, the tabulated half-precision GELU of it,
/// times up; 0 for inputs ≤ −10, the input itself (times up) for inputs ≥ 10.
void dspy_geglu(float *gate, const float *up, int64_t n);

/// The GELU-tanh approximation in float, as the table's entries are computed before rounding.
float dspy_gelu_tanh(float x);

/// x[r][i] += bias[i] for `rows` rows of `n` floats, `x_stride` apart.
void dspy_add_rows(float *x, int x_stride, const float *bias, int rows, int n);

/// x[i] *= factor.
void dspy_scale(float *x, int64_t n, float factor);

/// x[i] = tanh(x[i] / cap) * cap (as llama.cpp: a multiply by 1/cap, tanh, a multiply by cap).
void dspy_softcap(float *x, int64_t n, float cap);

/// gate[i] = silu(gate[i]) * up[i].
void dspy_swiglu(float *gate, const float *up, int64_t n);

/// x[i] += y[i].
void dspy_add(float *x, const float *y, int64_t n);

/// Converts n floats to IEEE halves.
void dspy_fp32_to_fp16_row(const float *x, uint16_t *y, int64_t n);

#include "CDSPyTraining.h"

#endif
