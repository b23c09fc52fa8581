/*
 * nn/nn.c — model life cycle: load (nn/loader.c), plan the activation arena,
 * prepare the backend, run, free. See nn.h for the contract.
 *
 * Planning: each activation that a layer writes (or a model input) gets a
 * lifetime [first layer that writes it, last layer that reads it or one of its
 * aliases]; inputs and outputs live for the whole run. Tensors are placed
 * largest first at the lowest 64-byte-aligned offset that overlaps no placed
 * tensor with an intersecting lifetime. The arena is allocated once, with
 * XNN_EXTRA_BYTES-style slack at the end because XNNPACK kernels may read a
 * little past a tensor's last element.
 */
#include "nn/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64
#define ARENA_SLACK 64

nn_options nn_default_options(void)
{
    nn_options o;
    memset(&o, 0, sizeof o);
    o.backend = NN_BACKEND_XNN;
    o.n_threads = 1;
    o.max_file_bytes = (size_t)256 << 20;
    o.max_arena_bytes = (size_t)1 << 30;
    return o;
}

typedef struct placed { size_t off, size; int first, last; } placed;

static int cmp_placed_off(const void *a, const void *b)
{
    size_t x = ((const placed *)a)->off, y = ((const placed *)b)->off;
    return x < y ? -1 : x > y;
}

typedef struct sized { size_t size; int idx; } sized;

static int cmp_sized_desc(const void *a, const void *b)
{
    const sized *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? 1 : -1;
    return x->idx - y->idx;
}

static size_t tensor_bytes(const nn_tensor *t)
{
    return (nn_shape_size(&t->shape) * sizeof(float) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

static int plan(nn_model *m, au_error *err)
{
    int nt = m->n_t, nl = m->n_l;
    /* lifetimes on alias roots */
    for (int i = 0; i < nt; i++) { m->t[i].first_def = -1; m->t[i].last_use = -1; }
    for (int i = 0; i < m->n_inputs; i++) m->t[m->inputs[i]].first_def = 0;
    for (int l = 0; l < nl; l++) {
        nn_layer *L = &m->l[l];
        int r = nn_root(m, L->out);
        if (r != L->out)
            return au_fail(err, AUGUR_EINTERNAL, "layer '%s' writes an alias", L->name);
        if (m->t[r].first_def < 0) m->t[r].first_def = l;
        for (int k = 0; k < L->n_in; k++) {
            int s = nn_root(m, L->in[k]);
            if (m->t[s].is_const) continue;
            if (m->t[s].first_def < 0)
                return au_fail(err, AUGUR_EINTERNAL, "layer '%s' reads '%s' before it is written",
                               L->name, m->t[s].name);
            if (l > m->t[s].last_use) m->t[s].last_use = l;
        }
    }
    for (int i = 0; i < nt; i++) {
        if (!m->t[i].is_io) continue;
        m->t[nn_root(m, i)].last_use = nl; /* inputs and outputs live for the whole run */
    }
    /* inputs are written by the caller before layer 0 */
    for (int i = 0; i < m->n_inputs; i++) m->t[m->inputs[i]].first_def = -1;

    /* collect roots that need memory */
    int *order = malloc((size_t)nt * sizeof *order);
    placed *pl = malloc((size_t)nt * sizeof *pl);
    if (!order || !pl) { free(order); free(pl); return au_fail(err, AUGUR_ENOMEM, "out of memory (planning)"); }
    int np = 0;
    for (int i = 0; i < nt; i++) {
        nn_tensor *t = &m->t[i];
        if (t->is_const || t->alias_of >= 0) continue;
        int is_input = 0;
        for (int k = 0; k < m->n_inputs; k++) is_input |= m->inputs[k] == i;
        if (!is_input && t->first_def < 0) continue; /* orphan (fused away) */
        if (t->last_use < 0) t->last_use = t->first_def; /* written, never read */
        order[np++] = i;
    }
    /* by size, descending, ties by index (qsort on (size, index) keys: the
     * insertion sort it replaces was quadratic in a hostile model's tensors) */
    sized *keys = malloc(((size_t)np + 1) * sizeof *keys);
    if (!keys) { free(order); free(pl); return au_fail(err, AUGUR_ENOMEM, "out of memory (planning)"); }
    for (int a = 0; a < np; a++) keys[a] = (sized){tensor_bytes(&m->t[order[a]]), order[a]};
    qsort(keys, (size_t)np, sizeof *keys, cmp_sized_desc);
    for (int a = 0; a < np; a++) order[a] = keys[a].idx;
    free(keys);
    size_t total = 0;
    int n_placed = 0;
    placed *live_pl = malloc(((size_t)np + 1) * sizeof *live_pl);
    if (!live_pl) { free(order); free(pl); return au_fail(err, AUGUR_ENOMEM, "out of memory (planning)"); }
    for (int a = 0; a < np; a++) {
        nn_tensor *t = &m->t[order[a]];
        size_t size = tensor_bytes(t), off = 0;
        int first = t->first_def, last = t->last_use;
        /* the lowest offset that overlaps no block alive at the same time:
         * those blocks sorted by offset, one sweep (the repeated passes it
         * replaces found the same offset, in up to n passes) */
        int n_live = 0;
        for (int k = 0; k < n_placed; k++)
            if (!(pl[k].last < first || last < pl[k].first)) live_pl[n_live++] = pl[k];
        qsort(live_pl, (size_t)n_live, sizeof *live_pl, cmp_placed_off);
        for (int k = 0; k < n_live && live_pl[k].off < off + size; k++)
            if (live_pl[k].off + live_pl[k].size > off) off = live_pl[k].off + live_pl[k].size;
        pl[n_placed++] = (placed){off, size, first, last};
        t->arena_off = off;
        if (off + size > total) total = off + size;
    }
    free(order);
    free(pl);
    free(live_pl);
    m->arena_bytes = total + ARENA_SLACK;
    /* refused before allocating: a small hostile file can declare activations
     * of any size (a Pad of thousands of rows), and zeroing them costs time too */
    if (m->arena_bytes > m->opt.max_arena_bytes)
        return au_fail(err, AUGUR_EFORMAT, "the model needs %zu MiB of activation memory, more than the limit of %zu MiB",
                       m->arena_bytes >> 20, m->opt.max_arena_bytes >> 20);
    m->arena = aligned_alloc(ARENA_ALIGN, (m->arena_bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
    if (!m->arena) return au_fail(err, AUGUR_ENOMEM, "out of memory (arena of %zu bytes)", m->arena_bytes);
    memset(m->arena, 0, m->arena_bytes);
    for (int i = 0; i < nt; i++) {
        nn_tensor *t = &m->t[i];
        if (t->is_const) continue;
        t->f = (float *)(m->arena + m->t[nn_root(m, i)].arena_off);
    }
    m->stats.arena_bytes = m->arena_bytes;
    return 0;
}

int nn_load(nn_model **out, const char *json_path, const nn_options *opt, au_error *err)
{
    *out = NULL;
    nn_model *m = calloc(1, sizeof *m);
    if (!m) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    m->opt = opt ? *opt : nn_default_options();
    if (m->opt.n_threads < 1) m->opt.n_threads = 1;
    if (!m->opt.max_file_bytes) m->opt.max_file_bytes = nn_default_options().max_file_bytes;
    if (!m->opt.max_arena_bytes) m->opt.max_arena_bytes = nn_default_options().max_arena_bytes;
    size_t pl = strlen(json_path);
    int rc = pl > 7 && !strcmp(json_path + pl - 7, ".tflite") ? nn_graph_load_tflite(m, json_path, err)
                                                               : nn_graph_load(m, json_path, err);
    if (!rc) rc = plan(m, err);
    if (!rc && m->opt.backend == NN_BACKEND_XNN) {
        rc = nn_xnn_prepare(m, err);
        if (rc) au_wrap(err, "%s", json_path);
    }
    if (rc) { nn_free(m); return rc; }
    *out = m;
    return 0;
}

void nn_free(nn_model *m)
{
    if (!m) return;
    if (m->opt.backend == NN_BACKEND_XNN) nn_xnn_release(m);
    for (int i = 0; i < m->n_t; i++) {
        free(m->t[i].name);
        if (m->t[i].is_const) { free(m->t[i].f); free(m->t[i].i); }
    }
    free(m->t);
    free(m->l);
    free(m->arena);
    free(m);
}

int nn_run(nn_model *m, au_error *err)
{
    if (m->opt.backend == NN_BACKEND_XNN) {
        for (int i = 0; i < m->n_l; i++) {
            int rc = nn_xnn_run_layer(m, &m->l[i], err);
            if (rc) return rc;
        }
    } else {
        for (int i = 0; i < m->n_l; i++) nn_ref_run_layer(m, &m->l[i]);
    }
    return 0;
}

int nn_n_inputs(const nn_model *m) { return m->n_inputs; }
int nn_n_outputs(const nn_model *m) { return m->n_outputs; }

float *nn_input(nn_model *m, int i, nn_shape *shape)
{
    if (i < 0 || i >= m->n_inputs) return NULL;
    if (shape) *shape = m->t[m->inputs[i]].shape;
    return m->t[m->inputs[i]].f;
}

const float *nn_output(const nn_model *m, int i, nn_shape *shape)
{
    if (i < 0 || i >= m->n_outputs) return NULL;
    if (shape) *shape = m->t[m->outputs[i]].shape;
    return m->t[m->outputs[i]].f;
}

static void shape_str(const nn_shape *s, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < s->ndim && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, i ? "x%d" : "%d", s->dim[i]);
}

int nn_set_input(nn_model *m, int i, const float *data, const nn_shape *shape, au_error *err)
{
    if (i < 0 || i >= m->n_inputs)
        return au_fail(err, AUGUR_EARG, "model has %d input(s), not %d", m->n_inputs, i + 1);
    const nn_tensor *t = &m->t[m->inputs[i]];
    int same = shape && shape->ndim == t->shape.ndim;
    for (int d = 0; same && d < shape->ndim; d++) same = shape->dim[d] == t->shape.dim[d];
    if (!same) {
        char want[96], got[96] = "none";
        shape_str(&t->shape, want, sizeof want);
        if (shape) shape_str(shape, got, sizeof got);
        return au_fail(err, AUGUR_EARG, "input '%s' expects shape %s, got %s", t->name, want, got);
    }
    memcpy(t->f, data, nn_shape_size(shape) * sizeof(float));
    return 0;
}

const char *nn_input_name(const nn_model *m, int i)
{
    return i >= 0 && i < m->n_inputs ? m->t[m->inputs[i]].name : NULL;
}

const char *nn_output_name(const nn_model *m, int i)
{
    return i >= 0 && i < m->n_outputs ? m->t[m->outputs[i]].name : NULL;
}

int nn_find_output(const nn_model *m, const char *name)
{
    for (int i = 0; i < m->n_outputs; i++)
        if (!strcmp(m->t[m->outputs[i]].name, name)) return i;
    return -1;
}

void nn_get_stats(const nn_model *m, nn_stats *s) { *s = m->stats; }
