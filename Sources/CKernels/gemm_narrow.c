// C[M, N] = A[M, K] · B[K, N] for narrow N (a multiple of 16, at most 64), without packing either operand.
//
// For Winograd's few-tile products (docs/PERFORMANCE.md): B (the transformed input, [C, T]) is read in place one
// block of K at a time, so it stays in L1/L2 while every row of A passes, and A is streamed once. R rows of A × N
// columns of C are R·N/16 vector accumulators; per k, N/16 vector loads of B, R broadcasts of A, R·N/16 FMAs.
#include "CKernels.h"
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
// Written for AVX-512 (32 vector registers: up to 12 accumulators and N/16 vectors of B); callers check
// ck_gemm_narrow_available() and use BLAS elsewhere.
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma"))), apply_to = function)

typedef float vf16 __attribute__((ext_vector_type(16)));

static inline __attribute__((always_inline)) vf16 load16(const float *p) {
    vf16 x;
    memcpy(&x, p, sizeof(x));
    return x;
}

static inline __attribute__((always_inline)) void store16(float *p, vf16 x) { memcpy(p, &x, sizeof(x)); }

// Rows [0, R) of C (NV vectors each) += A[rows, k0..<k1] · B[k0..<k1, :]; `first`: C starts at zero.
static inline __attribute__((always_inline)) void tile(const float *a, long lda, const float *b, long ldb, float *c,
                                                       long ldc, long k0, long k1, int first, const int R,
                                                       const int NV) {
    vf16 acc[8][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = first ? (vf16)0.0f : load16(c + r * ldc + 16 * v);
    for (long k = k0; k < k1; k++) {
        const float *bk = b + k * ldb;
        vf16 bv[4];
        for (int v = 0; v < NV; v++) bv[v] = load16(bk + 16 * v);
        for (int r = 0; r < R; r++) {
            float x = a[r * lda + k];
            for (int v = 0; v < NV; v++) acc[r][v] += x * bv[v];
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) store16(c + r * ldc + 16 * v, acc[r][v]);
}

// All rows of one K block with NV vectors: R rows at a time (R·NV ≤ 12 accumulators), the rest one by one.
static inline __attribute__((always_inline)) void rows(const float *a, long lda, const float *b, long ldb, float *c,
                                                       long ldc, long m, long k0, long k1, int first, const int NV) {
    const int R = NV <= 2 ? 8 : 4;
    long i = 0;
    for (; i + R <= m; i += R) tile(a + i * lda, lda, b, ldb, c + i * ldc, ldc, k0, k1, first, R, NV);
    for (; i < m; i++) tile(a + i * lda, lda, b, ldb, c + i * ldc, ldc, k0, k1, first, 1, NV);
}

static void gemm_narrow(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n,
                        long k, int accumulate) {
    if (k == 0) {
        if (!accumulate)
            for (long i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(float) * (size_t)n);
        return;
    }
    // K in blocks whose slice of B (block × N floats) is at most 64 KB.
    long block = 16384 / n;
    for (long k0 = 0; k0 < k; k0 += block) {
        long k1 = k0 + block < k ? k0 + block : k;
        int first = k0 == 0 && !accumulate;
        switch (n / 16) {
        case 1: rows(a, lda, b, ldb, c, ldc, m, k0, k1, first, 1); break;
        case 2: rows(a, lda, b, ldb, c, ldc, m, k0, k1, first, 2); break;
        case 3: rows(a, lda, b, ldb, c, ldc, m, k0, k1, first, 3); break;
        default: rows(a, lda, b, ldb, c, ldc, m, k0, k1, first, 4); break;
        }
    }
}

#pragma clang attribute pop

int ck_gemm_narrow_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
}
#else
int ck_gemm_narrow_available(void) { return 0; }
#endif

// The same product, one dot product per element: where the AVX-512 kernel cannot run (no AVX-512 on this CPU, or not
// x86 with clang), so ck_gemm_narrow is correct everywhere (callers still prefer BLAS there: it is much faster).
static void gemm_plain(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n,
                       long k, int accumulate) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) {
            float s = 0;
            for (long p = 0; p < k; p++) s += a[i * lda + p] * b[p * ldb + j];
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
        }
}

static void product(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n, long k,
                    int accumulate) {
#if defined(__x86_64__) && defined(__clang__)
    static int fast = -1;  // a benign race: every thread computes the same value
    if (fast < 0) fast = ck_gemm_narrow_available();
    if (fast) {
        gemm_narrow(a, lda, b, ldb, c, ldc, m, n, k, accumulate);
        return;
    }
#endif
    gemm_plain(a, lda, b, ldb, c, ldc, m, n, k, accumulate);
}

void ck_gemm_narrow(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n, long k) {
    product(a, lda, b, ldb, c, ldc, m, n, k, 0);
}

void ck_gemm_narrow_acc(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n,
                        long k) {
    product(a, lda, b, ldb, c, ldc, m, n, k, 1);
}
