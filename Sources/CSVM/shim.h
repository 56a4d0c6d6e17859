#ifndef NEUROPIPE_CSVM_SHIM_H
#define NEUROPIPE_CSVM_SHIM_H
#include <libsvm/svm.h>
static void neuropipe_svm_quiet(const char *s) { (void)s; }
static inline void neuropipe_svm_silence(void) { svm_set_print_string_function(&neuropipe_svm_quiet); }
#endif
