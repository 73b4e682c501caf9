// Normalisation helpers: the moments of a contiguous run and y = x·scale + shift (optionally SiLU), written as plain
// loops the compiler vectorises; compiled per x86-64 level (target_clones: no vector types cross the signatures).
#include "CKernels.h"
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

#define LANES 16

CLONES
void ck_moments(const float *x, long n, float *mean, float *variance) {
    float part[LANES] = {0};
    long full = n / LANES * LANES;
    for (long i = 0; i < full; i += LANES)
        for (int j = 0; j < LANES; j++) part[j] += x[i + j];
    double sum = 0;
    for (int j = 0; j < LANES; j++) sum += part[j];
    for (long i = full; i < n; i++) sum += x[i];
    float m = (float)(sum / (double)n);
    float sq[LANES] = {0};
    for (long i = 0; i < full; i += LANES)
        for (int j = 0; j < LANES; j++) { float d = x[i + j] - m; sq[j] += d * d; }
    double total = 0;
    for (int j = 0; j < LANES; j++) total += sq[j];
    for (long i = full; i < n; i++) { double d = x[i] - m; total += d * d; }
    *mean = m;
    *variance = (float)(total / (double)n);
}

// e^x by 2^(x·log2 e) = 2^n·2^f with a degree-7 Taylor series for 2^f (relative error < 1e-7 where it matters);
// branch-free so loops that call it vectorise. Inputs clamped to [−87, 88].
static inline __attribute__((always_inline)) float fast_exp(float x) {
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    float t = x * 1.44269504088896341f;
    float r = (t + 12582912.0f) - 12582912.0f;
    float f = (t - r) * 0.693147180559945309f;
    float p = 1.0f / 5040;
    p = p * f + 1.0f / 720;
    p = p * f + 1.0f / 120;
    p = p * f + 1.0f / 24;
    p = p * f + 1.0f / 6;
    p = p * f + 0.5f;
    p = p * f + 1.0f;
    p = p * f + 1.0f;
    int bits = ((int)r + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof(scale));
    return p * scale;
}

CLONES
void ck_affine(const float *x, float *y, long n, float scale, float shift, int silu) {
    if (silu) {
        for (long i = 0; i < n; i++) {
            float v = x[i] * scale + shift;
            y[i] = v / (1.0f + fast_exp(-v));
        }
    } else {
        for (long i = 0; i < n; i++) y[i] = x[i] * scale + shift;
    }
}

CLONES
void ck_normalize(const float *x, float *y, long n, float mean, float rstd, const float *gamma, const float *beta) {
    if (gamma && beta) {
        for (long i = 0; i < n; i++) y[i] = (x[i] - mean) * rstd * gamma[i] + beta[i];
    } else {
        for (long i = 0; i < n; i++) y[i] = (x[i] - mean) * rstd * (gamma ? gamma[i] : 1.0f) + (beta ? beta[i] : 0.0f);
    }
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), branch-free.
static inline __attribute__((always_inline)) float erf_as(float x) {
    float a = x < 0 ? -x : x;
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    float r = 1.0f - p * fast_exp(-a * a);
    return x < 0 ? -r : r;
}

CLONES
void ck_geglu(const float *x, float *y, long rows, long d) {
    for (long r = 0; r < rows; r++) {
        const float *h = x + r * 2 * d, *g = h + d;
        float *o = y + r * d;
        for (long i = 0; i < d; i++) o[i] = h[i] * 0.5f * g[i] * (1.0f + erf_as(g[i] * 0.70710678118654752f));
    }
}

CLONES
void ck_quick_gelu(const float *x, float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = x[i] / (1.0f + fast_exp(-1.702f * x[i]));
}

CLONES
void ck_softmax_rows(float *x, long rows, long n) {
    long full = n / LANES * LANES;
    for (long r = 0; r < rows; r++) {
        float *row = x + r * n;
        float top[LANES];
        for (int j = 0; j < LANES; j++) top[j] = -__builtin_inff();
        for (long i = 0; i < full; i += LANES)
            for (int j = 0; j < LANES; j++) top[j] = row[i + j] > top[j] ? row[i + j] : top[j];
        float mx = -__builtin_inff();
        for (int j = 0; j < LANES; j++) mx = top[j] > mx ? top[j] : mx;
        for (long i = full; i < n; i++) mx = row[i] > mx ? row[i] : mx;
        for (long i = 0; i < n; i++) row[i] = fast_exp(row[i] - mx);
        float part[LANES] = {0};
        for (long i = 0; i < full; i += LANES)
            for (int j = 0; j < LANES; j++) part[j] += row[i + j];
        float sum = 0;
        for (int j = 0; j < LANES; j++) sum += part[j];
        for (long i = full; i < n; i++) sum += row[i];
        float inv = 1.0f / sum;
        for (long i = 0; i < n; i++) row[i] *= inv;
    }
}
