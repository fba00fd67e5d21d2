/*
 * test_plans: the lifetime and robustness promises of descent_dnnl.h:
 * contexts destroyed before their plans (ASan must stay clean), broken plans
 * after a failed rebuild, forward-only plans, the user-mode scratchpad
 * (same results as a plan moved to another thread, and as the same plan run
 * concurrently with others), memory objects unbound after every call, and
 * the caller's OpenMP thread count left as it was.
 */
#include <omp.h>
#include <pthread.h>
#include <string.h>

#include "check.h"

enum { B = 64, I = 96, O = 48 };

typedef struct {
    float *x, *w, *b, *y, *dy, *dz, *dw, *db, *dx;
} buffers;

static buffers make_buffers(void) {
    buffers t = {random_floats(B * I), random_floats(I * O), random_floats(O), random_floats(B * O),
            random_floats(B * O), random_floats(B * O), random_floats(I * O), random_floats(O),
            random_floats(B * I)};
    return t;
}

static void free_buffers(buffers *t) {
    free(t->x), free(t->w), free(t->b), free(t->y), free(t->dy), free(t->dz), free(t->dw), free(t->db), free(t->dx);
}

/* step runs a training plan's three calls on t (the activation backward
 * on a copy of dy, so that steps repeat). */
static int step(descent_dense *p, buffers *t) {
    int st = descent_dense_forward(p, t->x, t->w, t->b, t->y);
    memcpy(t->dz, t->dy, B * O * sizeof(float));
    if (st == DESCENT_OK) st = descent_dense_act_backward(p, t->y, t->dz);
    if (st == DESCENT_OK) st = descent_dense_backward(p, t->x, t->w, t->dz, t->dw, t->db, t->dx);
    return st;
}

/* The context goes first; its plans keep working, then are destroyed. */
static void close_order(void) {
    descent_ctx *ctx;
    descent_dense *train, *fwd;
    MUST(descent_ctx_create(&ctx));
    MUST(descent_dense_create(ctx, B, I, O, DESCENT_SOFTMAX, &train));
    MUST(descent_dense_create_forward(ctx, B, I, O, DESCENT_RELU, &fwd));
    descent_ctx_destroy(ctx);
    buffers t = make_buffers();
    MUST(step(train, &t));
    MUST(descent_dense_forward(fwd, t.x, t.w, t.b, t.y));
    descent_dense_destroy(fwd);
    MUST(step(train, &t)); /* the last reference */
    descent_dense_destroy(train);
    free_buffers(&t);
}

/* A failed rebuild breaks the plan for good, every call, with the original
 * message; other plans on the context are not affected. */
static void broken_plan(descent_ctx *ctx) {
    for (int act = DESCENT_LINEAR; act <= DESCENT_SOFTMAX; act++) {
        descent_dense *p, *other;
        buffers t = make_buffers();
        MUST(descent_dnnl_set_threads(1));
        MUST(descent_dense_create(ctx, B, I, O, act, &p));
        MUST(descent_dense_create(ctx, B, I, O, act, &other));
        MUST(step(p, &t));
        descent_dense_fail_next_builds(p, 1);
        MUST(descent_dnnl_set_threads(2)); /* the next call rebuilds */
        int st = descent_dense_forward(p, t.x, t.w, t.b, t.y);
        EXPECT(st > 0, "act %d: failed rebuild returned %d", act, st);
        EXPECT(strstr(descent_dense_error(p), "injected failure") != NULL, "plan error: %s", descent_dense_error(p));
        MUST(descent_dnnl_set_threads(1)); /* a setting that would rebuild again */
        EXPECT(descent_dense_forward(p, t.x, t.w, t.b, t.y) == DESCENT_EBROKEN, "act %d: forward on a broken plan", act);
        EXPECT(descent_dense_act_backward(p, t.y, t.dy) == DESCENT_EBROKEN, "act %d: activation backward on a broken plan", act);
        EXPECT(descent_dense_backward(p, t.x, t.w, t.dy, t.dw, t.db, t.dx) == DESCENT_EBROKEN, "act %d: backward on a broken plan", act);
        EXPECT(strstr(descent_dnnl_last_error(), "broken") && strstr(descent_dnnl_last_error(), "injected failure"),
                "message: %s", descent_dnnl_last_error());
        EXPECT(strstr(descent_dense_error(p), "injected failure") != NULL, "plan error: %s", descent_dense_error(p));
        EXPECT(descent_dense_bound_buffers(p) == 0, "broken plan keeps buffers");
        MUST(step(other, &t));
        descent_dense_destroy(p);
        descent_dense_destroy(other);
        free_buffers(&t);
    }
    /* A build failing at creation returns no plan. */
    MUST(descent_dnnl_set_threads(1));
}

/* Forward-only plans compute what training plans do, and refuse backward. */
static void forward_only(descent_ctx *ctx) {
    for (int act = DESCENT_LINEAR; act <= DESCENT_SOFTMAX; act++) {
        descent_dense *train, *fwd;
        buffers t = make_buffers();
        float *y2 = random_floats(B * O);
        MUST(descent_dense_create(ctx, B, I, O, act, &train));
        MUST(descent_dense_create_forward(ctx, B, I, O, act, &fwd));
        MUST(descent_dense_forward(train, t.x, t.w, t.b, t.y));
        MUST(descent_dense_forward(fwd, t.x, t.w, t.b, y2));
        for (int i = 0; i < B * O; i++)
            EXPECT(near(y2[i], t.y[i], 1e-6 + 1e-6 * fabs(t.y[i])), "act %d: y[%d] forward-only %g, training %g", act, i, y2[i], t.y[i]);
        EXPECT(descent_dense_act_backward(fwd, t.y, t.dy) == DESCENT_EINVAL, "act %d: activation backward on a forward-only plan", act);
        EXPECT(strstr(descent_dense_error(fwd), "forward-only") != NULL, "message: %s", descent_dense_error(fwd));
        EXPECT(descent_dense_backward(fwd, t.x, t.w, t.dy, t.dw, t.db, t.dx) == DESCENT_EINVAL, "act %d: backward on a forward-only plan", act);
        EXPECT(strstr(descent_dense_impl(fwd), "bwd") == NULL, "forward-only plan has backward primitives: %s", descent_dense_impl(fwd));
        descent_dense_destroy(train);
        descent_dense_destroy(fwd);
        free(y2);
        free_buffers(&t);
    }
}

/* ---- threads ---- */

typedef struct {
    descent_dense *plan; /* NULL: make one on ctx */
    descent_ctx *ctx;
    buffers t;
    int status, iterations;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    int own = j->plan == NULL;
    if (own && (j->status = descent_dense_create(j->ctx, B, I, O, DESCENT_SIGMOID, &j->plan)) != DESCENT_OK) return NULL;
    for (int i = 0; i < j->iterations && j->status == DESCENT_OK; i++) j->status = step(j->plan, &j->t);
    if (own) {
        descent_dense_destroy(j->plan);
        j->plan = NULL;
    }
    return NULL;
}

/* Outputs of a job, to compare bitwise. */
static int same_outputs(const buffers *a, const buffers *b) {
    return !memcmp(a->y, b->y, B * O * sizeof(float)) && !memcmp(a->dz, b->dz, B * O * sizeof(float)) &&
           !memcmp(a->dw, b->dw, I * O * sizeof(float)) && !memcmp(a->db, b->db, O * sizeof(float)) &&
           !memcmp(a->dx, b->dx, B * I * sizeof(float));
}

static buffers copy_buffers(const buffers *t) {
    buffers c = make_buffers();
    memcpy(c.x, t->x, B * I * sizeof(float));
    memcpy(c.w, t->w, I * O * sizeof(float));
    memcpy(c.b, t->b, O * sizeof(float));
    memcpy(c.dy, t->dy, B * O * sizeof(float));
    return c;
}

/* A plan made on this thread and run on another (user scratchpad: nothing
 * ties a primitive to its creating thread), and eight threads each running
 * their own plan at once, give bitwise the results of a sequential run. */
static void threads(descent_ctx *ctx) {
    enum { K = 8, ITER = 3 };
    MUST(descent_dnnl_set_threads(1));
    job seq[K], par[K];
    for (int k = 0; k < K; k++) {
        seq[k] = (job){.ctx = ctx, .t = make_buffers(), .iterations = ITER};
        par[k] = (job){.ctx = ctx, .t = copy_buffers(&seq[k].t), .iterations = ITER};
        run_job(&seq[k]);
        MUST(seq[k].status);
    }
    pthread_t th[K];
    for (int k = 0; k < K; k++) EXPECT(pthread_create(&th[k], NULL, run_job, &par[k]) == 0, "pthread_create");
    for (int k = 0; k < K; k++) pthread_join(th[k], NULL);
    for (int k = 0; k < K; k++) {
        EXPECT(par[k].status == DESCENT_OK, "thread %d: status %d", k, par[k].status);
        EXPECT(same_outputs(&seq[k].t, &par[k].t), "thread %d: results differ from the sequential run", k);
    }

    /* Made here, run there. */
    descent_dense *p;
    MUST(descent_dense_create(ctx, B, I, O, DESCENT_SIGMOID, &p));
    job moved = {.plan = p, .t = copy_buffers(&seq[0].t), .iterations = ITER};
    pthread_t one;
    EXPECT(pthread_create(&one, NULL, run_job, &moved) == 0, "pthread_create");
    pthread_join(one, NULL);
    EXPECT(moved.status == DESCENT_OK, "moved plan: status %d", moved.status);
    EXPECT(same_outputs(&seq[0].t, &moved.t), "a plan run on another thread: results differ");
    descent_dense_destroy(p);
    free_buffers(&moved.t);
    for (int k = 0; k < K; k++) free_buffers(&seq[k].t), free_buffers(&par[k].t);
}

/* The user-mode scratchpad: a plan whose matmul needs one has one, and its
 * forward is right (test_dense checks every operation of such plans). */
static void scratchpad(descent_ctx *ctx) {
    descent_dense *p;
    MUST(descent_dense_create(ctx, 128, 784, 128, DESCENT_SIGMOID, &p));
    size_t size = descent_dense_scratchpad_size(p);
    /* oneDNN 2.6's brgemm matmul keeps its packed blocks in the scratchpad
     * (101120 bytes here on AVX-512). */
    if (strstr(descent_dense_impl(p), "brg"))
        EXPECT(size > 0, "brgemm plan without a scratchpad: %s", descent_dense_impl(p));
    float *x = random_floats(128 * 784), *w = random_floats(784 * 128), *b = random_floats(128);
    float *y = random_floats(128 * 128);
    MUST(descent_dense_forward(p, x, w, b, y));
    /* Spot check one output against a double loop. */
    double z = b[5];
    for (int i = 0; i < 784; i++) z += (double)x[3 * 784 + i] * w[i * 128 + 5];
    EXPECT(near(y[3 * 128 + 5], 1 / (1 + exp(-z)), 1e-5), "y[3][5] = %g, want %g", y[3 * 128 + 5], 1 / (1 + exp(-z)));
    descent_dense_destroy(p);
    free(x), free(w), free(b), free(y);
}

/* No memory object keeps a caller's pointer after a call, failed or not. */
static void unbound(descent_ctx *ctx) {
    descent_dense *p;
    buffers t = make_buffers();
    MUST(descent_dense_create(ctx, B, I, O, DESCENT_TANH, &p));
    EXPECT(descent_dense_bound_buffers(p) == 0, "bound after create");
    MUST(descent_dense_forward(p, t.x, t.w, t.b, t.y));
    EXPECT(descent_dense_bound_buffers(p) == 0, "bound after forward: %d", descent_dense_bound_buffers(p));
    MUST(descent_dense_act_backward(p, t.y, t.dy));
    EXPECT(descent_dense_bound_buffers(p) == 0, "bound after activation backward");
    MUST(descent_dense_backward(p, t.x, t.w, t.dy, t.dw, t.db, t.dx));
    EXPECT(descent_dense_bound_buffers(p) == 0, "bound after backward");
    EXPECT(descent_dense_forward(p, t.x, t.w, NULL, t.y) == DESCENT_EINVAL, "NULL bias");
    EXPECT(descent_dense_bound_buffers(p) == 0, "bound after a failed call");
    descent_dense_destroy(p);
    free_buffers(&t);
}

/* descent leaves the calling thread's OpenMP setting as it found it. */
static void omp_setting(descent_ctx *ctx) {
    descent_dense *p;
    buffers t = make_buffers();
    omp_set_num_threads(3);
    MUST(descent_dnnl_set_threads(1));
    MUST(descent_dense_create(ctx, B, I, O, DESCENT_RELU, &p));
    EXPECT(omp_get_max_threads() == 3, "after create: %d", omp_get_max_threads());
    MUST(step(p, &t));
    EXPECT(omp_get_max_threads() == 3, "after a step: %d", omp_get_max_threads());
    MUST(descent_sgemm(0, 0, B, O, I, 1, t.x, I, t.w, O, 0, t.y, O));
    EXPECT(omp_get_max_threads() == 3, "after sgemm: %d", omp_get_max_threads());
    MUST(descent_dnnl_set_threads(2));
    MUST(step(p, &t));
    EXPECT(omp_get_max_threads() == 3, "after a rebuild for 2 threads: %d", omp_get_max_threads());
    MUST(descent_dnnl_set_threads(1));
    descent_dense_destroy(p);
    free_buffers(&t);
}

int main(void) {
    EXPECT(descent_dnnl_threads() == 1, "default thread setting %d, want 1", descent_dnnl_threads());
    close_order();
    descent_ctx *ctx;
    MUST(descent_ctx_create(&ctx));
    broken_plan(ctx);
    forward_only(ctx);
    threads(ctx);
    scratchpad(ctx);
    unbound(ctx);
    omp_setting(ctx);
    descent_ctx_destroy(ctx);
    if (failures) fprintf(stderr, "test_plans: %d failure(s)\n", failures);
    return failures != 0;
}
