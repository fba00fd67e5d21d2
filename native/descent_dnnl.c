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
 * and db = Σ_rows dz as a plain loop. A forward-only plan (for inference)
 * has the first two only, the softmax made for dnnl_forward_inference.
 *
 * bf16 plans (DESCENT_BF16) convert f32 → bf16 (round to nearest even,
 * as VCVTNEPS2BF16 does) into one buffer the plan owns:
 *
 *   x  (batch,in)  f32 → xb  (batch,in)  bf16    forward, and backward
 *   W  (in,out)    f32 → wb  (in,out)    bf16    forward, and backward (dx)
 *   dz (batch,out) f32 → dzb (batch,out) bf16    backward
 *
 * and the three matmuls read xb (xbᵀ as "ba" for dW), wb (wbᵀ as "ba" for
 * dx) and dzb with f32 bias and f32 dst: oneDNN's bf16 brgemm kernels
 * accumulate in f32, so each output element is one rounding of an f32 sum
 * of exact products of bf16 values. The conversions are a C loop
 * (to_bf16: AVX512-BF16's VCVTNE2PS2BF16, which every CPU with bf16
 * kernels has), not oneDNN reorder primitives: the same values (both round
 * with that instruction), in 10 µs instead of 26 µs for the tutorial's
 * 128×784 x (native/bench/step.c's loop: 18 µs). Weights are converted at
 * every forward: the caller's f32 master weights change every step. The
 * activation post-op, softmax, activation backward and db see f32 values
 * only. A backward converts x and W again, unless the caller passes
 * DESCENT_REUSE_X / DESCENT_REUSE_W (descent_dense_backward_reuse) to say
 * that they are the buffers of the plan's last forward, unchanged since:
 * then it uses the copies that forward made, which the plan marks valid
 * only from a successful forward to the next call that overwrites them (a
 * backward without the flag, a failure, a rebuild).
 *
 * Matmul rather than inner product because it takes W in our (in, out)
 * layout directly, and xᵀ and Wᵀ are the same bytes described with
 * transposed strides (format tag "ba"), so nothing is reordered. On AVX-512
 * CPUs oneDNN 2.6 runs all three on its brgemm kernels, while inner product
 * with weights in "io" falls back to its gemm-based implementation: as fast
 * on the tutorial's 784→128 layer, up to 2x slower on small ones (forward
 * of 128→10: 10.4 vs 5.7 µs), about 2% over a training step
 * (native/bench/ip_vs_matmul.c, bench/RESULTS.md).
 *
 * Memory objects are created once without a buffer (DNNL_MEMORY_NONE); each
 * call binds the caller's pointers with dnnl_memory_set_data_handle, executes,
 * waits for the stream and sets every handle back to DNNL_MEMORY_NONE before
 * returning, so nothing is allocated per call and no caller's pointer is
 * left in a memory object after a call returns (the Go binding passes Go
 * memory, which C must not keep).
 *
 * Concurrency. Different plans may run at the same time on different
 * threads; one plan is used by one thread at a time. What makes that safe:
 *
 *   - Scratchpad. oneDNN's default scratchpad mode ("library") shares one
 *     scratchpad between primitives unless the library was built with
 *     DNNL_ENABLE_CONCURRENT_EXEC, and then "primitives can be created and
 *     executed in parallel but cannot migrate between threads (each
 *     primitive should be executed in the same thread it was created in)"
 *     (oneDNN developer guide, dnnl_scratchpad_mode_t; the failure mode is
 *     oneDNN issue #1385, a crash executing on another thread). Debian's
 *     build does not say which it is, and a Go goroutine moves between OS
 *     threads, so every primitive here is made with
 *     dnnl_scratchpad_mode_user: each plan owns one scratchpad buffer, as
 *     large as the largest its primitives ask for (dnnl_query_scratchpad_md),
 *     and passes it as DNNL_ARG_SCRATCHPAD. The guide: user mode "is
 *     thread-safe as long as the scratchpad buffers are not used
 *     concurrently by two primitive executions", which a plan's one user at
 *     a time guarantees; its primitives run one after the other, so they
 *     share the buffer.
 *   - Streams. Each plan has a stream of its own. A CPU stream in oneDNN
 *     v2 is a thin execution context (oneDNN's maintainers, issue #779:
 *     engines and streams "are cheap to create", a CPU engine can be shared
 *     across threads), but the API documents no thread-safety for a stream
 *     shared by concurrent executions, so none is shared. The engine is
 *     shared by every plan of a context, which is what oneDNN supports.
 *   - Lifetime. Primitives and memory objects keep their engine, so a plan
 *     holds a reference to its context; the context (the engine) is freed
 *     when the context and all its plans are destroyed, in any order.
 *   - Errors. A plan keeps its last failure's message (descent_dense_error),
 *     so a caller need not read the thread-local message on the same thread.
 *
 * The one process-wide piece of state calls write is the contention guard's
 * debt (below), only from primitives run on an OpenMP team, atomics all.
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

#include <pthread.h>
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

/* The number of threads oneDNN runs with: 1 until set (a static initial
 * value, so no call is needed to make the default hold). */
static atomic_int threads_setting = 1;

int descent_dnnl_set_threads(int n) {
    if (n < 1) return fail(DESCENT_EINVAL, "set threads: n = %d, want >= 1", n);
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
    atomic_store(&threads_setting, n); /* each entry point applies it to its thread */
    return DESCENT_OK;
#else
    return fail(DESCENT_ENOTSUP, "set threads: oneDNN was not built with OpenMP");
#endif
}

int descent_dnnl_threads(void) { return atomic_load(&threads_setting); }

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
    if (n > 0 && omp_get_max_threads() != n) omp_set_num_threads(n);
#else
    (void)n;
#endif
}

/* omp_saved is the calling thread's OpenMP thread count, which every entry
 * point that changes it puts back (set_omp) before returning: the caller's
 * thread may run other OpenMP code, and descent must not leave its setting
 * there. */
static int omp_saved(void) {
#if DNNL_CPU_THREADING_RUNTIME == DNNL_RUNTIME_OMP
    return omp_get_max_threads();
#else
    return 0;
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
    set_omp(n);
    return n;
#else
    return 1;
#endif
}

/* The version string is written once (pthread_once), so that concurrent
 * callers never write the buffer another is reading. */
static char version[160];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void make_version(void) {
    const dnnl_version_t *v = dnnl_version();
    const char *rt = v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP"
            : v->cpu_runtime == DNNL_RUNTIME_TBB        ? "TBB"
            : v->cpu_runtime == DNNL_RUNTIME_SEQ        ? "sequential"
                                                        : "other";
    snprintf(version, sizeof version, "oneDNN v%d.%d.%d (CPU runtime %s, ISA %s)",
            v->major, v->minor, v->patch, rt,
            dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()));
}

const char *descent_dnnl_version(void) {
    pthread_once(&version_once, make_version);
    return version;
}

/* ---- context ----------------------------------------------------------- */

/* A context is the oneDNN engine every plan made on it shares. It is
 * reference-counted: descent_ctx_create holds one reference and each plan
 * another, so whichever of descent_ctx_destroy and the plans'
 * descent_dense_destroy comes last frees the engine. */
struct descent_ctx {
    atomic_int refs;
    dnnl_engine_t engine;
};

static void ctx_release(descent_ctx *c) {
    if (atomic_fetch_sub(&c->refs, 1) != 1) return;
    if (c->engine) dnnl_engine_destroy(c->engine);
    free(c);
}

int descent_ctx_create(descent_ctx **ctx) {
    const char *what = "create context";
    int st = DESCENT_OK;
    if (!ctx) return fail(DESCENT_EINVAL, "%s: NULL", what);
    descent_ctx *c = calloc(1, sizeof *c);
    if (!c) return fail(DESCENT_ENOMEM, "%s: out of memory", what);
    atomic_init(&c->refs, 1);
    CHECK(dnnl_engine_create(&c->engine, dnnl_cpu, 0));
    *ctx = c;
    return DESCENT_OK;
out:
    ctx_release(c);
    return st;
}

void descent_ctx_destroy(descent_ctx *c) {
    if (c) ctx_release(c);
}

/* ---- GEMM -------------------------------------------------------------- */

int descent_sgemm(int trans_a, int trans_b, long m, long n, long k,
        float alpha, const float *a, long lda, const float *b, long ldb,
        float beta, float *c, long ldc) {
    int saved = omp_saved(), st = DESCENT_OK;
    apply_threads();
    if (m > 0 && n > 0 && k == 0 && c && ldc >= n) {
        /* oneDNN 2.6 returns early when k = 0 and leaves C unscaled; BLAS
         * computes C = beta·C (and C = 0 when beta = 0, even over NaN). */
        for (long i = 0; i < m; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    } else {
        dnnl_status_t s = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m,
                n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        if (s != dnnl_success)
            st = fail((int)s, "sgemm %c%c m=%ld n=%ld k=%ld lda=%ld ldb=%ld ldc=%ld: %s",
                    trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, lda, ldb,
                    ldc, dnnl_status2str(s));
    }
    set_omp(saved);
    return st;
}

/* ---- dense plans ------------------------------------------------------- */

/* The plan's primitives, for per-primitive thread counts, timings and
 * scratchpads. */
enum slot { FWD, SOFTMAX_FWD, ACT_BWD, BWD_WEIGHTS, BWD_DATA, NSLOTS };

/* A bf16 plan's own memory objects, over its bf16 buffer (bound for the
 * plan's life: they never point at a caller's memory). */
enum bmem { B_X, B_XT, B_W, B_WT, B_DZ, NBMEMS };

/* The plan's memory objects: the caller's buffers, bound per call. */
enum mem { M_X, M_XT, M_W, M_WT, M_B, M_Y, M_DZ, M_DW, M_DX, NMEMS };

struct descent_dense {
    descent_ctx *ctx;      /* a reference, dropped by descent_dense_destroy */
    dnnl_stream_t stream;  /* the plan's own (see Concurrency above) */
    int batch, in, out, act;
    int forward_only;      /* no backward primitives or memory objects */
    int precision;         /* a descent_precision */
    int threads;           /* the thread count the primitives were made for */
    /* Contention guard: the best time of each primitive with best_threads
     * > 1 threads, 0 until measured. */
    int best_threads;
    long long best_ns[NSLOTS];
    int nthr[NSLOTS];      /* each primitive's thread count: threads or 1 */
    /* A failed build leaves the primitives destroyed; the plan is broken
     * from then on and every call fails with DESCENT_EBROKEN and this. */
    int broken;
    char broken_msg[512];
    int fail_builds;       /* descent_dense_fail_next_builds (tests) */
    char name[96];         /* "dense 128x784x128 sigmoid", for messages */
    char impl[640];
    char error[512];       /* the message of the plan's last failure */

    dnnl_primitive_t prim[NSLOTS];
    dnnl_memory_t mem[NMEMS];  /* without buffers between calls */
    /* User-mode scratchpad: one buffer for all primitives (they run one at
     * a time), seen by each through a memory object of its own descriptor;
     * NULL where a primitive needs none. */
    void *pad_buf;
    dnnl_memory_t pad[NSLOTS];
    /* bf16 plans: xb (batch·in), wb (in·out), dzb (batch·out) bf16 values,
     * each at a 64-byte aligned offset of one allocation; NULL for f32. */
    void *bf_buf;
    uint16_t *xb, *wb, *dzb; /* into bf_buf: the bytes bmem describe */
    dnnl_memory_t bmem[NBMEMS];
    /* Whether xb and wb hold the bf16 copies of the last forward's x and W
     * (see DESCENT_REUSE_X): set by a successful forward, cleared by any
     * call or rebuild that overwrites them or fails. */
    int xb_fwd, wb_fwd;
};

static const char *act_names[] = {"linear", "sigmoid", "tanh", "relu", "softmax"};
static const char *slot_names[] = {"fwd", "softmax", "act_bwd", "bwd_weights", "bwd_data"};

/* md2_dt describes a rows×cols matrix of dt: tag dnnl_ab is row-major,
 * dnnl_ba the transpose of a row-major cols×rows matrix (same bytes). */
static dnnl_status_t md2_dt(dnnl_memory_desc_t *md, int rows, int cols, dnnl_data_type_t dt,
        dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {rows, cols};
    return dnnl_memory_desc_init_by_tag(md, 2, dims, dt, tag);
}

/* md2 is md2_dt for a float32 matrix. */
static dnnl_status_t md2(dnnl_memory_desc_t *md, int rows, int cols, dnnl_format_tag_t tag) {
    return md2_dt(md, rows, cols, dnnl_f32, tag);
}

/* md2_bf16 is md2_dt for a bfloat16 matrix. */
static dnnl_status_t md2_bf16(dnnl_memory_desc_t *md, int rows, int cols, dnnl_format_tag_t tag) {
    return md2_dt(md, rows, cols, dnnl_bf16, tag);
}

int descent_dnnl_bf16_isa(void) {
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return isa == dnnl_cpu_isa_avx512_core_bf16 || isa == dnnl_cpu_isa_avx512_core_amx;
}

/* ---- f32 → bf16 -------------------------------------------------------- */

/* to_bf16_scalar rounds n floats to bf16 as VCVTNEPS2BF16 does: to nearest,
 * ties to even; denormal inputs as zero of their sign (the instruction
 * implies DAZ; no normal input rounds to a bf16 denormal); NaN stays NaN,
 * quieted, keeping the sign and the payload's top bits. The reference the
 * vector kernel is tested against, and the fallback where it cannot run. */
static void to_bf16_scalar(uint16_t *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], sizeof u);
        if ((u & 0x7fffffffu) > 0x7f800000u)
            dst[i] = (uint16_t)((u >> 16) | 0x40); /* NaN, quieted */
        else if ((u & 0x7f800000u) == 0)
            dst[i] = (uint16_t)((u >> 16) & 0x8000); /* zero or denormal: ±0 */
        else
            dst[i] = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
    }
}

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define HAVE_BF16_VECTOR 1
/* to_bf16_avx512 is to_bf16_scalar on AVX512-BF16 (with AVX512-BW/VL for
 * the masked tail): 32 values per VCVTNE2PS2BF16. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static void to_bf16_avx512(
        uint16_t *dst, const float *src, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)v);
    }
    for (; i < n; i += 16) {
        size_t r = n - i;
        __mmask16 m = r >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << r) - 1);
        __m256bh v = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
        _mm256_mask_storeu_epi16((void *)(dst + i), m, (__m256i)v);
    }
}
#endif

/* bf16_vector is whether this CPU runs to_bf16_avx512 (CPUID, read once
 * by GCC's runtime; no state of ours). */
static int bf16_vector(void) {
#ifdef HAVE_BF16_VECTOR
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

static const char *bf16_kernel_name(void) { return bf16_vector() ? "avx512_bf16" : "scalar"; }

/* to_bf16 converts n floats with the vector kernel where the CPU has it. */
static void to_bf16(uint16_t *dst, const float *src, size_t n) {
#ifdef HAVE_BF16_VECTOR
    if (bf16_vector()) {
        to_bf16_avx512(dst, src, n);
        return;
    }
#endif
    to_bf16_scalar(dst, src, n);
}

int descent_dnnl_to_bf16(uint16_t *dst, const float *src, size_t n, int vector) {
    if (!vector) {
        to_bf16_scalar(dst, src, n);
        return DESCENT_OK;
    }
    if (!bf16_vector()) return fail(DESCENT_ENOTSUP, "to_bf16: this CPU has no AVX512-BF16");
#ifdef HAVE_BF16_VECTOR
    to_bf16_avx512(dst, src, n);
#endif
    return DESCENT_OK;
}

/* release destroys what build made (the stream and context stay). */
static void release(descent_dense *d) {
    for (int i = 0; i < NSLOTS; i++) {
        if (d->prim[i]) dnnl_primitive_destroy(d->prim[i]);
        if (d->pad[i]) dnnl_memory_destroy(d->pad[i]);
        d->prim[i] = NULL;
        d->pad[i] = NULL;
    }
    for (int i = 0; i < NMEMS; i++) {
        if (d->mem[i]) dnnl_memory_destroy(d->mem[i]);
        d->mem[i] = NULL;
    }
    for (int i = 0; i < NBMEMS; i++) {
        if (d->bmem[i]) dnnl_memory_destroy(d->bmem[i]);
        d->bmem[i] = NULL;
    }
    free(d->pad_buf);
    d->pad_buf = NULL;
    free(d->bf_buf);
    d->bf_buf = NULL;
    d->xb = d->wb = d->dzb = NULL;
    d->xb_fwd = d->wb_fwd = 0;
}

/* append_impl_str adds "label impl" to d->impl, "; "-separated. */
static void append_impl_str(descent_dense *d, const char *label, const char *impl) {
    size_t used = strlen(d->impl);
    snprintf(d->impl + used, sizeof d->impl - used, "%s%s %s", used ? "; " : "", label, impl);
}

/* append_impl adds "label impl-name; " to d->impl. */
static void append_impl(descent_dense *d, const char *label, const_dnnl_primitive_desc_t pd) {
    const char *s = "?";
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success) s = "?";
    append_impl_str(d, label, s);
}

/* make_primitive creates the primitive of a slot from an op descriptor, for
 * the plan's team if it does at least TEAM_MIN_FLOPS of work, else for one
 * thread, records its implementation and copies its scratchpad descriptor
 * into pad_md[slot] (attr must ask for a user scratchpad); *pd_out, when not
 * NULL, receives the primitive descriptor (the caller destroys it), else it
 * is destroyed here. */
static dnnl_status_t make_primitive(descent_dense *d, enum slot slot, double flops,
        const_dnnl_op_desc_t desc, const_dnnl_primitive_attr_t attr,
        const_dnnl_primitive_desc_t hint, dnnl_memory_desc_t *pad_md,
        dnnl_primitive_desc_t *pd_out) {
    d->nthr[slot] = flops >= TEAM_MIN_FLOPS ? d->threads : 1;
    set_omp(d->nthr[slot]); /* oneDNN sizes its work split at creation */
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = dnnl_primitive_desc_create(&pd, desc, attr, d->ctx->engine, hint);
    if (s != dnnl_success) return s;
    append_impl(d, slot_names[slot], pd);
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (md) pad_md[slot] = *md;
    s = dnnl_primitive_create(&d->prim[slot], pd);
    if (pd_out && s == dnnl_success)
        *pd_out = pd;
    else
        dnnl_primitive_desc_destroy(pd);
    return s;
}

/* bf16_bytes64 is the bytes of n bf16 values rounded up to 64, so that
 * each of a plan's bf16 buffers starts 64-byte aligned. */
static size_t bf16_bytes64(size_t n) { return (n * sizeof(uint16_t) + 63) / 64 * 64; }

/* make_bf16_buffers allocates a bf16 plan's buffer and its memory objects:
 * xb (batch,in) with its transpose view xbᵀ (in,batch) "ba", wb (in,out)
 * with wbᵀ (out,in) "ba", and dzb (batch,out). A forward-only plan has xb
 * and wb only. */
static int make_bf16_buffers(descent_dense *d, const dnnl_memory_desc_t *bmds) {
    const char *what = d->name;
    int st = DESCENT_OK;
    const size_t B = (size_t)d->batch, I = (size_t)d->in, O = (size_t)d->out;
    const size_t nx = bf16_bytes64(B * I), nw = bf16_bytes64(I * O),
                 ndz = d->forward_only ? 0 : bf16_bytes64(B * O);
    d->bf_buf = aligned_alloc(64, nx + nw + ndz);
    if (!d->bf_buf) return fail(DESCENT_ENOMEM, "%s: bf16 buffers of %zu bytes: out of memory", what, nx + nw + ndz);
    char *base = d->bf_buf;
    d->xb = (uint16_t *)base;
    d->wb = (uint16_t *)(base + nx);
    d->dzb = d->forward_only ? NULL : (uint16_t *)(base + nx + nw);
    void *at[NBMEMS] = {[B_X] = base, [B_XT] = base, [B_W] = base + nx, [B_WT] = base + nx, [B_DZ] = base + nx + nw};
    for (int i = 0; i < NBMEMS; i++) {
        if (d->forward_only && (i == B_XT || i == B_WT || i == B_DZ)) continue;
        CHECK(dnnl_memory_create(&d->bmem[i], &bmds[i], d->ctx->engine, at[i]));
    }
out:
    return st;
}

/* make_scratchpad allocates the plan's scratchpad, the largest any of its
 * primitives asked for, and a memory object over it for each primitive that
 * needs one. */
static int make_scratchpad(descent_dense *d, const dnnl_memory_desc_t *pad_md) {
    const char *what = d->name;
    int st = DESCENT_OK;
    size_t size = 0;
    for (int i = 0; i < NSLOTS; i++) {
        size_t s = dnnl_memory_desc_get_size(&pad_md[i]);
        if (s > size) size = s;
    }
    if (size == 0) return DESCENT_OK;
    /* 64-byte aligned, as oneDNN allocates its own. */
    d->pad_buf = aligned_alloc(64, (size + 63) / 64 * 64);
    if (!d->pad_buf) return fail(DESCENT_ENOMEM, "%s: scratchpad of %zu bytes: out of memory", what, size);
    for (int i = 0; i < NSLOTS; i++)
        if (dnnl_memory_desc_get_size(&pad_md[i]) > 0)
            CHECK(dnnl_memory_create(&d->pad[i], &pad_md[i], d->ctx->engine, d->pad_buf));
out:
    return st;
}

/* build creates the plan's primitives, scratchpad and memory objects for
 * the current thread count. On failure everything it made is released. */
static int build(descent_dense *d) {
    const char *what = d->name;
    int st = DESCENT_OK;
    const int B = d->batch, I = d->in, O = d->out;
    const double gemm_flops = 2.0 * B * I * O; /* each of the three GEMMs */
    dnnl_primitive_attr_t attr = NULL, fwd_attr = NULL;
    dnnl_post_ops_t post_ops = NULL;
    dnnl_primitive_desc_t softmax_pd = NULL, eltwise_pd = NULL;
    dnnl_memory_desc_t pad_md[NSLOTS];
    memset(pad_md, 0, sizeof pad_md); /* a zero descriptor has size 0 */

    release(d);
    d->impl[0] = '\0';
    d->threads = apply_threads();
    if (d->threads > 1 && d->threads != d->best_threads) {
        memset(d->best_ns, 0, sizeof d->best_ns);
        d->best_threads = d->threads;
    }
    if (d->fail_builds > 0) {
        d->fail_builds--;
        st = fail((int)dnnl_out_of_memory, "%s: build: injected failure (descent_dense_fail_next_builds): %s",
                what, dnnl_status2str(dnnl_out_of_memory));
        goto out;
    }

    dnnl_memory_desc_t x_md, xt_md, w_md, wt_md, b_md, y_md;
    CHECK(md2(&x_md, B, I, dnnl_ab));  /* x  (batch, in) */
    CHECK(md2(&xt_md, I, B, dnnl_ba)); /* xᵀ (in, batch), the bytes of x */
    CHECK(md2(&w_md, I, O, dnnl_ab));  /* W  (in, out) */
    CHECK(md2(&wt_md, O, I, dnnl_ba)); /* Wᵀ (out, in), the bytes of W */
    CHECK(md2(&b_md, 1, O, dnnl_ab));  /* b  (1, out), broadcast over rows */
    CHECK(md2(&y_md, B, O, dnnl_ab));  /* y, dy, dz (batch, out) */

    const dnnl_memory_desc_t *mds[NMEMS] = {
        [M_X] = &x_md, [M_XT] = &xt_md, [M_W] = &w_md, [M_WT] = &wt_md, [M_B] = &b_md,
        [M_Y] = &y_md, [M_DZ] = &y_md, [M_DW] = &w_md, [M_DX] = &x_md};
    const int n_mems = d->forward_only ? M_Y + 1 : NMEMS;
    for (int i = 0; i < n_mems; i++) {
        if (d->forward_only && (i == M_XT || i == M_WT)) continue;
        CHECK(dnnl_memory_create(&d->mem[i], mds[i], d->ctx->engine, DNNL_MEMORY_NONE));
    }

    /* bf16: the GEMMs' inputs are the plan's bf16 copies; for f32 these
     * pointers are the f32 descriptors above, so nothing changes. */
    const int bf16 = d->precision == DESCENT_BF16;
    dnnl_memory_desc_t bmds[NBMEMS];
    const dnnl_memory_desc_t *gx = &x_md, *gxt = &xt_md, *gw = &w_md, *gwt = &wt_md, *gdz = &y_md;
    if (bf16) {
        CHECK(md2_bf16(&bmds[B_X], B, I, dnnl_ab));  /* xb  (batch, in) */
        CHECK(md2_bf16(&bmds[B_XT], I, B, dnnl_ba)); /* xbᵀ (in, batch), the bytes of xb */
        CHECK(md2_bf16(&bmds[B_W], I, O, dnnl_ab));  /* wb  (in, out) */
        CHECK(md2_bf16(&bmds[B_WT], O, I, dnnl_ba)); /* wbᵀ (out, in), the bytes of wb */
        CHECK(md2_bf16(&bmds[B_DZ], B, O, dnnl_ab)); /* dzb (batch, out) */
        if ((st = make_bf16_buffers(d, bmds)) != DESCENT_OK) goto out;
        gx = &bmds[B_X], gxt = &bmds[B_XT], gw = &bmds[B_W], gwt = &bmds[B_WT], gdz = &bmds[B_DZ];
    }

    /* Every primitive gets a user-mode scratchpad (see Concurrency above). */
    CHECK(dnnl_primitive_attr_create(&attr));
    CHECK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    CHECK(dnnl_primitive_attr_clone(&fwd_attr, attr));

    /* Forward: matmul + bias + activation post-op. */
    dnnl_alg_kind_t fwd_alg = dnnl_alg_kind_undef, bwd_alg = dnnl_alg_kind_undef;
    switch (d->act) {
    case DESCENT_SIGMOID: fwd_alg = dnnl_eltwise_logistic; bwd_alg = dnnl_eltwise_logistic_use_dst_for_bwd; break;
    case DESCENT_TANH: fwd_alg = dnnl_eltwise_tanh; bwd_alg = dnnl_eltwise_tanh_use_dst_for_bwd; break;
    case DESCENT_RELU: fwd_alg = dnnl_eltwise_relu; bwd_alg = dnnl_eltwise_relu_use_dst_for_bwd; break;
    }
    if (fwd_alg != dnnl_alg_kind_undef) {
        CHECK(dnnl_post_ops_create(&post_ops));
        CHECK(dnnl_post_ops_append_eltwise(post_ops, 1.0f, fwd_alg, 0.0f, 0.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(fwd_attr, post_ops));
    }
    dnnl_matmul_desc_t mm;
    CHECK(dnnl_matmul_desc_init(&mm, gx, gw, &b_md, &y_md));
    CHECK(make_primitive(d, FWD, gemm_flops, &mm, fwd_attr, NULL, pad_md, NULL));
    if (bf16) append_impl_str(d, "to_bf16", bf16_kernel_name());

    if (d->act == DESCENT_SOFTMAX) {
        dnnl_softmax_desc_t sm;
        const dnnl_prop_kind_t prop = d->forward_only ? dnnl_forward_inference : dnnl_forward_training;
        CHECK(dnnl_softmax_forward_desc_init(&sm, prop, &y_md, 1));
        CHECK(make_primitive(d, SOFTMAX_FWD, 0, &sm, attr, NULL, pad_md, &softmax_pd));
        if (!d->forward_only) {
            CHECK(dnnl_softmax_backward_desc_init(&sm, &y_md, &y_md, 1));
            CHECK(make_primitive(d, ACT_BWD, 0, &sm, attr, softmax_pd, pad_md, NULL));
        }
    }
    if (d->forward_only) goto scratchpad;

    /* Activation backward from y. */
    if (bwd_alg != dnnl_alg_kind_undef) {
        /* The forward descriptor only serves as the backward's hint. */
        dnnl_eltwise_desc_t ew;
        CHECK(dnnl_eltwise_forward_desc_init(&ew, dnnl_forward_training, bwd_alg, &y_md, 0.0f, 0.0f));
        CHECK(dnnl_primitive_desc_create(&eltwise_pd, &ew, attr, d->ctx->engine, NULL));
        CHECK(dnnl_eltwise_backward_desc_init(&ew, bwd_alg, &y_md, &y_md, 0.0f, 0.0f));
        CHECK(make_primitive(d, ACT_BWD, 0, &ew, attr, eltwise_pd, pad_md, NULL));
    }

    /* Backward: dW = xᵀ·dz and dx = dz·Wᵀ. */
    CHECK(dnnl_matmul_desc_init(&mm, gxt, gdz, NULL, &w_md));
    CHECK(make_primitive(d, BWD_WEIGHTS, gemm_flops, &mm, attr, NULL, pad_md, NULL));
    CHECK(dnnl_matmul_desc_init(&mm, gdz, gwt, NULL, &x_md));
    CHECK(make_primitive(d, BWD_DATA, gemm_flops, &mm, attr, NULL, pad_md, NULL));

scratchpad:
    st = make_scratchpad(d, pad_md);
out:
    if (eltwise_pd) dnnl_primitive_desc_destroy(eltwise_pd);
    if (softmax_pd) dnnl_primitive_desc_destroy(softmax_pd);
    if (post_ops) dnnl_post_ops_destroy(post_ops);
    if (fwd_attr) dnnl_primitive_attr_destroy(fwd_attr);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (st != DESCENT_OK) release(d);
    return st;
}

static int create(descent_ctx *ctx, int batch, int in, int out, int act, int forward_only,
        int precision, descent_dense **plan) {
    const char *what = forward_only ? "create forward-only dense plan" : "create dense plan";
    if (!ctx || !plan) return fail(DESCENT_EINVAL, "%s: NULL argument", what);
    if (precision != DESCENT_F32 && precision != DESCENT_BF16)
        return fail(DESCENT_EINVAL, "%s: unknown precision %d", what, precision);
    if (precision == DESCENT_BF16 && !descent_dnnl_bf16_isa())
        return fail(DESCENT_ENOTSUP,
                "%s: bf16 needs oneDNN kernels for AVX512-BF16 or AMX, and oneDNN's effective ISA here "
                "(dnnl_get_effective_cpu_isa, capped by ONEDNN_MAX_CPU_ISA) is 0x%x, which has neither",
                what, (unsigned)dnnl_get_effective_cpu_isa());
    if (batch < 1 || in < 1 || out < 1)
        return fail(DESCENT_EINVAL, "%s: shape %dx%dx%d, want every size >= 1", what, batch, in, out);
    if (act < DESCENT_LINEAR || act > DESCENT_SOFTMAX)
        return fail(DESCENT_EINVAL, "%s: unknown activation %d", what, act);
    descent_dense *d = calloc(1, sizeof *d);
    if (!d) return fail(DESCENT_ENOMEM, "%s: out of memory", what);
    int st = DESCENT_OK, saved = omp_saved();
    atomic_fetch_add(&ctx->refs, 1);
    d->ctx = ctx;
    d->batch = batch;
    d->in = in;
    d->out = out;
    d->act = act;
    d->forward_only = forward_only;
    d->precision = precision;
    snprintf(d->name, sizeof d->name, "dense %dx%dx%d %s%s%s", batch, in, out, act_names[act],
            precision == DESCENT_BF16 ? " bf16" : "", forward_only ? " (forward only)" : "");
    CHECK(dnnl_stream_create(&d->stream, ctx->engine, dnnl_stream_default_flags));
    st = build(d);
out:
    set_omp(saved);
    if (st != DESCENT_OK) {
        descent_dense_destroy(d);
        return st;
    }
    *plan = d;
    return DESCENT_OK;
}

int descent_dense_create(descent_ctx *ctx, int batch, int in, int out, int act,
        descent_dense **plan) {
    return create(ctx, batch, in, out, act, 0, DESCENT_F32, plan);
}

int descent_dense_create_forward(descent_ctx *ctx, int batch, int in, int out, int act,
        descent_dense **plan) {
    return create(ctx, batch, in, out, act, 1, DESCENT_F32, plan);
}

int descent_dense_create_prec(descent_ctx *ctx, int batch, int in, int out, int act,
        int forward_only, int precision, descent_dense **plan) {
    return create(ctx, batch, in, out, act, forward_only != 0, precision, plan);
}

void descent_dense_destroy(descent_dense *d) {
    if (!d) return;
    release(d);
    if (d->stream) dnnl_stream_destroy(d->stream);
    ctx_release(d->ctx);
    free(d);
}

const char *descent_dense_impl(const descent_dense *d) { return d ? d->impl : ""; }

const char *descent_dense_error(const descent_dense *d) { return d ? d->error : ""; }

int descent_dense_threads(const descent_dense *d) { return d ? d->threads : 0; }

int descent_dense_team_wanted(const descent_dense *d) {
    return d && 2.0 * d->batch * d->in * d->out >= TEAM_MIN_FLOPS && descent_dnnl_team_wanted();
}

void descent_dense_fail_next_builds(descent_dense *d, int n) {
    if (d) d->fail_builds = n > 0 ? n : 0;
}

int descent_dense_bound_buffers(const descent_dense *d) {
    int n = 0;
    for (int i = 0; d && i < NMEMS; i++) {
        void *h = NULL;
        if (d->mem[i] && dnnl_memory_get_data_handle(d->mem[i], &h) == dnnl_success && h) n++;
    }
    return n;
}

size_t descent_dense_scratchpad_size(const descent_dense *d) {
    size_t size = 0;
    for (int i = 0; d && i < NSLOTS; i++) {
        const dnnl_memory_desc_t *md = NULL;
        if (d->pad[i] && dnnl_memory_get_memory_desc(d->pad[i], &md) == dnnl_success) {
            size_t s = dnnl_memory_desc_get_size(md);
            if (s > size) size = s;
        }
    }
    return size;
}

/* prepare fails for a broken plan, applies the thread setting and rebuilds
 * the primitives if it changed since they were made; a failed rebuild
 * breaks the plan. */
static int prepare(descent_dense *d, const char *op) {
    if (d->broken)
        return fail(DESCENT_EBROKEN, "%s: %s: the plan is broken by an earlier failed build: %s",
                d->name, op, d->broken_msg);
    if (apply_threads() == d->threads) return DESCENT_OK;
    int st = build(d);
    if (st != DESCENT_OK) {
        d->broken = 1;
        snprintf(d->broken_msg, sizeof d->broken_msg, "%s", last_error);
    }
    return st;
}

/* finish ends an entry point: it sets every memory object's handle back to
 * DNNL_MEMORY_NONE (so no caller's pointer stays in C), puts back the
 * caller's OpenMP thread count and keeps a failure's message in the plan. */
static int finish(descent_dense *d, int st, int saved_omp) {
    for (int i = 0; i < NMEMS; i++)
        if (d->mem[i]) dnnl_memory_set_data_handle(d->mem[i], DNNL_MEMORY_NONE);
    set_omp(saved_omp);
    if (st != DESCENT_OK) {
        snprintf(d->error, sizeof d->error, "%s", last_error);
        d->xb_fwd = d->wb_fwd = 0;
    }
    return st;
}

/* bind points a memory object at a caller's buffer for one call. */
#define BIND(slot, ptr) CHECK(dnnl_memory_set_data_handle(d->mem[slot], (void *)(ptr)))

/* run executes a slot's primitive with its scratchpad on the plan's stream,
 * with the thread count it was made for, and waits for it; with several
 * threads it times the run for the contention guard. */
static dnnl_status_t run(descent_dense *d, enum slot slot, int nargs, const dnnl_exec_arg_t *args) {
    dnnl_exec_arg_t all[8];
    memcpy(all, args, (size_t)nargs * sizeof *args);
    if (d->pad[slot]) all[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, d->pad[slot]};
    const int team = d->nthr[slot] > 1;
    set_omp(d->nthr[slot]);
    long long start = team ? now_ns() : 0;
    dnnl_status_t s = dnnl_primitive_execute(d->prim[slot], d->stream, nargs, all);
    if (s == dnnl_success) s = dnnl_stream_wait(d->stream);
    set_omp(d->threads);
    if (s != dnnl_success || !team) return s;
    long long end = now_ns(), t = end - start, *best = &d->best_ns[slot];
    if (*best == 0 || t < *best) *best = t;
    account(end, t, *best);
    return s;
}

int descent_dense_forward(descent_dense *d, const float *x, const float *w,
        const float *b, float *y) {
    if (!d) return fail(DESCENT_EINVAL, "dense forward: NULL plan");
    const char *what = d->name;
    int saved = omp_saved();
    int st = prepare(d, "forward");
    if (st != DESCENT_OK) goto out;
    if (!x || !w || !b || !y) {
        st = fail(DESCENT_EINVAL, "%s: forward: NULL buffer", what);
        goto out;
    }
    BIND(M_X, x);
    BIND(M_W, w);
    BIND(M_B, b);
    BIND(M_Y, y);
    dnnl_memory_t gx = d->mem[M_X], gw = d->mem[M_W];
    const int bf16 = d->precision == DESCENT_BF16;
    if (bf16) { /* x → xb, W → wb */
        d->xb_fwd = d->wb_fwd = 0;
        gx = d->bmem[B_X];
        gw = d->bmem[B_W];
        to_bf16(d->xb, x, (size_t)d->batch * d->in);
        to_bf16(d->wb, w, (size_t)d->in * d->out);
    }
    dnnl_exec_arg_t args[] = {{DNNL_ARG_SRC, gx}, {DNNL_ARG_WEIGHTS, gw},
            {DNNL_ARG_BIAS, d->mem[M_B]}, {DNNL_ARG_DST, d->mem[M_Y]}};
    CHECK(run(d, FWD, 4, args));
    if (d->prim[SOFTMAX_FWD]) {
        dnnl_exec_arg_t sargs[] = {{DNNL_ARG_SRC, d->mem[M_Y]}, {DNNL_ARG_DST, d->mem[M_Y]}};
        CHECK(run(d, SOFTMAX_FWD, 2, sargs));
    }
    if (bf16) d->xb_fwd = d->wb_fwd = 1;
out:
    return finish(d, st, saved);
}

int descent_dense_act_backward(descent_dense *d, const float *y, float *dy) {
    if (!d) return fail(DESCENT_EINVAL, "dense activation backward: NULL plan");
    const char *what = d->name;
    int saved = omp_saved(), st = DESCENT_OK;
    if (d->forward_only) {
        st = fail(DESCENT_EINVAL, "%s: activation backward: a forward-only plan has no backward pass", what);
        goto out;
    }
    if ((st = prepare(d, "activation backward")) != DESCENT_OK) goto out;
    if (!y || !dy) {
        st = fail(DESCENT_EINVAL, "%s: activation backward: NULL buffer", what);
        goto out;
    }
    if (d->act == DESCENT_LINEAR) goto out; /* ∂L/∂z = ∂L/∂y */
    BIND(M_Y, y);
    BIND(M_DZ, dy);
    /* In place: diff_dst and diff_src are the same memory. */
    dnnl_exec_arg_t args[] = {{DNNL_ARG_DST, d->mem[M_Y]}, {DNNL_ARG_DIFF_DST, d->mem[M_DZ]},
            {DNNL_ARG_DIFF_SRC, d->mem[M_DZ]}};
    CHECK(run(d, ACT_BWD, 3, args));
out:
    return finish(d, st, saved);
}

int descent_dense_backward(descent_dense *d, const float *x, const float *w,
        const float *dz, float *dw, float *db, float *dx) {
    return descent_dense_backward_reuse(d, x, w, dz, dw, db, dx, 0);
}

int descent_dense_backward_reuse(descent_dense *d, const float *x, const float *w,
        const float *dz, float *dw, float *db, float *dx, int reuse) {
    if (!d) return fail(DESCENT_EINVAL, "dense backward: NULL plan");
    const char *what = d->name;
    int saved = omp_saved(), st = DESCENT_OK;
    if (d->forward_only) {
        st = fail(DESCENT_EINVAL, "%s: backward: a forward-only plan has no backward pass", what);
        goto out;
    }
    if ((st = prepare(d, "backward")) != DESCENT_OK) goto out;
    if (!x || !dz || !dw || !db || (dx && !w)) {
        st = fail(DESCENT_EINVAL, "%s: backward: NULL buffer", what);
        goto out;
    }
    const int bf16 = d->precision == DESCENT_BF16;
    const int B = d->batch, O = d->out;
    BIND(M_DZ, dz);
    BIND(M_DW, dw);
    dnnl_memory_t gxt = d->mem[M_XT], gdz = d->mem[M_DZ];
    if (bf16) { /* x → xb (read as xbᵀ) unless the forward's copy serves, dz → dzb */
        gxt = d->bmem[B_XT];
        gdz = d->bmem[B_DZ];
        if (!(reuse & DESCENT_REUSE_X) || !d->xb_fwd) {
            d->xb_fwd = 0;
            to_bf16(d->xb, x, (size_t)B * d->in);
        }
        to_bf16(d->dzb, dz, (size_t)B * O);
    } else {
        BIND(M_XT, x);
    }
    dnnl_exec_arg_t wargs[] = {{DNNL_ARG_SRC, gxt}, {DNNL_ARG_WEIGHTS, gdz},
            {DNNL_ARG_DST, d->mem[M_DW]}};
    CHECK(run(d, BWD_WEIGHTS, 3, wargs));

    /* db = Σ_rows dz: row by row, so the inner loop is contiguous and
     * vectorises. */
    for (int j = 0; j < O; j++) db[j] = 0.0f;
    for (int r = 0; r < B; r++) {
        const float *row = dz + (size_t)r * O;
        for (int j = 0; j < O; j++) db[j] += row[j];
    }

    if (dx) {
        BIND(M_DX, dx);
        dnnl_memory_t gwt = d->mem[M_WT];
        if (bf16) { /* W → wb (read as wbᵀ) unless the forward's copy serves */
            gwt = d->bmem[B_WT];
            if (!(reuse & DESCENT_REUSE_W) || !d->wb_fwd) {
                d->wb_fwd = 0;
                to_bf16(d->wb, w, (size_t)d->in * O);
            }
        } else {
            BIND(M_WT, w);
        }
        dnnl_exec_arg_t dargs[] = {{DNNL_ARG_SRC, gdz}, {DNNL_ARG_WEIGHTS, gwt},
                {DNNL_ARG_DST, d->mem[M_DX]}};
        CHECK(run(d, BWD_DATA, 3, dargs));
    }
out:
    return finish(d, st, saved);
}
