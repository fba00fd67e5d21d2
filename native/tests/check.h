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

#endif
