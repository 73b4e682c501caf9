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

CLONES
void ck_winograd_filters(const float *weight, long filters, float *u, long stride) {
    const float q4 = 1.0f / 4, q6 = 1.0f / 6, q12 = 1.0f / 12, q24 = 1.0f / 24;
    // 16 filters at a time, each step a loop over the 16 lanes (one vector op each): the 9 taps transposed into
    // g[tap][lane], G·g into t, (G·g)·Gᵀ straight into u as 36 runs of 16 (whole-vector stores when all 16 lanes
    // are filters). Written per filter with scalar arithmetic and 36 memcpy calls per 16 filters it was ~4% of a
    // UNet forward.
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
