/*
 * test_sgemm: descent_sgemm against a double-precision triple loop, for
 * every transpose combination, several alpha/beta, padded leading
 * dimensions, beta = 0 over a NaN-filled C (BLAS ignores C then), k = 0, and
 * the GEMM shapes of one training step of the tutorial network.
 */
#include <string.h>

#include "check.h"

static void check(int ta, int tb, int m, int n, int k, float alpha, float beta, int pad, int nan_c) {
    int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
    int lda = (ac > 1 ? ac : 1) + pad, ldb = (bc > 1 ? bc : 1) + pad, ldc = (n > 1 ? n : 1) + pad;
    float *a = random_floats((size_t)ar * lda), *b = random_floats((size_t)br * ldb);
    float *c0 = random_floats((size_t)m * ldc), *c = malloc(((size_t)m * ldc + 1) * sizeof *c);
    if (nan_c)
        for (size_t i = 0; i < (size_t)m * ldc; i++) c0[i] = NAN;
    memcpy(c, c0, (size_t)m * ldc * sizeof *c);
    MUST(descent_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
    int bad = 0;
    for (int i = 0; i < m && bad < 3; i++) {
        for (int j = 0; j < n && bad < 3; j++) {
            double s = 0, mag = 0;
            for (int p = 0; p < k; p++) {
                double av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += av * bv;
                mag += fabs(av * bv);
            }
            double want = alpha * s, tol = 2.0 * (k + 2) * U32 * fabs(alpha) * mag + 1e-30;
            if (beta != 0) {
                want += beta * (double)c0[(size_t)i * ldc + j];
                tol += 2 * U32 * fabs(beta * (double)c0[(size_t)i * ldc + j]);
            }
            if (!near(c[(size_t)i * ldc + j], want, tol)) {
                bad++;
                EXPECT(0, "sgemm %c%c m=%d n=%d k=%d alpha=%g beta=%g pad=%d: C[%d][%d] = %.9g, reference %.9g",
                        ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, beta, pad, i, j,
                        c[(size_t)i * ldc + j], want);
            }
        }
        for (int j = n; j < ldc && (size_t)i * ldc + j < (size_t)m * ldc; j++) {
            size_t idx = (size_t)i * ldc + j;
            EXPECT(memcmp(&c[idx], &c0[idx], sizeof *c) == 0, "sgemm wrote into padding C[%d][%d]", i, j);
        }
    }
    free(a), free(b), free(c0), free(c);
}

int main(void) {
    MUST(descent_dnnl_set_threads(1));
    const float ab[][2] = {{1, 0}, {0.5f, 1}, {-2, 0.25f}};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int i = 0; i < 3; i++) {
                check(ta, tb, 7, 5, 3, ab[i][0], ab[i][1], 0, 0);
                check(ta, tb, 17, 33, 65, ab[i][0], ab[i][1], 3, 0);
            }
    check(0, 0, 4, 4, 4, 1, 0, 0, 1); /* beta = 0 ignores NaN in C */
    check(0, 0, 3, 2, 0, 1, 0.5f, 0, 0); /* k = 0 scales C */
    check(0, 0, 1, 10, 128, 1, 0, 0, 0);
    for (int batch = 128; batch >= 112; batch -= 16) {
        check(0, 0, batch, 128, 784, 1, 0, 0, 0); /* forward x·W */
        check(0, 0, batch, 10, 128, 1, 0, 0, 0);
        check(1, 0, 784, 128, batch, 1, 0, 0, 0); /* dW = xᵀ·dz */
        check(0, 1, batch, 128, 10, 1, 0, 0, 0);  /* dx = dz·Wᵀ */
    }
    MUST(descent_dnnl_set_threads(2));
    check(1, 0, 128, 128, 128, 1, 0, 0, 0);
    check(0, 1, 128, 128, 128, 1, 0.5f, 1, 0);

    /* A bad leading dimension is oneDNN's invalid_arguments, with a message. */
    float v[4] = {0};
    EXPECT(descent_sgemm(0, 0, 2, 2, 2, 1, v, 1, v, 2, 0, v, 2) > 0, "lda < k accepted");
    EXPECT(strstr(descent_dnnl_last_error(), "invalid_arguments") != NULL, "message: %s", descent_dnnl_last_error());

    if (failures) fprintf(stderr, "test_sgemm: %d failure(s)\n", failures);
    return failures != 0;
}
