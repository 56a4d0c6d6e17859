#ifndef NEUROPIPE_CZLIB_SHIM_H
#define NEUROPIPE_CZLIB_SHIM_H
#include <zlib.h>
/* inflateInit2 is a macro over inflateInit2_; Swift cannot call macros. */
static inline int neuropipe_inflate_init2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
static inline int neuropipe_deflate_init2(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
#endif
