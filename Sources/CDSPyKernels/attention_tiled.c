// Causal attention for prefill: runs of 64 or more consecutive query rows of one
// sequence, computed row by row the way llama.cpp's tiled CPU flash attention does for
// micro-batches that long. Keys come in tiles of 64 aligned at position 0. Per tile,
// a row's scores are chains of fused multiply-adds over the head dimension, then
// scaled; the online softmax takes the tile's maximum, rescales the running output
// and sum by libm's expf of the drop, exponentiates with the polynomial of llama.cpp's
// AVX-512 or AVX2 build (dspy_kernel_order) and sums each 16 or 8 lanes in that build's
// horizontal order into a double; the output then grows by
// a fused multiply-add chain over the tile's keys. Each result depends only on its own
// row, so how rows are grouped or spread over threads changes nothing.
#include "internal.h"

#include <math.h>
#include <string.h>

#include "exp_avx2.h"

enum { KEY_TILE = 64, ROW_TILE = 64, LANES = 16 };
_Static_assert(KEY_TILE == ROW_TILE, "the scratch blocks hold either tile");

// Per-thread scratch, in floats: three [64][dim] operand blocks, the [64][64] scores,
// the [64][dim] output accumulators, and each row's running maximum and sum.
static size_t scratch_floats(int head_dim) {
    return 4 * (size_t)ROW_TILE * head_dim + (size_t)ROW_TILE * KEY_TILE + 2 * ROW_TILE;
}

size_t dspy_attention_tiled_scratch_count(int head_dim) { return scratch_floats(head_dim); }

typedef struct {
    const float *q;
    int q_stride;
    float *out;
    int out_stride;
    const uint16_t *keys, *values;
    const int *first, *visible;
    int tokens, heads, kv_heads, head_dim;
    float scale;
    int row_tiles;
    int avx2;
    int order;  // DSPY_ORDER_AVX2 or DSPY_ORDER_AVX512
    float *scratch;
} tiled_job;

// MARK: - Portable arithmetic (the same operations, one lane at a time)

// ggml's 512-bit exponential for one lane.
static float exp_scalar(float x) {
    float z = fmaf(x, 0x1.715476p+0f, 0x1.8p23f);
    float n = z - 0x1.8p23f;
    float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    float u = b * b;
    float high = fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f);
    float mid = fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f);
    float low = fmaf(0x1.ffffecp-1f, b, 1.0f);
    float j = fmaf(fmaf(high, u, mid), u, low);
    if (fabsf(n) > 192.0f) return n <= 0 ? 0.0f : INFINITY;
    return ldexpf(j, (int)n);
}

// The 256-bit horizontal sum of 8 lanes: halves, then (0+2) + (1+3).
static float sum8_scalar(const float *v) {
    float half[4];
    for (int i = 0; i < 4; i++) half[i] = v[i + 4] + v[i];
    return (half[0] + half[2]) + (half[1] + half[3]);
}

// The 512-bit horizontal sum of 16 lanes: halves, then quarters, then pairs.
static float sum16_scalar(const float *v) {
    float half[8], quarter[4];
    for (int i = 0; i < 8; i++) half[i] = v[i + 8] + v[i];
    for (int i = 0; i < 4; i++) quarter[i] = half[i + 4] + half[i];
    float even = quarter[0] + quarter[2];
    float odd = quarter[1] + quarter[3];
    return even + odd;
}

// c[i][j] = fma chain over kk of a[i][kk] · b[kk][j], starting from c.
static void gemm_acc_scalar(float *c, int ldc, const float *a, int lda, const float *b, int ldb,
                            int m, int k, int n) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float acc = c[(size_t)i * ldc + j];
            for (int kk = 0; kk < k; kk++) acc = fmaf(b[(size_t)kk * ldb + j], a[(size_t)i * lda + kk], acc);
            c[(size_t)i * ldc + j] = acc;
        }
}

// One row's online softmax over one key tile. `p` holds the row's `width` scaled scores
// of which those in [low, live) are visible; on return it holds their unnormalized
// probabilities and zeros.
static void softmax_tile_scalar(float *p, int low, int live, int width, float *best, float *total, float *acc,
                                int hd, int order) {
    if (live <= 0 || live <= low) {
        memset(p, 0, (size_t)width * sizeof *p);
        return;
    }
    float tile_max = -INFINITY;
    for (int j = low; j < live; j++) tile_max = tile_max > p[j] ? tile_max : p[j];
    float old = *best, now = fmaxf(old, tile_max);
    if (now > old) {
        float ms = expf(old - now);
        for (int d = 0; d < hd; d++) acc[d] *= ms;
        *total *= ms;
    }
    *best = now;
    double sum = 0;
    const int lanes = order == DSPY_ORDER_AVX512 ? LANES : 8;
    for (int g = 0; g < width; g += lanes) {
        for (int j = g; j < g + lanes; j++) {
            float x = p[j] - now;
            p[j] = j < live && j >= low ? (order == DSPY_ORDER_AVX512 ? exp_scalar(x) : dspy_exp256_scalar(x)) : 0.0f;
        }
        if (g < live) sum += (double)(order == DSPY_ORDER_AVX512 ? sum16_scalar(p + g) : sum8_scalar(p + g));
    }
    *total = (float)((double)*total + sum);
}

// MARK: - AVX2 arithmetic

#if DSPY_X86
// A rows × (8·vecs) block of c += a · b, one fma chain per element over kk; a(i, kk) is
// a[i·a_row + kk·a_col].
__attribute__((always_inline)) DSPY_AVX2 static inline void
gemm_block_avx2(float *c, int ldc, const float *a, int a_row, int a_col, const float *b, int ldb, int k,
                const int rows, const int vecs) {
    __m256 acc[6][2];
    for (int i = 0; i < rows; i++)
        for (int v = 0; v < vecs; v++) acc[i][v] = _mm256_loadu_ps(c + (size_t)i * ldc + 8 * v);
    for (int kk = 0; kk < k; kk++) {
        __m256 bv[2];
        for (int v = 0; v < vecs; v++) bv[v] = _mm256_loadu_ps(b + (size_t)kk * ldb + 8 * v);
        for (int i = 0; i < rows; i++) {
            __m256 x = _mm256_broadcast_ss(a + (size_t)i * a_row + (size_t)kk * a_col);
            for (int v = 0; v < vecs; v++) acc[i][v] = _mm256_fmadd_ps(bv[v], x, acc[i][v]);
        }
    }
    for (int i = 0; i < rows; i++)
        for (int v = 0; v < vecs; v++) _mm256_storeu_ps(c + (size_t)i * ldc + 8 * v, acc[i][v]);
}

__attribute__((always_inline)) DSPY_AVX2 static inline void
gemm_rows_avx2(float *c, int ldc, const float *a, int a_row, int a_col, const float *b, int ldb, int k, int n,
               const int rows) {
    int j = 0;
    for (; j + 16 <= n; j += 16) gemm_block_avx2(c + j, ldc, a, a_row, a_col, b + j, ldb, k, rows, 2);
    for (; j < n; j += 8) gemm_block_avx2(c + j, ldc, a, a_row, a_col, b + j, ldb, k, rows, 1);
}

// c[m × n] += a[m × k] · b[k × n] with n a multiple of 8: every element the same fma
// chain over kk as in gemm_acc_scalar.
DSPY_AVX2 static void gemm_acc_avx2(float *c, int ldc, const float *a, int a_row, int a_col, const float *b,
                                    int ldb, int m, int k, int n) {
    int i = 0;
    for (; i + 6 <= m; i += 6)
        gemm_rows_avx2(c + (size_t)i * ldc, ldc, a + (size_t)i * a_row, a_row, a_col, b, ldb, k, n, 6);
    c += (size_t)i * ldc;
    a += (size_t)i * a_row;
    switch (m - i) {
    case 5: gemm_rows_avx2(c, ldc, a, a_row, a_col, b, ldb, k, n, 5); break;
    case 4: gemm_rows_avx2(c, ldc, a, a_row, a_col, b, ldb, k, n, 4); break;
    case 3: gemm_rows_avx2(c, ldc, a, a_row, a_col, b, ldb, k, n, 3); break;
    case 2: gemm_rows_avx2(c, ldc, a, a_row, a_col, b, ldb, k, n, 2); break;
    case 1: gemm_rows_avx2(c, ldc, a, a_row, a_col, b, ldb, k, n, 1); break;
    default: break;
    }
}

// The online softmax of eight rows (one per lane) over one key tile. `st` holds the
// tile's scores transposed, [key][row] (ROW_TILE apart); on return it holds the
// unnormalized probabilities, zero where a row does not see the key. The 16-lane
// horizontal sums of llama.cpp's AVX-512 build become vertical sums over 16 keys here,
// in the same tree order: halves, quarters, then even and odd pairs; its AVX2 build's
// 8-lane sums become vertical sums over 8 keys: halves, then (0+2) + (1+3).
DSPY_AVX2 static void softmax_rows_avx2(float *st, int count, __m256i low, __m256i live, int lanes, float scale,
                                        float *best, float *total, float *acc, int hd, int order) {
    const __m256 scaled = _mm256_set1_ps(scale);
    __m256 tile_max = _mm256_set1_ps(-INFINITY);
    for (int j = 0; j < count; j++) {
        float *row = st + (size_t)j * ROW_TILE;
        __m256 s = _mm256_mul_ps(_mm256_loadu_ps(row), scaled);
        _mm256_storeu_ps(row, s);
        __m256i jv = _mm256_set1_epi32(j);
        __m256 seen = _mm256_castsi256_ps(_mm256_andnot_si256(_mm256_cmpgt_epi32(low, jv), _mm256_cmpgt_epi32(live, jv)));
        tile_max = _mm256_max_ps(tile_max, _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), s, seen));
    }
    float maxima[8];
    _mm256_storeu_ps(maxima, tile_max);
    for (int r = 0; r < lanes; r++) {
        float old = best[r], now = fmaxf(old, maxima[r]);
        if (now > old) {
            const float ms = expf(old - now);
            float *out = acc + (size_t)r * hd;
            for (int d = 0; d < hd; d += 8) _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_loadu_ps(out + d), _mm256_set1_ps(ms)));
            total[r] *= ms;
        }
        best[r] = now;
    }
    __m256 m = _mm256_loadu_ps(best);  // rows that never saw a key subtract 0, then mask
    m = _mm256_and_ps(m, _mm256_cmp_ps(m, _mm256_set1_ps(-INFINITY), _CMP_NEQ_OQ));
    __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
    const int avx512 = order == DSPY_ORDER_AVX512, group = avx512 ? LANES : 8;
    for (int g = 0; g < count; g += group) {
        __m256 e[LANES];
        for (int l = 0; l < group; l++) {
            int j = g + l;
            if (j >= count) {
                e[l] = _mm256_setzero_ps();
                continue;
            }
            float *row = st + (size_t)j * ROW_TILE;
            __m256i jv = _mm256_set1_epi32(j);
            __m256 seen = _mm256_castsi256_ps(_mm256_andnot_si256(_mm256_cmpgt_epi32(low, jv), _mm256_cmpgt_epi32(live, jv)));
            __m256 x = _mm256_sub_ps(_mm256_loadu_ps(row), m);
            e[l] = _mm256_and_ps(avx512 ? dspy_exp_avx2(x) : dspy_exp256_avx2(x), seen);
            _mm256_storeu_ps(row, e[l]);
        }
        __m256 f;
        if (avx512) {
            __m256 half[8], quarter[4];
            for (int l = 0; l < 8; l++) half[l] = _mm256_add_ps(e[l + 8], e[l]);
            for (int l = 0; l < 4; l++) quarter[l] = _mm256_add_ps(half[l + 4], half[l]);
            f = _mm256_add_ps(_mm256_add_ps(quarter[0], quarter[2]), _mm256_add_ps(quarter[1], quarter[3]));
        } else {
            __m256 half[4];
            for (int l = 0; l < 4; l++) half[l] = _mm256_add_ps(e[l + 4], e[l]);
            f = _mm256_add_ps(_mm256_add_ps(half[0], half[2]), _mm256_add_ps(half[1], half[3]));
        }
        sum_lo = _mm256_add_pd(sum_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
        sum_hi = _mm256_add_pd(sum_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
    }
    __m256 t = _mm256_loadu_ps(total);
    __m128 lo = _mm256_cvtpd_ps(_mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(t)), sum_lo));
    __m128 hi = _mm256_cvtpd_ps(_mm256_add_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(t, 1)), sum_hi));
    _mm256_storeu_ps(total, _mm256_set_m128(hi, lo));
}

// `count` rows of `hd` halves (`stride` apart) to packed floats.
DSPY_AVX2 static void widen_rows_avx2(const uint16_t *x, int stride, int count, int hd, float *y) {
    for (int j = 0; j < count; j++)
        for (int d = 0; d < hd; d += 8)
            _mm256_storeu_ps(y + (size_t)j * hd + d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + (size_t)j * stride + d))));
}
#endif

// MARK: - Tasks

// One (head, row tile) task: its rows' operands and one thread's scratch.
typedef struct {
    const float *q;
    int q_stride;
    const uint16_t *keys, *values;  // this kv head's first key and value
    int stride;                     // halves per cached position
    const int *first, *visible;  // first is NULL: every row sees from position 0
    int rows, hd, earliest, longest;
    float scale;
    float *a, *b, *c;    // [ROW_TILE or KEY_TILE][hd] each
    float *p;            // [ROW_TILE][KEY_TILE]
    float *acc;          // [ROW_TILE][hd]
    float *best, *total; // [ROW_TILE]
    int order;           // DSPY_ORDER_AVX2 or DSPY_ORDER_AVX512
} row_tile;

// How many of the `count` keys of the tile at `start` a row seeing `visible` keys sees.
static inline int live_keys(int visible, int start, int count) {
    int live = visible - start;
    return live < count ? live : count;
}

// The first key of the tile at `start` a row whose window starts at `first` sees.
static inline int low_key(const int *first, int row, int start) {
    int low = first ? first[row] - start : 0;
    return low > 0 ? low : 0;
}

// The first key tile any row of the task sees: tiles before it would only add zeros
// (fully masked), so skipping them changes no result.
static inline int first_tile(const int *first, int rows) {
    if (!first) return 0;
    int earliest = first[0];
    for (int i = 1; i < rows; i++) earliest = first[i] < earliest ? first[i] : earliest;
    return earliest / KEY_TILE * KEY_TILE;
}

// Scalar: scores row-major, keys transposed into `a`, values in `b`.
static void attend_rows_scalar(const row_tile *t) {
    const int hd = t->hd;
    float *kt = t->a, *v = t->b;
    for (int start = t->earliest; start < t->longest; start += KEY_TILE) {
        const int count = t->longest - start < KEY_TILE ? t->longest - start : KEY_TILE;
        const int width = (count + LANES - 1) / LANES * LANES;
        const uint16_t *keys = t->keys + (size_t)start * t->stride, *values = t->values + (size_t)start * t->stride;
        for (int j = 0; j < width; j++)
            for (int d = 0; d < hd; d++) {
                kt[(size_t)d * KEY_TILE + j] = j < count ? dspy_fp16_to_fp32(keys[(size_t)j * t->stride + d]) : 0;
                if (j < count) v[(size_t)j * hd + d] = dspy_fp16_to_fp32(values[(size_t)j * t->stride + d]);
            }
        for (int i = 0; i < t->rows; i++) memset(t->p + (size_t)i * KEY_TILE, 0, (size_t)width * sizeof(float));
        gemm_acc_scalar(t->p, KEY_TILE, t->q, t->q_stride, kt, KEY_TILE, t->rows, hd, width);
        for (int i = 0; i < t->rows; i++) {
            float *row = t->p + (size_t)i * KEY_TILE;
            for (int j = 0; j < width; j++) row[j] *= t->scale;
            softmax_tile_scalar(row, low_key(t->first, i, start), live_keys(t->visible[i], start, count), width, t->best + i, t->total + i,
                                t->acc + (size_t)i * hd, hd, t->order);
        }
        gemm_acc_scalar(t->acc, hd, t->p, KEY_TILE, v, hd, t->rows, count, hd);
    }
}

#if DSPY_X86
// AVX2: the query transposed in `a` ([dim][row], rows padded to 8 with zeros), keys and
// values widened into `b` and `c`, scores transposed ([key][row]) so that the softmax
// runs down eight rows at once.
DSPY_AVX2 static void attend_rows_avx2(const row_tile *t) {
    const int hd = t->hd, padded = (t->rows + 7) / 8 * 8;
    float *qt = t->a, *kf = t->b, *vf = t->c, *st = t->p;
    for (int d = 0; d < hd; d++)
        for (int i = 0; i < padded; i++) qt[(size_t)d * ROW_TILE + i] = i < t->rows ? t->q[(size_t)i * t->q_stride + d] : 0;
    int visible[ROW_TILE], first[ROW_TILE];
    for (int i = 0; i < padded; i++) {
        visible[i] = i < t->rows ? t->visible[i] : 0;
        first[i] = i < t->rows && t->first ? t->first[i] : 0;
    }
    for (int start = t->earliest; start < t->longest; start += KEY_TILE) {
        const int count = t->longest - start < KEY_TILE ? t->longest - start : KEY_TILE;
        widen_rows_avx2(t->keys + (size_t)start * t->stride, t->stride, count, hd, kf);
        widen_rows_avx2(t->values + (size_t)start * t->stride, t->stride, count, hd, vf);
        for (int j = 0; j < count; j++)
            for (int i = 0; i < padded; i += 8) _mm256_storeu_ps(st + (size_t)j * ROW_TILE + i, _mm256_setzero_ps());
        gemm_acc_avx2(st, ROW_TILE, kf, hd, 1, qt, ROW_TILE, count, hd, padded);
        for (int i = 0; i < padded; i += 8) {
            __m256i live = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(visible + i)), _mm256_set1_epi32(start));
            __m256i low = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(first + i)), _mm256_set1_epi32(start));
            int lanes = t->rows - i < 8 ? t->rows - i : 8;
            softmax_rows_avx2(st + i, count, low, live, lanes, t->scale, t->best + i, t->total + i, t->acc + (size_t)i * hd, hd,
                              t->order);
        }
        gemm_acc_avx2(t->acc, hd, st, 1, ROW_TILE, vf, hd, t->rows, count, hd);
    }
}
#endif

// One (head, tile of up to 64 rows). The heaviest tiles (latest rows) are dealt first.
static void tiled_task(void *context, int index, int thread) {
    const tiled_job *job = context;
    const int hd = job->head_dim, head = index % job->heads;
    const int first = (job->row_tiles - 1 - index / job->heads) * ROW_TILE;
    const int rows = job->tokens - first < ROW_TILE ? job->tokens - first : ROW_TILE;
    const int kv_head = head / (job->heads / job->kv_heads);
    float *work = job->scratch + (size_t)thread * scratch_floats(hd);
    const size_t block = (size_t)ROW_TILE * hd;
    row_tile t = {
        .q = job->q + (size_t)first * job->q_stride + (size_t)head * hd, .q_stride = job->q_stride,
        .keys = job->keys + (size_t)kv_head * hd, .values = job->values + (size_t)kv_head * hd,
        .stride = job->kv_heads * hd, .first = job->first ? job->first + first : NULL,
        .visible = job->visible + first, .rows = rows, .hd = hd,
        .scale = job->scale, .a = work, .b = work + block, .c = work + 2 * block, .p = work + 3 * block,
        .acc = work + 3 * block + ROW_TILE * KEY_TILE, .order = job->order,
    };
    t.best = t.acc + block;
    t.total = t.best + ROW_TILE;
    for (int i = 0; i < ROW_TILE; i++) {
        t.best[i] = -INFINITY;
        t.total[i] = 0;
    }
    for (int i = 0; i < rows; i++) t.longest = t.visible[i] > t.longest ? t.visible[i] : t.longest;
    t.earliest = first_tile(t.first, rows);
    memset(t.acc, 0, (size_t)rows * hd * sizeof(float));
#if DSPY_X86
    if (job->avx2) attend_rows_avx2(&t);
    else attend_rows_scalar(&t);
#else
    attend_rows_scalar(&t);
#endif
    for (int i = 0; i < rows; i++) {
        const float inverse = t.total[i] == 0.0f ? 0.0f : 1.0f / t.total[i];
        float *o = job->out + (size_t)(first + i) * job->out_stride + (size_t)head * hd;
        for (int d = 0; d < hd; d++) o[d] = t.acc[(size_t)i * hd + d] * inverse;
    }
}

void dspy_attention_tiled(dspy_pool *pool, const float *q, int q_stride, float *out, int out_stride,
                          const uint16_t *keys, const uint16_t *values, const int *visible, int tokens,
                          int heads, int kv_heads, int head_dim, float scale, float *scratch) {
    dspy_attention_tiled_window(pool, q, q_stride, out, out_stride, keys, values, NULL, visible, tokens, heads,
                                kv_heads, head_dim, scale, scratch);
}

void dspy_attention_tiled_window(dspy_pool *pool, const float *q, int q_stride, float *out, int out_stride,
                                 const uint16_t *keys, const uint16_t *values, const int *first, const int *visible,
                                 int tokens, int heads, int kv_heads, int head_dim, float scale, float *scratch) {
    if (tokens <= 0) return;
    int row_tiles = (tokens + ROW_TILE - 1) / ROW_TILE;
    tiled_job job = {q, q_stride, out, out_stride, keys, values, first, visible, tokens, heads, kv_heads, head_dim,
                     scale, row_tiles, DSPY_X86 && dspy_kernels_use_avx2() && head_dim % 8 == 0,
                     dspy_kernel_order(), scratch};
    dspy_path_hit(job.avx2 ? DSPY_PATH_TILED_AVX2 : DSPY_PATH_TILED_SCALAR);
    dspy_path_hit(job.order == DSPY_ORDER_AVX512 ? DSPY_PATH_ORDER_SOFTMAX_AVX512 : DSPY_PATH_ORDER_SOFTMAX_AVX2);
    dspy_parallel_for(pool, row_tiles * heads, tiled_task, &job);
}
