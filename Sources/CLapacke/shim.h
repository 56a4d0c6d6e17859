#ifndef NEUROPIPE_CLAPACKE_SHIM_H
#define NEUROPIPE_CLAPACKE_SHIM_H
#include <cblas.h>
#include <lapacke.h>
/* LAPACK_ROW_MAJOR is a macro; expose it as a function for clarity in Swift. */
static inline int neuropipe_lapack_row_major(void) { return LAPACK_ROW_MAJOR; }
static inline int neuropipe_lapack_col_major(void) { return LAPACK_COL_MAJOR; }
/* OpenBLAS threading control: many small matrices want one thread each (see NeuroCore.BLASThreads). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
/* glibc allocator tuning for big numeric buffers (NeuroCore.configureAllocatorForLargeBuffers); lives here because
   this is the C module NeuroCore already imports for its numerics. */
#include <malloc.h>
static inline int neuropipe_fix_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
#endif
