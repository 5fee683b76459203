#ifndef CDSPYKERNELS_H
#define CDSPYKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Returns 1 when the CPU supports AVX2 and FMA, so the vector kernels may run.
int dspy_cpu_has_avx2_fma(void);

#endif
