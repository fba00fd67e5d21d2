/*
 * ip_vs_matmul: why descent_dnnl.c runs dense layers on matmul rather than
 * inner product. For the tutorial network's three layers at batch 128 it
 * times, on the oneDNN primitives directly (this program is the one place
 * outside descent_dnnl.c that calls oneDNN, since it measures primitives
 * the layer does not use):
 *
 *   inner product, weights in "io" (our (in, out) bytes): forward with a
 *     logistic post-op, backward data, backward weights + bias
 *   matmul on (in, out) weights, xᵀ and Wᵀ as "ba" views: forward with bias
 *     and logistic post-op, backward data, backward weights (no bias)
 *
 * and prints the implementation oneDNN chose for each. Built by CMake as
 * build/bench_ip_vs_matmul (not a test); run it with OMP_NUM_THREADS=1.
 */
#define _POSIX_C_SOURCE 200809L

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CK(x)                                                                           \
    do {                                                                                \
        dnnl_status_t s_ = (x);                                                         \
        if (s_ != dnnl_success) {                                                       \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, dnnl_status2str(s_)); \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static dnnl_memory_desc_t md(int rows, int cols, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t m;
    dnnl_dims_t dims = {rows, cols};
    CK(dnnl_memory_desc_init_by_tag(&m, cols ? 2 : 1, dims, dnnl_f32, tag));
    return m;
}

static dnnl_memory_t mem(dnnl_memory_desc_t m, size_t n) {
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    dnnl_memory_t x;
    CK(dnnl_memory_create(&x, &m, engine, p));
    return x;
}

/* time_it creates the primitive, runs it 1000 times and prints µs per run. */
static void time_it(const char *name, const_dnnl_op_desc_t desc, const_dnnl_primitive_attr_t attr,
        const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd_out, int nargs, dnnl_exec_arg_t *args) {
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    const char *impl;
    CK(dnnl_primitive_desc_create(&pd, desc, attr, engine, hint));
    CK(dnnl_primitive_create(&p, pd));
    CK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    for (int i = 0; i < 50; i++) CK(dnnl_primitive_execute(p, stream, nargs, args));
    CK(dnnl_stream_wait(stream));
    const int runs = 1000;
    double t = now();
    for (int i = 0; i < runs; i++) {
        CK(dnnl_primitive_execute(p, stream, nargs, args));
        CK(dnnl_stream_wait(stream));
    }
    printf("  %-30s %-18s %7.1f us\n", name, impl, (now() - t) / runs * 1e6);
    if (pd_out)
        *pd_out = pd;
    else
        dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_destroy(p);
}

int main(void) {
    const int B = 128, ins[] = {784, 128, 128}, outs[] = {128, 128, 10};
    CK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    CK(dnnl_primitive_attr_create(&attr));
    CK(dnnl_post_ops_create(&po));
    CK(dnnl_post_ops_append_eltwise(po, 1.f, dnnl_eltwise_logistic, 0, 0));
    CK(dnnl_primitive_attr_set_post_ops(attr, po));
    for (int l = 0; l < 3; l++) {
        const int I = ins[l], O = outs[l];
        printf("layer %dx%dx%d\n", B, I, O);
        dnnl_memory_desc_t x = md(B, I, dnnl_ab), y = md(B, O, dnnl_ab), b = md(O, 0, dnnl_a),
                           b2 = md(1, O, dnnl_ab), wio = md(O, I, dnnl_io), wab = md(I, O, dnnl_ab),
                           wt = md(O, I, dnnl_ba), xt = md(I, B, dnnl_ba);
        dnnl_memory_t mx = mem(x, B * I), my = mem(y, B * O), mb = mem(b, O), mw = mem(wio, I * O),
                      mdy = mem(y, B * O), mdx = mem(x, B * I), mdw = mem(wio, I * O), mdb = mem(b, O);
        dnnl_memory_t mb2, mwab, mwt, mxt, mdwab;
        void *h;
        CK(dnnl_memory_get_data_handle(mb, &h));
        CK(dnnl_memory_create(&mb2, &b2, engine, h));
        CK(dnnl_memory_get_data_handle(mw, &h));
        CK(dnnl_memory_create(&mwab, &wab, engine, h));
        CK(dnnl_memory_create(&mwt, &wt, engine, h));
        CK(dnnl_memory_get_data_handle(mx, &h));
        CK(dnnl_memory_create(&mxt, &xt, engine, h));
        CK(dnnl_memory_get_data_handle(mdw, &h));
        CK(dnnl_memory_create(&mdwab, &wab, engine, h));

        dnnl_inner_product_desc_t ip;
        dnnl_primitive_desc_t fwd;
        CK(dnnl_inner_product_forward_desc_init(&ip, dnnl_forward_training, &x, &wio, &b, &y));
        dnnl_exec_arg_t f[] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, my}};
        time_it("inner product fwd + logistic", &ip, attr, NULL, &fwd, 4, f);
        CK(dnnl_inner_product_backward_data_desc_init(&ip, &x, &wio, &y));
        dnnl_exec_arg_t g[] = {{DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DIFF_SRC, mdx}};
        time_it("inner product bwd data", &ip, NULL, fwd, NULL, 3, g);
        CK(dnnl_inner_product_backward_weights_desc_init(&ip, &x, &wio, &b, &y));
        dnnl_exec_arg_t h3[] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DIFF_DST, mdy}, {DNNL_ARG_DIFF_WEIGHTS, mdw}, {DNNL_ARG_DIFF_BIAS, mdb}};
        time_it("inner product bwd weights+bias", &ip, NULL, fwd, NULL, 4, h3);
        dnnl_primitive_desc_destroy(fwd);

        dnnl_matmul_desc_t mm;
        CK(dnnl_matmul_desc_init(&mm, &x, &wab, &b2, &y));
        dnnl_exec_arg_t mf[] = {{DNNL_ARG_SRC, mx}, {DNNL_ARG_WEIGHTS, mwab}, {DNNL_ARG_BIAS, mb2}, {DNNL_ARG_DST, my}};
        time_it("matmul fwd + bias + logistic", &mm, attr, NULL, NULL, 4, mf);
        CK(dnnl_matmul_desc_init(&mm, &y, &wt, NULL, &x));
        dnnl_exec_arg_t mg[] = {{DNNL_ARG_SRC, mdy}, {DNNL_ARG_WEIGHTS, mwt}, {DNNL_ARG_DST, mdx}};
        time_it("matmul bwd data dz.Wt", &mm, NULL, NULL, NULL, 3, mg);
        CK(dnnl_matmul_desc_init(&mm, &xt, &y, NULL, &wab));
        dnnl_exec_arg_t mh[] = {{DNNL_ARG_SRC, mxt}, {DNNL_ARG_WEIGHTS, mdy}, {DNNL_ARG_DST, mdwab}};
        time_it("matmul bwd weights xt.dz", &mm, NULL, NULL, NULL, 3, mh);
    }
    return 0;
}
