/*
 * test_dense: every dense-plan operation against plain double-precision
 * loops, for every activation, on small shapes and the tutorial network's
 * layers (784→128→128→10 at batch 128 and the last partial batch of 112),
 * with the tolerances of Go's backendtest.CheckDense; then the argument
 * checks and the rebuild after a change of thread count.
 */
#include <string.h>

#include "check.h"

typedef struct {
    int batch, in, out, act, no_dx;
} dense_case;

static const char *act_name[] = {"linear", "sigmoid", "tanh", "relu", "softmax"};

/* Extra elements after every output buffer, which must stay untouched. */
enum { GUARD = 16 };
static const float SENTINEL = 12345.0f;

static float *output(size_t n) {
    float *y = malloc((n + GUARD) * sizeof *y);
    if (!y) exit(1);
    for (size_t i = 0; i < n + GUARD; i++) y[i] = NAN; /* must be overwritten */
    for (size_t i = n; i < n + GUARD; i++) y[i] = SENTINEL;
    return y;
}

static void expect_guard(const char *what, const float *y, size_t n, const dense_case *c) {
    for (size_t i = n; i < n + GUARD; i++)
        EXPECT(y[i] == SENTINEL, "%dx%dx%d %s: %s written past its end (element %zu)",
                c->batch, c->in, c->out, act_name[c->act], what, i);
}

/* ref_act_backward returns ∂L/∂z for one element from y and dy. */
static double ref_act_backward(int act, const float *y, const float *dy, int r, int j, int cols) {
    double v = y[(size_t)r * cols + j], g = dy[(size_t)r * cols + j], dot = 0;
    switch (act) {
    case DESCENT_SIGMOID: return g * v * (1 - v);
    case DESCENT_TANH: return g * (1 - v * v);
    case DESCENT_RELU: return v > 0 ? g : 0;
    case DESCENT_SOFTMAX:
        for (int k = 0; k < cols; k++) dot += (double)dy[(size_t)r * cols + k] * y[(size_t)r * cols + k];
        return v * (g - dot);
    }
    return g;
}

static void check_case(descent_ctx *ctx, const dense_case *c) {
    const int B = c->batch, I = c->in, O = c->out;
    const char *act = act_name[c->act];
    float *x = random_floats((size_t)B * I), *w = random_floats((size_t)I * O);
    float *b = random_floats(O), *dy = random_floats((size_t)B * O);
    float *y = output((size_t)B * O), *dz = output((size_t)B * O);
    float *dw = output((size_t)I * O), *db = output(O);
    float *dx = c->no_dx ? NULL : output((size_t)B * I);
    double *z = malloc((size_t)B * O * sizeof *z), *mag = malloc((size_t)B * O * sizeof *mag);

    descent_dense *plan;
    MUST(descent_dense_create(ctx, B, I, O, c->act, &plan));

    /* Forward. */
    MUST(descent_dense_forward(plan, x, w, b, y));
    for (int r = 0; r < B; r++)
        for (int j = 0; j < O; j++) {
            double s = b[j], m = fabs(b[j]);
            for (int i = 0; i < I; i++) {
                s += (double)x[(size_t)r * I + i] * w[(size_t)i * O + j];
                m += fabs((double)x[(size_t)r * I + i] * w[(size_t)i * O + j]);
            }
            z[(size_t)r * O + j] = s;
            mag[(size_t)r * O + j] = m;
        }
    ref_activation(c->act, z, B, O);
    int bad = 0;
    for (size_t k = 0; k < (size_t)B * O && bad < 3; k++) {
        double tol = 2.0 * (I + 2) * U32 * mag[k] + 16 * U32 * fabs(z[k]) + 1e-7;
        if (!near(y[k], z[k], tol)) {
            bad++;
            EXPECT(0, "%dx%dx%d %s: forward y[%zu][%zu] = %.9g, reference %.9g, |diff| %.3g > %.3g",
                    B, I, O, act, k / O, k % O, y[k], z[k], fabs(y[k] - z[k]), tol);
        }
    }
    expect_guard("y", y, (size_t)B * O, c);

    /* Activation backward, in place, from the plan's own y. */
    memcpy(dz, dy, (size_t)B * O * sizeof *dz);
    MUST(descent_dense_act_backward(plan, y, dz));
    bad = 0;
    for (int r = 0; r < B && bad < 3; r++)
        for (int j = 0; j < O && bad < 3; j++) {
            double want = ref_act_backward(c->act, y, dy, r, j, O);
            double tol = 16 * U32 * (fabs(want) + fabs(dy[(size_t)r * O + j])) + 1e-7;
            if (!near(dz[(size_t)r * O + j], want, tol)) {
                bad++;
                EXPECT(0, "%dx%dx%d %s: activation backward dz[%d][%d] = %.9g, reference %.9g",
                        B, I, O, act, r, j, dz[(size_t)r * O + j], want);
            }
        }
    expect_guard("dz", dz, (size_t)B * O, c);

    /* Backward from the activation gradient (dz is the input here). */
    MUST(descent_dense_backward(plan, x, w, dz, dw, db, dx));
    char label[64];
    snprintf(label, sizeof label, "%dx%dx%d %s", B, I, O, act);
    check_backward_gemms(label, B, I, O, x, w, dz, dw, dx, f32_gemm_bound);
    for (int j = 0; j < O; j++) {
        double s = 0, m = 0;
        for (int r = 0; r < B; r++) {
            s += dz[(size_t)r * O + j];
            m += fabs(dz[(size_t)r * O + j]);
        }
        double tol = 2.0 * (B + 2) * U32 * m + 1e-30;
        EXPECT(near(db[j], s, tol), "%dx%dx%d %s: db[%d] = %.9g, reference %.9g", B, I, O, act, j, db[j], s);
    }
    if (dx) expect_guard("dx", dx, (size_t)B * I, c);
    expect_guard("dW", dw, (size_t)I * O, c);
    expect_guard("db", db, O, c);
    EXPECT(strstr(descent_dense_impl(plan), "fwd ") != NULL, "impl string %s", descent_dense_impl(plan));

    descent_dense_destroy(plan);
    free(x), free(w), free(b), free(dy), free(y), free(dz), free(dw), free(db), free(dx), free(z), free(mag);
}

static void check_errors(descent_ctx *ctx) {
    descent_dense *plan = NULL;
    EXPECT(descent_dense_create(ctx, 0, 3, 3, DESCENT_RELU, &plan) == DESCENT_EINVAL, "batch 0 accepted");
    EXPECT(strstr(descent_dnnl_last_error(), "0x3x3") != NULL, "message: %s", descent_dnnl_last_error());
    EXPECT(descent_dense_create(ctx, 2, 3, 3, 9, &plan) == DESCENT_EINVAL, "activation 9 accepted");
    EXPECT(strstr(descent_dnnl_last_error(), "activation 9") != NULL, "message: %s", descent_dnnl_last_error());
    EXPECT(plan == NULL, "plan set on failure");
    EXPECT(descent_dnnl_set_threads(0) == DESCENT_EINVAL, "0 threads accepted");

    float v[16] = {0};
    MUST(descent_dense_create(ctx, 2, 2, 2, DESCENT_TANH, &plan));
    EXPECT(descent_dense_forward(plan, v, v, NULL, v) == DESCENT_EINVAL, "NULL bias accepted");
    EXPECT(strstr(descent_dnnl_last_error(), "dense 2x2x2 tanh") != NULL, "message: %s", descent_dnnl_last_error());
    EXPECT(descent_dense_backward(plan, v, NULL, v, v, v, v) == DESCENT_EINVAL, "dx without W accepted");
    MUST(descent_dense_backward(plan, v, NULL, v, v, v, NULL)); /* W is not needed without dx */
    descent_dense_destroy(plan);
    descent_dense_destroy(NULL);
}

int main(void) {
    descent_ctx *ctx;
    MUST(descent_dnnl_set_threads(1));
    MUST(descent_ctx_create(&ctx));

    dense_case cases[64];
    int n = 0;
    for (int act = DESCENT_LINEAR; act <= DESCENT_SOFTMAX; act++) {
        cases[n++] = (dense_case){5, 7, 3, act, 0};
        cases[n++] = (dense_case){1, 4, 9, act, 1};
        cases[n++] = (dense_case){3, 1, 1, act, 0};
        cases[n++] = (dense_case){17, 33, 65, act, 0};
    }
    for (int batch = 128; batch >= 112; batch -= 16) {
        cases[n++] = (dense_case){batch, 784, 128, DESCENT_SIGMOID, 1};
        cases[n++] = (dense_case){batch, 128, 128, DESCENT_SIGMOID, 0};
        cases[n++] = (dense_case){batch, 128, 10, DESCENT_SOFTMAX, 0};
    }
    for (int i = 0; i < n; i++) check_case(ctx, &cases[i]);
    check_errors(ctx);

    /* A change of thread count rebuilds the plan's primitives on next use. */
    MUST(descent_dnnl_set_threads(2));
    EXPECT(descent_dnnl_threads() == 2, "threads = %d after setting 2", descent_dnnl_threads());
    check_case(ctx, &(dense_case){64, 96, 32, DESCENT_SIGMOID, 0});   /* small: one thread */
    check_case(ctx, &(dense_case){128, 784, 128, DESCENT_SIGMOID, 0}); /* big enough for the team */
    MUST(descent_dnnl_set_threads(1));
    check_case(ctx, &(dense_case){64, 96, 32, DESCENT_RELU, 0});

    /* The contention guard's backoff: plans drop to one thread, then return
     * to the setting, and compute the same either way. */
    MUST(descent_dnnl_set_threads(2));
    descent_dense *plan;
    enum { B = 32, I = 48, O = 24 };
    float *x = random_floats(B * I), *w = random_floats(I * O), *b = random_floats(O);
    float *y2 = random_floats(B * O), *y1 = random_floats(B * O);
    MUST(descent_dense_create(ctx, B, I, O, DESCENT_TANH, &plan));
    EXPECT(descent_dense_threads(plan) == 2, "plan made for %d threads, want 2", descent_dense_threads(plan));
    MUST(descent_dense_forward(plan, x, w, b, y2));
    descent_dnnl_backoff(60LL * 1000 * 1000 * 1000);
    MUST(descent_dense_forward(plan, x, w, b, y1));
    EXPECT(descent_dense_threads(plan) == 1, "during a backoff: plan runs %d threads, want 1", descent_dense_threads(plan));
    EXPECT(descent_dnnl_threads() == 2, "the setting stays 2 during a backoff, got %d", descent_dnnl_threads());
    descent_dnnl_backoff(0);
    MUST(descent_dense_forward(plan, x, w, b, y2));
    EXPECT(descent_dense_threads(plan) == 2, "after the backoff: plan runs %d threads, want 2", descent_dense_threads(plan));
    for (int i = 0; i < B * O; i++)
        EXPECT(near(y1[i], y2[i], 1e-5), "y[%d] = %g with one thread, %g with two", i, y1[i], y2[i]);
    EXPECT(descent_dnnl_backoffs() >= 0, "backoff count");
    descent_dense_destroy(plan);
    free(x), free(w), free(b), free(y1), free(y2);
    MUST(descent_dnnl_set_threads(1));

    descent_ctx_destroy(ctx);
    if (failures) fprintf(stderr, "test_dense: %d failure(s)\n", failures);
    return failures != 0;
}
