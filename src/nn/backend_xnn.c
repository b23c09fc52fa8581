/*
 * nn/backend_xnn.c — the fast backend, on XNNPACK's operator API (Debian's
 * libxnnpack-dev, 2022). XNNPACK is the engine of TFLite and of tfjs-wasm,
 * built here for the host ISA (AVX2/AVX-512) instead of WebAssembly SIMD.
 *
 * Why the operator API and not the subgraph API: the 2022 subgraph API lacks
 * concatenate/slice, and with operators we keep augur's own graph and plan:
 * every operator is created (weights packed) and set up with its final arena
 * pointers once in nn_xnn_prepare(), so a run is just xnn_run_operator() per
 * layer — no allocation, no setup.
 *
 * Layouts: XNNPACK wants regular conv filters as OHWI, TF.js stores HWIO, so
 * they are transposed at prepare time; depthwise filters [kh,kw,c,m] are
 * already XNNPACK's depthwise layout. Concat runs as plain memcpy here
 * (XNNPACK 2022 has no concatenate operator).
 */
#include "nn/graph.h"

#include <math.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>
#include <xnnpack.h>

typedef struct xnn_layer {
    xnn_operator_t op;   /* main operator (NULL for memcpy-based layers) */
    xnn_operator_t op2;  /* second operator: PReLU after a convolution */
} xnn_layer;

const char *nn_xnn_status(int s)
{
    switch ((enum xnn_status)s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
    default: return "unknown error";
    }
}

#define XCHECK(call)                                                                      \
    do {                                                                                  \
        enum xnn_status st_ = (call);                                                     \
        if (st_ != xnn_status_success)                                                    \
            return au_fail(err, AUGUR_EBACKEND, "XNNPACK: %s failed for layer '%s': %s", \
                           #call, L->name, nn_xnn_status(st_));                          \
    } while (0)

static float act_min(nn_act a) { return a == NN_ACT_RELU ? 0.0f : -INFINITY; }

static int prepare_layer(nn_model *m, nn_layer *L, pthreadpool_t pool, au_error *err)
{
    xnn_layer *X = calloc(1, sizeof *X);
    if (!X) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    L->backend = X;
    if (L->op >= NN_OP_BINARY) return 0; /* the TFLite reader's general ops: reference kernels */
    const nn_tensor *x = &m->t[L->in[0]], *y = &m->t[L->out];
    const nn_shape *is = &x->shape, *os = &y->shape;
    size_t C = (size_t)is->dim[is->ndim - 1];
    size_t n = nn_shape_size(os);
    const float *alpha = L->alpha >= 0 ? m->t[L->alpha].f : NULL;

    switch (L->op) {
    case NN_OP_CONV2D: {
        const nn_tensor *w = &m->t[L->w];
        size_t kh = (size_t)L->kh, kw = (size_t)L->kw, ci = (size_t)w->shape.dim[2], co = (size_t)w->shape.dim[3];
        float *ohwi = malloc(kh * kw * ci * co * sizeof(float) + XNN_EXTRA_BYTES);
        if (!ohwi) return au_fail(err, AUGUR_ENOMEM, "out of memory");
        for (size_t o = 0; o < co; o++)          /* HWIO -> OHWI */
            for (size_t h = 0; h < kh * kw; h++)
                for (size_t i = 0; i < ci; i++)
                    ohwi[(o * kh * kw + h) * ci + i] = w->f[(h * ci + i) * co + o];
        enum xnn_status st = xnn_create_convolution2d_nhwc_f32(
            (uint32_t)L->pad_t, (uint32_t)L->pad_r, (uint32_t)L->pad_b, (uint32_t)L->pad_l,
            (uint32_t)kh, (uint32_t)kw, (uint32_t)L->sh, (uint32_t)L->sw, 1, 1,
            1, ci, co, ci, co, ohwi, L->bias >= 0 ? m->t[L->bias].f : NULL,
            act_min(L->act), INFINITY, 0, &X->op);
        free(ohwi);
        XCHECK(st);
        XCHECK(xnn_setup_convolution2d_nhwc_f32(X->op, 1, (size_t)is->dim[1], (size_t)is->dim[2], x->f, y->f, pool));
        break;
    }
    case NN_OP_DWCONV2D: {
        const nn_tensor *w = &m->t[L->w];
        size_t mult = (size_t)w->shape.dim[3];
        XCHECK(xnn_create_convolution2d_nhwc_f32(
            (uint32_t)L->pad_t, (uint32_t)L->pad_r, (uint32_t)L->pad_b, (uint32_t)L->pad_l,
            (uint32_t)L->kh, (uint32_t)L->kw, (uint32_t)L->sh, (uint32_t)L->sw, 1, 1,
            (uint32_t)C, 1, mult, C, C * mult, w->f, L->bias >= 0 ? m->t[L->bias].f : NULL,
            act_min(L->act), INFINITY, XNN_FLAG_DEPTHWISE_CONVOLUTION, &X->op));
        XCHECK(xnn_setup_convolution2d_nhwc_f32(X->op, 1, (size_t)is->dim[1], (size_t)is->dim[2], x->f, y->f, pool));
        break;
    }
    case NN_OP_ADD: {
        const nn_tensor *b = &m->t[L->in[1]];
        size_t ashape[XNN_MAX_TENSOR_DIMS], bshape[XNN_MAX_TENSOR_DIMS], na = (size_t)is->ndim, nb;
        for (size_t i = 0; i < na; i++) ashape[i] = (size_t)is->dim[i];
        if (nn_shape_size(&b->shape) == n) {
            nb = na;
            memcpy(bshape, ashape, sizeof ashape);
        } else {
            nb = 1;
            bshape[0] = nn_shape_size(&b->shape); /* per-channel or scalar: numpy broadcasting */
        }
        XCHECK(xnn_create_add_nd_f32(act_min(L->act), INFINITY, 0, &X->op));
        XCHECK(xnn_setup_add_nd_f32(X->op, na, ashape, nb, bshape, x->f, b->f, y->f, pool));
        break;
    }
    case NN_OP_RELU:
        XCHECK(xnn_create_clamp_nc_f32(C, C, C, 0.0f, INFINITY, 0, &X->op));
        XCHECK(xnn_setup_clamp_nc_f32(X->op, n / C, x->f, y->f, pool));
        break;
    case NN_OP_PRELU:
        XCHECK(xnn_create_prelu_nc_f32(C, C, C, alpha, 0, &X->op));
        XCHECK(xnn_setup_prelu_nc_f32(X->op, n / C, x->f, y->f, pool));
        break;
    case NN_OP_SIGMOID:
        XCHECK(xnn_create_sigmoid_nc_f32(C, C, C, 0, &X->op));
        XCHECK(xnn_setup_sigmoid_nc_f32(X->op, n / C, x->f, y->f, pool));
        break;
    case NN_OP_SOFTMAX:
        XCHECK(xnn_create_softmax_nc_f32(C, C, C, 0, &X->op));
        XCHECK(xnn_setup_softmax_nc_f32(X->op, n / C, x->f, y->f, pool));
        break;
    case NN_OP_MAXPOOL:
        XCHECK(xnn_create_max_pooling2d_nhwc_f32(
            (uint32_t)L->pad_t, (uint32_t)L->pad_r, (uint32_t)L->pad_b, (uint32_t)L->pad_l,
            (uint32_t)L->kh, (uint32_t)L->kw, (uint32_t)L->sh, (uint32_t)L->sw, 1, 1,
            C, C, C, -INFINITY, INFINITY, 0, &X->op));
        XCHECK(xnn_setup_max_pooling2d_nhwc_f32(X->op, 1, (size_t)is->dim[1], (size_t)is->dim[2], x->f, y->f, pool));
        break;
    case NN_OP_PAD: {
        static const float zero = 0.0f;
        size_t shape[XNN_MAX_TENSOR_DIMS], pre[XNN_MAX_TENSOR_DIMS], post[XNN_MAX_TENSOR_DIMS];
        for (int i = 0; i < is->ndim; i++) {
            shape[i] = (size_t)is->dim[i];
            pre[i] = (size_t)L->pad_before[i];
            post[i] = (size_t)L->pad_after[i];
        }
        XCHECK(xnn_create_constant_pad_nd_x32(&zero, 0, &X->op));
        XCHECK(xnn_setup_constant_pad_nd_x32(X->op, (size_t)is->ndim, shape, pre, post, x->f, y->f, pool));
        break;
    }
    case NN_OP_RESIZE_BILINEAR:
        XCHECK(xnn_create_resize_bilinear2d_nhwc_f32(C, C, C, 0, &X->op));
        XCHECK(xnn_setup_resize_bilinear2d_nhwc_f32(X->op, 1, (size_t)is->dim[1], (size_t)is->dim[2],
                                                    (size_t)os->dim[1], (size_t)os->dim[2], x->f, y->f, pool));
        break;
    case NN_OP_DEPTH_TO_SPACE: {
        size_t oc = C / (size_t)(L->block * L->block);
        XCHECK(xnn_create_depth_to_space_nhwc_x32(oc, C, oc, (uint32_t)L->block, 0, &X->op));
        XCHECK(xnn_setup_depth_to_space_nhwc_x32(X->op, 1, (size_t)is->dim[1], (size_t)is->dim[2], x->f, y->f, pool));
        break;
    }
    case NN_OP_MEAN_HW:
        XCHECK(xnn_create_global_average_pooling_nwc_f32(C, C, C, -INFINITY, INFINITY, 0, &X->op));
        XCHECK(xnn_setup_global_average_pooling_nwc_f32(X->op, 1, (size_t)is->dim[1] * (size_t)is->dim[2],
                                                        x->f, y->f, pool));
        break;
    case NN_OP_CONCAT:
        break; /* memcpy in nn_xnn_run_layer */
    case NN_OP_BINARY: case NN_OP_UNARY: case NN_OP_REDUCE: case NN_OP_TRANSPOSE: case NN_OP_SLICE:
        break; /* returned above */
    }
    /* a fused PReLU runs in place on the convolution's output */
    if (L->act == NN_ACT_PRELU) {
        size_t oc = (size_t)os->dim[os->ndim - 1];
        XCHECK(xnn_create_prelu_nc_f32(oc, oc, oc, alpha, 0, &X->op2));
        XCHECK(xnn_setup_prelu_nc_f32(X->op2, n / oc, y->f, y->f, pool));
    }
    return 0;
}

int nn_xnn_init(au_error *err)
{
    /* xnn_initialize does its set-up once per process and may be called
     * again (every model load does) */
    enum xnn_status st = xnn_initialize(NULL);
    if (st != xnn_status_success)
        return au_fail(err, AUGUR_EBACKEND, "XNNPACK initialisation failed: %s", nn_xnn_status(st));
    return 0;
}

int nn_pool_create(void **pool, int n_threads, au_error *err)
{
    *pool = NULL;
    if (n_threads <= 1) return 0;
    if (!(*pool = pthreadpool_create((size_t)n_threads)))
        return au_fail(err, AUGUR_ENOMEM, "cannot create a pool of %d threads", n_threads);
    return 0;
}

void nn_pool_free(void *pool)
{
    if (pool) pthreadpool_destroy(pool);
}

/* The pool a model runs on: the caller's (opt.pool), else its own (m->backend,
 * NULL for a single thread). */
static pthreadpool_t model_pool(const nn_model *m)
{
    return m->opt.pool ? (pthreadpool_t)m->opt.pool : (pthreadpool_t)m->backend;
}

int nn_xnn_prepare(nn_model *m, au_error *err)
{
    int rc = nn_xnn_init(err);
    if (rc) return rc;
    m->backend = NULL; /* only a pool the model made itself, which nn_xnn_release destroys */
    if (!m->opt.pool && (rc = nn_pool_create(&m->backend, m->opt.n_threads, err))) return rc;
    pthreadpool_t pool = model_pool(m);
    for (int i = 0; i < m->n_l; i++) {
        int rc = prepare_layer(m, &m->l[i], pool, err);
        if (rc) return rc;
    }
    return 0;
}

static void concat_run(const nn_model *m, const nn_layer *L)
{
    const nn_shape *os = &m->t[L->out].shape;
    size_t outer = 1, inner = 1;
    for (int d = 0; d < L->axis; d++) outer *= (size_t)os->dim[d];
    for (int d = L->axis + 1; d < os->ndim; d++) inner *= (size_t)os->dim[d];
    size_t orow = (size_t)os->dim[L->axis] * inner, off = 0;
    float *out = m->t[L->out].f;
    for (int k = 0; k < L->n_in; k++) {
        const nn_tensor *t = &m->t[L->in[k]];
        size_t row = (size_t)t->shape.dim[L->axis] * inner;
        for (size_t o = 0; o < outer; o++) memcpy(out + o * orow + off, t->f + o * row, row * sizeof(float));
        off += row;
    }
}

int nn_xnn_run_layer(nn_model *m, nn_layer *L, au_error *err)
{
    xnn_layer *X = L->backend;
    pthreadpool_t pool = model_pool(m);
    if (L->op == NN_OP_CONCAT) {
        concat_run(m, L);
        return 0;
    }
    if (L->op >= NN_OP_BINARY) {
        /* no XNNPACK operator: these are small (normalisations around the
         * convolutions, which do run on XNNPACK) */
        nn_ref_run_layer(m, L);
        return 0;
    }
    XCHECK(xnn_run_operator(X->op, pool));
    if (X->op2) XCHECK(xnn_run_operator(X->op2, pool));
    return 0;
}

void nn_xnn_release(nn_model *m)
{
    for (int i = 0; i < m->n_l; i++) {
        xnn_layer *X = m->l[i].backend;
        if (!X) continue;
        if (X->op) xnn_delete_operator(X->op);
        if (X->op2) xnn_delete_operator(X->op2);
        free(X);
        m->l[i].backend = NULL;
    }
    nn_pool_free(m->backend); /* never opt.pool: that one is the caller's */
    m->backend = NULL;
}
