#ifndef DSPYC_COPENBLAS_SHIM_H
#define DSPYC_COPENBLAS_SHIM_H
// Debian's libopenblas-dev installs cblas.h under /usr/include/x86_64-linux-gnu
// and a generic one under /usr/include; either satisfies this include.
#include <cblas.h>
#endif
