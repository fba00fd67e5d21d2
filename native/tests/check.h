/*
 * check.h: the few helpers the native tests share. A test prints nothing
 * when it passes; on a failure it prints what differed, where, and by how
 * much, and exits non-zero at the end.
 */
#ifndef DESCENT_CHECK_H
#define DESCENT_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "descent_dnnl.h"

static int failures;

#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: NOT OK: ", __FILE__, __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* MUST is EXPECT for calls that return a descent status; it stops the test,
 * since what follows would only repeat the failure. */
#define MUST(call)                                                             \
    do {                                                                       \
        int s_ = (call);                                                       \
        if (s_ != DESCENT_OK) {                                                \
            fprintf(stderr, "%s:%d: NOT OK: %s returned %d: %s\n", __FILE__,   \
                    __LINE__, #call, s_, descent_dnnl_last_error());           \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* A small deterministic generator (splitmix64), so failures reproduce. */
static uint64_t rng_state = 0x5eed;

static float uniform(void) { /* in [-1, 1) */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (float)((double)(z >> 11) / (double)(1ULL << 53) * 2.0 - 1.0);
}

static float *random_floats(size_t n) {
    float *x = malloc((n ? n : 1) * sizeof *x);
    if (!x) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) x[i] = uniform();
    return x;
}

/* near reports whether got is within tol of want (tol absolute). */
static int near(double got, double want, double tol) {
    return fabs(got - want) <= tol; /* false for NaN */
}

/* Float32 unit roundoff. */
#define U32 (1.0 / (1 << 24))

/* ref_activation applies act (a descent_act) to the rows of z in place. */
static inline void ref_activation(int act, double *z, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        double *row = z + (size_t)r * cols;
        double m = -INFINITY, s = 0;
        switch (act) {
        case DESCENT_SIGMOID:
            for (int j = 0; j < cols; j++) row[j] = 1 / (1 + exp(-row[j]));
            break;
        case DESCENT_TANH:
            for (int j = 0; j < cols; j++) row[j] = tanh(row[j]);
            break;
        case DESCENT_RELU:
            for (int j = 0; j < cols; j++) row[j] = row[j] > 0 ? row[j] : 0;
            break;
        case DESCENT_SOFTMAX:
            for (int j = 0; j < cols; j++) m = row[j] > m ? row[j] : m;
            for (int j = 0; j < cols; j++) s += row[j] = exp(row[j] - m);
            for (int j = 0; j < cols; j++) row[j] /= s;
            break;
        }
    }
}

/* A GEMM's error bound for a k-term dot product whose terms' magnitudes sum
 * to mag. */
typedef double (*gemm_bound)(int k, double mag);

/* f32_gemm_bound is the float32 one, 2(k+2)·u·mag (Go's backendtest). */
static inline double f32_gemm_bound(int k, double mag) { return 2.0 * (k + 2) * U32 * mag; }

/* check_backward_gemms checks a plan's dW = xᵀ·dz (batch B, x (B,I), dz
 * (B,O)) and, when dx is not NULL, dx = dz·Wᵀ against double loops, within
 * bound(k, Σ|terms|) + 1e-30, reporting at most 3 elements of each; label
 * names the case in the messages. */
static inline void check_backward_gemms(const char *label, int B, int I, int O, const float *x,
        const float *w, const float *dz, const float *dw, const float *dx, gemm_bound bound) {
    int bad = 0;
    for (int i = 0; i < I && bad < 3; i++)
        for (int j = 0; j < O && bad < 3; j++) {
            double s = 0, m = 0;
            for (int r = 0; r < B; r++) {
                double t = (double)x[(size_t)r * I + i] * dz[(size_t)r * O + j];
                s += t;
                m += fabs(t);
            }
            if (!near(dw[(size_t)i * O + j], s, bound(B, m) + 1e-30)) {
                bad++;
                EXPECT(0, "%s: dW[%d][%d] = %.9g, reference %.9g", label, i, j, dw[(size_t)i * O + j], s);
            }
        }
    if (!dx) return;
    bad = 0;
    for (int r = 0; r < B && bad < 3; r++)
        for (int i = 0; i < I && bad < 3; i++) {
            double s = 0, m = 0;
            for (int j = 0; j < O; j++) {
                double t = (double)dz[(size_t)r * O + j] * w[(size_t)i * O + j];
                s += t;
                m += fabs(t);
            }
            if (!near(dx[(size_t)r * I + i], s, bound(O, m) + 1e-30)) {
                bad++;
                EXPECT(0, "%s: dx[%d][%d] = %.9g, reference %.9g", label, r, i, dx[(size_t)r * I + i], s);
            }
        }
}

#endif
