// Hand-written CPU kernels that BLAS does not provide: fused (flash-style) attention, normalisation helpers.
// Compiled once per vector width (AVX-512, AVX2+FMA, 4-wide baseline) and picked by the CPU at first use.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

/// Floats `ck_attention_pack` writes for one head: Kᵀ in panels of 16 keys [tk16/16, dh, 16], then V [tk16, dh16]
/// (tk16, dh16: rounded up to 16).
size_t ck_attention_packed_size(long tk, long dh);

/// Packs one head's keys and values: k, v: rows of `dh` floats `ld` apart (tk rows) → `packed`
/// (ck_attention_packed_size floats; zero padded).
void ck_attention_pack(const float *k, const float *v, long ld, long tk, long dh, float *packed);

/// Attention of `rows` query rows (dh floats each, `ldq` apart) against one packed head:
/// out_i = Σ_j softmax_j(scale · q_i·k_j) · v_j, written as dh floats `ldo` apart. Keys go through in blocks with
/// an online softmax (running max and sum, Milakov & Gimelshein 2018; FlashAttention, Dao et al. 2022), so no
/// score row longer than a block is stored; every key block is used by all `rows` before the next is read.
/// `scratch`: ck_attention_scratch_size(dh, rows) floats.
void ck_attention_rows(const float *q, long ldq, long rows, const float *packed, long tk, long dh, float scale,
                       float *out, long ldo, float *scratch);

size_t ck_attention_scratch_size(long dh, long rows);

/// Mean and biased variance of x[0..<n] (two passes, partial sums in 16 lanes, totals in double).
void ck_moments(const float *x, long n, float *mean, float *variance);

/// y[i] = x[i]·scale + shift, then SiLU (v·σ(v)) when `silu` is non-zero. x and y may be the same.
void ck_affine(const float *x, float *y, long n, float scale, float shift, int silu);

/// Chooses the kernel copy: 2 AVX-512, 1 AVX2 + FMA, 0 baseline; above what the CPU has (or −1): the best it has.
/// Returns the level in use. For tests; the default is the best the CPU has.
int ck_attention_use_level(int level);

#endif
