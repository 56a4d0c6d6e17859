#ifndef NEUROPIPE_CLINEAR_SHIM_H
#define NEUROPIPE_CLINEAR_SHIM_H
#include <linear.h>
/* liblinear prints training progress through this hook; NeuroPipe keeps stdout for its own output. */
static void neuropipe_linear_quiet(const char *s) { (void)s; }
static inline void neuropipe_linear_silence(void) { set_print_string_function(&neuropipe_linear_quiet); }
#endif
