// Element-wise helpers of the forward pass: RMS norm, RoPE, SwiGLU, residual add.
// Small next to the matrix products, so plain C that the compiler vectorizes.
#include "internal.h"

#include <math.h>

void dspy_rmsnorm_rows(const float *x, int x_stride, const float *weight, float *out, int out_stride,
                       float *inverse_rms, int rows, int n, float eps) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * x_stride;
        float *o = out + (size_t)r * out_stride;
        double sum = 0;
        for (int i = 0; i < n; i++) sum += (double)(xr[i] * xr[i]);
        float scale = 1.0f / sqrtf((float)(sum / n) + eps);
        if (inverse_rms) inverse_rms[r] = scale;
        for (int i = 0; i < n; i++) o[i] = xr[i] * scale * weight[i];
    }
}

void dspy_rmsnorm(const float *x, int x_stride, const float *weight, float *out, int out_stride,
                  int rows, int n, float eps) {
    dspy_rmsnorm_rows(x, x_stride, weight, out, out_stride, NULL, rows, n, eps);
}

void dspy_swiglu(float *gate, const float *up, int64_t n) {
#if DSPY_X86
    if (dspy_kernels_use_avx2()) {
        int order = dspy_kernel_order();
        dspy_path_hit(order == DSPY_ORDER_AVX512 ? DSPY_PATH_ORDER_SWIGLU_AVX512 : DSPY_PATH_ORDER_SWIGLU_AVX2);
        dspy_swiglu_avx2(gate, up, n, order);
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

void dspy_add(float *x, const float *y, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] += y[i];
}
