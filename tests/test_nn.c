/*
 * tests/test_nn.c — runtime behaviour beyond numerics:
 *   - no heap allocation per inference after the first run (malloc & co. are
 *     interposed in this executable and counted; skipped under ASan, which
 *     owns malloc itself);
 *   - repeated runs are deterministic and reflect the current input;
 *   - the planner reuses memory (arena far smaller than all activations);
 *   - constant subgraphs are folded and Pad/Relu fused at load.
 */
#include "nn/graph.h"
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#else
#define COUNT_ALLOCS 1
/* glibc's internal entry points, so the interposers can forward to them. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
static volatile long n_allocs;
void *malloc(size_t n) { n_allocs++; return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { n_allocs++; return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { n_allocs++; return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *aligned_alloc(size_t al, size_t n) { n_allocs++; return __libc_memalign(al, n); }
void *memalign(size_t al, size_t n) { n_allocs++; return __libc_memalign(al, n); }
int posix_memalign(void **out, size_t al, size_t n)
{
    n_allocs++;
    void *p = __libc_memalign(al, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
#endif

static const char *models[] = {
    "blazeface-front", "blazeface-back", "facemesh-detection-short", "facemesh-detection-full",
    "facemesh", "iris", "emotion",
};

static void fill(float *x, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / (float)(1u << 24);
    }
}

static void one_model(const char *dir, const char *name, nn_backend be)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    nn_options o = nn_default_options();
    o.backend = be;
    nn_model *m = NULL;
    au_error e = {0};
    if (nn_load(&m, path, &o, &e)) { CHECK(0, "load %s: %s", name, e.msg); return; }
    nn_shape is, os;
    float *in = nn_input(m, 0, &is);
    size_t nin = nn_shape_size(&is);
    const float *out = nn_output(m, 0, &os);
    size_t nout = nn_shape_size(&os);
    float *first = malloc(nout * sizeof(float)), *other = malloc(nout * sizeof(float));

    fill(in, nin, 1);
    CHECK(nn_run(m, &e) == 0, "%s: %s", name, e.msg);
    memcpy(first, out, nout * sizeof(float));

#if COUNT_ALLOCS
    long before = n_allocs;
#endif
    for (int r = 0; r < 3; r++) {
        fill(in, nin, 2);
        nn_run(m, &e);
        fill(in, nin, 1);
        nn_run(m, &e);
    }
#if COUNT_ALLOCS
    long during = n_allocs - before;
    CHECK(during == 0, "%s (%s): %ld heap allocations during 6 inferences", name,
          be == NN_BACKEND_XNN ? "xnn" : "ref", during);
#endif
    CHECK(memcmp(first, out, nout * sizeof(float)) == 0, "%s: same input, different output", name);
    fill(in, nin, 2);
    nn_run(m, &e);
    memcpy(other, out, nout * sizeof(float));
    CHECK(memcmp(first, other, nout * sizeof(float)) != 0, "%s: output ignores the input", name);

    /* planning: memory reuse, folding, fusion */
    nn_stats st;
    nn_get_stats(m, &st);
    size_t all = 0;
    for (int i = 0; i < m->n_t; i++)
        if (!m->t[i].is_const && m->t[i].alias_of < 0) all += nn_shape_size(&m->t[i].shape) * sizeof(float);
    CHECK(st.arena_bytes < all / 2, "%s: arena %zu bytes, activations %zu bytes: no reuse?", name, st.arena_bytes, all);
    CHECK(st.n_layers < st.n_nodes, "%s: %d layers from %d nodes", name, st.n_layers, st.n_nodes);
    if (be == NN_BACKEND_XNN)
        printf("%-26s nodes %4d -> layers %4d (folded %d, fused %d), arena %6zu KiB of %6zu KiB, %.1f MMAC\n",
               name, st.n_nodes, st.n_layers, st.n_folded, st.n_fused, st.arena_bytes >> 10, all >> 10, st.macs / 1e6);
    free(first);
    free(other);
    nn_free(m);
}

int main(void)
{
    const char *dir = t_model_dir();
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        one_model(dir, models[i], NN_BACKEND_XNN);
        if (!strcmp(models[i], "emotion") || !strcmp(models[i], "blazeface-front"))
            one_model(dir, models[i], NN_BACKEND_REF);
    }
#if !COUNT_ALLOCS
    printf("note: allocation counting is off under AddressSanitizer\n");
#endif
    return t_finish();
}
