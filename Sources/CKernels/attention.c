// Fused attention for CPUs (see CKernels.h). Layout per head after packing:
//   kt [tk16/16, dh, 16]  keys transposed in panels of 16: the 16 keys of one feature are one vector, and a
//                          panel (dh × 16 floats) is contiguous;
//   vp [tk16, dh16] values, rows padded to whole vectors.
// A block of 4 query rows × 16 keys of scores is 4 vector accumulators over the dh features; the output
// accumulators of the 4 rows live in scratch [4, dh16] and are rescaled when the running max grows.
#include "CKernels.h"
#include <math.h>
#include <string.h>

#define ROWS 4
#define BLOCK 256  // keys per online-softmax block

static inline long round16(long n) { return (n + 15) & ~15L; }

size_t ck_attention_packed_size(long tk, long dh) { return (size_t)(dh * round16(tk) + round16(tk) * round16(dh)); }

size_t ck_attention_scratch_size(long dh, long rows) {
    long padded = (rows + ROWS - 1) / ROWS * ROWS;
    return (size_t)(padded * round16(dh) + ROWS * BLOCK + 2 * padded);
}

void ck_attention_pack(const float *k, const float *v, long ld, long tk, long dh, float *packed) {
    long tk16 = round16(tk), dh16 = round16(dh);
    float *kt = packed, *vp = packed + dh * tk16;
    memset(packed, 0, ck_attention_packed_size(tk, dh) * sizeof(float));
    for (long j = 0; j < tk; j++) {
        const float *kr = k + j * ld, *vr = v + j * ld;
        float *panel = kt + (j / 16) * dh * 16 + j % 16;  // panels of 16 keys: [tk16/16, dh, 16]
        for (long d = 0; d < dh; d++) panel[d * 16] = kr[d];
        memcpy(vp + j * dh16, vr, (size_t)dh * sizeof(float));
    }
}

// One copy of the kernel per vector width (attention_kernel.inc names its functions after SUFFIX); the x86-64
// ones compiled for AVX2+FMA and AVX-512.
typedef float vf4 __attribute__((ext_vector_type(4)));
typedef int vfi4 __attribute__((ext_vector_type(4)));
#define VW 4
#define SUFFIX w4
#define vf vf4
#define vfi vfi4
#include "attention_kernel.inc"

#if defined(__x86_64__) && defined(__clang__)
typedef float vf8 __attribute__((ext_vector_type(8)));
typedef int vfi8 __attribute__((ext_vector_type(8)));
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define VW 8
#define SUFFIX avx2
#define vf vf8
#define vfi vfi8
#include "attention_kernel.inc"
#pragma clang attribute pop

typedef float vf16 __attribute__((ext_vector_type(16)));
typedef int vfi16 __attribute__((ext_vector_type(16)));
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma"))), apply_to = function)
#define VW 16
#define SUFFIX avx512
#define vf vf16
#define vfi vfi16
#include "attention_kernel.inc"
#pragma clang attribute pop
#endif

static int supported_level(void) {
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") ? 2
         : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
#else
    return 0;
#endif
}

// 2: AVX-512, 1: AVX2 + FMA, 0: baseline; -1 until first use (a benign race: every thread stores the same).
static int level = -1;

int ck_attention_use_level(int wanted) {
    int best = supported_level();
    level = wanted < 0 || wanted > best ? best : wanted;
    return level;
}

static void rows_at_level(const float *q, long ldq, long rows, const float *packed, long tk, long dh, float scale,
                          float *out, long ldo, float *scratch, long causal) {
    if (level < 0) level = supported_level();
#if defined(__x86_64__) && defined(__clang__)
    if (level == 2) { attention_rows_avx512(q, ldq, rows, packed, tk, dh, scale, out, ldo, scratch, causal); return; }
    if (level == 1) { attention_rows_avx2(q, ldq, rows, packed, tk, dh, scale, out, ldo, scratch, causal); return; }
#endif
    attention_rows_w4(q, ldq, rows, packed, tk, dh, scale, out, ldo, scratch, causal);
}

void ck_attention_rows(const float *q, long ldq, long rows, const float *packed, long tk, long dh, float scale,
                       float *out, long ldo, float *scratch) {
    rows_at_level(q, ldq, rows, packed, tk, dh, scale, out, ldo, scratch, -1);
}

void ck_attention_rows_causal(const float *q, long ldq, long rows, long first_row, const float *packed, long tk,
                              long dh, float scale, float *out, long ldo, float *scratch) {
    rows_at_level(q, ldq, rows, packed, tk, dh, scale, out, ldo, scratch, first_row);
}
