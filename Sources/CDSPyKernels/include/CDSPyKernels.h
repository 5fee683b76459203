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
    DSPY_PATH_DOT_FLOAT_SCALAR,
    DSPY_PATH_DOT_FLOAT_AVX2,
    DSPY_PATH_ATTEND_SCALAR,
    DSPY_PATH_ATTEND_AVX2,
    DSPY_PATH_ATTEND_GROUP_AVX512,
    DSPY_PATH_TILED_SCALAR,
    DSPY_PATH_TILED_AVX2,
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
    DSPY_TYPE_Q8_0 = 8,
    DSPY_TYPE_Q4_K = 12,
    DSPY_TYPE_Q6_K = 14,
};

/// Converts one IEEE half (bits) to float.
float dspy_fp16_to_fp32(uint16_t h);
/// Converts one float to IEEE half bits, rounding to nearest even.
uint16_t dspy_fp32_to_fp16(float f);

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

/// Computes out = W · x for every matrix and each of `tokens` activation rows.
///
/// `x` holds the activations as floats (`x_stride` floats per token); `xq` holds them
/// quantized by `dspy_quantize_q8` (cols/32 blocks per token) and is required when a
/// matrix is Q4_0, Q4_1 or Q8_0. `scratch` needs `threads * cols` floats for the
/// other quantized types (dequantized a row at a time). Rows are split across the pool.
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

#endif
