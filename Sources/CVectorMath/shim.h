#ifndef NEUROPIPE_CVECTORMATH_SHIM_H
#define NEUROPIPE_CVECTORMATH_SHIM_H
/* glibc's libmvec (libc6-dev) vector logarithms, ≤ 4 ulp: the AVX2 variant is chosen at run time when the CPU has
 * it, the SSE2 one (every x86-64 CPU) otherwise; scalar log() on other architectures. */
#include <math.h>
#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>
__m128d _ZGVbN2v_log(__m128d);
__attribute__((target("avx2"))) __m256d _ZGVdN4v_log(__m256d);

__attribute__((target("avx2")))
static inline double neuropipe_xlogx_sum_avx2(const double *x, size_t n) {
    __m256d acc = _mm256_setzero_pd(), zero = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_loadu_pd(x + i);
        __m256d positive = _mm256_cmp_pd(v, zero, _CMP_GT_OQ);
        /* log(0) = -inf and 0·-inf = NaN: masked lanes become +0. */
        acc = _mm256_add_pd(acc, _mm256_and_pd(positive, _mm256_mul_pd(v, _ZGVdN4v_log(v))));
    }
    double lanes[4];
    _mm256_storeu_pd(lanes, acc);
    double sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; i++) if (x[i] > 0) sum += x[i] * log(x[i]);
    return sum;
}

static inline double neuropipe_xlogx_sum_sse2(const double *x, size_t n) {
    __m128d acc = _mm_setzero_pd(), zero = _mm_setzero_pd();
    size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        __m128d v = _mm_loadu_pd(x + i);
        __m128d positive = _mm_cmpgt_pd(v, zero);
        acc = _mm_add_pd(acc, _mm_and_pd(positive, _mm_mul_pd(v, _ZGVbN2v_log(v))));
    }
    double lanes[2];
    _mm_storeu_pd(lanes, acc);
    double sum = lanes[0] + lanes[1];
    for (; i < n; i++) if (x[i] > 0) sum += x[i] * log(x[i]);
    return sum;
}
#endif

/* Whether the AVX2 path is usable on this CPU (tests call both paths). */
static inline int neuropipe_cpu_has_avx2(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

/* Σ x·log(x) over the positive entries of x[0..<n] (entries ≤ 0 and NaN contribute 0). */
static inline double neuropipe_xlogx_sum(const double *x, size_t n) {
#if defined(__x86_64__)
    if (neuropipe_cpu_has_avx2()) return neuropipe_xlogx_sum_avx2(x, n);
    return neuropipe_xlogx_sum_sse2(x, n);
#else
    double sum = 0;
    for (size_t i = 0; i < n; i++) if (x[i] > 0) sum += x[i] * log(x[i]);
    return sum;
#endif
}
#endif
