/*
 * nn/loader.c — TensorFlow.js graph-model loader.
 *
 * Reads model.json (the GraphDef-like `modelTopology.node` list plus the
 * `weightsManifest`), reads and dequantises the weight shards (float32, int32,
 * float16, and uint8/uint16 affine quantisation), then walks the nodes in
 * topological order and turns them into augur's layers:
 *
 *   - shapes are inferred statically (the batch dimension -1 is fixed to 1);
 *   - constant subgraphs (Shape -> StridedSlice -> Pack -> Reshape's shape,
 *     ConcatV2 of constants, Identity of constants …) are evaluated here, once;
 *   - Reshape and Identity become aliases (no layer, no copy);
 *   - a spatial zero Pad feeding a VALID convolution becomes that
 *     convolution's explicit padding, and a Relu after a convolution or an Add
 *     becomes its fused activation.
 *
 * TF.js's converter is the only producer we accept, so anything outside the
 * op set below (the table `lowerings`: one row per op) is reported as
 * unsupported with the node's name and op, rather than guessed at. The JSON parser is cJSON (Debian's libcjson).
 */
#include "nn/graph.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_JSON_BYTES   ((size_t)64 << 20)
#define MAX_TENSOR_ELEMS ((size_t)1 << 28)
/* Limits a model file cannot talk us past (the shipped models stay far below:
 * at most 463 nodes, kernels of 5x5, windows of 2x2). The loader itself is
 * linear in the node count; the node limit bounds the arena planner in nn.c,
 * which compares each activation with those placed before it (quadratic: a
 * chain of 65,000 layers loads in 1.7 s). */
#define MAX_NODES        (1 << 16)
#define MAX_KERNEL_SIDE  256

/* ---- tensors ----------------------------------------------------------- */

int nn_add_tensor(nn_model *m, const char *name, au_error *err)
{
    if (m->n_t == m->cap_t) {
        int cap = m->cap_t ? 2 * m->cap_t : 256;
        nn_tensor *t = realloc(m->t, (size_t)cap * sizeof *t);
        if (!t) return -au_fail(err, AUGUR_ENOMEM, "out of memory (tensors)");
        m->t = t;
        m->cap_t = cap;
    }
    nn_tensor *t = &m->t[m->n_t];
    memset(t, 0, sizeof *t);
    t->name = strdup(name ? name : "");
    if (!t->name) return -au_fail(err, AUGUR_ENOMEM, "out of memory (tensor name)");
    t->alias_of = -1;
    t->first_def = -1;
    t->last_use = -1;
    return m->n_t++;
}

nn_layer *nn_add_layer(nn_model *m, nn_op op, const char *name, au_error *err)
{
    if (m->n_l == m->cap_l) {
        int cap = m->cap_l ? 2 * m->cap_l : 128;
        nn_layer *l = realloc(m->l, (size_t)cap * sizeof *l);
        if (!l) { au_fail(err, AUGUR_ENOMEM, "out of memory (layers)"); return NULL; }
        m->l = l;
        m->cap_l = cap;
    }
    nn_layer *L = &m->l[m->n_l++];
    memset(L, 0, sizeof *L);
    L->op = op;
    L->name = name;
    L->w = L->bias = L->alpha = -1;
    L->out = -1;
    return L;
}

/* Element count of a shape. A count that does not fit in size_t (a model
 * file can ask for [1,65536,65536,65536,65536], which wraps to 0) or a
 * negative dimension gives SIZE_MAX, which every caller's size limit refuses. */
size_t nn_shape_size(const nn_shape *s)
{
    size_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        if (s->dim[i] < 0 || au_mul_size(n, (size_t)s->dim[i], &n)) return SIZE_MAX;
    return n;
}

/* ---- JSON helpers ------------------------------------------------------ */

typedef struct node {
    const char *name;
    const char *op;
    cJSON *json;
    const char *in[NN_MAX_LAYER_INPUTS + 1]; /* input node names (":0" and "^" stripped) */
    char *in_buf[NN_MAX_LAYER_INPUTS + 1];
    int n_in;
    int tensor;   /* value of this node: a tensor index, or -1 while unknown */
    int n_users;
    int order;    /* topological position */
} node;

typedef struct named { const char *name; int idx; } named;

typedef struct loader {
    nn_model *m;
    node *nodes;
    int n_nodes;
    named *by_name;    /* nodes sorted by name, for binary search */
    named *weights;    /* weight tensors sorted by name (then index) */
    int n_weights;
    const char *path;
    au_error *err;
} loader;

static const cJSON *attr(const node *n, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(n->json, "attr");
    return a ? cJSON_GetObjectItemCaseSensitive(a, key) : NULL;
}

/* TF.js stores ints as strings ("1") inside {"i": …}. */
static int json_int(const cJSON *v, long *out)
{
    if (cJSON_IsNumber(v)) { /* (long) of NaN or 1e300 is undefined: range first */
        if (!(v->valuedouble >= -2147483648.0 && v->valuedouble <= 2147483647.0)) return -1;
        *out = (long)v->valuedouble;
        return 0;
    }
    if (cJSON_IsString(v)) {
        char *end;
        long x = strtol(v->valuestring, &end, 10);
        if (end == v->valuestring || *end) return -1;
        *out = x;
        return 0;
    }
    return -1;
}

static int attr_int(const node *n, const char *key, long dflt)
{
    const cJSON *a = attr(n, key);
    long v;
    if (!a) return (int)dflt;
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(a, "i");
    if (i && json_int(i, &v) == 0) return (int)v;
    return (int)dflt;
}

static int attr_bool(const node *n, const char *key, int dflt)
{
    const cJSON *a = attr(n, key);
    const cJSON *b = a ? cJSON_GetObjectItemCaseSensitive(a, "b") : NULL;
    return b ? cJSON_IsTrue(b) : dflt;
}

/* attr {"list": {"i": ["1","2","2","1"]}} -> up to max ints; returns count or -1. */
static int attr_ints(const node *n, const char *key, long *out, int max)
{
    const cJSON *a = attr(n, key);
    const cJSON *l = a ? cJSON_GetObjectItemCaseSensitive(a, "list") : NULL;
    const cJSON *i = l ? cJSON_GetObjectItemCaseSensitive(l, "i") : NULL;
    if (!i) return 0;
    int k = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, i) {
        if (k >= max || json_int(v, &out[k]) != 0) return -1;
        k++;
    }
    return k;
}

static const char b64tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Decodes base64 text (TF.js's encoding of string attrs) into buf, NUL-terminated. */
static void b64_decode(const char *in, char *buf, size_t cap)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = in; *p && *p != '='; p++) {
        const char *q = strchr(b64tab, *p);
        if (!q) break;
        acc = (acc << 6) | (unsigned)(q - b64tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 < cap) buf[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    buf[o] = 0;
}

/* attr {"s": base64} decoded into buf; "" when absent. */
static void attr_str(const node *n, const char *key, char *buf, size_t cap)
{
    buf[0] = 0;
    const cJSON *a = attr(n, key);
    const cJSON *s = a ? cJSON_GetObjectItemCaseSensitive(a, "s") : NULL;
    if (cJSON_IsString(s)) b64_decode(s->valuestring, buf, cap);
}

/* attr {"list": {"s": [base64…]}} -> names joined by ',' (e.g. "BiasAdd,Relu"). */
static void attr_strs(const node *n, const char *key, char *buf, size_t cap)
{
    buf[0] = 0;
    const cJSON *a = attr(n, key);
    const cJSON *l = a ? cJSON_GetObjectItemCaseSensitive(a, "list") : NULL;
    const cJSON *s = l ? cJSON_GetObjectItemCaseSensitive(l, "s") : NULL;
    const cJSON *v;
    cJSON_ArrayForEach(v, s) {
        if (!cJSON_IsString(v)) continue;
        char one[64];
        b64_decode(v->valuestring, one, sizeof one);
        if (buf[0]) strncat(buf, ",", cap - strlen(buf) - 1);
        strncat(buf, one, cap - strlen(buf) - 1);
    }
}

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named *)a)->name, ((const named *)b)->name);
}

static int cmp_named_idx(const void *a, const void *b)
{
    int c = cmp_named(a, b);
    return c ? c : ((const named *)a)->idx - ((const named *)b)->idx;
}

static int find_node(const loader *ld, const char *name)
{
    int lo = 0, hi = ld->n_nodes - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(ld->by_name[mid].name, name);
        if (c == 0) return ld->by_name[mid].idx;
        if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
}

/* ---- weights ----------------------------------------------------------- */

/* Reads every shard of every manifest group and creates one constant tensor
 * per weight entry; the Const node of the same name then refers to it. */
static int load_weights(loader *ld, const cJSON *manifest, const char *dir)
{
    nn_model *m = ld->m;
    au_error *err = ld->err;
    if (!cJSON_IsArray(manifest))
        return au_fail(err, AUGUR_EFORMAT, "%s: 'weightsManifest' missing or not a list", ld->path);
    const cJSON *group;
    cJSON_ArrayForEach(group, manifest) {
        const cJSON *paths = cJSON_GetObjectItemCaseSensitive(group, "paths");
        const cJSON *weights = cJSON_GetObjectItemCaseSensitive(group, "weights");
        if (!cJSON_IsArray(paths) || !cJSON_IsArray(weights))
            return au_fail(err, AUGUR_EFORMAT, "%s: weight group without 'paths'/'weights'", ld->path);
        /* concatenate the group's shards */
        uint8_t *blob = NULL;
        size_t blob_len = 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, paths) {
            if (!cJSON_IsString(p) || strstr(p->valuestring, "..") || p->valuestring[0] == '/') {
                free(blob);
                return au_fail(err, AUGUR_EFORMAT, "%s: bad shard path in weightsManifest", ld->path);
            }
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", dir, p->valuestring);
            uint8_t *buf;
            size_t len;
            if (au_read_file(full, m->opt.max_file_bytes, 0, &buf, &len, err)) {
                free(blob);
                return au_wrap(err, "%s: weight shard", ld->path);
            }
            uint8_t *nb = realloc(blob, blob_len + len + 1);
            if (!nb) { free(buf); free(blob); return au_fail(err, AUGUR_ENOMEM, "out of memory (weights)"); }
            blob = nb;
            memcpy(blob + blob_len, buf, len);
            blob_len += len;
            free(buf);
        }
        size_t off = 0;
        const cJSON *w;
        cJSON_ArrayForEach(w, weights) {
            const cJSON *jn = cJSON_GetObjectItemCaseSensitive(w, "name");
            const cJSON *js = cJSON_GetObjectItemCaseSensitive(w, "shape");
            const cJSON *jd = cJSON_GetObjectItemCaseSensitive(w, "dtype");
            const cJSON *jq = cJSON_GetObjectItemCaseSensitive(w, "quantization");
            if (!cJSON_IsString(jn) || !cJSON_IsArray(js) || !cJSON_IsString(jd)) {
                free(blob);
                return au_fail(err, AUGUR_EFORMAT, "%s: weight entry without name/shape/dtype", ld->path);
            }
            nn_shape s = {0};
            size_t count = 1;
            const cJSON *d;
            cJSON_ArrayForEach(d, js) {
                long v;
                if (s.ndim >= NN_MAX_DIMS || json_int(d, &v) || v < 0 || v > INT_MAX ||
                    au_mul_size(count, (size_t)v, &count) || count > MAX_TENSOR_ELEMS) {
                    free(blob);
                    return au_fail(err, AUGUR_EFORMAT, "%s: weight '%s' has a bad shape",
                                   ld->path, jn->valuestring);
                }
                s.dim[s.ndim++] = (int)v;
            }
            int is_int = strcmp(jd->valuestring, "int32") == 0;
            if (!is_int && strcmp(jd->valuestring, "float32") != 0) {
                free(blob);
                return au_fail(err, AUGUR_EUNSUPPORTED, "%s: weight '%s' has unsupported dtype '%s'",
                               ld->path, jn->valuestring, jd->valuestring);
            }
            /* storage format */
            const char *qd = NULL;
            float qmin = 0, qscale = 1;
            if (jq) {
                const cJSON *x = cJSON_GetObjectItemCaseSensitive(jq, "dtype");
                qd = cJSON_IsString(x) ? x->valuestring : "?";
                x = cJSON_GetObjectItemCaseSensitive(jq, "min");
                if (cJSON_IsNumber(x)) qmin = (float)x->valuedouble;
                x = cJSON_GetObjectItemCaseSensitive(jq, "scale");
                if (cJSON_IsNumber(x)) qscale = (float)x->valuedouble;
            }
            size_t elem = 4;
            if (qd && strcmp(qd, "float16") == 0) elem = 2;
            else if (qd && strcmp(qd, "uint16") == 0) elem = 2;
            else if (qd && strcmp(qd, "uint8") == 0) elem = 1;
            else if (qd) {
                free(blob);
                return au_fail(err, AUGUR_EUNSUPPORTED, "%s: weight '%s' uses unsupported quantization '%s'",
                               ld->path, jn->valuestring, qd);
            }
            if (off + count * elem > blob_len) {
                free(blob);
                return au_fail(err, AUGUR_EFORMAT,
                               "%s: weight shards are truncated (need %zu bytes for '%s', have %zu)",
                               ld->path, off + count * elem, jn->valuestring, blob_len);
            }
            int ti = nn_add_tensor(m, jn->valuestring, err);
            if (ti < 0) { free(blob); return -ti; }
            nn_tensor *t = &m->t[ti];
            t->shape = s;
            t->is_const = 1;
            const uint8_t *src = blob + off;
            if (is_int) {
                t->dtype = NN_I32;
                t->i = malloc(count * sizeof(int32_t) + 1);
                if (!t->i) { free(blob); return au_fail(err, AUGUR_ENOMEM, "out of memory (weights)"); }
                if (qd) {
                    free(blob);
                    return au_fail(err, AUGUR_EUNSUPPORTED, "%s: quantised int32 weight '%s'",
                                   ld->path, jn->valuestring);
                }
                memcpy(t->i, src, count * 4);
            } else {
                t->dtype = NN_F32;
                t->f = malloc(count * sizeof(float) + 1);
                if (!t->f) { free(blob); return au_fail(err, AUGUR_ENOMEM, "out of memory (weights)"); }
                for (size_t k = 0; k < count; k++) {
                    if (elem == 4) {
                        memcpy(&t->f[k], src + 4 * k, 4);
                    } else if (qd[0] == 'f') {
                        uint16_t h;
                        memcpy(&h, src + 2 * k, 2);
                        t->f[k] = au_half_to_float(h);
                    } else if (elem == 2) {
                        uint16_t q;
                        memcpy(&q, src + 2 * k, 2);
                        t->f[k] = qmin + qscale * (float)q;
                    } else {
                        t->f[k] = qmin + qscale * (float)src[k];
                    }
                    if (!isfinite(t->f[k])) {
                        free(blob);
                        return au_fail(err, AUGUR_EFORMAT, "%s: weight '%s' holds a non-finite value",
                                       ld->path, jn->valuestring);
                    }
                }
                m->stats.weight_bytes += count * sizeof(float);
            }
            off += count * elem;
        }
        if (off != blob_len) {
            free(blob);
            return au_fail(err, AUGUR_EFORMAT, "%s: weight shards hold %zu bytes, manifest describes %zu",
                           ld->path, blob_len, off);
        }
        free(blob);
    }
    return 0;
}

/* ---- constant folding helpers ------------------------------------------ */

static int new_const_i32(loader *ld, const char *name, const int32_t *v, int n, int as_scalar)
{
    int ti = nn_add_tensor(ld->m, name, ld->err);
    if (ti < 0) return ti;
    nn_tensor *t = &ld->m->t[ti];
    t->dtype = NN_I32;
    t->is_const = 1;
    t->shape.ndim = as_scalar ? 0 : 1;
    t->shape.dim[0] = n;
    t->i = malloc((size_t)(n + 1) * sizeof(int32_t));
    if (!t->i) return -au_fail(ld->err, AUGUR_ENOMEM, "out of memory");
    if (n) memcpy(t->i, v, (size_t)n * sizeof(int32_t));
    return ti;
}

static int const_ints(const nn_model *m, int ti, int32_t *out, int max)
{
    const nn_tensor *t = &m->t[ti];
    if (!t->is_const || t->dtype != NN_I32) return -1;
    size_t n = nn_shape_size(&t->shape);
    if (n > (size_t)max) return -1;
    memcpy(out, t->i, n * sizeof(int32_t));
    return (int)n;
}

/* ---- per-op lowering ---------------------------------------------------- */

/* Each TF.js op is one row of the table `lowerings` (at the end of this
 * section): its name, how many inputs it reads, and the function that turns
 * one node of it into tensors and layers. lower_node checks what every op
 * shares (inputs defined, arity) and calls the row's function, which may then
 * assume n->n_in is within the row's limits. Adding an op is one row plus one
 * function; a function shared by several ops (convolutions, unary
 * activations) gets a one-line wrapper per op.
 *
 * Conventions of the functions: return 0 with n->tensor set, or an AUGUR_E*
 * code with ld->err set. Helpers that return a tensor index return it >= 0,
 * or minus the error code. */

#define FAIL(code, ...) au_fail(ld->err, code, __VA_ARGS__)

/* The tensor of input k. lower_node has checked the op's arity (check_arity)
 * and that every input exists, so k < n_in and the lookup succeeds. */
static int in_tensor(loader *ld, const node *n, int k)
{
    return ld->nodes[find_node(ld, n->in[k])].tensor;
}

static int new_activation(loader *ld, const node *n, const nn_shape *s)
{
    for (int i = 0; i < s->ndim; i++)
        if (s->dim[i] <= 0) return -FAIL(AUGUR_EFORMAT, "%s: node '%s' (%s) has an empty or negative shape",
                                         ld->path, n->name, n->op);
    size_t count = nn_shape_size(s);
    if (count > MAX_TENSOR_ELEMS)
        return -FAIL(AUGUR_ELIMIT, "%s: node '%s' output is too large", ld->path, n->name);
    int ti = nn_add_tensor(ld->m, n->name, ld->err);
    if (ti < 0) return ti;
    ld->m->t[ti].shape = *s;
    ld->m->t[ti].dtype = NN_F32;
    return ti;
}

/* The output of the layer just added (the model's last): a new activation of
 * shape *os, which is the node's value. os must not point into m->t, which
 * new_activation may move: callers pass a copy. */
static int finish_layer(loader *ld, node *n, const nn_shape *os)
{
    int t = new_activation(ld, n, os);
    if (t < 0) return -t;
    ld->m->l[ld->m->n_l - 1].out = t;
    n->tensor = t;
    return 0;
}

/* SAME/VALID -> output size and explicit padding along one axis (TF rules). */
static int conv_geometry(int in, int k, int s, int same, int *out, int *pb, int *pa)
{
    if (same) {
        *out = (in + s - 1) / s;
        int total = (*out - 1) * s + k - in;
        if (total < 0) total = 0;
        *pb = total / 2;
        *pa = total - *pb;
    } else {
        if (in < k) return -1;
        *out = (in - k) / s + 1;
        *pb = *pa = 0;
    }
    return 0;
}

static int need_nhwc(loader *ld, const node *n, int ti)
{
    const nn_tensor *t = &ld->m->t[ti];
    char fmt[32];
    attr_str(n, "data_format", fmt, sizeof fmt);
    if (fmt[0] && strcmp(fmt, "NHWC") != 0)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s' (%s) uses data_format %s; only NHWC is supported",
                    ld->path, n->name, n->op, fmt);
    if (t->shape.ndim != 4 || t->is_const)
        return FAIL(AUGUR_EFORMAT, "%s: node '%s' (%s) needs a 4-D NHWC activation input",
                    ld->path, n->name, n->op);
    return 0;
}

/* -- constants and inputs -- */

static int lower_const(loader *ld, node *n)
{
    /* the weight tensor of the same name was created by load_weights
     * (ld->weights: those tensors sorted by name, the first of equal names
     * first; a binary search keeps 10^5 constants linear-ish, not 10^10) */
    int lo = 0, hi = ld->n_weights - 1, found = -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(ld->weights[mid].name, n->name);
        if (c == 0) found = mid;
        if (c < 0) lo = mid + 1; else hi = mid - 1;
    }
    if (found >= 0) { n->tensor = ld->weights[found].idx; return 0; }
    return FAIL(AUGUR_EFORMAT, "%s: constant '%s' has no data in the weights manifest", ld->path, n->name);
}

static int lower_placeholder(loader *ld, node *n)
{
    nn_model *m = ld->m;
    long dims[NN_MAX_DIMS];
    const cJSON *a = attr(n, "shape");
    const cJSON *sh = a ? cJSON_GetObjectItemCaseSensitive(a, "shape") : NULL;
    const cJSON *dl = sh ? cJSON_GetObjectItemCaseSensitive(sh, "dim") : NULL;
    nn_shape s = {0};
    const cJSON *d;
    cJSON_ArrayForEach(d, dl) {
        const cJSON *sz = cJSON_GetObjectItemCaseSensitive(d, "size");
        if (s.ndim >= NN_MAX_DIMS || !sz || json_int(sz, &dims[s.ndim]))
            return FAIL(AUGUR_EFORMAT, "%s: input '%s' has a bad shape", ld->path, n->name);
        long v = dims[s.ndim];
        if (v == -1 && s.ndim == 0) v = 1; /* batch */
        if (v <= 0 || v > 1 << 16)
            return FAIL(AUGUR_EUNSUPPORTED, "%s: input '%s' has a dynamic or bad dimension", ld->path, n->name);
        s.dim[s.ndim++] = (int)v;
    }
    if (s.ndim == 0) return FAIL(AUGUR_EFORMAT, "%s: input '%s' has no shape", ld->path, n->name);
    if (m->n_inputs >= 4) return FAIL(AUGUR_EUNSUPPORTED, "%s: too many inputs", ld->path);
    int t = new_activation(ld, n, &s);
    if (t < 0) return -t;
    m->t[t].is_io = 1;
    m->inputs[m->n_inputs++] = t;
    n->tensor = t;
    return 0;
}

/* -- folded at load, or aliases (no layer) -- */

static int lower_identity(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = in_tensor(ld, n, 0);
    if (m->t[x].is_const) { n->tensor = x; m->stats.n_folded++; return 0; }
    int t = nn_add_tensor(m, n->name, ld->err);
    if (t < 0) return -t;
    m->t[t].shape = m->t[x].shape;
    m->t[t].alias_of = x;
    n->tensor = t;
    m->stats.n_fused++;
    return 0;
}

static int lower_shape(loader *ld, node *n)
{
    nn_model *m = ld->m;
    const nn_shape *s = &m->t[in_tensor(ld, n, 0)].shape;
    int32_t v[NN_MAX_DIMS];
    for (int i = 0; i < s->ndim; i++) v[i] = s->dim[i];
    int t = new_const_i32(ld, n->name, v, s->ndim, 0);
    if (t < 0) return -t;
    n->tensor = t;
    m->stats.n_folded++;
    return 0;
}

static int lower_strided_slice(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int32_t x[64], b[8], e[8], st[8];
    int nx = const_ints(m, in_tensor(ld, n, 0), x, 64);
    int nb = const_ints(m, in_tensor(ld, n, 1), b, 8);
    int ne = const_ints(m, in_tensor(ld, n, 2), e, 8);
    int ns = const_ints(m, in_tensor(ld, n, 3), st, 8);
    if (nx < 0 || nb != 1 || ne != 1 || ns != 1 || m->t[in_tensor(ld, n, 0)].shape.ndim != 1 ||
        attr_int(n, "ellipsis_mask", 0) || attr_int(n, "new_axis_mask", 0))
        return FAIL(AUGUR_EUNSUPPORTED, "%s: StridedSlice '%s' is only supported on constant 1-D int tensors",
                    ld->path, n->name);
    /* in long, and clamped to the TF range before the loop: a begin of
     * -2^31 and an end of 2^31-1 must not become 2^32 iterations */
    long begin = b[0], end = e[0], step = st[0];
    if (step == 0) return FAIL(AUGUR_EFORMAT, "%s: StridedSlice '%s' has step 0", ld->path, n->name);
    if (begin < 0) begin += nx;
    if (end < 0) end += nx;
    if (attr_int(n, "begin_mask", 0) & 1) begin = step > 0 ? 0 : nx - 1;
    if (attr_int(n, "end_mask", 0) & 1) end = step > 0 ? nx : -1;
    int shrink = attr_int(n, "shrink_axis_mask", 0) & 1;
    if (shrink) {
        if (begin < 0 || begin >= nx)
            return FAIL(AUGUR_EFORMAT, "%s: StridedSlice '%s': index %ld out of range", ld->path, n->name, begin);
        end = begin + 1, step = 1;
    }
    long lo_b = step > 0 ? 0 : -1, hi_b = step > 0 ? nx : nx - 1;
    begin = begin < lo_b ? lo_b : begin > hi_b ? hi_b : begin;
    end = end < lo_b ? lo_b : end > hi_b ? hi_b : end;
    int32_t out[64];
    int k = 0;
    for (long i = begin; step > 0 ? i < end : i > end; i += step)
        if (i >= 0 && i < nx && k < 64) out[k++] = x[i];
    int t = new_const_i32(ld, n->name, out, k, shrink);
    if (t < 0) return -t;
    n->tensor = t;
    m->stats.n_folded++;
    return 0;
}

static int lower_pack(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int32_t v[NN_MAX_LAYER_INPUTS]; /* n_in <= NN_MAX_LAYER_INPUTS: the row's limit */
    if (attr_int(n, "axis", 0) != 0)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: Pack '%s' with axis != 0", ld->path, n->name);
    for (int k = 0; k < n->n_in; k++) {
        int32_t one[1];
        if (const_ints(m, in_tensor(ld, n, k), one, 1) != 1)
            return FAIL(AUGUR_EUNSUPPORTED, "%s: Pack '%s' is only supported on constant int scalars",
                        ld->path, n->name);
        v[k] = one[0];
    }
    int t = new_const_i32(ld, n->name, v, n->n_in, 0);
    if (t < 0) return -t;
    n->tensor = t;
    m->stats.n_folded++;
    return 0;
}

static int lower_reshape(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = in_tensor(ld, n, 0);
    int32_t v[NN_MAX_DIMS];
    int nd = const_ints(m, in_tensor(ld, n, 1), v, NN_MAX_DIMS);
    if (nd < 1)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: Reshape '%s' needs a constant target shape", ld->path, n->name);
    size_t total = nn_shape_size(&m->t[x].shape), known = 1;
    int infer = -1;
    nn_shape s = {nd, {0}};
    for (int i = 0; i < nd; i++) {
        if (v[i] == -1 && infer < 0) { infer = i; continue; }
        if (v[i] <= 0) return FAIL(AUGUR_EFORMAT, "%s: Reshape '%s' has a bad target shape", ld->path, n->name);
        s.dim[i] = v[i];
        if (au_mul_size(known, (size_t)v[i], &known) || known > MAX_TENSOR_ELEMS) goto bad_reshape;
    }
    if (infer >= 0) { if (!known || total % known) goto bad_reshape; s.dim[infer] = (int)(total / known); }
    if (nn_shape_size(&s) != total) goto bad_reshape;
    if (m->t[x].is_const)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: Reshape '%s' of a constant", ld->path, n->name);
    int t = nn_add_tensor(m, n->name, ld->err);
    if (t < 0) return -t;
    m->t[t].shape = s;
    m->t[t].alias_of = x;
    n->tensor = t;
    m->stats.n_fused++;
    return 0;
bad_reshape:
    return FAIL(AUGUR_EFORMAT, "%s: Reshape '%s': %zu elements cannot take the target shape",
                ld->path, n->name, total);
}

/* ConcatV2: of int constants, folded (shape arithmetic); of activations, a layer. */
static int lower_concat(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int n_vals = n->n_in - 1;
    int32_t ax;
    if (n_vals < 1 || const_ints(m, in_tensor(ld, n, n->n_in - 1), &ax, 1) != 1)
        return FAIL(AUGUR_EFORMAT, "%s: ConcatV2 '%s' needs a constant axis", ld->path, n->name);
    int all_const = 1;
    for (int k = 0; k < n_vals; k++) all_const &= m->t[in_tensor(ld, n, k)].is_const;
    const nn_shape *s0 = &m->t[in_tensor(ld, n, 0)].shape;
    if (ax < 0) ax += s0->ndim;
    if (ax < 0 || ax >= (s0->ndim ? s0->ndim : 1))
        return FAIL(AUGUR_EFORMAT, "%s: ConcatV2 '%s' axis out of range", ld->path, n->name);
    if (all_const) {
        int32_t v[64];
        int k2 = 0;
        for (int k = 0; k < n_vals; k++) {
            int c = const_ints(m, in_tensor(ld, n, k), v + k2, 64 - k2);
            if (c < 0 || s0->ndim > 1)
                return FAIL(AUGUR_EUNSUPPORTED, "%s: ConcatV2 '%s' of float constants", ld->path, n->name);
            k2 += c;
        }
        int t = new_const_i32(ld, n->name, v, k2, 0);
        if (t < 0) return -t;
        n->tensor = t;
        m->stats.n_folded++;
        return 0;
    }
    nn_shape os = *s0;
    os.dim[ax] = 0;
    for (int k = 0; k < n_vals; k++) {
        const nn_tensor *tk = &m->t[in_tensor(ld, n, k)];
        if (tk->is_const || tk->shape.ndim != s0->ndim)
            return FAIL(AUGUR_EFORMAT, "%s: ConcatV2 '%s': inputs of different rank", ld->path, n->name);
        for (int i = 0; i < s0->ndim; i++)
            if (i != ax && tk->shape.dim[i] != s0->dim[i])
                return FAIL(AUGUR_EFORMAT, "%s: ConcatV2 '%s': shapes differ off the axis", ld->path, n->name);
        os.dim[ax] += tk->shape.dim[ax];
    }
    if (n_vals > NN_MAX_LAYER_INPUTS)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: ConcatV2 '%s' of more than %d tensors", ld->path, n->name,
                    NN_MAX_LAYER_INPUTS);
    nn_layer *L = nn_add_layer(m, NN_OP_CONCAT, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    for (int k = 0; k < n_vals; k++) L->in[k] = in_tensor(ld, n, k);
    L->n_in = n_vals;
    L->axis = ax;
    return finish_layer(ld, n, &os);
}

/* -- convolutions -- */

static int lower_conv(loader *ld, node *n, int depthwise)
{
    nn_model *m = ld->m;
    int x = in_tensor(ld, n, 0), w = in_tensor(ld, n, 1);
    int rc = need_nhwc(ld, n, x);
    if (rc) return rc;
    const nn_tensor *tw = &m->t[w];
    if (!tw->is_const || tw->dtype != NN_F32 || tw->shape.ndim != 4)
        return FAIL(AUGUR_EFORMAT, "%s: node '%s': filter must be a constant 4-D float tensor", ld->path, n->name);
    const nn_shape *xs = &m->t[x].shape;
    int kh = tw->shape.dim[0], kw = tw->shape.dim[1], ci = tw->shape.dim[2], co = tw->shape.dim[3];
    if (kh < 1 || kw < 1 || kh > MAX_KERNEL_SIDE || kw > MAX_KERNEL_SIDE || ci < 1 || co < 1)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s': kernel %dx%d (each side 1..%d)", ld->path, n->name, kh, kw,
                    MAX_KERNEL_SIDE);
    if (ci != xs->dim[3])
        return FAIL(AUGUR_EFORMAT, "%s: node '%s': filter expects %d input channels, input has %d",
                    ld->path, n->name, ci, xs->dim[3]);
    long st[4] = {1, 1, 1, 1}, dl[4] = {1, 1, 1, 1};
    if (attr_ints(n, "strides", st, 4) < 0 || attr_ints(n, "dilations", dl, 4) < 0)
        return FAIL(AUGUR_EFORMAT, "%s: node '%s': bad strides/dilations", ld->path, n->name);
    if (dl[1] != 1 || dl[2] != 1)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s': dilated convolution is not supported", ld->path, n->name);
    if (st[0] != 1 || st[3] != 1 || st[1] < 1 || st[2] < 1 || st[1] > 16 || st[2] > 16)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s': unsupported strides", ld->path, n->name);
    char pad[16];
    attr_str(n, "padding", pad, sizeof pad);
    if (strcmp(pad, "SAME") && strcmp(pad, "VALID"))
        return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s': padding '%s' is not supported", ld->path, n->name, pad);
    int same = pad[0] == 'S';

    nn_layer *L = nn_add_layer(m, depthwise ? NN_OP_DWCONV2D : NN_OP_CONV2D, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->kh = kh; L->kw = kw; L->sh = (int)st[1]; L->sw = (int)st[2];
    nn_shape os = {4, {1, 0, 0, depthwise ? ci * co : co}};
    if (conv_geometry(xs->dim[1], kh, L->sh, same, &os.dim[1], &L->pad_t, &L->pad_b) ||
        conv_geometry(xs->dim[2], kw, L->sw, same, &os.dim[2], &L->pad_l, &L->pad_r)) {
        m->n_l--;
        return FAIL(AUGUR_EFORMAT, "%s: node '%s': input %dx%d smaller than kernel %dx%d",
                    ld->path, n->name, xs->dim[1], xs->dim[2], kh, kw);
    }
    L->in[0] = x; L->n_in = 1;
    L->w = w;
    L->act = NN_ACT_NONE;

    char fused[128];
    attr_strs(n, "fused_ops", fused, sizeof fused);
    int expect_in = 2;
    if (strcmp(n->op, "DepthwiseConv2dNative") != 0) {
        /* _FusedConv2D / FusedDepthwiseConv2dNative: BiasAdd[,Relu|Prelu] */
        if (strncmp(fused, "BiasAdd", 7) != 0) {
            m->n_l--;
            return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s': fused ops '%s' not supported", ld->path, n->name, fused);
        }
        expect_in = 3;
        const char *act = fused[7] == ',' ? fused + 8 : "";
        if (!*act) L->act = NN_ACT_NONE;
        else if (!strcmp(act, "Relu")) L->act = NN_ACT_RELU;
        else if (!strcmp(act, "Prelu")) { L->act = NN_ACT_PRELU; expect_in = 4; }
        else {
            m->n_l--;
            return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s': fused activation '%s' not supported",
                        ld->path, n->name, act);
        }
    }
    if (n->n_in != expect_in) {
        m->n_l--;
        return FAIL(AUGUR_EFORMAT, "%s: node '%s' (%s %s) has %d inputs, expected %d",
                    ld->path, n->name, n->op, fused, n->n_in, expect_in);
    }
    int oc = os.dim[3];
    if (expect_in >= 3) {
        L->bias = in_tensor(ld, n, 2);
        const nn_tensor *b = &m->t[L->bias];
        if (!b->is_const || b->dtype != NN_F32 || nn_shape_size(&b->shape) != (size_t)oc) {
            m->n_l--;
            return FAIL(AUGUR_EFORMAT, "%s: node '%s': bias must be a constant of %d floats", ld->path, n->name, oc);
        }
    }
    if (expect_in == 4) {
        L->alpha = in_tensor(ld, n, 3);
        const nn_tensor *a = &m->t[L->alpha];
        if (!a->is_const || a->dtype != NN_F32 || nn_shape_size(&a->shape) != (size_t)oc) {
            m->n_l--;
            return FAIL(AUGUR_EFORMAT, "%s: node '%s': PReLU alpha must be a constant of %d floats",
                        ld->path, n->name, oc);
        }
    }
    int out = new_activation(ld, n, &os);
    if (out < 0) return -out;
    L = &m->l[m->n_l - 1];
    L->out = out;
    L->macs = (double)os.dim[1] * os.dim[2] * kh * kw * (depthwise ? (double)ci * co : (double)ci * co);
    n->tensor = out;
    return 0;
}

/* Conv2D is read as _FusedConv2D: lower_conv wants its fused_ops BiasAdd. */
static int lower_conv2d(loader *ld, node *n) { return lower_conv(ld, n, 0); }
static int lower_dwconv2d(loader *ld, node *n) { return lower_conv(ld, n, 1); }

/* -- layers on one activation (plus constants) -- */

/* The activation input 0 of such a layer, or minus the error code: these
 * ops have no kernel for a constant input (TF.js folds those itself). */
static int activation_in(loader *ld, const node *n)
{
    int x = n->n_in ? in_tensor(ld, n, 0) : -1;
    if (x < 0 || ld->m->t[x].is_const)
        return -FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s' (%s) on constant input is not supported",
                     ld->path, n->name, n->op);
    return x;
}

int nn_same_shape(const nn_shape *a, const nn_shape *b)
{
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++) if (a->dim[i] != b->dim[i]) return 0;
    return 1;
}

/* AddV2 / Add: same shapes, or a constant per-channel (or scalar) b. */
static int lower_add(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = activation_in(ld, n);
    if (x < 0) return -x;
    nn_shape os = m->t[x].shape;
    int y = in_tensor(ld, n, 1);
    const nn_tensor *ty = &m->t[y];
    if (!nn_same_shape(&os, &ty->shape)) {
        size_t ny = nn_shape_size(&ty->shape);
        if (!ty->is_const || ty->dtype != NN_F32 || (ny != 1 && ny != (size_t)os.dim[os.ndim - 1]))
            return FAIL(AUGUR_EUNSUPPORTED, "%s: AddV2 '%s': broadcast of this shape is not supported",
                        ld->path, n->name);
    } else if (ty->is_const && ty->dtype != NN_F32) {
        return FAIL(AUGUR_EFORMAT, "%s: AddV2 '%s' adds an int tensor", ld->path, n->name);
    }
    nn_layer *L = nn_add_layer(m, NN_OP_ADD, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->in[0] = x; L->in[1] = y; L->n_in = 2;
    return finish_layer(ld, n, &os);
}

/* An elementwise op of one input whose layer needs nothing else. */
static int lower_unary(loader *ld, node *n, nn_op op)
{
    int x = activation_in(ld, n);
    if (x < 0) return -x;
    nn_shape os = ld->m->t[x].shape;
    nn_layer *L = nn_add_layer(ld->m, op, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->in[0] = x; L->n_in = 1;
    return finish_layer(ld, n, &os);
}

static int lower_relu(loader *ld, node *n) { return lower_unary(ld, n, NN_OP_RELU); }
static int lower_sigmoid(loader *ld, node *n) { return lower_unary(ld, n, NN_OP_SIGMOID); }
static int lower_softmax(loader *ld, node *n) { return lower_unary(ld, n, NN_OP_SOFTMAX); }

static int lower_prelu(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = activation_in(ld, n);
    if (x < 0) return -x;
    nn_shape os = m->t[x].shape;
    int a = in_tensor(ld, n, 1);
    if (!m->t[a].is_const || m->t[a].dtype != NN_F32 ||
        nn_shape_size(&m->t[a].shape) != (size_t)os.dim[os.ndim - 1])
        return FAIL(AUGUR_EUNSUPPORTED, "%s: Prelu '%s' needs a constant per-channel alpha", ld->path, n->name);
    nn_layer *L = nn_add_layer(m, NN_OP_PRELU, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->in[0] = x; L->n_in = 1; L->alpha = a;
    return finish_layer(ld, n, &os);
}

static int lower_maxpool(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = activation_in(ld, n);
    if (x < 0) return -x;
    int rc = need_nhwc(ld, n, x);
    if (rc) return rc;
    nn_shape os = m->t[x].shape;
    long k[4] = {1, 1, 1, 1}, st[4] = {1, 1, 1, 1};
    char pad[16];
    if (attr_ints(n, "ksize", k, 4) != 4 || attr_ints(n, "strides", st, 4) != 4 ||
        k[0] != 1 || k[3] != 1 || st[0] != 1 || st[3] != 1 || k[1] < 1 || k[2] < 1 || st[1] < 1 || st[2] < 1 ||
        k[1] > MAX_KERNEL_SIDE || k[2] > MAX_KERNEL_SIDE || st[1] > MAX_KERNEL_SIDE || st[2] > MAX_KERNEL_SIDE)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: MaxPool '%s': unsupported ksize/strides (each 1..%d)",
                    ld->path, n->name, MAX_KERNEL_SIDE);
    attr_str(n, "padding", pad, sizeof pad);
    if (strcmp(pad, "SAME") && strcmp(pad, "VALID"))
        return FAIL(AUGUR_EUNSUPPORTED, "%s: MaxPool '%s': padding '%s'", ld->path, n->name, pad);
    nn_layer *L = nn_add_layer(m, NN_OP_MAXPOOL, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->in[0] = x; L->n_in = 1;
    L->kh = (int)k[1]; L->kw = (int)k[2]; L->sh = (int)st[1]; L->sw = (int)st[2];
    if (conv_geometry(os.dim[1], L->kh, L->sh, pad[0] == 'S', &os.dim[1], &L->pad_t, &L->pad_b) ||
        conv_geometry(os.dim[2], L->kw, L->sw, pad[0] == 'S', &os.dim[2], &L->pad_l, &L->pad_r)) {
        m->n_l--;
        return FAIL(AUGUR_EFORMAT, "%s: MaxPool '%s': input smaller than window", ld->path, n->name);
    }
    return finish_layer(ld, n, &os);
}

/* Constant zero padding; a spatial one is later fused into its convolution. */
static int lower_pad(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = activation_in(ld, n);
    if (x < 0) return -x;
    nn_shape os = m->t[x].shape;
    int32_t p[2 * NN_MAX_DIMS];
    int np = const_ints(m, in_tensor(ld, n, 1), p, 2 * NN_MAX_DIMS);
    if (np != 2 * os.ndim)
        return FAIL(AUGUR_EFORMAT, "%s: Pad '%s' needs constant paddings [%d,2]", ld->path, n->name, os.ndim);
    nn_layer *L = nn_add_layer(m, NN_OP_PAD, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->in[0] = x; L->n_in = 1;
    for (int i = 0; i < os.ndim; i++) {
        if (p[2 * i] < 0 || p[2 * i + 1] < 0 || p[2 * i] > 4096 || p[2 * i + 1] > 4096) {
            m->n_l--;
            return FAIL(AUGUR_EUNSUPPORTED, "%s: Pad '%s' has negative or huge paddings", ld->path, n->name);
        }
        L->pad_before[i] = p[2 * i];
        L->pad_after[i] = p[2 * i + 1];
        os.dim[i] += p[2 * i] + p[2 * i + 1];
    }
    return finish_layer(ld, n, &os);
}

static int lower_resize_bilinear(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = activation_in(ld, n);
    if (x < 0) return -x;
    int rc = need_nhwc(ld, n, x);
    if (rc) return rc;
    nn_shape os = m->t[x].shape;
    int32_t sz[2];
    if (const_ints(m, in_tensor(ld, n, 1), sz, 2) != 2 || sz[0] <= 0 || sz[1] <= 0 || sz[0] > 8192 || sz[1] > 8192)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: ResizeBilinear '%s' needs a constant size", ld->path, n->name);
    if (attr_bool(n, "align_corners", 0) || !attr_bool(n, "half_pixel_centers", 0))
        return FAIL(AUGUR_EUNSUPPORTED,
                    "%s: ResizeBilinear '%s': only half_pixel_centers=true, align_corners=false is supported",
                    ld->path, n->name);
    nn_layer *L = nn_add_layer(m, NN_OP_RESIZE_BILINEAR, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->in[0] = x; L->n_in = 1;
    os.dim[1] = sz[0]; os.dim[2] = sz[1];
    return finish_layer(ld, n, &os);
}

static int lower_depth_to_space(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = activation_in(ld, n);
    if (x < 0) return -x;
    int rc = need_nhwc(ld, n, x);
    if (rc) return rc;
    nn_shape os = m->t[x].shape;
    int b = attr_int(n, "block_size", 0);
    if (b < 2 || b > 16 || os.dim[3] % (b * b))
        return FAIL(AUGUR_EFORMAT, "%s: DepthToSpace '%s': bad block size %d", ld->path, n->name, b);
    nn_layer *L = nn_add_layer(m, NN_OP_DEPTH_TO_SPACE, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->in[0] = x; L->n_in = 1; L->block = b;
    os.dim[1] *= b; os.dim[2] *= b; os.dim[3] /= b * b;
    return finish_layer(ld, n, &os);
}

/* Mean: only over H and W of NHWC (global average pooling), to [N, C]. */
static int lower_mean(loader *ld, node *n)
{
    nn_model *m = ld->m;
    int x = activation_in(ld, n);
    if (x < 0) return -x;
    nn_shape os = m->t[x].shape;
    int32_t ax[4];
    int na = const_ints(m, in_tensor(ld, n, 1), ax, 4);
    if (os.ndim != 4 || na != 2 || !((ax[0] == 1 && ax[1] == 2) || (ax[0] == 2 && ax[1] == 1)) ||
        attr_bool(n, "keep_dims", 0))
        return FAIL(AUGUR_EUNSUPPORTED, "%s: Mean '%s': only the spatial mean of NHWC is supported",
                    ld->path, n->name);
    nn_layer *L = nn_add_layer(m, NN_OP_MEAN_HW, n->name, ld->err);
    if (!L) return AUGUR_ENOMEM;
    L->in[0] = x; L->n_in = 1;
    os.ndim = 2; os.dim[1] = os.dim[3];
    return finish_layer(ld, n, &os);
}

/* -- the table -- */

/* lo..hi: how many (non-control) inputs the op reads. A node with fewer
 * would make in_tensor read past n->in[], one with more would be silently
 * half-used; check_arity refuses both before the function runs. */
typedef struct lowering {
    const char *op;
    int lo, hi;
    int (*lower)(loader *ld, node *n);
} lowering;

static const lowering lowerings[] = {
    /* op                           inputs                       lowering */
    {"Const",                       0, 0,                        lower_const},
    {"Placeholder",                 0, 0,                        lower_placeholder},
    {"Identity",                    1, 1,                        lower_identity},
    {"Shape",                       1, 1,                        lower_shape},
    {"StridedSlice",                4, 4,                        lower_strided_slice},
    {"Pack",                        1, NN_MAX_LAYER_INPUTS,      lower_pack},
    {"Reshape",                     2, 2,                        lower_reshape},
    {"ConcatV2",                    2, NN_MAX_LAYER_INPUTS + 1,  lower_concat},
    {"_FusedConv2D",                3, 4,                        lower_conv2d},
    {"Conv2D",                      3, 4,                        lower_conv2d},
    {"DepthwiseConv2dNative",       2, 2,                        lower_dwconv2d},
    {"FusedDepthwiseConv2dNative",  3, 4,                        lower_dwconv2d},
    {"AddV2",                       2, 2,                        lower_add},
    {"Add",                         2, 2,                        lower_add},
    {"Relu",                        1, 1,                        lower_relu},
    {"Prelu",                       2, 2,                        lower_prelu},
    {"Sigmoid",                     1, 1,                        lower_sigmoid},
    {"Softmax",                     1, 1,                        lower_softmax},
    {"MaxPool",                     1, 1,                        lower_maxpool},
    {"Pad",                         2, 2,                        lower_pad},
    {"ResizeBilinear",              2, 2,                        lower_resize_bilinear},
    {"DepthToSpace",                1, 1,                        lower_depth_to_space},
    {"Mean",                        2, 2,                        lower_mean},
};

static const lowering *find_lowering(const char *op)
{
    for (size_t i = 0; i < sizeof lowerings / sizeof *lowerings; i++)
        if (!strcmp(lowerings[i].op, op)) return &lowerings[i];
    return NULL;
}

static int check_arity(loader *ld, const node *n, const lowering *a)
{
    if (n->n_in >= a->lo && n->n_in <= a->hi) return 0;
    if (a->lo == a->hi)
        return FAIL(AUGUR_EFORMAT, "%s: node '%s' (%s) has %d inputs, expected %d",
                    ld->path, n->name, n->op, n->n_in, a->lo);
    return FAIL(AUGUR_EFORMAT, "%s: node '%s' (%s) has %d inputs, expected %d to %d",
                ld->path, n->name, n->op, n->n_in, a->lo, a->hi);
}

static int lower_node(loader *ld, node *n)
{
    for (int k = 0; k < n->n_in; k++) {
        int j = find_node(ld, n->in[k]);
        if (j < 0 || ld->nodes[j].tensor < 0)
            return FAIL(AUGUR_EFORMAT, "%s: node '%s' reads '%s', which is not defined", ld->path, n->name, n->in[k]);
    }
    const lowering *row = find_lowering(n->op);
    if (!row)
        return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s' uses op '%s', which augur does not support",
                    ld->path, n->name, n->op);
    int rc = check_arity(ld, n, row);
    if (rc) return rc;
    return row->lower(ld, n);
}

/* ---- fusion ------------------------------------------------------------- */

static int is_output(const nn_model *m, int t)
{
    for (int i = 0; i < m->n_outputs; i++) if (nn_root(m, m->outputs[i]) == t) return 1;
    return 0;
}

/* One pass over the layers with per-tensor counts (readers, the last reader,
 * the producer) kept up to date as layers fuse, and fused layers only marked
 * dead and squeezed out at the end: linear in layers + tensors, where
 * rescanning every layer per candidate was quadratic. A tensor's reader count
 * counts an alias of it as 2, so an aliased tensor never looks singly read. */
static int fuse(nn_model *m, au_error *err)
{
    int *nread = calloc((size_t)m->n_t + 1, sizeof(int));
    int *reader = malloc(((size_t)m->n_t + 1) * sizeof(int));
    int *producer = malloc(((size_t)m->n_t + 1) * sizeof(int));
    char *dead = calloc((size_t)m->n_l + 1, 1);
    if (!nread || !reader || !producer || !dead) {
        free(nread); free(reader); free(producer); free(dead);
        return au_fail(err, AUGUR_ENOMEM, "out of memory");
    }
    for (int t = 0; t < m->n_t; t++) reader[t] = producer[t] = -1;
    for (int i = 0; i < m->n_l; i++) {
        for (int k = 0; k < m->l[i].n_in; k++) { nread[m->l[i].in[k]]++; reader[m->l[i].in[k]] = i; }
        producer[m->l[i].out] = i;
    }
    for (int t = 0; t < m->n_t; t++)
        if (m->t[t].alias_of >= 0) nread[m->t[t].alias_of] += 2;

    for (int i = 0; i < m->n_l; i++) {
        nn_layer *L = &m->l[i];
        /* spatial zero Pad -> the following convolution's explicit padding */
        if (L->op == NN_OP_PAD && m->t[L->in[0]].shape.ndim == 4 &&
            !L->pad_before[0] && !L->pad_after[0] && !L->pad_before[3] && !L->pad_after[3] &&
            nread[L->out] == 1 && !is_output(m, L->out)) {
            int user = reader[L->out];
            nn_layer *C = &m->l[user];
            if (!dead[user] && (C->op == NN_OP_CONV2D || C->op == NN_OP_DWCONV2D) && C->in[0] == L->out) {
                C->pad_t += L->pad_before[1]; C->pad_b += L->pad_after[1];
                C->pad_l += L->pad_before[2]; C->pad_r += L->pad_after[2];
                C->in[0] = L->in[0];
                reader[L->in[0]] = user;  /* same count: the Pad's read becomes the convolution's */
                nread[L->out] = 0;
                dead[i] = 1;
                continue;
            }
        }
        /* Relu after a convolution or an Add with no activation yet */
        if (L->op == NN_OP_RELU) {
            int src = L->in[0], j = producer[src];
            if (j >= 0 && j < i && !dead[j]) {
                nn_layer *P = &m->l[j];
                if ((P->op == NN_OP_CONV2D || P->op == NN_OP_DWCONV2D || P->op == NN_OP_ADD) &&
                    P->act == NN_ACT_NONE && nread[src] == 1 && !is_output(m, src)) {
                    P->act = NN_ACT_RELU;
                    P->out = L->out;
                    producer[L->out] = j;
                    nread[src] = 0;
                    dead[i] = 1;
                }
            }
        }
    }
    int k = 0;
    for (int i = 0; i < m->n_l; i++) {
        if (dead[i]) { m->stats.n_fused++; continue; }
        if (k != i) m->l[k] = m->l[i];
        k++;
    }
    m->n_l = k;
    free(nread); free(reader); free(producer); free(dead);
    return 0;
}

/* ---- entry point -------------------------------------------------------- */

static int split_inputs(loader *ld, node *n)
{
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(n->json, "input");
    const cJSON *v;
    cJSON_ArrayForEach(v, ins) {
        if (!cJSON_IsString(v)) return FAIL(AUGUR_EFORMAT, "%s: node '%s' has a non-string input", ld->path, n->name);
        const char *s = v->valuestring;
        if (s[0] == '^') continue; /* control dependency: ordering only */
        if (n->n_in > NN_MAX_LAYER_INPUTS)
            return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s' has too many inputs", ld->path, n->name);
        char *c = strdup(s);
        if (!c) return FAIL(AUGUR_ENOMEM, "out of memory");
        char *colon = strrchr(c, ':');
        if (colon) {
            if (strcmp(colon, ":0") != 0) {
                free(c);
                return FAIL(AUGUR_EUNSUPPORTED, "%s: node '%s' reads output '%s' (only :0 is supported)",
                            ld->path, n->name, s);
            }
            *colon = 0;
        }
        n->in_buf[n->n_in] = c;
        n->in[n->n_in++] = c;
    }
    return 0;
}

int nn_graph_load(nn_model *m, const char *json_path, au_error *err)
{
    uint8_t *text = NULL;
    size_t len;
    int rc = au_read_file(json_path, MAX_JSON_BYTES, 1, &text, &len, err);
    if (rc) return rc;
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (!root) return au_fail(err, AUGUR_EFORMAT, "%s: not valid JSON (truncated or corrupt model.json?)", json_path);

    loader ld = {.m = m, .path = json_path, .err = err};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", json_path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0; else strcpy(dir, ".");

    const cJSON *topo = cJSON_GetObjectItemCaseSensitive(root, "modelTopology");
    const cJSON *jnodes = topo ? cJSON_GetObjectItemCaseSensitive(topo, "node") : NULL;
    if (!cJSON_IsArray(jnodes) || cJSON_GetArraySize(jnodes) == 0) {
        rc = au_fail(err, AUGUR_EFORMAT, "%s: no 'modelTopology.node' list: not a TF.js graph model", json_path);
        goto done;
    }
    rc = load_weights(&ld, cJSON_GetObjectItemCaseSensitive(root, "weightsManifest"), dir);
    if (rc) goto done;

    ld.n_nodes = cJSON_GetArraySize(jnodes);
    if (ld.n_nodes > MAX_NODES) {
        rc = au_fail(err, AUGUR_ELIMIT, "%s: modelTopology.node has %d nodes, more than the limit of %d",
                     json_path, ld.n_nodes, MAX_NODES);
        goto done;
    }
    /* the weight tensors by name, for the Const nodes (stable: equal names keep
     * file order, so the first one wins as it always did) */
    ld.n_weights = m->n_t;
    ld.weights = calloc((size_t)ld.n_weights + 1, sizeof *ld.weights);
    if (!ld.weights) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); goto done; }
    for (int i = 0; i < ld.n_weights; i++) ld.weights[i] = (named){m->t[i].name, i};
    qsort(ld.weights, (size_t)ld.n_weights, sizeof *ld.weights, cmp_named_idx);
    ld.nodes = calloc((size_t)ld.n_nodes, sizeof *ld.nodes);
    ld.by_name = calloc((size_t)ld.n_nodes, sizeof *ld.by_name);
    if (!ld.nodes || !ld.by_name) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); goto done; }
    m->stats.n_nodes = ld.n_nodes;
    int k = 0;
    const cJSON *jn;
    cJSON_ArrayForEach(jn, jnodes) {
        node *n = &ld.nodes[k];
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(jn, "name");
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(jn, "op");
        if (!cJSON_IsString(nm) || !cJSON_IsString(op)) {
            rc = au_fail(err, AUGUR_EFORMAT, "%s: node %d has no name or op", json_path, k);
            goto done;
        }
        n->name = nm->valuestring;
        n->op = op->valuestring;
        n->json = (cJSON *)jn;
        n->tensor = -1;
        if ((rc = split_inputs(&ld, n))) goto done;
        ld.by_name[k].name = n->name;
        ld.by_name[k].idx = k;
        k++;
    }
    qsort(ld.by_name, (size_t)ld.n_nodes, sizeof *ld.by_name, cmp_named);
    for (int i = 1; i < ld.n_nodes; i++)
        if (!strcmp(ld.by_name[i].name, ld.by_name[i - 1].name)) {
            rc = au_fail(err, AUGUR_EFORMAT, "%s: two nodes are named '%s'", json_path, ld.by_name[i].name);
            goto done;
        }
    /* Each node's inputs resolved once; users[] lists, for every node, the
     * nodes that read it (CSR: user_at[s] .. user_at[s+1]), so the sort below
     * is linear in nodes + edges (the first version rescanned every node after
     * each one: 7 s for 32,000 nodes). */
    {
        int n_edges = 0;
        for (int i = 0; i < ld.n_nodes; i++) n_edges += ld.nodes[i].n_in;
        int *src = malloc(((size_t)n_edges + 1) * sizeof(int));
        int *user_at = calloc((size_t)ld.n_nodes + 1, sizeof(int));
        int *users = malloc(((size_t)n_edges + 1) * sizeof(int));
        int *indeg = calloc((size_t)ld.n_nodes, sizeof(int));
        int *queue = calloc((size_t)ld.n_nodes, sizeof(int));
        if (!src || !user_at || !users || !indeg || !queue) {
            rc = au_fail(err, AUGUR_ENOMEM, "out of memory");
        }
        for (int i = 0, e = 0; !rc && i < ld.n_nodes; i++)
            for (int j = 0; j < ld.nodes[i].n_in; j++, e++) {
                int sn = find_node(&ld, ld.nodes[i].in[j]);
                if (sn < 0) {
                    rc = au_fail(err, AUGUR_EFORMAT, "%s: node '%s' reads unknown node '%s'", json_path,
                                 ld.nodes[i].name, ld.nodes[i].in[j]);
                    break;
                }
                src[e] = sn;
                ld.nodes[sn].n_users++;
                user_at[sn + 1]++;
            }
        if (!rc) {
            for (int i = 0; i < ld.n_nodes; i++) user_at[i + 1] += user_at[i];
            int *fill = indeg; /* borrowed as the fill cursor, reset below */
            for (int i = 0; i < ld.n_nodes; i++) fill[i] = user_at[i];
            for (int i = 0, e = 0; i < ld.n_nodes; i++)
                for (int j = 0; j < ld.nodes[i].n_in; j++, e++) users[fill[src[e]]++] = i;
            /* Kahn's algorithm: lower each node once all its inputs are lowered.
             * A node reading the same input twice appears twice in users[]
             * and is counted twice in indeg: consistent. */
            for (int i = 0; i < ld.n_nodes; i++) indeg[i] = ld.nodes[i].n_in;
            int qh = 0, qt = 0;
            for (int i = 0; i < ld.n_nodes; i++) if (!indeg[i]) queue[qt++] = i;
            int done_n = 0;
            while (qh < qt && !rc) {
                int ni = queue[qh++];
                rc = lower_node(&ld, &ld.nodes[ni]);
                done_n++;
                for (int u = user_at[ni]; u < user_at[ni + 1] && !rc; u++)
                    if (--indeg[users[u]] == 0) queue[qt++] = users[u];
            }
            if (!rc && done_n != ld.n_nodes)
                rc = au_fail(err, AUGUR_EFORMAT, "%s: the graph has a cycle", json_path);
        }
        free(src);
        free(user_at);
        free(users);
        free(indeg);
        free(queue);
        if (rc) goto done;
    }

    /* Outputs: the signature's, else every node nobody reads (in file order). */
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(root, "signature");
    const cJSON *souts = sig ? cJSON_GetObjectItemCaseSensitive(sig, "outputs") : NULL;
    const cJSON *so;
    cJSON_ArrayForEach(so, souts) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(so, "name");
        if (!cJSON_IsString(nm)) continue;
        char name[512];
        snprintf(name, sizeof name, "%s", nm->valuestring);
        char *colon = strrchr(name, ':');
        if (colon) *colon = 0;
        int j = find_node(&ld, name);
        if (j < 0) { rc = au_fail(err, AUGUR_EFORMAT, "%s: signature names unknown output '%s'", json_path, name); goto done; }
        if (m->n_outputs < 8) m->outputs[m->n_outputs++] = ld.nodes[j].tensor;
    }
    if (m->n_outputs == 0)
        for (int i = 0; i < ld.n_nodes; i++) {
            node *n = &ld.nodes[i];
            if (n->n_users || !strcmp(n->op, "Const") || m->t[n->tensor].is_const) continue;
            if (m->n_outputs >= 8) { rc = au_fail(err, AUGUR_EUNSUPPORTED, "%s: too many outputs", json_path); goto done; }
            m->outputs[m->n_outputs++] = n->tensor;
        }
    if (m->n_outputs == 0 || m->n_inputs == 0) {
        rc = au_fail(err, AUGUR_EFORMAT, "%s: the model has no %s", json_path, m->n_inputs ? "output" : "input");
        goto done;
    }
    for (int i = 0; i < m->n_outputs; i++) {
        if (m->t[m->outputs[i]].is_const) {
            rc = au_fail(err, AUGUR_EUNSUPPORTED, "%s: output '%s' is a constant", json_path, m->t[m->outputs[i]].name);
            goto done;
        }
        m->t[m->outputs[i]].is_io = 1;
    }
    if ((rc = fuse(m, err))) goto done;
    for (int i = 0; i < m->n_l; i++) m->stats.macs += m->l[i].macs;
    m->stats.n_layers = m->n_l;
    /* layer names point into the JSON, which is freed below: copy them */
    for (int i = 0; i < m->n_l; i++) m->l[i].name = m->t[m->l[i].out].name;

done:
    if (ld.nodes)
        for (int i = 0; i < ld.n_nodes; i++)
            for (int j = 0; j < ld.nodes[i].n_in; j++) free(ld.nodes[i].in_buf[j]);
    free(ld.nodes);
    free(ld.by_name);
    free(ld.weights);
    cJSON_Delete(root);
    return rc;
}
