/*
 * descent_dnnl.h: descent's C layer over the oneDNN v2 C API.
 *
 * Every call into oneDNN that descent makes is behind this header: the Go
 * binding (bindings/libdnnl) and the C tests see only opaque handles, plain
 * float pointers and int status codes. oneDNN v3 removed the operation
 * descriptors this layer is written with, so it refuses any other major
 * version at compile time.
 *
 * Data layout (as in package backend): every matrix is row-major float32,
 * densely packed.
 *
 *   x  (batch, in)   layer input            dx (batch, in)
 *   W  (in, out)     weights (Keras layout) dW (in, out)
 *   b  (out)         bias                   db (out)
 *   y  (batch, out)  y = act(x·W + b)       dy, dz (batch, out)
 *
 * Status codes: 0 (DESCENT_OK) is success; a positive value is the
 * dnnl_status_t oneDNN returned; a negative value is one of descent's codes
 * below. After a failure, descent_dnnl_last_error() returns a message that
 * names the operation, the shape and oneDNN's status string, in a buffer
 * owned by the calling thread (read it on the same thread, before its next
 * call into this layer); a plan also keeps the message of its own last
 * failure (descent_dense_error), readable from any thread.
 *
 * Threads: oneDNN's Debian build runs on OpenMP, whose thread count is a
 * per-OS-thread setting (an ICV). descent_dnnl_set_threads records a
 * process-wide count, 1 until set; every entry point below applies it to
 * the calling thread while it runs and puts the thread's previous OpenMP
 * setting back before returning, so a caller's own OpenMP code never sees
 * descent's. A plan made under another count rebuilds its primitives, so
 * the setting holds, with two exceptions: a plan runs its small GEMMs
 * (under 4 MFLOP) and element-wise primitives on one thread, and every plan
 * drops to one thread for a while when parallel regions keep stalling (see
 * descent_dnnl_backoffs). Every OS thread that runs a parallel region gets
 * an OpenMP team of its own: a caller that wants one team keeps one thread
 * for the calls that may start one (descent_dnnl_team_wanted), and marks
 * every other calling thread with descent_dnnl_single_here.
 *
 * Concurrency: different plans may run at the same time on different
 * threads, and descent_sgemm on any thread; one plan is used by one thread
 * at a time. Each plan has its own oneDNN stream and its own scratchpad (its
 * primitives use dnnl_scratchpad_mode_user), so a plan may also move
 * between threads from one call to the next. A context and its plans may be
 * destroyed in any order: each plan holds a reference to its context, which
 * is freed with the last of them.
 *
 * Memory: a plan creates its primitives, memory objects and scratchpad
 * once (again after a change of thread count); each call binds the
 * caller's pointers to those memory objects, executes, waits for the stream
 * and unbinds them (DNNL_MEMORY_NONE) before returning. No pointer passed
 * in is kept after the call.
 *
 * Broken plans: a rebuild that fails (out of memory, say) leaves a plan
 * without primitives; from then on every call on it fails with
 * DESCENT_EBROKEN and a message that includes the original failure. Only
 * descent_dense_destroy is left to do with it.
 */
#ifndef DESCENT_DNNL_H
#define DESCENT_DNNL_H

#include <stddef.h>
#include <stdint.h>

#include <oneapi/dnnl/dnnl_version.h>

#if DNNL_VERSION_MAJOR != 2
#error "descent's native layer is written for the oneDNN v2 C API (Debian bookworm: libdnnl-dev 2.6); v3 removed the op descriptors it uses"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* descent's own status codes (oneDNN's are positive). */
enum {
    DESCENT_OK = 0,
    DESCENT_EINVAL = -1, /* bad argument: shape, activation, NULL pointer */
    DESCENT_ENOMEM = -2, /* malloc failed */
    DESCENT_ENOTSUP = -3, /* not supported by the linked oneDNN build */
    DESCENT_EBROKEN = -4  /* the plan failed to rebuild earlier; destroy it */
};

/* Activations, in the order of Go's backend.Activation. */
typedef enum {
    DESCENT_LINEAR = 0,
    DESCENT_SIGMOID = 1,
    DESCENT_TANH = 2,
    DESCENT_RELU = 3,
    DESCENT_SOFTMAX = 4
} descent_act;

/* The precision a plan's GEMMs run in. Every buffer the caller passes is
 * float32 either way (master weights, gradients, activations in Go).
 *
 *   DESCENT_F32   everything in float32 (the default; bit for bit what the
 *                 plans computed before precisions existed).
 *   DESCENT_BF16  the three GEMMs (forward, dW, dx) read bfloat16 copies of
 *                 x, W and dz, rounded to nearest even (VCVTNEPS2BF16)
 *                 into buffers the plan owns, and accumulate and
 *                 write float32; bias, activations, softmax, their backward
 *                 passes and db stay float32. Needs a CPU and a oneDNN
 *                 build whose kernels run bf16 natively (AVX512-BF16 or
 *                 AMX): see descent_dnnl_bf16_isa. */
typedef enum { DESCENT_F32 = 0, DESCENT_BF16 = 1 } descent_precision;

/* A oneDNN CPU engine, shared by the plans made on it. */
typedef struct descent_ctx descent_ctx;

/* One dense layer shape: y = act(x·W + b) for batches of exactly batch rows,
 * with its backward passes. */
typedef struct descent_dense descent_dense;

/* The message of the last failure on the calling thread ("" if none). */
const char *descent_dnnl_last_error(void);

/* The linked library, e.g. "oneDNN v2.6.3 (CPU runtime OpenMP, ISA ...)". */
const char *descent_dnnl_version(void);

/* Sets the number of threads oneDNN runs with (n >= 1), process-wide: the
 * one thread setting of this layer. Plans rebuild at their next call. */
int descent_dnnl_set_threads(int n);

/* The current setting of descent_dnnl_set_threads (1 before any). */
int descent_dnnl_threads(void);

/* How many times the contention guard (see descent_dnnl.c) found the
 * OpenMP team slowed down by another process holding a core it needs, and
 * switched every plan to one thread for a while. */
long long descent_dnnl_backoffs(void);

/* Whether oneDNN would run a team now: threads set above one and no
 * backoff. A caller that keeps one OS thread as the only OpenMP master can
 * make the calls from other threads while this is 0, marking them with
 * descent_dnnl_single_here. */
int descent_dnnl_team_wanted(void);

/* Marks the calling OS thread (on != 0) as one whose calls must never start
 * a team: they run on one thread whatever the setting. */
void descent_dnnl_single_here(int on);

/* Runs every plan on one thread for the next ns nanoseconds (0 ends a
 * backoff): what the contention guard does; for tests, and for callers that
 * know a burst of other work is coming. */
void descent_dnnl_backoff(long long ns);

/* A context: a oneDNN CPU engine. descent_ctx_destroy drops the caller's
 * reference (call it once per create); plans made on the context keep it
 * alive until they are destroyed too, so any order is safe. */
int descent_ctx_create(descent_ctx **ctx);
void descent_ctx_destroy(descent_ctx *ctx);

/* C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = Xᵀ when trans_x != 0:
 * op(A) is m×k, op(B) k×n, C m×n (dnnl_sgemm). */
int descent_sgemm(int trans_a, int trans_b, long m, long n, long k,
        float alpha, const float *a, long lda, const float *b, long ldb,
        float beta, float *c, long ldc);

/* Makes a plan; act is a descent_act. The plan holds a reference to ctx. */
int descent_dense_create(descent_ctx *ctx, int batch, int in, int out,
        int act, descent_dense **plan);

/* Makes a forward-only plan, for inference: the forward primitives only
 * (softmax made for dnnl_forward_inference), no backward primitives or
 * memory objects; its backward calls fail with DESCENT_EINVAL. */
int descent_dense_create_forward(descent_ctx *ctx, int batch, int in, int out,
        int act, descent_dense **plan);

/* descent_dense_create (forward_only = 0) or descent_dense_create_forward
 * (1) at a precision (a descent_precision). A bf16 plan on a oneDNN whose
 * effective ISA has no native bf16 fails with DESCENT_ENOTSUP. */
int descent_dense_create_prec(descent_ctx *ctx, int batch, int in, int out,
        int act, int forward_only, int precision, descent_dense **plan);

/* Whether oneDNN's effective ISA (dnnl_get_effective_cpu_isa: the CPU,
 * capped by ONEDNN_MAX_CPU_ISA) has native bf16 kernels: 1 for
 * avx512_core_bf16 or avx512_core_amx, else 0. */
int descent_dnnl_bf16_isa(void);

/* Frees the plan and drops its reference to its context. */
void descent_dense_destroy(descent_dense *plan);

/* y = act(x·W + b). */
int descent_dense_forward(descent_dense *plan, const float *x, const float *w,
        const float *b, float *y);

/* dy ← ∂L/∂z from dy = ∂L/∂y, in place, from the forward output y. */
int descent_dense_act_backward(descent_dense *plan, const float *y, float *dy);

/* dW = xᵀ·dz, db = Σ_rows dz and, when dx is not NULL, dx = dz·Wᵀ.
 * dW and db are overwritten. */
int descent_dense_backward(descent_dense *plan, const float *x,
        const float *w, const float *dz, float *dw, float *db, float *dx);

/* descent_dense_backward_reuse's flags: x (DESCENT_REUSE_X) or W
 * (DESCENT_REUSE_W) is the buffer the plan's last forward read, unchanged
 * since, so a bf16 plan may use the bf16 copy that forward made instead of
 * converting again (it does where it still holds one; f32 plans ignore
 * the flags). The caller vouches for "unchanged": the plan cannot see it. */
enum { DESCENT_REUSE_X = 1, DESCENT_REUSE_W = 2 };

/* descent_dense_backward with reuse flags (DESCENT_REUSE_*). */
int descent_dense_backward_reuse(descent_dense *plan, const float *x,
        const float *w, const float *dz, float *dw, float *db, float *dx, int reuse);

/* The thread count the plan's primitives were last made for. */
int descent_dense_threads(const descent_dense *plan);

/* descent_dnnl_team_wanted for this plan: 0 also when its GEMMs are too
 * small to run on a team (then all its primitives run on one thread). */
int descent_dense_team_wanted(const descent_dense *plan);

/* The message of the plan's last failed call ("" if none). */
const char *descent_dense_error(const descent_dense *plan);

/* The oneDNN implementations the plan runs, e.g.
 * "fwd brg:avx512_core; bwd_data brg:avx512_core; ...". */
const char *descent_dense_impl(const descent_dense *plan);

/* ---- for tests only ---- */

/* Makes the plan's next n builds (rebuilds after a change of thread count)
 * fail as if oneDNN had run out of memory. Per plan, not process-wide, so a
 * test can break one plan while others run. */
void descent_dense_fail_next_builds(descent_dense *plan, int n);

/* How many of the plan's memory objects for the caller's buffers point at a
 * buffer now (a bf16 plan's own bf16 buffers are not counted; 0 between
 * calls: the check that no caller's pointer is kept). */
int descent_dense_bound_buffers(const descent_dense *plan);

/* Rounds n floats to bf16 as the plans do: with the AVX512-BF16 kernel
 * (vector != 0; DESCENT_ENOTSUP on a CPU without it) or the scalar
 * reference that mirrors VCVTNEPS2BF16. */
int descent_dnnl_to_bf16(uint16_t *dst, const float *src, size_t n, int vector);

/* The size in bytes of the plan's scratchpad (0 if no primitive needs one). */
size_t descent_dense_scratchpad_size(const descent_dense *plan);

#ifdef __cplusplus
}
#endif

#endif /* DESCENT_DNNL_H */
