// Float matrix products for training (dspy_sgemm): BLIS-style blocking with a 6×16 micro-kernel.
// For each block of KC along k (in order), op(B) is packed once into 16-column panels, then
// (MC-row × NCT-column) blocks of C are pool tasks, each packing its rows of op(A) into 6-row
// panels and running the micro-kernel over its columns. A C element is only ever written by the
// task owning its block, and its sum over k runs block by block in order, so the result is the
// same on any thread count.
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#if DSPY_X86
#include <immintrin.h>
#endif

enum { MR = 6, NR = 16, KC = 256, MC = 48, NCT = 256 };

typedef struct {
    int trans_a, m, n, kc, pc;
    float alpha, beta;
    const float *a;
    int lda;
    const float *bpack;  // kc × (panels · NR)
    float *c;
    int ldc;
    int m_blocks, n_blocks;
} gemm_job;

// Packs rows [i0, i0 + mc) of op(A), columns [pc, pc + kc), into MR-row panels (zero padded).
static void pack_a(const gemm_job *g, int i0, int mc, float *out) {
    for (int p = 0; p < mc; p += MR) {
        int rows = mc - p < MR ? mc - p : MR;
        float *panel = out + (size_t)p * g->kc;
        for (int kk = 0; kk < g->kc; kk++) {
            float *dst = panel + (size_t)kk * MR;
            for (int r = 0; r < rows; r++) {
                int i = i0 + p + r, kx = g->pc + kk;
                dst[r] = g->trans_a ? g->a[(size_t)kx * g->lda + i] : g->a[(size_t)i * g->lda + kx];
            }
            for (int r = rows; r < MR; r++) dst[r] = 0;
        }
    }
}

// Stores acc (MR × NR, row-major) into the mr × nr corner of C: C = alpha·acc + beta·C.
static void store_tile(const float *acc, float *c, int ldc, int mr, int nr, float alpha, float beta) {
    for (int r = 0; r < mr; r++) {
        float *row = c + (size_t)r * ldc;
        if (beta == 0) for (int j = 0; j < nr; j++) row[j] = alpha * acc[r * NR + j];
        else for (int j = 0; j < nr; j++) row[j] = alpha * acc[r * NR + j] + beta * row[j];
    }
}

static void kernel_scalar(int kc, const float *a, const float *b, float *c, int ldc, int mr, int nr, float alpha,
                          float beta) {
    float acc[MR * NR];
    memset(acc, 0, sizeof acc);
    for (int kk = 0; kk < kc; kk++) {
        const float *ak = a + (size_t)kk * MR, *bk = b + (size_t)kk * NR;
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r * NR + j] += ak[r] * bk[j];
    }
    store_tile(acc, c, ldc, mr, nr, alpha, beta);
}

#if DSPY_X86
DSPY_AVX2 static void kernel_avx2(int kc, const float *a, const float *b, float *c, int ldc, int mr, int nr,
                                  float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int kk = 0; kk < kc; kk++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        __m256 x = _mm256_broadcast_ss(a);
        c00 = _mm256_fmadd_ps(x, b0, c00); c01 = _mm256_fmadd_ps(x, b1, c01);
        x = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(x, b0, c10); c11 = _mm256_fmadd_ps(x, b1, c11);
        x = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(x, b0, c20); c21 = _mm256_fmadd_ps(x, b1, c21);
        x = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(x, b0, c30); c31 = _mm256_fmadd_ps(x, b1, c31);
        x = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(x, b0, c40); c41 = _mm256_fmadd_ps(x, b1, c41);
        x = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(x, b0, c50); c51 = _mm256_fmadd_ps(x, b1, c51);
        a += MR;
        b += NR;
    }
    __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    if (mr == MR && nr == NR) {
        for (int r = 0; r < MR; r++) {
            float *row = c + (size_t)r * ldc;
            for (int h = 0; h < 2; h++) {
                __m256 value = _mm256_mul_ps(va, acc[r][h]);
                if (beta != 0) value = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8 * h), value);
                _mm256_storeu_ps(row + 8 * h, value);
            }
        }
        return;
    }
    float tile[MR * NR] DSPY_ALIGN32;
    for (int r = 0; r < MR; r++) {
        _mm256_store_ps(tile + r * NR, acc[r][0]);
        _mm256_store_ps(tile + r * NR + 8, acc[r][1]);
    }
    store_tile(tile, c, ldc, mr, nr, alpha, beta);
}
#endif

static _Thread_local float a_pack[MC * KC] DSPY_ALIGN32;

static void gemm_task(void *context, int index, int thread) {
    (void)thread;
    const gemm_job *g = context;
    int bi = index / g->n_blocks, bj = index % g->n_blocks;
    int i0 = bi * MC, mc = g->m - i0 < MC ? g->m - i0 : MC;
    int j0 = bj * NCT, ncols = g->n - j0 < NCT ? g->n - j0 : NCT;
    pack_a(g, i0, mc, a_pack);
#if DSPY_X86
    int vector = dspy_kernels_use_avx2();
#endif
    for (int j = 0; j < ncols; j += NR) {
        int nr = ncols - j < NR ? ncols - j : NR;
        const float *bp = g->bpack + (size_t)((j0 + j) / NR) * NR * g->kc;
        for (int i = 0; i < mc; i += MR) {
            int mr = mc - i < MR ? mc - i : MR;
            float *c = g->c + (size_t)(i0 + i) * g->ldc + j0 + j;
            const float *ap = a_pack + (size_t)i * g->kc;
#if DSPY_X86
            if (vector) {
                kernel_avx2(g->kc, ap, bp, c, g->ldc, mr, nr, g->alpha, g->beta);
                continue;
            }
#endif
            kernel_scalar(g->kc, ap, bp, c, g->ldc, mr, nr, g->alpha, g->beta);
        }
    }
}

typedef struct {
    int trans_b, n, kc, pc;
    const float *b;
    int ldb;
    float *out;
} pack_b_job;

// Packs one NR-column panel of op(B) rows [pc, pc + kc) (zero padded).
static void pack_b_task(void *context, int panel, int thread) {
    (void)thread;
    const pack_b_job *p = context;
    float *dst = p->out + (size_t)panel * NR * p->kc;
    int j0 = panel * NR, cols = p->n - j0 < NR ? p->n - j0 : NR;
    for (int kk = 0; kk < p->kc; kk++) {
        float *row = dst + (size_t)kk * NR;
        int kx = p->pc + kk;
        if (!p->trans_b) {
            const float *src = p->b + (size_t)kx * p->ldb + j0;
            for (int j = 0; j < cols; j++) row[j] = src[j];
        } else {
            for (int j = 0; j < cols; j++) row[j] = p->b[(size_t)(j0 + j) * p->ldb + kx];
        }
        for (int j = cols; j < NR; j++) row[j] = 0;
    }
}

void dspy_sgemm(dspy_pool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
                const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * c[(size_t)i * ldc + j];
        return;
    }
    int panels = (n + NR - 1) / NR;
    int kc_max = k < KC ? k : KC;
    float *bpack = aligned_alloc(32, ((size_t)panels * NR * kc_max * sizeof(float) + 31) / 32 * 32);
    if (!bpack) abort();
    int m_blocks = (m + MC - 1) / MC, n_blocks = (n + NCT - 1) / NCT;
    for (int pc = 0; pc < k; pc += KC) {
        int kc = k - pc < KC ? k - pc : KC;
        pack_b_job pb = {trans_b, n, kc, pc, b, ldb, bpack};
        if (panels * kc >= 4096) dspy_parallel_for(pool, panels, pack_b_task, &pb);
        else for (int p = 0; p < panels; p++) pack_b_task(&pb, p, 0);
        gemm_job g = {trans_a, m, n, kc, pc, alpha, pc == 0 ? beta : 1.0f, a, lda, bpack, c, ldc, m_blocks, n_blocks};
        int tasks = m_blocks * n_blocks;
        if ((double)m * n * kc >= 65536.0 && tasks > 1) dspy_parallel_for(pool, tasks, gemm_task, &g);
        else for (int t = 0; t < tasks; t++) gemm_task(&g, t, 0);
    }
    free(bpack);
}
