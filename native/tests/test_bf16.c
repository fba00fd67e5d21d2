/*
 * test_bf16: bf16 dense plans (DESCENT_BF16) against plain double-precision
 * loops on the f32 inputs, within the bf16 error bound below; that they do
 * run in bf16 (some error beyond the f32 bound, kernels named bf16); that
 * no caller's pointer stays bound; and, run with "unsupported" under
 * ONEDNN_MAX_CPU_ISA=AVX512_CORE (CMakeLists.txt), the clear refusal on
 * oneDNN without bf16 kernels. On a CPU without AVX512-BF16 or AMX it checks
 * the refusal only.
 *
 * Bound. Each GEMM input is rounded once to bf16: x̂ = x(1+δ), |δ| ≤ u_b =
 * 2⁻⁸ (bf16 keeps 8 significant bits, round to nearest even). The product
 * of two bf16 values is exact in f32 (8 × 8 = 16 bits), and the k-term sum
 * is accumulated in f32 (Higham §3.1: γ_k ≤ (k+1)·u_f with a final rounding,
 * u_f = 2⁻²⁴). So for c = Σ_p a_p·b_p,
 *
 *   |ĉ − c| ≤ ((1+u_b)² − 1)·Σ|a_p b_p| + (1+u_b)²·(k+2)·u_f·Σ|a_p b_p|
 *          ≤ (2u_b + u_b² + 2(k+2)·u_f)·Σ|a_p b_p|
 *
 * (the f32 term doubled as in backendtest). Activations after the GEMM are
 * 1-Lipschitz in the max norm and computed in f32: plus 16 f32 ulps.
 */
#include <string.h>

#include "check.h"

#define UB (1.0 / (1 << 8))

static double bf16_bound(int k, double mag) {
    return (2 * UB + UB * UB + 2.0 * (k + 2) * U32) * mag;
}

/* worst tracks the largest error/f32-bound ratio seen, to show bf16 ran. */
static double worst_f32_ratio;

static void check_case(descent_ctx *ctx, int B, int I, int O, int act, int forward_only) {
    float *x = random_floats((size_t)B * I), *w = random_floats((size_t)I * O);
    float *b = random_floats(O), *dz = random_floats((size_t)B * O);
    float *y = random_floats((size_t)B * O), *dw = random_floats((size_t)I * O);
    float *db = random_floats(O), *dx = random_floats((size_t)B * I);
    double *z = malloc((size_t)O * sizeof *z), *mag = malloc((size_t)O * sizeof *mag),
           *pre = malloc((size_t)O * sizeof *pre);
    descent_dense *plan;
    MUST(descent_dense_create_prec(ctx, B, I, O, act, forward_only, DESCENT_BF16, &plan));
    EXPECT(strstr(descent_dense_impl(plan), "bf16") != NULL, "%dx%dx%d: kernels %s, want bf16 ones",
            B, I, O, descent_dense_impl(plan));

    /* Forward: y = act(x·W + b). */
    MUST(descent_dense_forward(plan, x, w, b, y));
    EXPECT(descent_dense_bound_buffers(plan) == 0, "a caller's buffer stays bound after forward");
    int bad = 0;
    for (int r = 0; r < B && bad < 3; r++) {
        for (int j = 0; j < O; j++) {
            double s = b[j], m = 0;
            for (int i = 0; i < I; i++) {
                double t = (double)x[(size_t)r * I + i] * w[(size_t)i * O + j];
                s += t;
                m += fabs(t);
            }
            z[j] = s;
            mag[j] = m;
        }
        memcpy(pre, z, (size_t)O * sizeof *pre);
        ref_activation(act, z, 1, O);
        for (int j = 0; j < O; j++) {
            double got = y[(size_t)r * O + j], d = fabs(got - z[j]);
            double tol = bf16_bound(I, mag[j]) + U32 * fabs(b[j]) * 2 + 16 * U32 * fabs(z[j]) + 1e-7;
            double f32 = 2.0 * (I + 2) * U32 * mag[j] + 16 * U32 * fabs(z[j]) + 1e-7;
            if (act == DESCENT_LINEAR && d / f32 > worst_f32_ratio) worst_f32_ratio = d / f32;
            if (!near(got, z[j], tol)) {
                bad++;
                EXPECT(0, "bf16 %dx%dx%d act %d: y[%d][%d] = %.9g, reference %.9g (z %.6g), |diff| %.3g > %.3g",
                        B, I, O, act, r, j, got, z[j], pre[j], d, tol);
            }
        }
    }
    if (forward_only) goto done;

    /* Backward from dz: dW = xᵀ·dz (k = batch), db (f32), dx = dz·Wᵀ (k = out). */
    MUST(descent_dense_backward(plan, x, w, dz, dw, db, dx));
    EXPECT(descent_dense_bound_buffers(plan) == 0, "a caller's buffer stays bound after backward");
    char label[64];
    snprintf(label, sizeof label, "bf16 %dx%dx%d", B, I, O);
    check_backward_gemms(label, B, I, O, x, w, dz, dw, dx, bf16_bound);
    for (int j = 0; j < O; j++) { /* db stays f32: the f32 bound */
        double s = 0, m = 0;
        for (int r = 0; r < B; r++) s += dz[(size_t)r * O + j], m += fabs(dz[(size_t)r * O + j]);
        EXPECT(near(db[j], s, 2.0 * (B + 2) * U32 * m + 1e-30), "bf16 %dx%dx%d: db[%d] = %.9g, reference %.9g",
                B, I, O, j, db[j], s);
    }
done:
    descent_dense_destroy(plan);
    free(x), free(w), free(b), free(dz), free(y), free(dw), free(db), free(dx), free(z), free(mag), free(pre);
}

int main(int argc, char **argv) {
    descent_ctx *ctx;
    MUST(descent_ctx_create(&ctx));
    const int unsupported = argc > 1 && strcmp(argv[1], "unsupported") == 0;
    if (unsupported || !descent_dnnl_bf16_isa()) {
        descent_dense *plan = NULL;
        int st = descent_dense_create_prec(ctx, 4, 4, 4, DESCENT_RELU, 0, DESCENT_BF16, &plan);
        EXPECT(st == DESCENT_ENOTSUP, "bf16 plan without bf16 kernels: status %d, want DESCENT_ENOTSUP", st);
        EXPECT(strstr(descent_dnnl_last_error(), "bf16 needs") != NULL, "message: %s", descent_dnnl_last_error());
        EXPECT(plan == NULL, "a plan came back from a failed create");
        if (!unsupported) printf("test_bf16: this CPU has no AVX512-BF16 or AMX; checked the refusal only\n");
        descent_ctx_destroy(ctx);
        return failures ? 1 : 0;
    }
    descent_dense *plan = NULL;
    EXPECT(descent_dense_create_prec(ctx, 4, 4, 4, DESCENT_RELU, 0, 7, &plan) == DESCENT_EINVAL, "precision 7 accepted");

    const int acts[] = {DESCENT_LINEAR, DESCENT_SIGMOID, DESCENT_TANH, DESCENT_RELU, DESCENT_SOFTMAX};
    for (int a = 0; a < 5; a++) check_case(ctx, 5, 7, 3, acts[a], 0);
    for (int batch = 128; batch >= 112; batch -= 16) {
        check_case(ctx, batch, 784, 128, DESCENT_LINEAR, 0);
        check_case(ctx, batch, 784, 128, DESCENT_SIGMOID, 0);
        check_case(ctx, batch, 128, 128, DESCENT_RELU, 0);
        check_case(ctx, batch, 128, 10, DESCENT_SOFTMAX, 0);
    }
    check_case(ctx, 64, 784, 128, DESCENT_SIGMOID, 1); /* forward only */
    /* With two threads too (the plans rebuild for the new count). */
    MUST(descent_dnnl_set_threads(2));
    check_case(ctx, 128, 784, 128, DESCENT_TANH, 0);
    MUST(descent_dnnl_set_threads(1));
    EXPECT(worst_f32_ratio > 1, "no error beyond the f32 bound (worst %.3g of it): is the plan running in f32?",
            worst_f32_ratio);
    descent_ctx_destroy(ctx);
    return failures ? 1 : 0;
}
