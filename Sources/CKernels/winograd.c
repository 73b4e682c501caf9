// Winograd F(4x4, 3x3) transforms (Lavin & Gray 2016; see Sources/Tensors/Tensor+Winograd.swift for the algorithm).
// Loops run along a row of tiles, so the compiler vectorises them across tiles (stride-4 accesses become
// interleaved loads/stores); compiled per x86-64 level with target_clones.
#include "CKernels.h"
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

// Any x86-64 level (and other CPUs): the tail of 1–15 filters, and everything where AVX-512 is missing.
CLONES
static void filters_generic(const float *weight, long filters, float *u, long stride) {
    const float q4 = 1.0f / 4, q6 = 1.0f / 6, q12 = 1.0f / 12, q24 = 1.0f / 24;
    // 16 filters at a time, each step a loop over the 16 lanes: the 9 taps transposed into g[tap][lane], G·g into
    // t, (G·g)·Gᵀ into u as 36 runs of 16.
    for (long i0 = 0; i0 < filters; i0 += 16) {
        long lanes = filters - i0 < 16 ? filters - i0 : 16;
        float g[9][16], t[6][3][16], row[6][16];
        for (long lane = 0; lane < 16; lane++)
            for (int tap = 0; tap < 9; tap++) g[tap][lane] = lane < lanes ? weight[(i0 + lane) * 9 + tap] : 0;
        for (int col = 0; col < 3; col++) {  // G·g
            for (int lane = 0; lane < 16; lane++) {
                float g0 = g[col][lane], g1 = g[3 + col][lane], g2 = g[6 + col][lane];
                t[0][col][lane] = g0 * q4;
                t[1][col][lane] = -(g0 + g1 + g2) * q6;
                t[2][col][lane] = -(g0 - g1 + g2) * q6;
                t[3][col][lane] = g0 * q24 + g1 * q12 + g2 * q6;
                t[4][col][lane] = g0 * q24 - g1 * q12 + g2 * q6;
                t[5][col][lane] = g2;
            }
        }
        for (int r = 0; r < 6; r++) {  // (G·g)·Gᵀ
            for (int lane = 0; lane < 16; lane++) {
                float g0 = t[r][0][lane], g1 = t[r][1][lane], g2 = t[r][2][lane];
                row[0][lane] = g0 * q4;
                row[1][lane] = -(g0 + g1 + g2) * q6;
                row[2][lane] = -(g0 - g1 + g2) * q6;
                row[3][lane] = g0 * q24 + g1 * q12 + g2 * q6;
                row[4][lane] = g0 * q24 - g1 * q12 + g2 * q6;
                row[5][lane] = g2;
            }
            for (int c = 0; c < 6; c++) {
                float *dst = u + (r * 6 + c) * stride + i0;
                if (lanes == 16) memcpy(dst, row[c], 16 * sizeof(float));
                else memcpy(dst, row[c], (size_t)lanes * sizeof(float));
            }
        }
    }
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

// G·g for one column (or, applied to the rows of G·g, Gᵀ): 3 vectors in, 6 out; G's rows are
// (1/4, 0, 0), (−1/6, −1/6, −1/6), (−1/6, 1/6, −1/6), (1/24, 1/12, 1/6), (1/24, −1/12, 1/6), (0, 0, 1).
__attribute__((target("avx512f"), always_inline)) static inline void g_times(__m512 g0, __m512 g1, __m512 g2,
                                                                             __m512 out[6]) {
    const __m512 q4 = _mm512_set1_ps(1.0f / 4), m6 = _mm512_set1_ps(-1.0f / 6);
    const __m512 q6 = _mm512_set1_ps(1.0f / 6), q12 = _mm512_set1_ps(1.0f / 12), q24 = _mm512_set1_ps(1.0f / 24);
    __m512 s = _mm512_add_ps(g0, g2);
    __m512 a = _mm512_fmadd_ps(g0, q24, _mm512_mul_ps(g2, q6)), b = _mm512_mul_ps(g1, q12);
    out[0] = _mm512_mul_ps(g0, q4);
    out[1] = _mm512_mul_ps(_mm512_add_ps(s, g1), m6);
    out[2] = _mm512_mul_ps(_mm512_sub_ps(s, g1), m6);
    out[3] = _mm512_add_ps(a, b);
    out[4] = _mm512_sub_ps(a, b);
    out[5] = g2;
}

// 16 filters per step, all in registers: their 144 consecutive floats loaded as 9 vectors and transposed by
// two-source permutes into 9 tap vectors with one filter per lane (tap t of lane l is float 9l + t, which lies in
// one of the pairs of loaded vectors (0, 1), (2, 3), (4, 5), (6, 7), (8, −); the compiler folds the index vectors
// and lane masks into constants), G·g, then (G·g)·Gᵀ stored as 36 whole vectors. Returns the filters done (a
// multiple of 16). Per filter on one core: ~3 ns with the weights in cache (~8 from memory), against ~11 with two
// 16-lane gathers per tap and ~21 for the compiler's version of the generic loop (8-lane gathers, t and row spilled
// to the stack); docs/PERFORMANCE.md.
__attribute__((target("avx512f"))) static long filters_avx512(const float *weight, long filters, float *u,
                                                              long stride) {
    const __m512i lane9 = _mm512_setr_epi32(0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90, 99, 108, 117, 126, 135);
    long i0 = 0;
    for (; i0 + 16 <= filters; i0 += 16) {
        __m512 x[10], g[9], t[3][6], row[6];  // t[col][r] = (G·g)[r, col]
        for (int j = 0; j < 9; j++) x[j] = _mm512_loadu_ps(weight + i0 * 9 + 16 * j);
        x[9] = x[8];
        for (int tap = 0; tap < 9; tap++) {
            __m512 r = _mm512_setzero_ps();
            for (int p = 0; p < 5; p++) {
                __m512i index = _mm512_add_epi32(lane9, _mm512_set1_epi32(tap - 32 * p));  // into pair p
                __mmask16 in_pair = _mm512_cmplt_epu32_mask(index, _mm512_set1_epi32(32));
                r = _mm512_mask_mov_ps(r, in_pair, _mm512_permutex2var_ps(x[2 * p], index, x[2 * p + 1]));
            }
            g[tap] = r;
        }
        for (int col = 0; col < 3; col++) g_times(g[col], g[3 + col], g[6 + col], t[col]);
        for (int r = 0; r < 6; r++) {
            g_times(t[0][r], t[1][r], t[2][r], row);
            for (int c = 0; c < 6; c++) _mm512_storeu_ps(u + (r * 6 + c) * stride + i0, row[c]);
        }
    }
    return i0;
}

// 2: AVX-512 filters; 1: not; 0 until first use (a benign race: every thread stores the same).
static int filter_path = 0;
#endif

void ck_winograd_filters(const float *weight, long filters, float *u, long stride) {
    long done = 0;
#if defined(__x86_64__) && defined(__clang__)
    if (filter_path == 0) {
        __builtin_cpu_init();
        filter_path = __builtin_cpu_supports("avx512f") ? 2 : 1;
    }
    if (filter_path == 2) done = filters_avx512(weight, filters, u, stride);
#endif
    if (done < filters) filters_generic(weight + done * 9, filters - done, u + done, stride);
}

// Slices for ck_winograd_products_block: with blocks of 32 outputs, a slice's transformed filters (36·32·128
// floats, 590 KB, or 295 KB at 64 channels) and the block's M (36·32·t: 147 / 295 KB) fit the 1 MB L2 of the
// machine this was tuned on (docs/PERFORMANCE.md).
long ck_winograd_slice_channels(long t) { return t <= 32 ? 128 : t <= 64 ? 64 : 32; }

// Each of the 36 planes of a slice's transformed filters starts 16 floats past a multiple of its size, so the
// planes (a multiple of 4 KB apart otherwise) do not all fall into the same L1 set.
static long plane_stride(long ob, long t) { return ob * ck_winograd_slice_channels(t) + 16; }

size_t ck_winograd_block_scratch_size(long ob, long t) { return (size_t)(36 * plane_stride(ob, t)); }

void ck_winograd_products_block(const float *weight, long c, const float *v, long t, float *m, long o, long o0,
                                long ob, float *u) {
    long cb = ck_winograd_slice_channels(t), ps = plane_stride(ob, t);
    for (long c0 = 0; c0 < c; c0 += cb) {
        long n = c - c0 < cb ? c - c0 : cb;
        const float *vs = v + c0 * 36 * t;  // this slice's [36, cb, t]
        for (long oi = 0; oi < ob; oi++) ck_winograd_filters(weight + ((o0 + oi) * c + c0) * 9, n, u + oi * n, ps);
        // The next slice's weights (ob runs of 9·cb floats, 9·c apart, which the hardware prefetcher does not follow
        // from one run to the next) are requested while this slice's products run.
        long next = c0 + cb < c ? (c - c0 - cb < cb ? c - c0 - cb : cb) : 0;
        for (long oi = 0; oi < ob && next > 0; oi++)
            for (long f = 0; f < next * 9; f += 16) __builtin_prefetch(weight + ((o0 + oi) * c + c0 + cb) * 9 + f, 0, 2);
        for (int k = 0; k < 36; k++) {
            const float *a = u + k * ps, *b = vs + k * cb * t;
            float *mk = m + k * o * t + o0 * t;
            for (long j0 = 0; j0 < t; j0 += 64) {  // ck_gemm_narrow's widest: 64 columns
                long nj = t - j0 < 64 ? t - j0 : 64;
                if (c0 == 0) ck_gemm_narrow(a, n, b + j0, t, mk + j0, t, ob, nj, n);
                else ck_gemm_narrow_acc(a, n, b + j0, t, mk + j0, t, ob, nj, n);
            }
        }
    }
}

// Bᵀ applied along x to one padded input row (pad[0] is column −1): out[q][tx] for the 6 rows of Bᵀ.
static inline __attribute__((always_inline)) void input_row(const float *pad, long tiles, float *out) {
    for (long tx = 0; tx < tiles; tx++) {
        const float *d = pad + 4 * tx;
        float d0 = d[0], d1 = d[1], d2 = d[2], d3 = d[3], d4 = d[4], d5 = d[5];
        out[tx] = 4 * d0 - 5 * d2 + d4;
        out[tiles + tx] = -4 * d1 - 4 * d2 + d3 + d4;
        out[2 * tiles + tx] = 4 * d1 - 4 * d2 - d3 + d4;
        out[3 * tiles + tx] = -2 * d1 - d2 + 2 * d3 + d4;
        out[4 * tiles + tx] = 2 * d1 - d2 - 2 * d3 + d4;
        out[5 * tiles + tx] = 4 * d1 - 5 * d3 + d5;
    }
}

CLONES
void ck_winograd_input_row(const float *plane, long h, long w, long ty, long tiles_x, float *v, long v_stride,
                           float *scratch) {
    // scratch: 6 padded rows (4·tiles_x + 2 floats each) then 6 × 6 × tiles_x row transforms.
    long pw = 4 * tiles_x + 2;
    float *rows = scratch, *t = scratch + 6 * pw;
    for (int r = 0; r < 6; r++) {
        float *pr = rows + r * pw;
        long y = ty * 4 - 1 + r;
        memset(pr, 0, (size_t)pw * sizeof(float));
        if (y >= 0 && y < h) memcpy(pr + 1, plane + y * w, (size_t)(w < pw - 1 ? w : pw - 1) * sizeof(float));
        input_row(pr, tiles_x, t + r * 6 * tiles_x);
    }
    // Bᵀ along y: V[(r·6 + q)] = combination of the 6 row transforms at column q.
    for (int q = 0; q < 6; q++) {
        const float *t0 = t + (0 * 6 + q) * tiles_x, *t1 = t + (1 * 6 + q) * tiles_x, *t2 = t + (2 * 6 + q) * tiles_x;
        const float *t3 = t + (3 * 6 + q) * tiles_x, *t4 = t + (4 * 6 + q) * tiles_x, *t5 = t + (5 * 6 + q) * tiles_x;
        float *o0 = v + (0 * 6 + q) * v_stride, *o1 = v + (1 * 6 + q) * v_stride, *o2 = v + (2 * 6 + q) * v_stride;
        float *o3 = v + (3 * 6 + q) * v_stride, *o4 = v + (4 * 6 + q) * v_stride, *o5 = v + (5 * 6 + q) * v_stride;
        for (long tx = 0; tx < tiles_x; tx++) {
            float d0 = t0[tx], d1 = t1[tx], d2 = t2[tx], d3 = t3[tx], d4 = t4[tx], d5 = t5[tx];
            o0[tx] = 4 * d0 - 5 * d2 + d4;
            o1[tx] = -4 * d1 - 4 * d2 + d3 + d4;
            o2[tx] = 4 * d1 - 4 * d2 - d3 + d4;
            o3[tx] = -2 * d1 - d2 + 2 * d3 + d4;
            o4[tx] = 2 * d1 - d2 - 2 * d3 + d4;
            o5[tx] = 4 * d1 - 5 * d3 + d5;
        }
    }
}

CLONES
void ck_winograd_output_row(const float *m, long m_stride, long tiles_x, float bias, float *plane, long h, long w,
                            long ty, float *scratch) {
    // scratch: 4 × 6 × tiles_x (Aᵀ along y), then 4 rows of 4·tiles_x outputs.
    float *t = scratch, *rows = scratch + 24 * tiles_x;
    for (int q = 0; q < 6; q++) {  // Aᵀ along y for column q
        const float *m0 = m + (0 * 6 + q) * m_stride, *m1 = m + (1 * 6 + q) * m_stride, *m2 = m + (2 * 6 + q) * m_stride;
        const float *m3 = m + (3 * 6 + q) * m_stride, *m4 = m + (4 * 6 + q) * m_stride, *m5 = m + (5 * 6 + q) * m_stride;
        float *a0 = t + (0 * 6 + q) * tiles_x, *a1 = t + (1 * 6 + q) * tiles_x;
        float *a2 = t + (2 * 6 + q) * tiles_x, *a3 = t + (3 * 6 + q) * tiles_x;
        for (long tx = 0; tx < tiles_x; tx++) {
            float v0 = m0[tx], v1 = m1[tx], v2 = m2[tx], v3 = m3[tx], v4 = m4[tx], v5 = m5[tx];
            a0[tx] = v0 + v1 + v2 + v3 + v4;
            a1[tx] = v1 - v2 + 2 * v3 - 2 * v4;
            a2[tx] = v1 + v2 + 4 * v3 + 4 * v4;
            a3[tx] = v1 - v2 + 8 * v3 - 8 * v4 + v5;
        }
    }
    for (int r = 0; r < 4; r++) {  // Aᵀ along x, four outputs per tile, + bias
        const float *v0 = t + (r * 6 + 0) * tiles_x, *v1 = t + (r * 6 + 1) * tiles_x, *v2 = t + (r * 6 + 2) * tiles_x;
        const float *v3 = t + (r * 6 + 3) * tiles_x, *v4 = t + (r * 6 + 4) * tiles_x, *v5 = t + (r * 6 + 5) * tiles_x;
        float *row = rows + r * 4 * tiles_x;
        for (long tx = 0; tx < tiles_x; tx++) {
            float a = v0[tx], b = v1[tx], c = v2[tx], d = v3[tx], e = v4[tx], f = v5[tx];
            row[4 * tx] = a + b + c + d + e + bias;
            row[4 * tx + 1] = b - c + 2 * d - 2 * e + bias;
            row[4 * tx + 2] = b + c + 4 * d + 4 * e + bias;
            row[4 * tx + 3] = b - c + 8 * d - 8 * e + f + bias;
        }
        long y = ty * 4 + r;
        if (y < h) memcpy(plane + y * w, row, (size_t)w * sizeof(float));
    }
}

size_t ck_winograd_scratch_size(long tiles_x) { return (size_t)(6 * (4 * tiles_x + 2) + 36 * tiles_x + 40 * tiles_x); }
