/*
 * descent_dnnl.c: dense layers on oneDNN v2 (see descent_dnnl.h).
 *
 * One plan per (batch, in, out, activation) holds these primitives, created
 * once (and again only if the thread count changes):
 *
 *   forward      matmul  x (batch,in) · W (in,out) + b (1,out), with the
 *                activation as an eltwise post-op (logistic, tanh, relu;
 *                none for linear) → y (batch,out)
 *   softmax_fwd  softmax over each row of y, in place (softmax only: it is
 *                not an eltwise post-op)
 *   act_bwd      eltwise backward from the saved output y
 *                (*_use_dst_for_bwd algorithms), or softmax backward from y;
 *                in place on dy
 *   bwd_weights  matmul  xᵀ (in,batch) · dz (batch,out) → dW (in,out)
 *   bwd_data     matmul  dz (batch,out) · Wᵀ (out,in) → dx (batch,in)
 *
 * and db = Σ_rows dz as a plain loop. Matmul rather than inner product
 * because it takes W in our (in, out) layout directly, and xᵀ and Wᵀ are the
 * same bytes described with transposed strides (format tag "ba"), so nothing
 * is reordered. On AVX-512 CPUs oneDNN 2.6 runs all three on its brgemm
 * kernels, while inner product with weights in "io" falls back to its
 * gemm-based implementation: as fast on the tutorial's 784→128 layer, up to
 * 2x slower on small ones (forward of 128→10: 10.4 vs 5.7 µs), about 2%
 * over a training step (native/bench/ip_vs_matmul.c, bench/RESULTS.md).
 *
 * Memory objects are created once without a buffer (DNNL_MEMORY_NONE); each
 * call binds the caller's pointers with dnnl_memory_set_data_handle, executes
 * and waits for the stream, so nothing is allocated per call and no pointer
 * is kept after a call returns.
 */
/* -fno-math-errno, for GCC builds that cannot pass it: cgo rejects the flag
 * (it is not on cmd/go's list of allowed #cgo CFLAGS). Without it GCC 12
 * keeps sqrtf and friends as scalar libm calls for errno's sake. CMake passes
 * the flag as well. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-math-errno")
#endif

#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */

#include "descent_dnnl.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
#include <omp.h>
#endif

/* ---- errors ------------------------------------------------------------ */

static _Thread_local char last_error[512];

const char *descent_dnnl_last_error(void) { return last_error; }

/* fail records a message and returns status. */
static int fail(int status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(last_error, sizeof last_error, format, args);
    va_end(args);
    return status;
}

/* CHECK runs a oneDNN call; on failure it records "<what>: <call>: <status>"
 * and jumps to the enclosing function's cleanup label `out` with st set. */
#define CHECK(call)                                                           \
    do {                                                                      \
        dnnl_status_t s_ = (call);                                            \
        if (s_ != dnnl_success) {                                             \
            st = fail((int)s_, "%s: %s: %s", what, #call, dnnl_status2str(s_)); \
            goto out;                                                         \
        }                                                                     \
    } while (0)

/* ---- threads ----------------------------------------------------------- */

/* 0: not set, OpenMP's default applies. */
static atomic_int threads_setting;

int descent_dnnl_set_threads(int n) {
    if (n < 1) return fail(DESCENT_EINVAL, "set threads: n = %d, want >= 1", n);
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
    atomic_store(&threads_setting, n); /* each entry point applies it to its thread */
    return DESCENT_OK;
#else
    return fail(DESCENT_ENOTSUP, "set threads: oneDNN was not built with OpenMP");
#endif
}

int descent_dnnl_threads(void) {
    int n = atomic_load(&threads_setting);
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
    if (n == 0) n = omp_get_max_threads();
#endif
    return n > 0 ? n : 1;
}

/* Which primitives get the team. A parallel region costs a fork and a
 * barrier (microseconds, and on a busy machine much more: see the guard
 * below), so only GEMMs of at least TEAM_MIN_FLOPS run with several threads
 * (as OpenBLAS does for its small GEMMs); the element-wise and softmax
 * primitives and the small GEMMs (a 10-unit output layer) run on one. For
 * the tutorial network that leaves 5 parallel regions per training step
 * instead of 11. */
enum { TEAM_MIN_FLOPS = 1 << 22 }; /* 2·128·128·128 */

/* Contention guard. An OpenMP team only runs as fast as its slowest thread:
 * when another process takes one of a small machine's cores, every parallel
 * region waits at its barrier for a thread that is not running, and a
 * 0.2 ms GEMM takes milliseconds (measured on a 2-vCPU VM with other work
 * on it: epochs 4-10x slower with two threads, not at all with one). So a
 * plan times each primitive it runs on a team against the best time it has
 * seen for it, and every run slower than SLOW_FACTOR times that (plus
 * SLACK_NS) adds its excess to a process-wide debt, which drains at
 * 1/DRAIN_DIV of wall time. A rare hiccup (a descheduled vCPU now and
 * then) drains away; when the debt passes DEBT_LIMIT_NS, contention is
 * costing more than the team gains, and every plan runs on one thread for a
 * backoff period before trying the team again: BACKOFF_NS, doubled (up to
 * BACKOFF_MAX_NS) when the team is in debt again soon after a backoff ends.
 * Under sustained contention that costs about DEBT_LIMIT_NS per backoff
 * period instead of a stall per parallel region. */
enum {
    SLOW_FACTOR = 2,
    SLACK_NS = 50 * 1000,
    DRAIN_DIV = 20 /* 5% */
};
static const long long DEBT_LIMIT_NS = 10LL * 1000 * 1000, BACKOFF_NS = 250LL * 1000 * 1000,
                       BACKOFF_MAX_NS = 8LL * 1000 * 1000 * 1000;
static atomic_llong debt_ns, debt_at_ns; /* the debt and when it was last updated */
static atomic_llong single_until_ns;     /* plans run on one thread until then */
static atomic_llong backoff_ns;          /* the current backoff period */
static atomic_llong backoffs;

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* back_off starts a backoff at time now. */
static void back_off(long long now) {
    long long len = atomic_load(&backoff_ns), until = atomic_load(&single_until_ns);
    /* In debt again within one period of the last backoff's end: double. */
    len = (len > 0 && now - until < len) ? (2 * len < BACKOFF_MAX_NS ? 2 * len : BACKOFF_MAX_NS) : BACKOFF_NS;
    atomic_store(&backoff_ns, len);
    atomic_store(&single_until_ns, now + len);
    atomic_fetch_add(&backoffs, 1);
}

/* account charges a team run of t ns, at time now, whose best is best ns. */
static void account(long long now, long long t, long long best) {
    long long debt = atomic_load(&debt_ns) - (now - atomic_load(&debt_at_ns)) / DRAIN_DIV;
    if (debt < 0) debt = 0;
    long long excess = t - (SLOW_FACTOR * best + SLACK_NS);
    if (excess > 0) debt += excess;
    if (debt > DEBT_LIMIT_NS) {
        back_off(now);
        debt = 0;
    }
    atomic_store(&debt_ns, debt);
    atomic_store(&debt_at_ns, now);
}

/* set_omp sets the calling thread's OpenMP thread count. */
static void set_omp(int n) {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
    if (omp_get_max_threads() != n) omp_set_num_threads(n);
#else
    (void)n;
#endif
}

long long descent_dnnl_backoffs(void) { return atomic_load(&backoffs); }

void descent_dnnl_backoff(long long ns) { atomic_store(&single_until_ns, ns > 0 ? now_ns() + ns : 0); }

int descent_dnnl_team_wanted(void) {
    return atomic_load(&threads_setting) > 1 && now_ns() >= atomic_load(&single_until_ns);
}

static _Thread_local int single_here;

void descent_dnnl_single_here(int on) { single_here = on; }

/* apply_threads gives the calling OS thread the thread count oneDNN should
 * use now (an OpenMP ICV is per thread): the process-wide setting, or one
 * during a backoff or on a thread marked with descent_dnnl_single_here. It
 * returns that count. */
static int apply_threads(void) {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
    int n = atomic_load(&threads_setting);
    if (n > 1 && (single_here || now_ns() < atomic_load(&single_until_ns))) n = 1;
    if (n > 0) set_omp(n);
    return omp_get_max_threads();
#else
    return 1;
#endif
}

const char *descent_dnnl_version(void) {
    static char buf[160];
    const dnnl_version_t *v = dnnl_version();
    const char *rt = v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP"
            : v->cpu_runtime == DNNL_RUNTIME_TBB        ? "TBB"
            : v->cpu_runtime == DNNL_RUNTIME_SEQ        ? "sequential"
                                                        : "other";
    snprintf(buf, sizeof buf, "oneDNN v%d.%d.%d (CPU runtime %s, ISA %s)",
            v->major, v->minor, v->patch, rt,
            dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()));
    return buf;
}

/* ---- context ----------------------------------------------------------- */

struct descent_ctx {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
};

int descent_ctx_create(descent_ctx **ctx) {
    const char *what = "create context";
    int st = DESCENT_OK;
    if (!ctx) return fail(DESCENT_EINVAL, "%s: NULL", what);
    descent_ctx *c = calloc(1, sizeof *c);
    if (!c) return fail(DESCENT_ENOMEM, "%s: out of memory", what);
    apply_threads();
    CHECK(dnnl_engine_create(&c->engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&c->stream, c->engine, dnnl_stream_default_flags));
    *ctx = c;
    return DESCENT_OK;
out:
    descent_ctx_destroy(c);
    return st;
}

void descent_ctx_destroy(descent_ctx *c) {
    if (!c) return;
    if (c->stream) dnnl_stream_destroy(c->stream);
    if (c->engine) dnnl_engine_destroy(c->engine);
    free(c);
}

/* ---- GEMM -------------------------------------------------------------- */

int descent_sgemm(int trans_a, int trans_b, long m, long n, long k,
        float alpha, const float *a, long lda, const float *b, long ldb,
        float beta, float *c, long ldc) {
    apply_threads();
    if (m > 0 && n > 0 && k == 0 && c && ldc >= n) {
        /* oneDNN 2.6 returns early when k = 0 and leaves C unscaled; BLAS
         * computes C = beta·C (and C = 0 when beta = 0, even over NaN). */
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return DESCENT_OK;
    }
    dnnl_status_t s = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m,
            n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (s != dnnl_success)
        return fail((int)s, "sgemm %c%c m=%ld n=%ld k=%ld lda=%ld ldb=%ld ldc=%ld: %s",
                trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, lda, ldb,
                ldc, dnnl_status2str(s));
    return DESCENT_OK;
}

/* ---- dense plans ------------------------------------------------------- */

/* The plan's primitives, for per-primitive thread counts and timings. */
enum slot { FWD, SOFTMAX_FWD, ACT_BWD, BWD_WEIGHTS, BWD_DATA };

struct descent_dense {
    descent_ctx *ctx;
    int batch, in, out, act;
    int threads; /* the thread count the primitives were made for */
    /* Contention guard: the best time of each primitive (enum slot) with
     * best_threads > 1 threads, 0 until measured. */
    int best_threads;
    long long best_ns[5];
    int nthr[5]; /* each primitive's thread count: threads or 1 */
    char name[96]; /* "dense 128x784x128 sigmoid", for messages */
    char impl[320];

    dnnl_primitive_t fwd, softmax_fwd, act_bwd, bwd_weights, bwd_data;
    /* Memory objects without buffers, bound per call. */
    dnnl_memory_t x, xt, w, wt, b, y, dz, dw, dx;
};

static const char *act_names[] = {"linear", "sigmoid", "tanh", "relu", "softmax"};

/* md2 describes a rows×cols float32 matrix: tag dnnl_ab is row-major,
 * dnnl_ba the transpose of a row-major cols×rows matrix (same bytes). */
static dnnl_status_t md2(dnnl_memory_desc_t *md, int rows, int cols, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {rows, cols};
    return dnnl_memory_desc_init_by_tag(md, 2, dims, dnnl_f32, tag);
}

static void release(descent_dense *d) {
    dnnl_primitive_t *prims[] = {&d->fwd, &d->softmax_fwd, &d->act_bwd, &d->bwd_weights, &d->bwd_data};
    for (size_t i = 0; i < sizeof prims / sizeof *prims; i++) {
        if (*prims[i]) dnnl_primitive_destroy(*prims[i]);
        *prims[i] = NULL;
    }
    dnnl_memory_t *mems[] = {&d->x, &d->xt, &d->w, &d->wt, &d->b, &d->y, &d->dz, &d->dw, &d->dx};
    for (size_t i = 0; i < sizeof mems / sizeof *mems; i++) {
        if (*mems[i]) dnnl_memory_destroy(*mems[i]);
        *mems[i] = NULL;
    }
}

/* append_impl adds "label impl-name; " to d->impl. */
static void append_impl(descent_dense *d, const char *label, const_dnnl_primitive_desc_t pd) {
    const char *s = "?";
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success) s = "?";
    size_t used = strlen(d->impl);
    snprintf(d->impl + used, sizeof d->impl - used, "%s%s %s", used ? "; " : "", label, s);
}

/* make_primitive creates the primitive of a slot from an op descriptor, for
 * the plan's team if it does at least TEAM_MIN_FLOPS of work, else for one
 * thread, and records its implementation; *pd_out, when not NULL, receives
 * the primitive descriptor (the caller destroys it), else it is destroyed
 * here. */
static dnnl_status_t make_primitive(descent_dense *d, enum slot slot, const char *label,
        double flops, const_dnnl_op_desc_t desc, const_dnnl_primitive_attr_t attr,
        const_dnnl_primitive_desc_t hint, dnnl_primitive_t *prim,
        dnnl_primitive_desc_t *pd_out) {
    d->nthr[slot] = flops >= TEAM_MIN_FLOPS ? d->threads : 1;
    set_omp(d->nthr[slot]); /* oneDNN sizes its work split at creation */
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_primitive_desc_create(&pd, desc, attr, d->ctx->engine, hint);
    if (s != dnnl_success) return s;
    append_impl(d, label, pd);
    s = dnnl_primitive_create(prim, pd);
    if (pd_out && s == dnnl_success)
        *pd_out = pd;
    else
        dnnl_primitive_desc_destroy(pd);
    return s;
}

/* build creates the plan's primitives and memory objects for the current
 * thread count. */
static int build(descent_dense *d) {
    const char *what = d->name;
    int st = DESCENT_OK;
    const int B = d->batch, I = d->in, O = d->out;
    const double gemm_flops = 2.0 * B * I * O; /* each of the three GEMMs */
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t softmax_pd = NULL, eltwise_pd = NULL;

    release(d);
    d->impl[0] = '\0';
    d->threads = apply_threads();
    if (d->threads > 1 && d->threads != d->best_threads) {
        memset(d->best_ns, 0, sizeof d->best_ns);
        d->best_threads = d->threads;
    }

    dnnl_memory_desc_t x_md, xt_md, w_md, wt_md, b_md, y_md;
    CHECK(md2(&x_md, B, I, dnnl_ab));  /* x  (batch, in) */
    CHECK(md2(&xt_md, I, B, dnnl_ba)); /* xᵀ (in, batch), the bytes of x */
    CHECK(md2(&w_md, I, O, dnnl_ab));  /* W  (in, out) */
    CHECK(md2(&wt_md, O, I, dnnl_ba)); /* Wᵀ (out, in), the bytes of W */
    CHECK(md2(&b_md, 1, O, dnnl_ab));  /* b  (1, out), broadcast over rows */
    CHECK(md2(&y_md, B, O, dnnl_ab));  /* y, dy, dz (batch, out) */

    const dnnl_memory_desc_t *mds[] = {&x_md, &xt_md, &w_md, &wt_md, &b_md, &y_md, &y_md, &w_md, &x_md};
    dnnl_memory_t *mems[] = {&d->x, &d->xt, &d->w, &d->wt, &d->b, &d->y, &d->dz, &d->dw, &d->dx};
    for (size_t i = 0; i < sizeof mems / sizeof *mems; i++)
        CHECK(dnnl_memory_create(mems[i], mds[i], d->ctx->engine, DNNL_MEMORY_NONE));

    /* Forward: matmul + bias + activation post-op. */
    dnnl_alg_kind_t fwd_alg = dnnl_alg_kind_undef, bwd_alg = dnnl_alg_kind_undef;
    switch (d->act) {
    case DESCENT_SIGMOID: fwd_alg = dnnl_eltwise_logistic; bwd_alg = dnnl_eltwise_logistic_use_dst_for_bwd; break;
    case DESCENT_TANH: fwd_alg = dnnl_eltwise_tanh; bwd_alg = dnnl_eltwise_tanh_use_dst_for_bwd; break;
    case DESCENT_RELU: fwd_alg = dnnl_eltwise_relu; bwd_alg = dnnl_eltwise_relu_use_dst_for_bwd; break;
    }
    CHECK(dnnl_primitive_attr_create(&attr));
    if (fwd_alg != dnnl_alg_kind_undef) {
        CHECK(dnnl_post_ops_create(&post_ops));
        CHECK(dnnl_post_ops_append_eltwise(post_ops, 1.0f, fwd_alg, 0.0f, 0.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, post_ops));
    }
    dnnl_matmul_desc_t mm;
    CHECK(dnnl_matmul_desc_init(&mm, &x_md, &w_md, &b_md, &y_md));
    CHECK(make_primitive(d, FWD, "fwd", gemm_flops, &mm, attr, NULL, &d->fwd, NULL));

    /* Activation backward from y. */
    if (d->act == DESCENT_SOFTMAX) {
        dnnl_softmax_desc_t sm;
        CHECK(dnnl_softmax_forward_desc_init(&sm, dnnl_forward_training, &y_md, 1));
        CHECK(make_primitive(d, SOFTMAX_FWD, "softmax", 0, &sm, NULL, NULL, &d->softmax_fwd, &softmax_pd));
        CHECK(dnnl_softmax_backward_desc_init(&sm, &y_md, &y_md, 1));
        CHECK(make_primitive(d, ACT_BWD, "softmax_bwd", 0, &sm, NULL, softmax_pd, &d->act_bwd, NULL));
    } else if (bwd_alg != dnnl_alg_kind_undef) {
        /* The forward descriptor only serves as the backward's hint. */
        dnnl_eltwise_desc_t ew;
        CHECK(dnnl_eltwise_forward_desc_init(&ew, dnnl_forward_training, bwd_alg, &y_md, 0.0f, 0.0f));
        CHECK(dnnl_primitive_desc_create(&eltwise_pd, &ew, NULL, d->ctx->engine, NULL));
        CHECK(dnnl_eltwise_backward_desc_init(&ew, bwd_alg, &y_md, &y_md, 0.0f, 0.0f));
        CHECK(make_primitive(d, ACT_BWD, "act_bwd", 0, &ew, NULL, eltwise_pd, &d->act_bwd, NULL));
    }

    /* Backward: dW = xᵀ·dz and dx = dz·Wᵀ. */
    CHECK(dnnl_matmul_desc_init(&mm, &xt_md, &y_md, NULL, &w_md));
    CHECK(make_primitive(d, BWD_WEIGHTS, "bwd_weights", gemm_flops, &mm, NULL, NULL, &d->bwd_weights, NULL));
    CHECK(dnnl_matmul_desc_init(&mm, &y_md, &wt_md, NULL, &x_md));
    CHECK(make_primitive(d, BWD_DATA, "bwd_data", gemm_flops, &mm, NULL, NULL, &d->bwd_data, NULL));

out:
    set_omp(d->threads);
    if (eltwise_pd) dnnl_primitive_desc_destroy(eltwise_pd);
    if (softmax_pd) dnnl_primitive_desc_destroy(softmax_pd);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (st != DESCENT_OK) release(d);
    return st;
}

int descent_dense_create(descent_ctx *ctx, int batch, int in, int out, int act,
        descent_dense **plan) {
    if (!ctx || !plan) return fail(DESCENT_EINVAL, "create dense plan: NULL argument");
    if (batch < 1 || in < 1 || out < 1)
        return fail(DESCENT_EINVAL, "create dense plan: shape %dx%dx%d, want every size >= 1", batch, in, out);
    if (act < DESCENT_LINEAR || act > DESCENT_SOFTMAX)
        return fail(DESCENT_EINVAL, "create dense plan: unknown activation %d", act);
    descent_dense *d = calloc(1, sizeof *d);
    if (!d) return fail(DESCENT_ENOMEM, "create dense plan: out of memory");
    d->ctx = ctx;
    d->batch = batch;
    d->in = in;
    d->out = out;
    d->act = act;
    snprintf(d->name, sizeof d->name, "dense %dx%dx%d %s", batch, in, out, act_names[act]);
    int st = build(d);
    if (st != DESCENT_OK) {
        free(d);
        return st;
    }
    *plan = d;
    return DESCENT_OK;
}

void descent_dense_destroy(descent_dense *d) {
    if (!d) return;
    release(d);
    free(d);
}

const char *descent_dense_impl(const descent_dense *d) { return d ? d->impl : ""; }

int descent_dense_threads(const descent_dense *d) { return d ? d->threads : 0; }

int descent_dense_team_wanted(const descent_dense *d) {
    return d && 2.0 * d->batch * d->in * d->out >= TEAM_MIN_FLOPS && descent_dnnl_team_wanted();
}

/* prepare applies the thread setting and rebuilds the primitives if it
 * changed since they were made. */
static int prepare(descent_dense *d, const char *op) {
    if (!d) return fail(DESCENT_EINVAL, "%s: NULL plan", op);
    if (apply_threads() != d->threads) return build(d);
    return DESCENT_OK;
}

/* bind points a memory object at a caller's buffer for one call. */
#define BIND(mem, ptr) CHECK(dnnl_memory_set_data_handle((mem), (void *)(ptr)))

/* run executes a slot's primitive on the plan's stream, with the thread
 * count it was made for, and waits for it; with several threads it times
 * the run for the contention guard. */
static dnnl_status_t run(descent_dense *d, enum slot slot, dnnl_primitive_t p, int nargs,
        const dnnl_exec_arg_t *args) {
    const int team = d->nthr[slot] > 1;
    set_omp(d->nthr[slot]);
    long long start = team ? now_ns() : 0;
    dnnl_status_t s = dnnl_primitive_execute(p, d->ctx->stream, nargs, args);
    if (s == dnnl_success) s = dnnl_stream_wait(d->ctx->stream);
    set_omp(d->threads);
    if (s != dnnl_success || !team) return s;
    long long end = now_ns(), t = end - start, *best = &d->best_ns[slot];
    if (*best == 0 || t < *best) *best = t;
    account(end, t, *best);
    return s;
}

int descent_dense_forward(descent_dense *d, const float *x, const float *w,
        const float *b, float *y) {
    int st = prepare(d, "dense forward");
    if (st != DESCENT_OK) return st;
    const char *what = d->name;
    if (!x || !w || !b || !y) return fail(DESCENT_EINVAL, "%s: forward: NULL buffer", what);
    BIND(d->x, x);
    BIND(d->w, w);
    BIND(d->b, b);
    BIND(d->y, y);
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, d->x}, {DNNL_ARG_WEIGHTS, d->w},
            {DNNL_ARG_BIAS, d->b}, {DNNL_ARG_DST, d->y}};
    CHECK(run(d, FWD, d->fwd, 4, args));
    if (d->softmax_fwd) {
        dnnl_exec_arg_t sargs[] = {{DNNL_ARG_SRC, d->y}, {DNNL_ARG_DST, d->y}};
        CHECK(run(d, SOFTMAX_FWD, d->softmax_fwd, 2, sargs));
    }
out:
    return st;
}

int descent_dense_act_backward(descent_dense *d, const float *y, float *dy) {
    int st = prepare(d, "dense activation backward");
    if (st != DESCENT_OK) return st;
    const char *what = d->name;
    if (!y || !dy) return fail(DESCENT_EINVAL, "%s: activation backward: NULL buffer", what);
    if (!d->act_bwd) return DESCENT_OK; /* linear: ∂L/∂z = ∂L/∂y */
    BIND(d->y, y);
    BIND(d->dz, dy);
    /* In place: diff_dst and diff_src are the same memory. */
    dnnl_exec_arg_t args[] = {{DNNL_ARG_DST, d->y}, {DNNL_ARG_DIFF_DST, d->dz},
            {DNNL_ARG_DIFF_SRC, d->dz}};
    CHECK(run(d, ACT_BWD, d->act_bwd, 3, args));
out:
    return st;
}

int descent_dense_backward(descent_dense *d, const float *x, const float *w,
        const float *dz, float *dw, float *db, float *dx) {
    int st = prepare(d, "dense backward");
    if (st != DESCENT_OK) return st;
    const char *what = d->name;
    if (!x || !dz || !dw || !db || (dx && !w))
        return fail(DESCENT_EINVAL, "%s: backward: NULL buffer", what);
    BIND(d->xt, x);
    BIND(d->dz, dz);
    BIND(d->dw, dw);
    dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, d->xt}, {DNNL_ARG_WEIGHTS, d->dz},
            {DNNL_ARG_DST, d->dw}};
    CHECK(run(d, BWD_WEIGHTS, d->bwd_weights, 3, wargs));

    /* db = Σ_rows dz: row by row, so the inner loop is contiguous and
     * vectorises. */
    const int B = d->batch, O = d->out;
    for (int j = 0; j < O; j++) db[j] = 0.0f;
    for (int r = 0; r < B; r++) {
        const float *row = dz + (size_t)r * O;
        for (int j = 0; j < O; j++) db[j] += row[j];
    }

    if (dx) {
        BIND(d->wt, w);
        BIND(d->dx, dx);
        dnnl_exec_arg_t dargs[] = {{DNNL_ARG_SRC, d->dz}, {DNNL_ARG_WEIGHTS, d->wt},
                {DNNL_ARG_DST, d->dx}};
        CHECK(run(d, BWD_DATA, d->bwd_data, 3, dargs));
    }
out:
    return st;
}
