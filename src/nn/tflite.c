/*
 * nn/tflite.c — TensorFlow Lite model reader.
 *
 * Reads a .tflite file (a FlatBuffer of the TFLite schema: operator codes,
 * one subgraph of tensors and operators, constant buffers) into the same
 * tensors and layers as the TF.js reader (nn/loader.c), so the planner, both
 * backends and every limit apply unchanged. It exists for MediaPipe's face
 * blendshapes network (face/blendshapes.h), which Google ships only as TFLite.
 *
 * Written by hand because Debian packages no TFLite or FlatBuffers reader for
 * C (libtensorflow-lite is C++, brings its own kernels and is not in Debian
 * 12): the format is small — a table is an offset to a vtable of field
 * offsets — and a reader of its own lets every offset, length and shape in
 * an untrusted file be checked against the file before it is used.
 *
 * What is read (anything else is refused with the operator's name):
 *   - float32 constants, float16 constants (widened at load; their
 *     DEQUANTIZE ops become the constant itself), int32 constants;
 *   - CONV_2D (OHWI filters, reordered to the runtime's HWIO), ADD, SUB, MUL,
 *     DIV, SQUARED_DIFFERENCE with NumPy broadcasting and a fused ReLU, NEG,
 *     SQRT, RSQRT, LOGISTIC, MEAN, SUM, TRANSPOSE, RESHAPE (an alias),
 *     STRIDED_SLICE (begin/end/shrink masks, positive strides),
 *     CONCATENATION.
 * Quantised (int8/uint8) tensors, sparse tensors, several subgraphs and
 * buffers stored outside the FlatBuffer are refused. Every output shape is
 * computed here and must equal the shape the file declares.
 */
#include "nn/graph.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TENSORS      (1 << 16)
#define MAX_OPS          (1 << 16)
#define MAX_TENSOR_ELEMS ((size_t)1 << 28)
#define MAX_KERNEL_SIDE  256

/* ---- FlatBuffer access, every read bounds-checked --------------------------
 * A table at position t starts with a signed 32-bit offset back to its vtable;
 * the vtable holds its own length, the table's inline length, then one 16-bit
 * offset per field (0: absent, the default applies). Offsets to tables,
 * vectors and strings are unsigned 32-bit and relative to where they are
 * stored. A vector is a 32-bit length followed by its elements. */

typedef struct fb {
    const uint8_t *b;
    size_t n;
} fb;

typedef struct fbt {       /* a table, validated */
    size_t pos, vt;
    unsigned vlen, tlen;
} fbt;

static int fb_has(const fb *f, size_t o, size_t len) { return o <= f->n && f->n - o >= len; }

static uint32_t rd32(const fb *f, size_t o) { uint32_t v; memcpy(&v, f->b + o, 4); return v; }
static uint16_t rd16(const fb *f, size_t o) { uint16_t v; memcpy(&v, f->b + o, 2); return v; }

static int fb_table(const fb *f, size_t pos, fbt *t)
{
    if (!fb_has(f, pos, 4)) return -1;
    int64_t vt = (int64_t)pos - (int32_t)rd32(f, pos);
    if (vt < 0 || !fb_has(f, (size_t)vt, 4)) return -1;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vlen = rd16(f, t->vt);
    t->tlen = rd16(f, t->vt + 2);
    if (t->vlen < 4 || (t->vlen & 1) || !fb_has(f, t->vt, t->vlen) || t->tlen < 4 || !fb_has(f, pos, t->tlen))
        return -1;
    return 0;
}

/* Position of field id holding `size` bytes, 0 if absent, SIZE_MAX if it
 * does not fit in its table. */
static size_t fb_field(const fbt *t, const fb *f, int id, size_t size)
{
    size_t e = 4 + 2 * (size_t)id;
    if (e + 2 > t->vlen) return 0;
    unsigned off = rd16(f, t->vt + e);
    if (!off) return 0;
    if (off + size > t->tlen) return SIZE_MAX;
    return t->pos + off;
}

static int fb_int(const fbt *t, const fb *f, int id, int size, int64_t dflt, int64_t *v)
{
    size_t p = fb_field(t, f, id, (size_t)size);
    if (p == SIZE_MAX) return -1;
    if (!p) { *v = dflt; return 0; }
    if (size == 1) *v = (int8_t)f->b[p];
    else if (size == 4) *v = (int32_t)rd32(f, p);
    else { uint64_t u; memcpy(&u, f->b + p, 8); *v = (int64_t)u; }
    return 0;
}

/* The object an offset field points to: its position, 0 if the field is
 * absent, SIZE_MAX if broken. */
static size_t fb_ref(const fbt *t, const fb *f, int id)
{
    size_t p = fb_field(t, f, id, 4);
    if (!p || p == SIZE_MAX) return p;
    size_t target = p + rd32(f, p);
    return target < p || target >= f->n ? SIZE_MAX : target;
}

/* A vector field: its element count and first element (count 0 if absent). */
static int fb_vec(const fbt *t, const fb *f, int id, size_t elem, size_t *count, size_t *start)
{
    *count = 0;
    *start = 0;
    size_t p = fb_ref(t, f, id);
    if (p == SIZE_MAX) return -1;
    if (!p) return 0;
    if (!fb_has(f, p, 4)) return -1;
    size_t n = rd32(f, p);
    if (n > (f->n - p - 4) / elem) return -1;
    *count = n;
    *start = p + 4;
    return 0;
}

/* Element k of a vector of tables. */
static int fb_vec_table(const fb *f, size_t start, size_t k, fbt *t)
{
    size_t p = start + 4 * k;
    size_t target = p + rd32(f, p);
    return target < p ? -1 : fb_table(f, target, t);
}

static void fb_string(const fbt *t, const fb *f, int id, char *buf, size_t cap)
{
    size_t n, s;
    buf[0] = 0;
    if (fb_vec(t, f, id, 1, &n, &s) || !n) return;
    size_t k = 0;
    for (; k < n && k + 1 < cap; k++) {
        char c = (char)f->b[s + k];
        buf[k] = c >= 32 && c < 127 ? c : '?'; /* names go into error messages */
    }
    buf[k] = 0;
}

/* ---- the reader ----------------------------------------------------------- */

enum { /* TFLite builtin operators read here */
    OP_ADD = 0, OP_CONCATENATION = 2, OP_CONV_2D = 3, OP_DEQUANTIZE = 6, OP_LOGISTIC = 14,
    OP_MUL = 18, OP_RESHAPE = 22, OP_TRANSPOSE = 39, OP_MEAN = 40, OP_SUB = 41, OP_DIV = 42,
    OP_STRIDED_SLICE = 45, OP_NEG = 59, OP_SUM = 74, OP_SQRT = 75, OP_RSQRT = 76,
    OP_SQUARED_DIFFERENCE = 99,
};
enum { TT_FLOAT32 = 0, TT_FLOAT16 = 1, TT_INT32 = 2 };

typedef struct tfl_tensor {
    nn_shape shape;
    int type;
    size_t data, bytes;   /* constant bytes in the file (bytes 0: not a constant) */
    char name[96];
    int value;            /* runtime tensor, -1 until made */
} tfl_tensor;

typedef struct rd {
    fb f;
    nn_model *m;
    const char *path;
    au_error *err;
    tfl_tensor *t;
    size_t n_t;
    int32_t *codes;       /* builtin code per operator-code index */
    size_t n_codes;
    size_t buffers;       /* start of the buffers vector */
    size_t n_buffers;
    /* the operator being read */
    int op_index, code;
    int in[NN_MAX_LAYER_INPUTS + 1], n_in;
    int out;
    fbt opts;
    int has_opts;
} rd;

#define FAIL(code, ...) au_fail(r->err, code, __VA_ARGS__)

static const char *op_name(int code)
{
    switch (code) {
    case OP_ADD: return "ADD";
    case OP_CONCATENATION: return "CONCATENATION";
    case OP_CONV_2D: return "CONV_2D";
    case OP_DEQUANTIZE: return "DEQUANTIZE";
    case OP_LOGISTIC: return "LOGISTIC";
    case OP_MUL: return "MUL";
    case OP_RESHAPE: return "RESHAPE";
    case OP_TRANSPOSE: return "TRANSPOSE";
    case OP_MEAN: return "MEAN";
    case OP_SUB: return "SUB";
    case OP_DIV: return "DIV";
    case OP_STRIDED_SLICE: return "STRIDED_SLICE";
    case OP_NEG: return "NEG";
    case OP_SUM: return "SUM";
    case OP_SQRT: return "SQRT";
    case OP_RSQRT: return "RSQRT";
    case OP_SQUARED_DIFFERENCE: return "SQUARED_DIFFERENCE";
    default: return "builtin operator";
    }
}

static int bad_op(rd *r, const char *what)
{
    return FAIL(AUGUR_EFORMAT, "%s: operator %d (%s): %s", r->path, r->op_index, op_name(r->code), what);
}

static int shape_ok(const nn_shape *s)
{
    for (int i = 0; i < s->ndim; i++) if (s->dim[i] <= 0) return 0;
    return nn_shape_size(s) <= MAX_TENSOR_ELEMS;
}

static void shape_str(const nn_shape *s, char *buf, size_t cap)
{
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < s->ndim && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, i ? ",%d" : "%d", s->dim[i]);
    if (k < cap) snprintf(buf + k, cap - k, "]");
}

/* Reads tensor i of the subgraph: shape, type, constant bytes. */
static int read_tensor(rd *r, const fbt *tt, size_t i)
{
    tfl_tensor *t = &r->t[i];
    t->value = -1;
    size_t n, s;
    int64_t type, buf;
    fb_string(tt, &r->f, 3, t->name, sizeof t->name);
    if (fb_vec(tt, &r->f, 0, 4, &n, &s) || n > NN_MAX_DIMS || fb_int(tt, &r->f, 1, 1, 0, &type) ||
        fb_int(tt, &r->f, 2, 4, 0, &buf))
        return FAIL(AUGUR_EFORMAT, "%s: tensor %zu ('%s') has a bad shape or type", r->path, i, t->name);
    t->shape.ndim = (int)n;
    for (size_t k = 0; k < n; k++) t->shape.dim[k] = (int32_t)rd32(&r->f, s + 4 * k);
    t->type = (int)type;
    /* quantisation parameters (scales) or sparsity: a format this reader does not run */
    size_t q = fb_ref(tt, &r->f, 4), sp = fb_ref(tt, &r->f, 6);
    if (q == SIZE_MAX || sp == SIZE_MAX)
        return FAIL(AUGUR_EFORMAT, "%s: tensor '%s' has broken quantisation or sparsity fields", r->path, t->name);
    if (q) {
        fbt qt;
        size_t ns, ss;
        if (fb_table(&r->f, q, &qt) || fb_vec(&qt, &r->f, 2, 4, &ns, &ss))
            return FAIL(AUGUR_EFORMAT, "%s: tensor '%s' has broken quantisation fields", r->path, t->name);
        if (ns) return FAIL(AUGUR_EUNSUPPORTED, "%s: tensor '%s' is quantised (not supported)", r->path, t->name);
    }
    if (sp) return FAIL(AUGUR_EUNSUPPORTED, "%s: tensor '%s' is sparse (not supported)", r->path, t->name);
    uint32_t b = (uint32_t)buf;
    if (b >= r->n_buffers)
        return FAIL(AUGUR_EFORMAT, "%s: tensor '%s' names buffer %u of %zu", r->path, t->name, b, r->n_buffers);
    if (b == 0) return 0; /* buffer 0 is the empty sentinel: an activation */
    fbt bt;
    int64_t ext_off;
    if (fb_vec_table(&r->f, r->buffers, b, &bt) || fb_vec(&bt, &r->f, 0, 1, &n, &s) ||
        fb_int(&bt, &r->f, 1, 8, 0, &ext_off))
        return FAIL(AUGUR_EFORMAT, "%s: buffer %u (tensor '%s') is broken", r->path, b, t->name);
    if (ext_off > 1)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: buffer %u is stored outside the FlatBuffer (not supported)", r->path, b);
    t->data = s;
    t->bytes = n;
    return 0;
}

/* The runtime tensor of constant tensor i, made on first use. */
static int make_const(rd *r, int i)
{
    tfl_tensor *t = &r->t[i];
    for (int k = 0; k < t->shape.ndim; k++)
        if (t->shape.dim[k] < 0) return -FAIL(AUGUR_EFORMAT, "%s: constant '%s' has a negative dimension", r->path, t->name);
    size_t count = nn_shape_size(&t->shape);
    size_t esize = t->type == TT_FLOAT16 ? 2 : 4;
    if (t->type != TT_FLOAT32 && t->type != TT_FLOAT16 && t->type != TT_INT32)
        return -FAIL(AUGUR_EUNSUPPORTED, "%s: constant '%s' has tensor type %d (float32, float16 and int32 are read)",
                     r->path, t->name, t->type);
    if (count > MAX_TENSOR_ELEMS || count * esize != t->bytes)
        return -FAIL(AUGUR_EFORMAT, "%s: constant '%s' holds %zu bytes, its shape needs %zu", r->path, t->name,
                     t->bytes, count > MAX_TENSOR_ELEMS ? SIZE_MAX : count * esize);
    int ti = nn_add_tensor(r->m, t->name, r->err);
    if (ti < 0) return ti;
    nn_tensor *nt = &r->m->t[ti];
    nt->shape = t->shape;
    nt->is_const = 1;
    const uint8_t *src = r->f.b + t->data;
    if (t->type == TT_INT32) {
        nt->dtype = NN_I32;
        nt->i = malloc((count + 1) * sizeof(int32_t));
        if (!nt->i) return -FAIL(AUGUR_ENOMEM, "out of memory");
        memcpy(nt->i, src, count * 4);
    } else {
        nt->dtype = NN_F32;
        nt->f = malloc((count + 1) * sizeof(float));
        if (!nt->f) return -FAIL(AUGUR_ENOMEM, "out of memory");
        for (size_t k = 0; k < count; k++) {
            if (t->type == TT_FLOAT32) {
                memcpy(&nt->f[k], src + 4 * k, 4);
            } else {
                uint16_t h;
                memcpy(&h, src + 2 * k, 2);
                nt->f[k] = au_half_to_float(h);
            }
            /* weights feed sums that reach the output: a stored NaN or
             * infinity would poison every reading silently */
            if (!(nt->f[k] - nt->f[k] == 0))
                return -FAIL(AUGUR_EFORMAT, "%s: constant '%s' holds a non-finite value", r->path, t->name);
        }
    }
    t->value = ti;
    return ti;
}

/* The runtime tensor of operator input k (a constant is made on first use). */
static int input(rd *r, int k)
{
    int i = r->in[k];
    if (i < 0) return -bad_op(r, "an optional input is missing");
    if (r->t[i].value >= 0) return r->t[i].value;
    if (r->t[i].bytes) return make_const(r, i);
    return -FAIL(AUGUR_EFORMAT, "%s: operator %d (%s) reads tensor '%s' before any operator writes it", r->path,
                 r->op_index, op_name(r->code), r->t[i].name);
}

/* The int32 constant values of input k (at most max of them). */
static int const_ints(rd *r, int k, int32_t *v, int max)
{
    int ti = input(r, k);
    if (ti < 0) return ti;
    const nn_tensor *t = &r->m->t[ti];
    size_t n = nn_shape_size(&t->shape);
    if (!t->is_const || t->dtype != NN_I32 || n > (size_t)max) return -bad_op(r, "expects a small int32 constant");
    memcpy(v, t->i, n * sizeof(int32_t));
    return (int)n;
}

/* The operator's output: a new activation of shape *s, which must be what
 * the file declares. */
static int new_output(rd *r, const nn_shape *s)
{
    tfl_tensor *t = &r->t[r->out];
    if (!shape_ok(s)) return -bad_op(r, "its output is empty or too large");
    if (t->type != TT_FLOAT32) return -bad_op(r, "declares a non-float output");
    if (!nn_same_shape(s, &t->shape)) {
        char a[96], b[96];
        shape_str(s, a, sizeof a);
        shape_str(&t->shape, b, sizeof b);
        au_fail(r->err, AUGUR_EFORMAT, "%s: operator %d (%s) computes shape %s, the file declares %s for '%s'",
                r->path, r->op_index, op_name(r->code), a, b, t->name);
        return -AUGUR_EFORMAT;
    }
    int ti = nn_add_tensor(r->m, t->name, r->err);
    if (ti < 0) return ti;
    r->m->t[ti].shape = *s;
    r->m->t[ti].dtype = NN_F32;
    t->value = ti;
    return ti;
}

/* The output of the layer just added: a new activation of shape *os (what
 * the file declares); on failure the layer is dropped. Returns 0 or the code. */
static int finish_layer(rd *r, const nn_shape *os)
{
    int out = new_output(r, os);
    if (out < 0) { r->m->n_l--; return -out; }
    r->m->l[r->m->n_l - 1].out = out;
    return 0;
}

/* The operator's output as a view of runtime tensor x with another shape. */
static int alias_output(rd *r, int x, const nn_shape *s)
{
    if (nn_shape_size(s) != nn_shape_size(&r->m->t[x].shape)) return -bad_op(r, "changes the element count");
    if (r->m->t[x].is_const) return -bad_op(r, "reshapes a constant (not supported)");
    int ti = new_output(r, s);
    if (ti < 0) return ti;
    r->m->t[ti].alias_of = x;
    return ti;
}

static int activation_of(rd *r, int x)
{
    if (x < 0) return x;
    if (r->m->t[x].is_const || r->m->t[x].dtype != NN_F32) return -bad_op(r, "expects a float activation input");
    return x;
}

static int fused_act(rd *r, int field, nn_act *a)
{
    int64_t v = 0;
    if (r->has_opts && fb_int(&r->opts, &r->f, field, 1, 0, &v)) return bad_op(r, "broken options");
    if (v == 0) *a = NN_ACT_NONE;
    else if (v == 1) *a = NN_ACT_RELU;
    else return bad_op(r, "fused activation other than ReLU (not supported)");
    return 0;
}

static int opt_int(rd *r, int field, int size, int64_t dflt, int64_t *v)
{
    *v = dflt;
    if (r->has_opts && fb_int(&r->opts, &r->f, field, size, dflt, v)) return bad_op(r, "broken options");
    return 0;
}

static nn_layer *layer(rd *r, nn_op op)
{
    return nn_add_layer(r->m, op, r->t[r->out].name, r->err);
}

static int lower_conv(rd *r)
{
    nn_model *m = r->m;
    if (r->n_in < 2 || r->n_in > 3) return bad_op(r, "expects 2 or 3 inputs");
    int x = activation_of(r, input(r, 0)), w = input(r, 1), b = -1;
    if (x < 0) return -x;
    if (w < 0) return -w;
    if (r->n_in == 3 && r->in[2] >= 0 && (b = input(r, 2)) < 0) return -b;
    const nn_shape xs = m->t[x].shape, ws = m->t[w].shape;
    if (xs.ndim != 4 || xs.dim[0] != 1) return bad_op(r, "expects a [1,H,W,C] input");
    if (!m->t[w].is_const || m->t[w].dtype != NN_F32 || ws.ndim != 4) return bad_op(r, "expects a constant 4-D filter");
    int co = ws.dim[0], kh = ws.dim[1], kw = ws.dim[2], ci = ws.dim[3];
    if (kh < 1 || kw < 1 || kh > MAX_KERNEL_SIDE || kw > MAX_KERNEL_SIDE || co < 1 || ci != xs.dim[3])
        return bad_op(r, "filter does not fit the input");
    if (b >= 0 && (!m->t[b].is_const || m->t[b].dtype != NN_F32 || nn_shape_size(&m->t[b].shape) != (size_t)co))
        return bad_op(r, "bias is not a constant of one float per output channel");
    int64_t pad, sw, sh, dw, dh;
    nn_act act;
    if (opt_int(r, 0, 1, 0, &pad) || opt_int(r, 1, 4, 1, &sw) || opt_int(r, 2, 4, 1, &sh) ||
        opt_int(r, 4, 4, 1, &dw) || opt_int(r, 5, 4, 1, &dh) || fused_act(r, 3, &act))
        return AUGUR_EFORMAT;
    if (dw != 1 || dh != 1) return bad_op(r, "dilated convolution (not supported)");
    if (sw < 1 || sh < 1 || sw > 16 || sh > 16 || (pad != 0 && pad != 1)) return bad_op(r, "bad strides or padding");
    /* the runtime keeps TensorFlow's HWIO filters: reorder OHWI once */
    int hw = nn_add_tensor(m, r->t[r->in[1]].name, r->err);
    if (hw < 0) return -hw;
    nn_tensor *H = &m->t[hw];
    H->shape = (nn_shape){4, {kh, kw, ci, co}};
    H->is_const = 1;
    H->dtype = NN_F32;
    size_t count = nn_shape_size(&H->shape);
    if (!(H->f = malloc((count + 1) * sizeof(float)))) return FAIL(AUGUR_ENOMEM, "out of memory");
    const float *src = m->t[w].f;
    for (int o = 0; o < co; o++)
        for (size_t k = 0; k < (size_t)kh * kw * ci; k++) H->f[k * co + o] = src[(size_t)o * kh * kw * ci + k];
    nn_layer *L = layer(r, NN_OP_CONV2D);
    if (!L) return AUGUR_ENOMEM;
    L->kh = kh; L->kw = kw; L->sh = (int)sh; L->sw = (int)sw;
    L->in[0] = x; L->n_in = 1;
    L->w = hw; L->bias = b; L->act = act;
    nn_shape os = {4, {1, 0, 0, co}};
    int dims[2] = {xs.dim[1], xs.dim[2]}, k[2] = {kh, kw}, s[2] = {(int)sh, (int)sw};
    int *pb[2] = {&L->pad_t, &L->pad_l}, *pa[2] = {&L->pad_b, &L->pad_r};
    for (int a = 0; a < 2; a++) {
        if (pad == 0) { /* SAME */
            os.dim[1 + a] = (dims[a] + s[a] - 1) / s[a];
            int total = (os.dim[1 + a] - 1) * s[a] + k[a] - dims[a];
            if (total < 0) total = 0;
            *pb[a] = total / 2;
            *pa[a] = total - total / 2;
        } else {
            if (dims[a] < k[a]) { m->n_l--; return bad_op(r, "input smaller than the kernel"); }
            os.dim[1 + a] = (dims[a] - k[a]) / s[a] + 1;
        }
    }
    L->macs = (double)os.dim[1] * os.dim[2] * kh * kw * ci * co;
    return finish_layer(r, &os);
}

/* NumPy broadcasting of two shapes. */
static int broadcast(const nn_shape *a, const nn_shape *b, nn_shape *o)
{
    o->ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < o->ndim; i++) {
        int da = i - (o->ndim - a->ndim), db = i - (o->ndim - b->ndim);
        int x = da >= 0 ? a->dim[da] : 1, y = db >= 0 ? b->dim[db] : 1;
        if (x != y && x != 1 && y != 1) return -1;
        o->dim[i] = x > y ? x : y;
    }
    return 0;
}

static int lower_binary(rd *r, int kind, int act_field)
{
    nn_model *m = r->m;
    if (r->n_in != 2) return bad_op(r, "expects 2 inputs");
    int a = input(r, 0), b = input(r, 1);
    if (a < 0) return -a;
    if (b < 0) return -b;
    if (m->t[a].dtype != NN_F32 || m->t[b].dtype != NN_F32) return bad_op(r, "expects float inputs");
    if (m->t[a].is_const && m->t[b].is_const) return bad_op(r, "on two constants (not supported)");
    nn_shape os;
    if (broadcast(&m->t[a].shape, &m->t[b].shape, &os)) return bad_op(r, "input shapes do not broadcast");
    nn_act act = NN_ACT_NONE;
    if (act_field >= 0 && fused_act(r, act_field, &act)) return AUGUR_EFORMAT;
    nn_layer *L = layer(r, NN_OP_BINARY);
    if (!L) return AUGUR_ENOMEM;
    L->kind = kind; L->act = act;
    L->in[0] = a; L->in[1] = b; L->n_in = 2;
    return finish_layer(r, &os);
}

static int lower_unary(rd *r, nn_op op, int kind)
{
    if (r->n_in != 1) return bad_op(r, "expects 1 input");
    int x = activation_of(r, input(r, 0));
    if (x < 0) return -x;
    nn_shape os = r->m->t[x].shape;
    if (op == NN_OP_SIGMOID && os.ndim == 0) return bad_op(r, "on a scalar (not supported)");
    nn_layer *L = layer(r, op);
    if (!L) return AUGUR_ENOMEM;
    L->kind = kind;
    L->in[0] = x; L->n_in = 1;
    return finish_layer(r, &os);
}

/* A layer whose output keeps the input's rank (`kept`), viewed by the file's
 * tensor as `os` when the two differ (keep_dims false, shrunk slice axes). */
static int finish_kept(rd *r, const nn_shape *kept, const nn_shape *os)
{
    nn_model *m = r->m;
    if (nn_same_shape(kept, os)) {
        return finish_layer(r, os);
    }
    if (!shape_ok(kept)) { m->n_l--; return bad_op(r, "its output is empty or too large"); }
    int mid = nn_add_tensor(m, r->t[r->out].name, r->err);
    if (mid < 0) return -mid;
    m->t[mid].shape = *kept;
    m->t[mid].dtype = NN_F32;
    m->l[m->n_l - 1].out = mid;
    int out = alias_output(r, mid, os);
    return out < 0 ? -out : 0;
}

static int lower_reduce(rd *r, int kind)
{
    if (r->n_in != 2) return bad_op(r, "expects 2 inputs");
    int x = activation_of(r, input(r, 0));
    if (x < 0) return -x;
    int32_t ax[NN_MAX_DIMS];
    int na = const_ints(r, 1, ax, NN_MAX_DIMS);
    if (na < 0) return -na;
    int64_t keep;
    if (opt_int(r, 0, 1, 0, &keep)) return AUGUR_EFORMAT;
    nn_shape is = r->m->t[x].shape, kept = is, os = {0};
    int flag[NN_MAX_DIMS] = {0};
    for (int k = 0; k < na; k++) {
        int a = ax[k] < 0 ? ax[k] + is.ndim : ax[k];
        if (a < 0 || a >= is.ndim) return bad_op(r, "axis out of range");
        flag[a] = 1;
        kept.dim[a] = 1;
    }
    for (int i = 0; i < is.ndim; i++)
        if (keep || !flag[i]) os.dim[os.ndim++] = kept.dim[i];
    nn_layer *L = layer(r, NN_OP_REDUCE);
    if (!L) return AUGUR_ENOMEM;
    L->kind = kind;
    memcpy(L->axes, flag, sizeof flag);
    L->in[0] = x; L->n_in = 1;
    return finish_kept(r, &kept, &os);
}

static int lower_transpose(rd *r)
{
    if (r->n_in != 2) return bad_op(r, "expects 2 inputs");
    int x = activation_of(r, input(r, 0));
    if (x < 0) return -x;
    int32_t p[NN_MAX_DIMS];
    int np = const_ints(r, 1, p, NN_MAX_DIMS);
    if (np < 0) return -np;
    nn_shape is = r->m->t[x].shape, os = is;
    int seen[NN_MAX_DIMS] = {0};
    if (np != is.ndim) return bad_op(r, "permutation does not match the input's rank");
    for (int i = 0; i < np; i++) {
        if (p[i] < 0 || p[i] >= np || seen[p[i]]++) return bad_op(r, "not a permutation");
        os.dim[i] = is.dim[p[i]];
    }
    nn_layer *L = layer(r, NN_OP_TRANSPOSE);
    if (!L) return AUGUR_ENOMEM;
    for (int i = 0; i < np; i++) L->axes[i] = p[i];
    L->in[0] = x; L->n_in = 1;
    return finish_layer(r, &os);
}

static int lower_reshape(rd *r)
{
    if (r->n_in < 1 || r->n_in > 2) return bad_op(r, "expects 1 or 2 inputs");
    int x = activation_of(r, input(r, 0));
    if (x < 0) return -x;
    /* the target shape is the one the file declares for the output (checked
     * against the element count; the shape input only repeats it) */
    nn_shape os = r->t[r->out].shape;
    int out = alias_output(r, x, &os);
    return out < 0 ? -out : 0;
}

static int lower_strided_slice(rd *r)
{
    if (r->n_in != 4) return bad_op(r, "expects 4 inputs");
    int x = activation_of(r, input(r, 0));
    if (x < 0) return -x;
    nn_shape is = r->m->t[x].shape, kept = is, os = {0};
    int32_t be[NN_MAX_DIMS], en[NN_MAX_DIMS], st[NN_MAX_DIMS];
    int nb = const_ints(r, 1, be, NN_MAX_DIMS), ne = const_ints(r, 2, en, NN_MAX_DIMS),
        ns = const_ints(r, 3, st, NN_MAX_DIMS);
    if (nb < 0) return -nb;
    if (ne < 0) return -ne;
    if (ns < 0) return -ns;
    if (nb != is.ndim || ne != is.ndim || ns != is.ndim) return bad_op(r, "begin/end/strides do not match the rank");
    int64_t bm, em, elm, nm, sm, off;
    if (opt_int(r, 0, 4, 0, &bm) || opt_int(r, 1, 4, 0, &em) || opt_int(r, 2, 4, 0, &elm) ||
        opt_int(r, 3, 4, 0, &nm) || opt_int(r, 4, 4, 0, &sm) || opt_int(r, 5, 1, 0, &off))
        return AUGUR_EFORMAT;
    if (elm || nm || off) return bad_op(r, "ellipsis, new-axis or offset slicing (not supported)");
    int begin[NN_MAX_DIMS];
    for (int i = 0; i < is.ndim; i++) {
        int64_t d = is.dim[i], s = st[i];
        if (s < 1) return bad_op(r, "non-positive stride (not supported)");
        int64_t b = (bm >> i) & 1 ? 0 : be[i], e = (em >> i) & 1 ? d : en[i];
        if (b < 0) b += d;
        if (e < 0) e += d;
        b = b < 0 ? 0 : b > d ? d : b;
        e = e < 0 ? 0 : e > d ? d : e;
        if ((sm >> i) & 1) {
            if (b >= d) return bad_op(r, "shrinks an axis at an index out of range");
            e = b + 1;
        }
        int64_t len = e > b ? (e - b + s - 1) / s : 0;
        if (len < 1) return bad_op(r, "empty slice");
        begin[i] = (int)b;
        kept.dim[i] = (int)len;
        if (!((sm >> i) & 1)) os.dim[os.ndim++] = (int)len;
        st[i] = (int32_t)s;
    }
    nn_layer *L = layer(r, NN_OP_SLICE);
    if (!L) return AUGUR_ENOMEM;
    for (int i = 0; i < is.ndim; i++) { L->axes[i] = begin[i]; L->step[i] = st[i]; }
    L->in[0] = x; L->n_in = 1;
    return finish_kept(r, &kept, &os);
}

static int lower_concat(rd *r)
{
    nn_model *m = r->m;
    if (r->n_in < 1 || r->n_in > NN_MAX_LAYER_INPUTS) return bad_op(r, "bad number of inputs");
    int64_t axis;
    nn_act act;
    if (opt_int(r, 0, 4, 0, &axis) || fused_act(r, 1, &act)) return AUGUR_EFORMAT;
    if (act != NN_ACT_NONE) return bad_op(r, "fused activation (not supported)");
    int ts[NN_MAX_LAYER_INPUTS], n_act = 0;
    nn_shape os = {0};
    for (int k = 0; k < r->n_in; k++) {
        if ((ts[k] = input(r, k)) < 0) return -ts[k];
        const nn_tensor *t = &m->t[ts[k]];
        if (t->dtype != NN_F32) return bad_op(r, "expects float inputs");
        n_act += !t->is_const;
        if (k == 0) {
            os = t->shape;
            if (axis < 0) axis += os.ndim;
            if (axis < 0 || axis >= os.ndim) return bad_op(r, "axis out of range");
            continue;
        }
        if (t->shape.ndim != os.ndim) return bad_op(r, "inputs of different ranks");
        for (int i = 0; i < os.ndim; i++)
            if (i != axis && t->shape.dim[i] != os.dim[i]) return bad_op(r, "input shapes do not match");
        if (os.dim[axis] > INT_MAX - t->shape.dim[axis]) return bad_op(r, "output too large");
        os.dim[axis] += t->shape.dim[axis];
    }
    if (!n_act) return bad_op(r, "on constants only (not supported)");
    nn_layer *L = layer(r, NN_OP_CONCAT);
    if (!L) return AUGUR_ENOMEM;
    L->axis = (int)axis;
    for (int k = 0; k < r->n_in; k++) L->in[k] = ts[k];
    L->n_in = r->n_in;
    return finish_layer(r, &os);
}

/* DEQUANTIZE of a float16 constant: the constant itself (widened at load). */
static int lower_dequantize(rd *r)
{
    if (r->n_in != 1) return bad_op(r, "expects 1 input");
    int i = r->in[0];
    if (i < 0 || r->t[i].type != TT_FLOAT16 || !r->t[i].bytes) return bad_op(r, "only float16 constants are read");
    int x = input(r, 0);
    if (x < 0) return -x;
    if (!nn_same_shape(&r->m->t[x].shape, &r->t[r->out].shape)) return bad_op(r, "changes the shape");
    r->t[r->out].value = x;
    r->m->stats.n_folded++;
    return 0;
}

static int lower_op(rd *r)
{
    switch (r->code) {
    case OP_CONV_2D: return lower_conv(r);
    case OP_ADD: return lower_binary(r, NN_BIN_ADD, 0);
    case OP_SUB: return lower_binary(r, NN_BIN_SUB, 0);
    case OP_MUL: return lower_binary(r, NN_BIN_MUL, 0);
    case OP_DIV: return lower_binary(r, NN_BIN_DIV, 0);
    case OP_SQUARED_DIFFERENCE: return lower_binary(r, NN_BIN_SQDIFF, -1);
    case OP_NEG: return lower_unary(r, NN_OP_UNARY, NN_UN_NEG);
    case OP_SQRT: return lower_unary(r, NN_OP_UNARY, NN_UN_SQRT);
    case OP_RSQRT: return lower_unary(r, NN_OP_UNARY, NN_UN_RSQRT);
    case OP_LOGISTIC: return lower_unary(r, NN_OP_SIGMOID, 0);
    case OP_MEAN: return lower_reduce(r, NN_REDUCE_MEAN);
    case OP_SUM: return lower_reduce(r, NN_REDUCE_SUM);
    case OP_TRANSPOSE: return lower_transpose(r);
    case OP_RESHAPE: return lower_reshape(r);
    case OP_STRIDED_SLICE: return lower_strided_slice(r);
    case OP_CONCATENATION: return lower_concat(r);
    case OP_DEQUANTIZE: return lower_dequantize(r);
    default:
        return FAIL(AUGUR_EUNSUPPORTED, "%s: operator %d uses TFLite builtin %d, which this reader does not run",
                    r->path, r->op_index, r->code);
    }
}

/* An int32 vector of tensor indices (inputs/outputs of a subgraph or
 * operator), each -1 (absent, operators only) or a valid tensor. Returns the
 * count, or minus the error code (a positive code read as a count once let a
 * broken list through: the fuzzer's crash of tests/fuzz-regressions/tflite). */
static int tensor_list(rd *r, const fbt *t, int id, int *out, int max, int allow_absent, const char *what)
{
    size_t n, s;
    if (fb_vec(t, &r->f, id, 4, &n, &s)) return -FAIL(AUGUR_EFORMAT, "%s: %s: broken tensor list", r->path, what);
    if (n > (size_t)max)
        return -FAIL(AUGUR_EUNSUPPORTED, "%s: %s has %zu tensors (at most %d)", r->path, what, n, max);
    for (size_t k = 0; k < n; k++) {
        int32_t v = (int32_t)rd32(&r->f, s + 4 * k);
        if ((v < 0 && !(allow_absent && v == -1)) || (v >= 0 && (size_t)v >= r->n_t))
            return -FAIL(AUGUR_EFORMAT, "%s: %s names tensor %d of %zu", r->path, what, v, r->n_t);
        out[k] = v;
    }
    return (int)n;
}

static int read_model(rd *r)
{
    nn_model *m = r->m;
    fb *f = &r->f;
    fbt root, sg;
    if (f->n < 8 || memcmp(f->b + 4, "TFL3", 4) != 0)
        return FAIL(AUGUR_EFORMAT, "%s: not a TFLite model (no TFL3 identifier)", r->path);
    if (fb_table(f, rd32(f, 0), &root)) return FAIL(AUGUR_EFORMAT, "%s: truncated or corrupt FlatBuffer (root table)", r->path);

    size_t n, s;
    if (fb_vec(&root, f, 1, 4, &n, &s) || !n || n > MAX_OPS)
        return FAIL(AUGUR_EFORMAT, "%s: truncated or corrupt file (operator-code list)", r->path);
    if (!(r->codes = calloc(n, sizeof *r->codes))) return FAIL(AUGUR_ENOMEM, "out of memory");
    r->n_codes = n;
    for (size_t k = 0; k < n; k++) {
        fbt oc;
        int64_t dep, code;
        if (fb_vec_table(f, s, k, &oc) || fb_int(&oc, f, 0, 1, 0, &dep) || fb_int(&oc, f, 3, 4, 0, &code))
            return FAIL(AUGUR_EFORMAT, "%s: operator code %zu is corrupt", r->path, k);
        /* builtin_code replaced deprecated_builtin_code (an int8) in schema
         * v3a; files carry either, and the larger is the real one */
        r->codes[k] = (int32_t)(code > dep ? code : dep);
    }
    if (fb_vec(&root, f, 4, 4, &r->n_buffers, &r->buffers))
        return FAIL(AUGUR_EFORMAT, "%s: corrupt buffer list", r->path);
    if (fb_vec(&root, f, 2, 4, &n, &s) || n == 0) return FAIL(AUGUR_EFORMAT, "%s: no subgraph", r->path);
    if (n > 1) return FAIL(AUGUR_EUNSUPPORTED, "%s: %zu subgraphs (one is supported)", r->path, n);
    if (fb_vec_table(f, s, 0, &sg)) return FAIL(AUGUR_EFORMAT, "%s: corrupt subgraph", r->path);

    if (fb_vec(&sg, f, 0, 4, &n, &s) || !n) return FAIL(AUGUR_EFORMAT, "%s: corrupt or empty tensor list", r->path);
    if (n > MAX_TENSORS)
        return FAIL(AUGUR_ELIMIT, "%s: %zu tensors, more than the limit of %d", r->path, n, MAX_TENSORS);
    if (!(r->t = calloc(n, sizeof *r->t))) return FAIL(AUGUR_ENOMEM, "out of memory");
    r->n_t = n;
    for (size_t k = 0; k < n; k++) {
        fbt tt;
        if (fb_vec_table(f, s, k, &tt)) return FAIL(AUGUR_EFORMAT, "%s: tensor %zu is corrupt", r->path, k);
        int rc = read_tensor(r, &tt, k);
        if (rc) return rc;
    }

    int io[8];
    int ni = tensor_list(r, &sg, 1, io, 4, 0, "the subgraph's inputs");
    if (ni < 0) return -ni;
    for (int k = 0; k < ni; k++) {
        tfl_tensor *t = &r->t[io[k]];
        if (t->value >= 0 || t->bytes) return FAIL(AUGUR_EFORMAT, "%s: input '%s' is a constant or repeated", r->path, t->name);
        if (t->type != TT_FLOAT32) return FAIL(AUGUR_EUNSUPPORTED, "%s: input '%s' is not float32", r->path, t->name);
        nn_shape sh = t->shape;
        if (sh.ndim && sh.dim[0] == -1) sh.dim[0] = 1; /* batch */
        if (!shape_ok(&sh)) return FAIL(AUGUR_EFORMAT, "%s: input '%s' has a bad shape", r->path, t->name);
        int ti = nn_add_tensor(m, t->name, r->err);
        if (ti < 0) return -ti;
        m->t[ti].shape = sh;
        m->t[ti].dtype = NN_F32;
        m->t[ti].is_io = 1;
        m->inputs[m->n_inputs++] = ti;
        t->value = ti;
    }
    if (!ni) return FAIL(AUGUR_EFORMAT, "%s: the model has no input", r->path);

    if (fb_vec(&sg, f, 3, 4, &n, &s)) return FAIL(AUGUR_EFORMAT, "%s: corrupt operator list", r->path);
    if (n > MAX_OPS) return FAIL(AUGUR_ELIMIT, "%s: %zu operators, more than the limit of %d", r->path, n, MAX_OPS);
    m->stats.n_nodes = (int)n;
    /* TFLite stores operators in execution order: one pass, each reading only
     * tensors written before it (input() refuses anything else) */
    for (size_t k = 0; k < n; k++) {
        fbt op;
        int64_t idx, otype;
        r->op_index = (int)k;
        r->code = -1;
        if (fb_vec_table(f, s, k, &op) || fb_int(&op, f, 0, 4, 0, &idx) || fb_int(&op, f, 3, 1, 0, &otype))
            return FAIL(AUGUR_EFORMAT, "%s: operator %zu is corrupt", r->path, k);
        if (idx < 0 || (uint64_t)(uint32_t)idx >= r->n_codes)
            return FAIL(AUGUR_EFORMAT, "%s: operator %zu names operator code %lld of %zu", r->path, k,
                        (long long)(uint32_t)idx, r->n_codes);
        r->code = r->codes[(uint32_t)idx];
        char what[64];
        snprintf(what, sizeof what, "operator %zu", k);
        if ((r->n_in = tensor_list(r, &op, 1, r->in, NN_MAX_LAYER_INPUTS, 1, what)) < 0) return -r->n_in;
        int outs[2];
        int no = tensor_list(r, &op, 2, outs, 1, 0, what);
        if (no < 0) return -no;
        if (no != 1) return bad_op(r, "has no output");
        r->out = outs[0];
        if (r->t[r->out].value >= 0 || r->t[r->out].bytes) return bad_op(r, "writes a tensor already defined");
        size_t op_opts = fb_ref(&op, f, 4);
        if (op_opts == SIZE_MAX) return bad_op(r, "broken options");
        r->has_opts = otype != 0 && op_opts != 0;
        if (r->has_opts && fb_table(f, op_opts, &r->opts)) return bad_op(r, "broken options");
        int rc = lower_op(r);
        if (rc) return rc;
    }

    int no = tensor_list(r, &sg, 2, io, 8, 0, "the subgraph's outputs");
    if (no < 0) return -no;
    for (int k = 0; k < no; k++) {
        int v = r->t[io[k]].value;
        if (v < 0 || m->t[v].is_const)
            return FAIL(AUGUR_EFORMAT, "%s: output '%s' is not computed by any operator", r->path, r->t[io[k]].name);
        m->outputs[m->n_outputs++] = v;
        m->t[v].is_io = 1;
    }
    if (!no) return FAIL(AUGUR_EFORMAT, "%s: the model has no output", r->path);
    for (int i = 0; i < m->n_l; i++) {
        m->stats.macs += m->l[i].macs;
        m->l[i].name = m->t[m->l[i].out].name;
    }
    m->stats.n_layers = m->n_l;
    return 0;
}

int nn_graph_load_tflite(nn_model *m, const char *path, au_error *err)
{
    uint8_t *buf = NULL;
    size_t len;
    int rc = au_read_file(path, m->opt.max_file_bytes, 0, &buf, &len, err);
    if (rc) return rc;
    rd r = {.f = {buf, len}, .m = m, .path = path, .err = err};
    rc = read_model(&r);
    free(r.t);
    free(r.codes);
    free(buf);
    return rc;
}
