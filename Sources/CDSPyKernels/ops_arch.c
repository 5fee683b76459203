// Element-wise operations that some architectures add to the Llama block: RoPE with
// NEOX pairing, frequency factors, frequency scale and magnitude scale; GELU-tanh gated
// units through llama.cpp's half-precision table; bias addition, scaling and soft-capping.
// Each follows the float order of llama.cpp's CPU backend (ggml-cpu ops.cpp and vec.h).
#include "internal.h"

#include <math.h>
#include <pthread.h>

// MARK: - RoPE

#if DSPY_X86
// The rotation with the multiply-adds llama.cpp's AVX2 build forms,
// for pairs (v[i·step], v[i·step + offset]).
DSPY_AVX2 static void rotate_fused(float *v, const float *cosines, const float *sines, int pairs, int step,
                                   int offset) {
    for (int i = 0; i < pairs; i++) {
        float *p = v + (size_t)i * step;
        float a = p[0], b = p[offset];
        p[0] = fmaf(a, cosines[i], -(b * sines[i]));
        p[offset] = fmaf(a, sines[i], b * cosines[i]);
    }
}
#endif

void dspy_rope_ext(float *x, int heads, int head_dim, int rot_dims, int position, float base, float freq_scale,
                   const float *freq_factors, float attn_factor, int neox) {
    float cosines[512], sines[512];
    int pairs = rot_dims / 2;
    if (pairs > 512) pairs = 512;
    // ggml_rope_cache_init: θ_{k+1} = θ_k · base^(−2/rot), φ = freq_scale · (θ / ff),
    // cos and sin scaled by the magnitude factor (no YaRN extrapolation).
    float theta_scale = powf(base, -2.0f / (float)rot_dims);
    float theta = (float)position;
    for (int i = 0; i < pairs; i++) {
        float ff = freq_factors ? freq_factors[i] : 1.0f;
        float phi = freq_scale * (theta / ff);
        cosines[i] = cosf(phi) * attn_factor;
        sines[i] = sinf(phi) * attn_factor;
        theta *= theta_scale;
    }
    // NORM pairs (x[2i], x[2i+1]); NEOX pairs (x[i], x[i + rot/2]). Dimensions past rot stay.
    int step = neox ? 1 : 2, offset = neox ? pairs : 1;
    for (int h = 0; h < heads; h++) {
        float *v = x + (size_t)h * head_dim;
#if DSPY_X86
        if (dspy_kernels_use_avx2()) {
            rotate_fused(v, cosines, sines, pairs, step, offset);
            continue;
        }
#endif
        for (int i = 0; i < pairs; i++) {
            float *p = v + (size_t)i * step;
            float a = p[0], b = p[offset];
            p[0] = a * cosines[i] - b * sines[i];
            p[offset] = a * sines[i] + b * cosines[i];
        }
    }
}

// MARK: - GELU

static uint16_t gelu_table[1 << 16];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

// ggml_gelu_f32 with the multiply-add llama.cpp's compiler forms in 1 + a·x·x.
static float gelu_tanh(float x) {
    const float coef_a = 0.044715f, sqrt_2_over_pi = 0.79788456080286535587989211986876f;
    return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * x * fmaf(coef_a * x, x, 1.0f)));
}

static void fill_gelu_table(void) {
    for (int i = 0; i < (1 << 16); i++) gelu_table[i] = dspy_fp32_to_fp16(gelu_tanh(dspy_fp16_to_fp32((uint16_t)i)));
}

float dspy_gelu_tanh(float x) { return gelu_tanh(x); }

void dspy_geglu(float *gate, const float *up, int64_t n) {
    pthread_once(&gelu_once, fill_gelu_table);
    for (int64_t i = 0; i < n; i++) {
        float x = gate[i];
        if (x <= -10.0f) gate[i] = 0.0f;
        else if (x >= 10.0f) gate[i] = x * up[i];
        else gate[i] = dspy_fp16_to_fp32(gelu_table[dspy_fp32_to_fp16(x)]) * up[i];
    }
}

// MARK: - Bias, scale, soft-cap

void dspy_add_rows(float *x, int x_stride, const float *bias, int rows, int n) {
    for (int r = 0; r < rows; r++) {
        float *row = x + (size_t)r * x_stride;
        for (int i = 0; i < n; i++) row[i] += bias[i];
    }
}

void dspy_scale(float *x, int64_t n, float factor) {
    for (int64_t i = 0; i < n; i++) x[i] *= factor;
}

void dspy_softcap(float *x, int64_t n, float cap) {
    const float inverse = 1.0f / cap;
    for (int64_t i = 0; i < n; i++) x[i] = tanhf(x[i] * inverse) * cap;
}
