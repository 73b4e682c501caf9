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

/// ck_attention_rows with a causal limit (CLIP's text encoder): query row i (the i-th of these rows, row
/// first_row + i of the sequence) sees keys 0…first_row + i only, as an additive mask of −∞ above the diagonal
/// would give; key blocks a group of rows cannot see are skipped.
void ck_attention_rows_causal(const float *q, long ldq, long rows, long first_row, const float *packed, long tk,
                              long dh, float scale, float *out, long ldo, float *scratch);

size_t ck_attention_scratch_size(long dh, long rows);

/// C[M, N] = A[M, K] · B[K, N], row-major with leading dimensions lda, ldb, ldc, for N a multiple of 16 and at
/// most 64: no packing (B read in place in blocks of K, A streamed once); C is only written. Written for AVX-512,
/// chosen at run time; on a CPU without it (or off x86) a plain loop, and ck_gemm_narrow_available() says 0.
void ck_gemm_narrow(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n, long k);

/// ck_gemm_narrow adding to C: C[M, N] += A[M, K] · B[K, N].
void ck_gemm_narrow_acc(const float *a, long lda, const float *b, long ldb, float *c, long ldc, long m, long n,
                        long k);

/// 1 where ck_gemm_narrow runs its AVX-512 kernel (x86-64 with AVX-512F and DQ).
int ck_gemm_narrow_available(void);

/// Mean and biased variance of x[0..<n] (two passes, partial sums in 16 lanes, totals in double).
void ck_moments(const float *x, long n, float *mean, float *variance);

/// y[i] = x[i]·scale + shift, then SiLU (v·σ(v)) when `silu` is non-zero. x and y may be the same.
void ck_affine(const float *x, float *y, long n, float scale, float shift, int silu);

/// Winograd F(4x4, 3x3) filter transform of `filters` consecutive 3x3 filters (weight: filters × 9 floats):
/// filter i's (G·g·Gᵀ)_k goes to u[k·stride + i]. For weight [O, C, 3, 3] and u [36, O, C]: stride = O·C.
void ck_winograd_filters(const float *weight, long filters, float *u, long stride);

/// Input transform of one row of tiles (tile row `ty`, padding 1) of one channel plane [h, w]: for tile tx, the 36
/// values (Bᵀ·d·B)_k go to v[k·v_stride + tx]. scratch: ck_winograd_scratch_size(tiles_x) floats.
void ck_winograd_input_row(const float *plane, long h, long w, long ty, long tiles_x, float *v, long v_stride,
                           float *scratch);

/// Output transform of one row of tiles of one channel: m[k·m_stride + tx] (36 values per tile) → the 4x4 tiles
/// Aᵀ·m·A + bias written into rows 4·ty … 4·ty+3 of plane [h, w] (cut at the edge).
void ck_winograd_output_row(const float *m, long m_stride, long tiles_x, float bias, float *plane, long h, long w,
                            long ty, float *scratch);

size_t ck_winograd_scratch_size(long tiles_x);

/// Channels per slice of ck_winograd_products_block's V for t tiles (128 up to 32 tiles, else 64).
long ck_winograd_slice_channels(long t);

/// Winograd's 36 products for output channels [o0, o0 + ob), the filters transformed on the way, one slice of
/// s = ck_winograd_slice_channels(t) input channels at a time:
/// m[k·o·t + oi·t + j] = Σ_ci U_k[oi, ci] · V_k[ci, j] for k < 36, oi in [o0, o0 + ob), j < t, U_k the transformed
/// 3x3 weights [o, c, 3, 3] and V_k[ci, j] = v[(ci / s)·36·s·t + k·s·t + (ci % s)·t + j] (each slice's 36 planes in
/// one run, read in order). A slice's transformed filters (36·ob·s floats) and the block's M stay in L2 between
/// being written and read. t: a multiple of 16, at most 64 (ck_gemm_narrow). u: ck_winograd_block_scratch_size(ob,
/// t) floats.
void ck_winograd_products_block(const float *weight, long c, const float *v, long t, float *m, long o, long o0,
                                long ob, float *u);

size_t ck_winograd_block_scratch_size(long ob, long t);

/// y[i] = (x[i] − mean)·rstd·gamma[i] + beta[i] (gamma, beta may be NULL: 1 and 0).
void ck_normalize(const float *x, float *y, long n, float mean, float rstd, const float *gamma, const float *beta);

/// GEGLU over `rows` rows of 2·d: y[r, i] = h·GELU(g) with h = x[r, i], g = x[r, d + i] and the erf form of GELU
/// (erf to 1.5e-7, Abramowitz & Stegun 7.1.26).
void ck_geglu(const float *x, float *y, long rows, long d);

/// QuickGELU (CLIP's MLP activation): y[i] = x·σ(1.702·x) (the exponential to ~1e-7 relative; x below ~−51 gives
/// x·e^−87-ish, not 0). x and y may be the same.
void ck_quick_gelu(const float *x, float *y, long n);

/// Softmax of each of `rows` rows of n values, in place: e^(x − max) / Σ (relative error ~1e-7 for the large
/// probabilities, up to ~4e-6 for those near e^−40, where (x − max)·log2 e rounds in float; inputs below max − 87
/// give ~1e-38, not 0).
void ck_softmax_rows(float *x, long rows, long n);

/// Chooses the kernel copy: 2 AVX-512, 1 AVX2 + FMA, 0 baseline; above what the CPU has (or −1): the best it has.
/// Returns the level in use. For tests; the default is the best the CPU has.
int ck_attention_use_level(int level);

#endif
