// Element-wise forward and backward passes of training: RMS norm saving its scale, RoPE from a
// table (and its transpose), SiLU and GELU-tanh gated units, inverted dropout from a keyed hash.
#include "internal.h"
#include "CDSPyTraining.h"

#include <math.h>

void dspy_train_rmsnorm(const float *x, int x_stride, const float *weight, float *out, int out_stride,
                        float *inverse_rms, int rows, int n, float eps) {
    dspy_rmsnorm_rows(x, x_stride, weight, out, out_stride, inverse_rms, rows, n, eps);
}

void dspy_train_rmsnorm_backward(const float *x, int x_stride, const float *weight, const float *inverse_rms,
                                 const float *dy, int dy_stride, float *dx, int dx_stride, int rows, int n,
                                 int accumulate) {
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * x_stride, *dyr = dy + (size_t)r * dy_stride;
        float *dxr = dx + (size_t)r * dx_stride;
        float s = inverse_rms[r];
        double dot = 0;
        for (int i = 0; i < n; i++) dot += (double)(weight[i] * dyr[i]) * xr[i];
        float c = (float)(dot * s * s * s / n);
        for (int i = 0; i < n; i++) {
            float value = s * weight[i] * dyr[i] - xr[i] * c;
            dxr[i] = accumulate ? dxr[i] + value : value;
        }
    }
}

void dspy_train_rope_table(int positions, int rot_dims, float base, float freq_scale, const float *freq_factors,
                           float attn_factor, float *cos_out, float *sin_out) {
    int pairs = rot_dims / 2;
    float theta_scale = powf(base, -2.0f / (float)rot_dims);
    for (int p = 0; p < positions; p++) {
        float theta = (float)p;
        for (int i = 0; i < pairs; i++) {
            float ff = freq_factors ? freq_factors[i] : 1.0f;
            float phi = freq_scale * (theta / ff);
            cos_out[(size_t)p * pairs + i] = cosf(phi) * attn_factor;
            sin_out[(size_t)p * pairs + i] = sinf(phi) * attn_factor;
            theta *= theta_scale;
        }
    }
}

void dspy_train_rope(float *x, int stride, int rows, int heads, int head_dim, int rot_dims, const float *cosines,
                     const float *sines, int neox, int inverse) {
    int pairs = rot_dims / 2, step = neox ? 1 : 2, offset = neox ? pairs : 1;
    for (int r = 0; r < rows; r++) {
        const float *cr = cosines + (size_t)r * pairs, *sr = sines + (size_t)r * pairs;
        for (int h = 0; h < heads; h++) {
            float *v = x + (size_t)r * stride + (size_t)h * head_dim;
            for (int i = 0; i < pairs; i++) {
                float *p = v + (size_t)i * step;
                float a = p[0], b = p[offset], c = cr[i], s = inverse ? -sr[i] : sr[i];
                p[0] = a * c - b * s;
                p[offset] = a * s + b * c;
            }
        }
    }
}

static const float GELU_A = 0.044715f, GELU_C = 0.79788456080286535587989211986876f;

void dspy_train_gated(const float *gate, const float *up, float *out, int64_t n, int kind) {
    if (kind == 0) {
        for (int64_t i = 0; i < n; i++) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
    } else {
        for (int64_t i = 0; i < n; i++) {
            float x = gate[i];
            out[i] = 0.5f * x * (1.0f + tanhf(GELU_C * x * (1.0f + GELU_A * x * x))) * up[i];
        }
    }
}

void dspy_train_gated_backward(const float *gate, const float *up, const float *d_out, float *d_gate, float *d_up,
                               int64_t n, int kind) {
    for (int64_t i = 0; i < n; i++) {
        float x = gate[i], f, derivative;
        if (kind == 0) {
            float sigma = 1.0f / (1.0f + expf(-x));
            f = x * sigma;
            derivative = sigma * (1.0f + x * (1.0f - sigma));
        } else {
            float t = tanhf(GELU_C * x * (1.0f + GELU_A * x * x));
            f = 0.5f * x * (1.0f + t);
            derivative = 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * GELU_C * (1.0f + 3.0f * GELU_A * x * x);
        }
        float dy = d_out[i];
        d_gate[i] = dy * up[i] * derivative;
        d_up[i] = dy * f;
    }
}

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void dspy_train_dropout(const float *x, int x_stride, float *out, int out_stride, int rows, int cols, float p,
                        uint64_t key) {
    float keep = 1.0f / (1.0f - p);
    // Four 16-bit uniforms per hash: element i drops when its uniform is below p (to 1/65536).
    double scaled = (double)p * 65536.0 + 0.5;
    uint32_t threshold = scaled > 65536.0 ? 65536u : (uint32_t)scaled;
    for (int r = 0; r < rows; r++) {
        const float *xr = x + (size_t)r * x_stride;
        float *o = out + (size_t)r * out_stride;
        uint64_t row_key = mix64(key + 0x9E3779B97F4A7C15ULL * (uint64_t)(r + 1));
        for (int i0 = 0; i0 < cols; i0 += 4) {
            uint64_t bits = mix64(row_key + 0x9E3779B97F4A7C15ULL * (uint64_t)(i0 / 4 + 1));
            int end = cols - i0 < 4 ? cols - i0 : 4;
            for (int j = 0; j < end; j++) {
                uint32_t u = (uint32_t)((bits >> (16 * j)) & 0xFFFF);
                o[i0 + j] = u < threshold ? 0.0f : xr[i0 + j] * keep;
            }
        }
    }
}
