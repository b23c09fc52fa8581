/*
 * nn/ops_ref.c — reference kernels: one plain C function per op, written to be
 * read and trusted rather than to be fast. They are the oracle the XNNPACK
 * backend is tested against (tests/test_parity.c), and the fallback backend.
 *
 * Conventions: activations are float32 NHWC with batch 1; convolution filters
 * keep TensorFlow's layout — regular conv [kh, kw, ci, co] (HWIO), depthwise
 * [kh, kw, c, mult] — so weights are used exactly as the model file holds them.
 * Accumulation is in double so the oracle is closer to exact than either
 * float32 runtime it judges.
 */
#include "nn/graph.h"

#include <float.h>
#include <math.h>
#include <string.h>

static float act(float v, nn_act a, const float *alpha, int c)
{
    if (a == NN_ACT_RELU) return v > 0 ? v : 0;
    if (a == NN_ACT_PRELU) return v >= 0 ? v : v * alpha[c];
    return v;
}

/* in (H,W,CI), w (KH,KW,CI,CO), bias (CO) -> out (OH,OW,CO) */
static void conv2d_ref(const float *in, int H, int W, int CI, const float *w, const float *bias,
                       float *out, int OH, int OW, int CO, const nn_layer *L, const float *alpha)
{
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int co = 0; co < CO; co++) {
                double acc = bias ? bias[co] : 0.0;
                for (int ky = 0; ky < L->kh; ky++) {
                    int iy = oy * L->sh + ky - L->pad_t;
                    if (iy < 0 || iy >= H) continue;
                    for (int kx = 0; kx < L->kw; kx++) {
                        int ix = ox * L->sw + kx - L->pad_l;
                        if (ix < 0 || ix >= W) continue;
                        const float *px = in + ((size_t)iy * W + ix) * CI;
                        const float *wk = w + ((size_t)ky * L->kw + kx) * CI * CO + co;
                        for (int ci = 0; ci < CI; ci++) acc += (double)px[ci] * wk[(size_t)ci * CO];
                    }
                }
                out[((size_t)oy * OW + ox) * CO + co] = act((float)acc, L->act, alpha, co);
            }
}

/* in (H,W,C), w (KH,KW,C,M), bias (C*M) -> out (OH,OW,C*M); out channel = c*M + m */
static void dwconv2d_ref(const float *in, int H, int W, int C, int M, const float *w, const float *bias,
                         float *out, int OH, int OW, const nn_layer *L, const float *alpha)
{
    int CO = C * M;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int co = 0; co < CO; co++) {
                int c = co / M;
                double acc = bias ? bias[co] : 0.0;
                for (int ky = 0; ky < L->kh; ky++) {
                    int iy = oy * L->sh + ky - L->pad_t;
                    if (iy < 0 || iy >= H) continue;
                    for (int kx = 0; kx < L->kw; kx++) {
                        int ix = ox * L->sw + kx - L->pad_l;
                        if (ix < 0 || ix >= W) continue;
                        acc += (double)in[((size_t)iy * W + ix) * C + c] * w[((size_t)ky * L->kw + kx) * CO + co];
                    }
                }
                out[((size_t)oy * OW + ox) * CO + co] = act((float)acc, L->act, alpha, co);
            }
}

/* in (H,W,C) -> out (OH,OW,C); padded cells are ignored (TF SAME semantics) */
static void maxpool_ref(const float *in, int H, int W, int C, float *out, int OH, int OW, const nn_layer *L)
{
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int c = 0; c < C; c++) {
                float m = -FLT_MAX;
                for (int ky = 0; ky < L->kh; ky++) {
                    int iy = oy * L->sh + ky - L->pad_t;
                    if (iy < 0 || iy >= H) continue;
                    for (int kx = 0; kx < L->kw; kx++) {
                        int ix = ox * L->sw + kx - L->pad_l;
                        if (ix < 0 || ix >= W) continue;
                        float v = in[((size_t)iy * W + ix) * C + c];
                        if (v > m) m = v;
                    }
                }
                out[((size_t)oy * OW + ox) * C + c] = m;
            }
}

/* Zero padding of an N-d tensor: out[i + before] = in[i]. */
static void pad_ref(const float *in, const nn_shape *is, float *out, const nn_shape *os, const nn_layer *L)
{
    memset(out, 0, nn_shape_size(os) * sizeof(float));
    size_t n = nn_shape_size(is);
    int idx[NN_MAX_DIMS] = {0};
    for (size_t e = 0; e < n; e++) {
        size_t o = 0;
        for (int d = 0; d < is->ndim; d++) o = o * (size_t)os->dim[d] + (size_t)(idx[d] + L->pad_before[d]);
        out[o] = in[e];
        for (int d = is->ndim - 1; d >= 0; d--) {
            if (++idx[d] < is->dim[d]) break;
            idx[d] = 0;
        }
    }
}

/* Concatenation along axis: view each tensor as (outer, dim[axis] * inner). */
static void concat_ref(const nn_model *m, const nn_layer *L, float *out)
{
    const nn_shape *os = &m->t[L->out].shape;
    size_t outer = 1, inner = 1;
    for (int d = 0; d < L->axis; d++) outer *= (size_t)os->dim[d];
    for (int d = L->axis + 1; d < os->ndim; d++) inner *= (size_t)os->dim[d];
    size_t orow = (size_t)os->dim[L->axis] * inner, off = 0;
    for (int k = 0; k < L->n_in; k++) {
        const nn_tensor *t = &m->t[L->in[k]];
        size_t row = (size_t)t->shape.dim[L->axis] * inner;
        for (size_t o = 0; o < outer; o++) memcpy(out + o * orow + off, t->f + o * row, row * sizeof(float));
        off += row;
    }
}

/* Bilinear resize with half-pixel centres: src = (dst + 0.5) * in/out - 0.5, clamped. */
static void resize_bilinear_ref(const float *in, int H, int W, int C, float *out, int OH, int OW)
{
    double sy = (double)H / OH, sx = (double)W / OW;
    for (int oy = 0; oy < OH; oy++) {
        double fy = (oy + 0.5) * sy - 0.5;
        if (fy < 0) fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < H ? y0 + 1 : H - 1;
        double dy = fy - y0;
        for (int ox = 0; ox < OW; ox++) {
            double fx = (ox + 0.5) * sx - 0.5;
            if (fx < 0) fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < W ? x0 + 1 : W - 1;
            double dx = fx - x0;
            for (int c = 0; c < C; c++) {
                double a = in[((size_t)y0 * W + x0) * C + c], b = in[((size_t)y0 * W + x1) * C + c];
                double d = in[((size_t)y1 * W + x0) * C + c], e = in[((size_t)y1 * W + x1) * C + c];
                double top = a + (b - a) * dx, bot = d + (e - d) * dx;
                out[((size_t)oy * OW + ox) * C + c] = (float)(top + (bot - top) * dy);
            }
        }
    }
}

/* DCR order: out[y*B+i, x*B+j, c] = in[y, x, (i*B + j)*OC + c] */
static void depth_to_space_ref(const float *in, int H, int W, int C, int B, float *out)
{
    int OC = C / (B * B), OW = W * B;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int i = 0; i < B; i++)
                for (int j = 0; j < B; j++)
                    for (int c = 0; c < OC; c++)
                        out[((size_t)(y * B + i) * OW + (x * B + j)) * OC + c] =
                            in[((size_t)y * W + x) * C + (i * B + j) * OC + c];
}

/* An odometer over an output shape carrying offsets into two source tensors
 * (strides per output axis; 0 on a broadcast axis): the general ops below
 * (broadcast arithmetic, reduction, transpose, slice) are each one walk. */
typedef struct walker {
    int r, dim[NN_MAX_DIMS], idx[NN_MAX_DIMS];
    size_t st[2][NN_MAX_DIMS], off[2];
} walker;

static void walk_next(walker *w)
{
    for (int d = w->r - 1; d >= 0; d--) {
        w->off[0] += w->st[0][d];
        w->off[1] += w->st[1][d];
        if (++w->idx[d] < w->dim[d]) return;
        w->off[0] -= w->st[0][d] * (size_t)w->dim[d];
        w->off[1] -= w->st[1][d] * (size_t)w->dim[d];
        w->idx[d] = 0;
    }
}

/* Row-major strides of shape s read along the axes of shape os (s's axes
 * right-aligned to os's, NumPy style); an axis of size 1 in s has stride 0. */
static void bcast_strides(const nn_shape *s, const nn_shape *os, size_t *st)
{
    size_t acc = 1;
    for (int i = os->ndim - 1; i >= 0; i--) {
        int d = i - (os->ndim - s->ndim);
        st[i] = d < 0 || s->dim[d] == 1 ? 0 : acc;
        if (d >= 0) acc *= (size_t)s->dim[d];
    }
}

static void walker_init(walker *w, const nn_shape *os)
{
    memset(w, 0, sizeof *w);
    w->r = os->ndim;
    for (int i = 0; i < os->ndim; i++) w->dim[i] = os->dim[i];
}

/* One row of a broadcast binary op: n outputs, inputs stepping sa and sb
 * (0 on a broadcast axis). The kind is switched on once per row, and the
 * common steps (both contiguous, one operand broadcast) get loops of their
 * own, which the compiler vectorises: MediaPipe's blendshapes network spends
 * a fifth of its time in these rows (layer norms, residual adds). */
#define BINARY_ROW(EXPR)                                                                   \
    do {                                                                                   \
        if (sa == 1 && sb == 1)                                                            \
            for (size_t j = 0; j < n; j++) { float x = a[j], y = b[j]; o[j] = (EXPR); }   \
        else if (sa == 1 && sb == 0) {                                                     \
            float y = b[0];                                                                \
            for (size_t j = 0; j < n; j++) { float x = a[j]; o[j] = (EXPR); }              \
        } else if (sa == 0 && sb == 1) {                                                   \
            float x = a[0];                                                                \
            for (size_t j = 0; j < n; j++) { float y = b[j]; o[j] = (EXPR); }              \
        } else                                                                             \
            for (size_t j = 0; j < n; j++) { float x = a[j * sa], y = b[j * sb]; o[j] = (EXPR); } \
    } while (0)

static void binary_row(int kind, const float *a, size_t sa, const float *b, size_t sb, float *o, size_t n)
{
    switch (kind) {
    case NN_BIN_ADD: BINARY_ROW(x + y); break;
    case NN_BIN_SUB: BINARY_ROW(x - y); break;
    case NN_BIN_MUL: BINARY_ROW(x * y); break;
    case NN_BIN_DIV: BINARY_ROW(x / y); break;
    default: BINARY_ROW((x - y) * (x - y)); /* NN_BIN_SQDIFF */
    }
}
#undef BINARY_ROW

/* The odometer walks the rows (every axis but the last); each row is one
 * binary_row call. */
static void binary_ref(const nn_model *m, const nn_layer *L, float *out)
{
    const nn_tensor *a = &m->t[L->in[0]], *b = &m->t[L->in[1]];
    const nn_shape *os = &m->t[L->out].shape;
    walker w;
    walker_init(&w, os);
    bcast_strides(&a->shape, os, w.st[0]);
    bcast_strides(&b->shape, os, w.st[1]);
    size_t n = nn_shape_size(os), row = os->ndim ? (size_t)os->dim[os->ndim - 1] : 1;
    size_t sa = os->ndim ? w.st[0][os->ndim - 1] : 0, sb = os->ndim ? w.st[1][os->ndim - 1] : 0;
    if (w.r > 0) w.r--; /* the walker steps over rows */
    for (size_t k = 0; k < n; k += row, walk_next(&w)) {
        binary_row(L->kind, a->f + w.off[0], sa, b->f + w.off[1], sb, out + k, row);
        if (L->act == NN_ACT_RELU)
            for (size_t j = 0; j < row; j++) out[k + j] = out[k + j] > 0 ? out[k + j] : 0;
    }
}

/* Sum (or mean) over the flagged axes: walk the input's rows, the output's
 * offset advancing only along the kept axes; a row along a reduced last axis
 * is summed first. */
static void reduce_ref(const nn_model *m, const nn_layer *L, float *out)
{
    const nn_tensor *x = &m->t[L->in[0]];
    const nn_shape *os = &m->t[L->out].shape, *is = &x->shape;
    size_t n = nn_shape_size(is), no = nn_shape_size(os);
    walker w;
    walker_init(&w, is);
    bcast_strides(os, is, w.st[1]); /* reduced axes have size 1 in os: stride 0 */
    size_t row = is->ndim ? (size_t)is->dim[is->ndim - 1] : 1;
    size_t so = is->ndim ? w.st[1][is->ndim - 1] : 0;
    if (w.r > 0) w.r--;
    memset(out, 0, no * sizeof(float));
    for (size_t k = 0; k < n; k += row, walk_next(&w)) {
        const float *v = x->f + k;
        if (so == 0) {
            float s = 0;
            for (size_t j = 0; j < row; j++) s += v[j];
            out[w.off[1]] += s;
        } else {
            for (size_t j = 0; j < row; j++) out[w.off[1] + j] += v[j];
        }
    }
    if (L->kind == NN_REDUCE_MEAN)
        for (size_t k = 0; k < no; k++) out[k] /= (float)(n / no);
}

/* Transpose (axes = permutation) and slice (axes = begin, step = stride):
 * the output walked in order, the input read through per-axis strides. */
static void gather_ref(const nn_model *m, const nn_layer *L, float *out)
{
    const nn_tensor *x = &m->t[L->in[0]];
    const nn_shape *is = &x->shape, *os = &m->t[L->out].shape;
    size_t ist[NN_MAX_DIMS], acc = 1;
    for (int i = is->ndim - 1; i >= 0; i--) { ist[i] = acc; acc *= (size_t)is->dim[i]; }
    walker w;
    walker_init(&w, os);
    for (int i = 0; i < os->ndim; i++) {
        if (L->op == NN_OP_TRANSPOSE) {
            w.st[0][i] = ist[L->axes[i]];
        } else {
            w.st[0][i] = ist[i] * (size_t)L->step[i];
            w.off[0] += ist[i] * (size_t)L->axes[i];
        }
    }
    /* row by row along the last output axis (the odometer steps over rows, as in binary_ref) */
    size_t n = nn_shape_size(os), row = os->ndim ? (size_t)os->dim[os->ndim - 1] : 1;
    size_t sr = os->ndim ? w.st[0][os->ndim - 1] : 0;
    if (w.r > 0) w.r--;
    for (size_t k = 0; k < n; k += row, walk_next(&w)) {
        const float *src = x->f + w.off[0];
        if (sr == 1) memcpy(out + k, src, row * sizeof *out);
        else for (size_t j = 0; j < row; j++) out[k + j] = src[j * sr];
    }
}

void nn_ref_run_layer(const nn_model *m, const nn_layer *L)
{
    const nn_tensor *x = &m->t[L->in[0]];
    const nn_tensor *y = &m->t[L->out];
    const nn_shape *is = &x->shape, *os = &y->shape;
    float *out = y->f;
    const float *alpha = L->alpha >= 0 ? m->t[L->alpha].f : NULL;
    size_t n = nn_shape_size(os);
    int C = is->ndim ? is->dim[is->ndim - 1] : 1;

    switch (L->op) {
    case NN_OP_CONV2D:
        conv2d_ref(x->f, is->dim[1], is->dim[2], is->dim[3], m->t[L->w].f, L->bias >= 0 ? m->t[L->bias].f : NULL,
                   out, os->dim[1], os->dim[2], os->dim[3], L, alpha);
        break;
    case NN_OP_DWCONV2D:
        dwconv2d_ref(x->f, is->dim[1], is->dim[2], is->dim[3], m->t[L->w].shape.dim[3], m->t[L->w].f,
                     L->bias >= 0 ? m->t[L->bias].f : NULL, out, os->dim[1], os->dim[2], L, alpha);
        break;
    case NN_OP_ADD: {
        const nn_tensor *b = &m->t[L->in[1]];
        size_t nb = nn_shape_size(&b->shape);
        for (size_t i = 0; i < n; i++) {
            float v = x->f[i] + b->f[nb == n ? i : (nb == 1 ? 0 : i % nb)];
            out[i] = act(v, L->act, NULL, 0);
        }
        break;
    }
    case NN_OP_RELU:
        for (size_t i = 0; i < n; i++) out[i] = x->f[i] > 0 ? x->f[i] : 0;
        break;
    case NN_OP_PRELU:
        for (size_t i = 0; i < n; i++) out[i] = x->f[i] >= 0 ? x->f[i] : x->f[i] * alpha[i % (size_t)C];
        break;
    case NN_OP_SIGMOID:
        for (size_t i = 0; i < n; i++) out[i] = (float)(1.0 / (1.0 + exp(-(double)x->f[i])));
        break;
    case NN_OP_SOFTMAX:
        for (size_t r = 0; r < n / (size_t)C; r++) {
            const float *v = x->f + r * C;
            float mx = v[0];
            for (int c = 1; c < C; c++) if (v[c] > mx) mx = v[c];
            double sum = 0;
            for (int c = 0; c < C; c++) sum += exp((double)v[c] - mx);
            for (int c = 0; c < C; c++) out[r * C + c] = (float)(exp((double)v[c] - mx) / sum);
        }
        break;
    case NN_OP_MAXPOOL:
        maxpool_ref(x->f, is->dim[1], is->dim[2], is->dim[3], out, os->dim[1], os->dim[2], L);
        break;
    case NN_OP_PAD:
        pad_ref(x->f, is, out, os, L);
        break;
    case NN_OP_CONCAT:
        concat_ref(m, L, out);
        break;
    case NN_OP_RESIZE_BILINEAR:
        resize_bilinear_ref(x->f, is->dim[1], is->dim[2], is->dim[3], out, os->dim[1], os->dim[2]);
        break;
    case NN_OP_DEPTH_TO_SPACE:
        depth_to_space_ref(x->f, is->dim[1], is->dim[2], is->dim[3], L->block, out);
        break;
    case NN_OP_MEAN_HW: {
        size_t hw = (size_t)is->dim[1] * is->dim[2];
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (size_t p = 0; p < hw; p++) s += x->f[p * C + c];
            out[c] = (float)(s / (double)hw);
        }
        break;
    }
    case NN_OP_BINARY:
        binary_ref(m, L, out);
        break;
    case NN_OP_UNARY:
        for (size_t i = 0; i < n; i++) {
            float v = x->f[i];
            out[i] = L->kind == NN_UN_NEG ? -v : L->kind == NN_UN_SQRT ? sqrtf(v) : 1.0f / sqrtf(v);
        }
        break;
    case NN_OP_REDUCE:
        reduce_ref(m, L, out);
        break;
    case NN_OP_TRANSPOSE:
    case NN_OP_SLICE:
        gather_ref(m, L, out);
        break;
    }
}
