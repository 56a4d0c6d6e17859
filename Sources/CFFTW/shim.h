#ifndef NEUROPIPE_CFFTW_SHIM_H
#define NEUROPIPE_CFFTW_SHIM_H
#include <fftw3.h>
/* FFTW_ESTIMATE etc. are plain integer macros Swift imports; nothing else needed. */
static inline unsigned neuropipe_fftw_estimate(void) { return FFTW_ESTIMATE; }
static inline unsigned neuropipe_fftw_measure(void) { return FFTW_MEASURE; }
static inline unsigned neuropipe_fftw_preserve_input(void) { return FFTW_PRESERVE_INPUT; }
static inline unsigned neuropipe_fftw_unaligned(void) { return FFTW_UNALIGNED; }
#endif
