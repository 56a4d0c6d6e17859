#ifndef NEUROPIPE_CXXHASH_SHIM_H
#define NEUROPIPE_CXXHASH_SHIM_H
#include <xxhash.h>
#endif
