/*
 * step: the whole training step of descent's tutorial network written
 * straight against oneDNN's C API (v2), with nothing between the loop and
 * the primitives: the "f32 limit" that bench/peers compares descent and
 * PyTorch with.
 *
 * Network: 784 -> 128 sigmoid -> 128 sigmoid -> 10 softmax, categorical
 * cross-entropy (mean over the batch), Adam with Keras's formulas
 * (lr 0.001, beta 0.9/0.999, eps 1e-7, eps added to sqrt(v) and the bias
 * correction folded into the step size, as train/adam.go), batch 128, the
 * last batch of an epoch short (54000 = 421*128 + 112).
 *
 * Per step, shapes for a batch of B rows (W_l is I_l x O_l, "ab"):
 *   x    = pixels[idx] / 255                     B x 784   (C loop)
 *   h1   = sigmoid(x  W0 + b0)                   B x 128   (matmul + bias + logistic post-op)
 *   h2   = sigmoid(h1 W1 + b1)                   B x 128   (matmul + bias + logistic post-op)
 *   z    = h2 W2 + b2; p = softmax(z)            B x 10    (matmul + bias; softmax in C)
 *   dz2  = (p - onehot(y)) / B                   B x 10    (C loop)
 *   gW_l = h_l^T dz_l                            I x O     (matmul on an "ba" view of h_l)
 *   gb_l = column sums of dz_l                   O         (C loop)
 *   dz_{l-1} = (dz_l W_l^T) * h_l * (1 - h_l)    B x I     (matmul on an "ba" view of W_l; C loop)
 *   Adam over all 118282 parameters, one flat loop.
 *
 * Input: --data DIR with the files bench/peers writes (raw uint8, no header):
 *   train_x.u8 (N x 784), train_y.u8 (N), val_x.u8, val_y.u8, and
 *   init.f32: the initial parameters in descent's Params order
 *   [W0 | b0 | W1 | b1 | W2 | b2], little-endian float32.
 * Output: a hello line first ({"dnnl":version,"isa":...,"train":N,"val":N}),
 * then per command (one per stdin line) one JSON line:
 *   train -> {"epoch":k,"seconds":s,"cpu_seconds":c,"loss":l}   one epoch's
 *            training pass, reshuffled (seed + epoch); s is its wall time,
 *            c the process's CPU time over it
 *   eval  -> {"val_loss":l,"val_accuracy":a}
 * --bf16: the "bf16 limit": the GEMMs take bf16 copies of their inputs
 * (rounded to nearest even in C loops before each use) and accumulate and
 * write f32; master weights, Adam, softmax and the sigmoid derivative stay
 * f32. On AVX512-BF16 or AMX CPUs oneDNN runs them on those units.
 * Threads: oneDNN's OpenMP team, so OMP_NUM_THREADS (bench/peers sets 1).
 * Build: CMake target bench_step (build/bench_step), or
 *   cc -O3 -march=native -fno-math-errno native/bench/step.c -ldnnl -lm -o step
 * Standalone: yes train | head -3 | OMP_NUM_THREADS=1 build/bench_step --data DIR
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CK(x)                                                                                \
    do {                                                                                     \
        dnnl_status_t s_ = (x);                                                              \
        if (s_ != dnnl_success) {                                                            \
            fprintf(stderr, "step: %s:%d: %s: %s\n", __FILE__, __LINE__, #x, dnnl_status2str(s_)); \
            exit(1);                                                                         \
        }                                                                                    \
    } while (0)

enum { L = 3, BATCH = 128, IN = 784, CLASSES = 10 };
static const int ins[L] = {784, 128, 128}, outs[L] = {128, 128, 10};

static dnnl_engine_t engine;
static dnnl_stream_t stream;

/* The parameters and Adam's state, flat in descent's order; W[l], b[l], gW[l],
 * gb[l] point into them. */
static float *P, *G, *M, *V;
static size_t nparams;
static float *W[L], *b[L], *gW[L], *gb[L];

/* Activations and gradients, sized for a full batch: h[0] = x, h[1], h[2],
 * h[3] = softmax output; dz[l] is the gradient at layer l's pre-activation
 * (B x O_l). */
static float *h[L + 1], *dz[L];

/* --bf16: the GEMMs read bf16 copies of their operands (x and h_l, dz_l,
 * W_l), converted in C loops before each use; they accumulate and write in
 * f32, and the master weights, Adam and the element-wise work stay f32. */
static int bf16;
static uint16_t *hb[L], *dzb[L], *Wb[L];

/* to_bf16 rounds n floats to bf16 (to nearest, ties to even). */
static void to_bf16(uint16_t *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &src[i], 4);
        dst[i] = (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
    }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu_now(void) { /* this process's CPU seconds, all threads */
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *xmalloc(size_t n) {
    void *p = aligned_alloc(64, (n + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "step: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    memset(p, 0, n);
    return p;
}

/* ---- primitives ---- */

static dnnl_memory_desc_t md2t(int rows, int cols, dnnl_format_tag_t tag, dnnl_data_type_t dt) {
    dnnl_memory_desc_t m;
    dnnl_dims_t dims = {rows, cols};
    CK(dnnl_memory_desc_init_by_tag(&m, 2, dims, dt, tag));
    return m;
}

static dnnl_memory_desc_t md2(int rows, int cols, dnnl_format_tag_t tag) { return md2t(rows, cols, tag, dnnl_f32); }

/* in2 describes a GEMM input: bf16 under --bf16, else f32. */
static dnnl_memory_desc_t in2(int rows, int cols, dnnl_format_tag_t tag) {
    return md2t(rows, cols, tag, bf16 ? dnnl_bf16 : dnnl_f32);
}

static dnnl_memory_t wrap(dnnl_memory_desc_t m, void *p) {
    dnnl_memory_t x;
    CK(dnnl_memory_create(&x, &m, engine, p));
    return x;
}

/* A matmul primitive with its arguments bound to fixed buffers. */
typedef struct {
    dnnl_primitive_t p;
    dnnl_exec_arg_t args[5];
    int nargs;
} op;

static void run(const op *o) { CK(dnnl_primitive_execute(o->p, stream, o->nargs, o->args)); }

/* matmul: dst (m x n) = src (m x k) . wei (k x n) [+ bias (1 x n)] [then
 * logistic]; each operand given as a descriptor and a pointer. */
static op matmul(dnnl_memory_desc_t src, void *ps, dnnl_memory_desc_t wei, void *pw,
                 const float *pbias, dnnl_memory_desc_t dst, float *pd, int logistic) {
    op o = {0};
    dnnl_memory_desc_t bias = md2(1, (int)dst.dims[1], dnnl_ab);
    dnnl_matmul_desc_t d;
    CK(dnnl_matmul_desc_init(&d, &src, &wei, pbias ? &bias : NULL, &dst));
    dnnl_primitive_attr_t attr;
    CK(dnnl_primitive_attr_create(&attr));
    /* A scratchpad of our own, allocated once, as descent's layer does
     * (attr-scratchpad:user in ONEDNN_VERBOSE), so that both run the same
     * primitives. Whether it saves time here was not measured: page faults
     * per epoch were the same either way. */
    CK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    if (logistic) {
        dnnl_post_ops_t po;
        CK(dnnl_post_ops_create(&po));
        CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_logistic, 0, 0));
        CK(dnnl_primitive_attr_set_post_ops(attr, po));
        CK(dnnl_post_ops_destroy(po));
    }
    dnnl_primitive_desc_t pd_;
    CK(dnnl_primitive_desc_create(&pd_, &d, attr, engine, NULL));
    CK(dnnl_primitive_create(&o.p, pd_));
    const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd_, dnnl_query_scratchpad_md, 0);
    size_t scratch_size = scratch ? dnnl_memory_desc_get_size(scratch) : 0;
    if (scratch_size)
        o.args[o.nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, wrap(*scratch, xmalloc(scratch_size))};
    CK(dnnl_primitive_desc_destroy(pd_));
    CK(dnnl_primitive_attr_destroy(attr));
    o.args[o.nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, wrap(src, ps)};
    o.args[o.nargs++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, wrap(wei, pw)};
    if (pbias) o.args[o.nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, wrap(bias, (void *)pbias)};
    o.args[o.nargs++] = (dnnl_exec_arg_t){DNNL_ARG_DST, wrap(dst, pd)};
    return o;
}

/* A plan is the step's primitives for one batch size B (full batches and the
 * short last one), made on first use. */
typedef struct {
    int ready;
    op fwd[L];  /* h[l+1] = act(h[l] W[l] + b[l]) */
    op bwdw[L]; /* gW[l] = h[l]^T dz[l] */
    op bwdd[L]; /* dz[l-1] = dz[l] W[l]^T (l >= 1; the sigmoid' factor after) */
} plan;
static plan plans[BATCH + 1];

static plan *plan_for(int B) {
    plan *pl = &plans[B];
    if (pl->ready) return pl;
    for (int l = 0; l < L; l++) {
        int I = ins[l], O = outs[l];
        void *hl = bf16 ? (void *)hb[l] : h[l], *dzl = bf16 ? (void *)dzb[l] : dz[l],
             *wl = bf16 ? (void *)Wb[l] : W[l];
        pl->fwd[l] = matmul(in2(B, I, dnnl_ab), hl, in2(I, O, dnnl_ab), wl, b[l], md2(B, O, dnnl_ab), h[l + 1],
                            l < L - 1);
        /* h[l]^T: the B x I buffer read as I x B ("ba"). */
        pl->bwdw[l] = matmul(in2(I, B, dnnl_ba), hl, in2(B, O, dnnl_ab), dzl, NULL, md2(I, O, dnnl_ab), gW[l], 0);
        /* W[l]^T: the I x O buffer read as O x I ("ba"). */
        if (l > 0)
            pl->bwdd[l] = matmul(in2(B, O, dnnl_ab), dzl, in2(O, I, dnnl_ba), wl, NULL, md2(B, I, dnnl_ab),
                                 dz[l - 1], 0);
    }
    pl->ready = 1;
    return pl;
}

/* ---- data ---- */

typedef struct {
    uint8_t *x, *y;
    int n;
} dataset;

static void *slurp(const char *dir, const char *name, size_t *len) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = xmalloc(*len);
    if (fread(p, 1, *len, f) != *len) {
        fprintf(stderr, "step: %s: short read\n", path);
        exit(1);
    }
    fclose(f);
    return p;
}

static dataset load(const char *dir, const char *xname, const char *yname) {
    size_t nx, ny;
    dataset d = {slurp(dir, xname, &nx), slurp(dir, yname, &ny), 0};
    if (nx != ny * IN || ny == 0) {
        fprintf(stderr, "step: %s/%s holds %zu bytes, not %s's %zu rows x %d\n", dir, xname, nx, yname, ny, IN);
        exit(1);
    }
    d.n = (int)ny;
    return d;
}

/* ---- the step ---- */

/* forward runs the network on rows idx[0..B) of d and returns the summed
 * cross-entropy; with correct non-NULL it counts right answers too. */
static double forward(const dataset *d, const int *idx, int B, int *correct) {
    plan *pl = plan_for(B);
    for (int r = 0; r < B; r++) { /* x = pixels / 255, B x 784 */
        const uint8_t *px = d->x + (size_t)idx[r] * IN;
        float *row = h[0] + (size_t)r * IN;
        for (int j = 0; j < IN; j++) row[j] = px[j] * (1.f / 255.f);
    }
    if (bf16) /* this step's bf16 copies of x and the weights */
        for (int l = 0; l < L; l++) {
            to_bf16(Wb[l], W[l], (size_t)ins[l] * outs[l]);
            if (l == 0) to_bf16(hb[0], h[0], (size_t)B * IN);
        }
    for (int l = 0; l < L; l++) {
        run(&pl->fwd[l]);
        if (bf16 && l + 1 < L) {
            CK(dnnl_stream_wait(stream));
            to_bf16(hb[l + 1], h[l + 1], (size_t)B * outs[l]);
        }
    }
    CK(dnnl_stream_wait(stream));
    double loss = 0;
    for (int r = 0; r < B; r++) { /* softmax in place over z, B x 10 */
        float *z = h[L] + r * CLASSES, mx = z[0], s = 0;
        int arg = 0;
        for (int k = 1; k < CLASSES; k++)
            if (z[k] > mx) mx = z[k], arg = k;
        for (int k = 0; k < CLASSES; k++) s += z[k] = expf(z[k] - mx);
        for (int k = 0; k < CLASSES; k++) z[k] /= s;
        int y = d->y[idx[r]];
        loss -= log(fmax(z[y], 1e-7)); /* Keras clips p to [eps, 1-eps] */
        if (correct && arg == y) (*correct)++;
    }
    return loss;
}

static long step_t; /* Adam's step count */

static double train_step(const dataset *d, const int *idx, int B) {
    plan *pl = plan_for(B);
    double loss = forward(d, idx, B, NULL);
    for (int r = 0; r < B; r++) /* dz2 = (p - onehot(y)) / B */
        for (int k = 0; k < CLASSES; k++)
            dz[L - 1][r * CLASSES + k] = (h[L][r * CLASSES + k] - (k == d->y[idx[r]])) / B;
    for (int l = L - 1; l >= 0; l--) {
        int I = ins[l], O = outs[l];
        if (bf16) to_bf16(dzb[l], dz[l], (size_t)B * O);
        run(&pl->bwdw[l]);
        if (l > 0) run(&pl->bwdd[l]);
        memset(gb[l], 0, O * sizeof(float)); /* gb = column sums of dz, O */
        for (int r = 0; r < B; r++)
            for (int k = 0; k < O; k++) gb[l][k] += dz[l][r * O + k];
        CK(dnnl_stream_wait(stream));
        if (l > 0) { /* dz[l-1] *= h[l] (1 - h[l]), B x I */
            float *g = dz[l - 1], *a = h[l];
            for (int i = 0; i < B * I; i++) g[i] *= a[i] * (1 - a[i]);
        }
    }
    /* Adam, Keras's formulas (train/adam.go): the bias corrections folded
     * into alpha, eps added to sqrt(v). */
    step_t++;
    const double lr = 0.001, b1 = 0.9, b2 = 0.999;
    const float alpha = (float)(lr * sqrt(1 - pow(b2, step_t)) / (1 - pow(b1, step_t)));
    const float c1 = (float)(1 - b1), c2 = (float)(1 - b2), eps = 1e-7f;
    for (size_t i = 0; i < nparams; i++) {
        float g = G[i];
        M[i] += c1 * (g - M[i]);
        V[i] += c2 * (g * g - V[i]);
        P[i] -= alpha * M[i] / (sqrtf(V[i]) + eps);
    }
    return loss;
}

/* splitmix64, for the per-epoch Fisher-Yates shuffle. */
static uint64_t rng;
static uint64_t next64(void) {
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int main(int argc, char **argv) {
    const char *dir = NULL;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--bf16"))
            bf16 = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else
            dir = NULL, i = argc;
    }
    if (!dir) {
        fprintf(stderr, "usage: step --data DIR [--seed N] [--bf16]   (then 'train' or 'eval' lines on stdin;\n"
                        "       DIR as bench/peers writes it: train_x.u8 train_y.u8 val_x.u8 val_y.u8 init.f32)\n");
        return 2;
    }
    dataset tr = load(dir, "train_x.u8", "train_y.u8"), va = load(dir, "val_x.u8", "val_y.u8");

    for (int l = 0; l < L; l++) nparams += (size_t)ins[l] * outs[l] + outs[l];
    size_t plen;
    float *init = slurp(dir, "init.f32", &plen);
    if (plen != nparams * sizeof(float)) {
        fprintf(stderr, "step: %s/init.f32 holds %zu bytes, want %zu parameters\n", dir, plen, nparams);
        return 1;
    }
    P = init, G = xmalloc(plen), M = xmalloc(plen), V = xmalloc(plen);
    for (size_t off = 0, l = 0; l < L; l++) {
        W[l] = P + off, gW[l] = G + off, off += (size_t)ins[l] * outs[l];
        b[l] = P + off, gb[l] = G + off, off += outs[l];
    }
    for (int l = 0; l <= L; l++) h[l] = xmalloc((size_t)BATCH * (l ? outs[l - 1] : IN) * sizeof(float));
    for (int l = 0; l < L; l++) dz[l] = xmalloc((size_t)BATCH * outs[l] * sizeof(float));
    for (int l = 0; l < L && bf16; l++) {
        hb[l] = xmalloc((size_t)BATCH * ins[l] * 2);
        dzb[l] = xmalloc((size_t)BATCH * outs[l] * 2);
        Wb[l] = xmalloc((size_t)ins[l] * outs[l] * 2);
    }

    CK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    const dnnl_version_t *ver = dnnl_version();
    printf("{\"dnnl\":\"%d.%d.%d\",\"isa\":\"%s\",\"gemm\":\"%s\",\"train\":%d,\"val\":%d}\n", ver->major,
           ver->minor, ver->patch, dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()), bf16 ? "bf16" : "f32", tr.n, va.n);
    fflush(stdout);
    int *perm = xmalloc(sizeof(int) * (tr.n > va.n ? tr.n : va.n));

    char line[256];
    int epoch = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (!strncmp(line, "train", 5)) {
            rng = seed + epoch;
            for (int i = 0; i < tr.n; i++) perm[i] = i;
            for (int i = tr.n - 1; i > 0; i--) {
                int j = (int)(next64() % (uint64_t)(i + 1)), t = perm[i];
                perm[i] = perm[j], perm[j] = t;
            }
            double loss = 0, t0 = now(), c0 = cpu_now();
            for (int s = 0; s < tr.n; s += BATCH) {
                int B = tr.n - s < BATCH ? tr.n - s : BATCH;
                loss += train_step(&tr, perm + s, B);
            }
            double sec = now() - t0, cpu = cpu_now() - c0;
            printf("{\"epoch\":%d,\"seconds\":%.6f,\"cpu_seconds\":%.6f,\"loss\":%.6f}\n", ++epoch, sec, cpu,
                   loss / tr.n);
        } else if (!strncmp(line, "eval", 4)) {
            int correct = 0;
            double loss = 0;
            for (int i = 0; i < va.n; i++) perm[i] = i;
            for (int s = 0; s < va.n; s += BATCH) {
                int B = va.n - s < BATCH ? va.n - s : BATCH;
                loss += forward(&va, perm + s, B, &correct);
            }
            printf("{\"val_loss\":%.6f,\"val_accuracy\":%.6f}\n", loss / va.n, (double)correct / va.n);
        } else if (line[0] != '\n') {
            printf("{\"error\":\"unknown command (want train or eval)\"}\n");
        }
        fflush(stdout);
    }
    return 0;
}
