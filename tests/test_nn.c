/*
 * tests/test_nn.c — runtime behaviour beyond numerics:
 *   - no heap allocation per inference after the first run (malloc & co. are
 *     interposed in this executable and counted; skipped under ASan, which
 *     owns malloc itself);
 *   - repeated runs are deterministic and reflect the current input;
 *   - the planner reuses memory (arena far smaller than all activations);
 *   - constant subgraphs are folded and Pad/Relu fused at load;
 *   - models sharing a caller's thread pool compute as on pools of their own.
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

/* Output 0 of m on input fill(seed), copied to out (nout floats). */
static int run_on(nn_model *m, unsigned seed, float *out, size_t nout, au_error *e)
{
    nn_shape is;
    float *in = nn_input(m, 0, &is);
    fill(in, nn_shape_size(&is), seed);
    if (nn_run(m, e)) return -1;
    memcpy(out, nn_output(m, 0, NULL), nout * sizeof(float));
    return 0;
}

/* Two models on one caller-owned pool (nn_options.pool) compute what they
 * compute on pools of their own of the same size, runs interleaved; freeing
 * one leaves the pool to the other (and to the caller). */
static void shared_pool(const char *dir)
{
    const char *names[2] = {"facemesh", "emotion"};
    au_error e = {0};
    void *pool = NULL;
    CHECK(nn_pool_create(&pool, 1, &e) == 0 && !pool, "a pool of 1 thread is no pool");
    if (nn_pool_create(&pool, 3, &e)) { CHECK(0, "pool: %s", e.msg); return; }
    nn_model *own[2] = {0}, *shared[2] = {0};
    float *a[2] = {0}, *b[2] = {0};
    size_t nout[2] = {0};
    for (int k = 0; k < 2; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.json", dir, names[k]);
        nn_options o = nn_default_options();
        o.n_threads = 3;
        if (nn_load(&own[k], path, &o, &e)) { CHECK(0, "load %s: %s", names[k], e.msg); goto out; }
        o.n_threads = 1; /* ignored: the pool decides */
        o.pool = pool;
        if (nn_load(&shared[k], path, &o, &e)) { CHECK(0, "load %s on the pool: %s", names[k], e.msg); goto out; }
        nn_shape os;
        nn_output(own[k], 0, &os);
        nout[k] = nn_shape_size(&os);
        a[k] = malloc(nout[k] * sizeof(float));
        b[k] = malloc(nout[k] * sizeof(float));
        if (!a[k] || !b[k]) { CHECK(0, "out of memory"); goto out; }
    }
    for (unsigned seed = 1; seed <= 2; seed++)
        for (int k = 0; k < 2; k++) {
            CHECK(run_on(own[k], seed, a[k], nout[k], &e) == 0, "%s: %s", names[k], e.msg);
            CHECK(run_on(shared[k], seed, b[k], nout[k], &e) == 0, "%s on the pool: %s", names[k], e.msg);
            CHECK(!memcmp(a[k], b[k], nout[k] * sizeof(float)), "%s: shared pool and own pool differ (input %u)",
                  names[k], seed);
        }
    nn_free(shared[0]);
    shared[0] = NULL;
    CHECK(run_on(shared[1], 1, b[1], nout[1], &e) == 0, "%s after the other model's free: %s", names[1], e.msg);
    CHECK(run_on(own[1], 1, a[1], nout[1], &e) == 0 && !memcmp(a[1], b[1], nout[1] * sizeof(float)),
          "%s: differs after the other model's free", names[1]);
out:
    for (int k = 0; k < 2; k++) { nn_free(own[k]); nn_free(shared[k]); free(a[k]); free(b[k]); }
    nn_pool_free(pool);
}

int main(void)
{
    const char *dir = t_model_dir();
    for (size_t i = 0; i < sizeof models / sizeof *models; i++) {
        one_model(dir, models[i], NN_BACKEND_XNN);
        if (!strcmp(models[i], "emotion") || !strcmp(models[i], "blazeface-front"))
            one_model(dir, models[i], NN_BACKEND_REF);
    }
    shared_pool(dir);
#if !COUNT_ALLOCS
    printf("note: allocation counting is off under AddressSanitizer\n");
#endif
    return t_finish();
}
