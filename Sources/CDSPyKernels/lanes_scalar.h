// The horizontal sums of llama.cpp's AVX2 kernels on lane arrays, for the portable products
// (dot.c, dot_kquant.c, dot_float.c) that emulate its vector lanes.
#ifndef DSPY_LANES_SCALAR_H
#define DSPY_LANES_SCALAR_H

// llama.cpp's hsum_float_8 (and tinyBLAS's hsum): high half plus low half, then movehl, then
// the last two lanes.
static inline float dspy_hsum8(const float a[8]) {
    float r0 = a[4] + a[0], r1 = a[5] + a[1], r2 = a[6] + a[2], r3 = a[7] + a[3];
    return (r0 + r2) + (r1 + r3);
}

// Four lanes summed with movehl then movehdup: (0 + 2) + (1 + 3).
static inline float dspy_hsum4(const float a[4]) { return (a[0] + a[2]) + (a[1] + a[3]); }

#endif
