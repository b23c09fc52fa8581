/*
 * tests/test_expr_infer.c — expression inference (expr/infer.h) against the
 * training network's forward pass (en_forward, B = 1):
 *   - a random-weight network with non-trivial batch norm (random gamma/beta,
 *     running statistics accumulated by training-mode passes over synthetic
 *     face-like crops, so folding is exercised and the int8 ranges derived from
 *     batch norm are meaningful), saved with en_save and loaded by every mode;
 *   - probabilities and CAM of every class agree: f32 within 1e-4 (absolute,
 *     probabilities; relative to the crop's largest sum_c |w_ck| A_pc over classes k and cells p); int8 with
 *     ranges calibrated on other crops (expr_infer_calibrate) within 0.08
 *     (probabilities), 0.1 (CAM) and 0.1 (CAM-COS), twice that with the ranges
 *     derived from batch norm, with the same top class on >= 3/4 of the crops;
 *   - CAM-COS the same as en_cam_cos;
 *   - no heap allocation per run (counted as in test_nn.c; off under ASan);
 *   - crop 0 is the astronaut's real aligned face when the face models exist;
 *   - 2 threads compute what 1 does; two instances on one shared pool
 *     (expr_infer_create_pool) exactly what they compute on pools of their own;
 *   - deterministic, input-dependent; missing, corrupt and truncated model
 *     files and a corrupt calibration file fail with clear errors.
 * Timings are printed for information only (never asserted).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expr/infer.h"
#include "expr/net.h"
#include "expr/prep.h"
#include "face/engine.h"
#include "media/image.h"
#include "nn/nn.h"
#include "testutil.h"
#include "train/rng.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#else
#define COUNT_ALLOCS 1
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

#define NCROP 24
/* int8 tolerances (calibrated ranges; twice these with batch-norm ranges) */
#define PTOL8 0.08f
#define CTOL8 0.1f
#define COSTOL8 0.1f
#define NB 16

/* A synthetic face-like crop: a lit oval on a gradient, dark eyes and mouth
 * whose size varies with the seed, plus noise. */
static void make_crop(uint8_t *c, tr_rng *r)
{
    float cx = 24 + 4 * (tr_rng_uniform(r) - 0.5f), cy = 24 + 4 * (tr_rng_uniform(r) - 0.5f);
    float mouth = 2 + 5 * tr_rng_uniform(r), eye = 1.5f + 2 * tr_rng_uniform(r), light = 60 + 80 * tr_rng_uniform(r);
    for (int y = 0; y < EN_SIZE; y++)
        for (int x = 0; x < EN_SIZE; x++) {
            float v = 40 + 2 * x;
            float dx = (x - cx) / 17, dy = (y - cy) / 21;
            if (dx * dx + dy * dy < 1) v = light + 60 * (1 - dx * dx - dy * dy);
            for (int s = -1; s <= 1; s += 2) {
                float ex = x - (cx + 7 * s), ey = y - (cy - 5);
                if (ex * ex + ey * ey < eye * eye * 2) v *= 0.3f;
            }
            float mx = (x - cx) / 7, my = (y - (cy + 10)) / mouth;
            if (mx * mx + my * my < 1) v *= 0.4f;
            v += 20 * (tr_rng_uniform(r) - 0.5f);
            c[y * EN_SIZE + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
}

/* The aligned crop of the astronaut's face (examples/), as analysis makes it,
 * into slot 0 when the face models are present (else the synthetic crops only). */
static int real_crop(uint8_t *crop)
{
    const char *d = getenv("AUGUR_MODELS");
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/facemesh.json", d && *d ? d : "");
    FILE *f = d && *d ? fopen(probe, "rb") : NULL;
    if (!f) { printf("note: no face models, synthetic crops only\n"); return 0; }
    fclose(f);
    au_error e = {0};
    au_image img = {0};
    au_face_engine *eng = NULL;
    au_face faces[AU_MAX_FACES];
    int n = 0, ok = 0;
    au_face_opts o = au_face_default_opts();
    if (!au_image_load(t_src("examples/astronaut.png"), &img, &e) && !au_face_engine_create(&eng, d, NULL, &e) &&
        !au_face_find(eng, &img, &o, faces, &n, &e) && n > 0 && faces[0].success) {
        expr_crop(&img, &faces[0], EN_SIZE, crop);
        ok = 1;
    }
    CHECK(ok, "astronaut crop: %s (%d faces)", e.msg, n);
    au_face_engine_free(eng);
    au_image_free(&img);
    return ok;
}

/* A random network with realistic batch-norm state, saved to path. */
static int make_model(const char *path, uint8_t *crops, uint64_t seed)
{
    expr_net *n;
    au_error e = {0};
    if (en_create(&n, NB, seed, &e)) { CHECK(0, "%s", e.msg); return -1; }
    tr_rng r;
    tr_rng_seed(&r, seed, 5);
    for (int k = 0; k < EN_CONVS; k++)
        for (int o = 0; o < n->conv[k].s.OC; o++) {
            n->conv[k].gamma[o] = 0.5f + tr_rng_uniform(&r);
            n->conv[k].beta[o] = 0.4f * (tr_rng_uniform(&r) - 0.5f);
        }
    for (int i = 0; i < EXPR_N; i++) n->fc_b[i] = 0.2f * (tr_rng_uniform(&r) - 0.5f);
    /* running statistics: training-mode passes (momentum 0.1) over the crops */
    for (int pass = 0; pass < 60; pass++) {
        for (int b = 0; b < NB; b++) {
            const uint8_t *c = crops + (size_t)((b + pass) % NCROP) * EN_SIZE * EN_SIZE;
            for (int i = 0; i < EN_SIZE * EN_SIZE; i++) n->input[b * EN_SIZE * EN_SIZE + i] = c[i] / 255.0f - 0.5f;
        }
        en_forward(n, NB, 1);
    }
    int rc = en_save(n, path, &e);
    CHECK(rc == 0, "save: %s", e.msg);
    en_free(n);
    return rc;
}

static int argmax(const float *p)
{
    int b = 0;
    for (int k = 1; k < EXPR_N; k++) if (p[k] > p[b]) b = k;
    return b;
}

static void parity(const char *path, const uint8_t *crops, int mode, int calibrated)
{
    au_error e = {0};
    expr_infer *ref = NULL, *x = NULL;
    expr_net *net = NULL;
    if (expr_infer_create_mode(&ref, path, 1, EXPR_INFER_TRAIN, &e) ||
        expr_infer_create_mode(&x, path, 1, mode, &e) || en_create(&net, 1, 1, &e) ||
        en_load_weights(net, path, &e)) {
        CHECK(0, "create (%s): %s", expr_infer_mode_name(mode), e.msg);
        expr_infer_free(ref); expr_infer_free(x); en_free(net);
        return;
    }
    const char *name = mode == EXPR_INFER_F32 ? "f32" : calibrated ? "int8 (calibrated)" : "int8 (batch-norm ranges)";
    float ptol = mode == EXPR_INFER_F32 ? 1e-4f : PTOL8, ctol = mode == EXPR_INFER_F32 ? 1e-4f : CTOL8;
    float costol = mode == EXPR_INFER_F32 ? 1e-4f : COSTOL8;
    if (mode == EXPR_INFER_INT8 && !calibrated) ptol *= 2, ctol *= 2, costol *= 2;
    float worst_p = 0, worst_cam = 0, worst_cos = 0;
    int same_top = 0;
    for (int i = 0; i < NCROP; i++) {
        const uint8_t *c = crops + (size_t)i * EN_SIZE * EN_SIZE;
        float pr[EXPR_N], px[EXPR_N], heat[EN_ATT * EN_ATT];
        CHECK(expr_infer_run(ref, c, pr, &e) == 0, "run: %s", e.msg);
        CHECK(expr_infer_run(x, c, px, &e) == 0, "run: %s", e.msg);
        /* the TRAIN mode is en_forward itself */
        for (int j = 0; j < EN_SIZE * EN_SIZE; j++) net->input[j] = c[j] / 255.0f - 0.5f;
        en_forward(net, 1, 0);
        CHECK(!memcmp(pr, net->probs, sizeof pr), "train mode differs from en_forward");
        for (int k = 0; k < EXPR_N; k++) worst_p = fmaxf(worst_p, fabsf(pr[k] - px[k]));
        same_top += argmax(pr) == argmax(px);
        for (int j = 0; j < EN_ATT * EN_ATT; j++) heat[j] = (float)((j * 7 + i) % 13) / 12.0f;
        float cr[EXPR_N][EN_CAM * EN_CAM], cx[EXPR_N][EN_CAM * EN_CAM], scale = 1e-6f;
        for (int k = 0; k < EXPR_N; k++) {
            float cn[EN_CAM * EN_CAM];
            expr_infer_cam(ref, k, cr[k]);
            expr_infer_cam(x, k, cx[k]);
            en_cam(net, 0, k, cn);
            CHECK(!memcmp(cr[k], cn, sizeof cn), "train-mode CAM differs from en_cam");
        }
        /* the CAM's scale: sum_c |w[c][k]| A[p][c] (a CAM is a sum of terms of both
         * signs, so its error follows the terms, not the sum) */
        for (int k = 0; k < EXPR_N; k++)
            for (int p = 0; p < EN_CAM * EN_CAM; p++) {
                double t = 0;
                for (int c = 0; c < 256; c++) t += fabs(net->fc_w[c * EXPR_N + k]) * net->conv[7].act[p * 256 + c];
                scale = fmaxf(scale, (float)t);
            }
        for (int k = 0; k < EXPR_N; k++) {
            for (int p = 0; p < EN_CAM * EN_CAM; p++) worst_cam = fmaxf(worst_cam, fabsf(cr[k][p] - cx[k][p]) / scale);
            float a = en_cam_cos(net, 0, k, heat), b = expr_infer_cam_cos(x, k, heat);
            CHECK(a == expr_infer_cam_cos(ref, k, heat), "train-mode CAM-COS differs from en_cam_cos");
            worst_cos = fmaxf(worst_cos, fabsf(a - b));
        }
    }
    printf("%s vs en_forward over %d crops: max |dprob| %.2g, max CAM error %.2g of the crop's CAM scale, max |dCAM-COS| %.2g, "
           "same top class %d/%d\n", name, NCROP, worst_p, worst_cam, worst_cos, same_top, NCROP);
    CHECK(worst_p <= ptol, "%s probabilities: %.3g > %.3g", name, worst_p, ptol);
    CHECK(worst_cam <= ctol, "%s CAM: %.3g > %.3g", name, worst_cam, ctol);
    CHECK(worst_cos <= costol, "%s CAM-COS: %.3g > %.3g", name, worst_cos, costol);
    CHECK(mode == EXPR_INFER_F32 ? same_top == NCROP : same_top >= NCROP * 3 / 4, "%s top class: %d/%d", name,
          same_top, NCROP);

    /* deterministic, input-dependent, allocation-free */
    float a[EXPR_N], b[EXPR_N], d[EXPR_N];
    expr_infer_run(x, crops, a, &e);
#if COUNT_ALLOCS
    long before = n_allocs;
#endif
    for (int r = 0; r < 4; r++) {
        expr_infer_run(x, crops + EN_SIZE * EN_SIZE, d, &e);
        expr_infer_run(x, crops, b, &e);
        float cam[EN_CAM * EN_CAM], heat[EN_ATT * EN_ATT] = {0};
        heat[0] = 1;
        expr_infer_cam(x, r, cam);
        (void)expr_infer_cam_cos(x, r, heat);
    }
#if COUNT_ALLOCS
    long during = n_allocs - before;
    CHECK(during == 0, "%s: %ld heap allocations during 8 runs", expr_infer_mode_name(mode), during);
#endif
    CHECK(!memcmp(a, b, sizeof a), "%s: same crop, different output", expr_infer_mode_name(mode));
    CHECK(memcmp(a, d, sizeof a), "%s: output ignores the crop", expr_infer_mode_name(mode));

    /* flip averaging: the mean of the crop's and its mirror's probabilities, and afterwards
       the crop's own CAM (not the mirror's) */
    {
        uint8_t mir[EN_SIZE * EN_SIZE];
        for (int y = 0; y < EN_SIZE; y++)
            for (int xx = 0; xx < EN_SIZE; xx++) mir[y * EN_SIZE + xx] = crops[y * EN_SIZE + EN_SIZE - 1 - xx];
        float pm[EXPR_N], pf[EXPR_N], c_own[EN_CAM * EN_CAM], c_flip[EN_CAM * EN_CAM], w = 0, sum = 0;
        expr_infer_run(x, mir, pm, &e);
        expr_infer_run(x, crops, a, &e);
        expr_infer_cam(x, 1, c_own);
        CHECK(expr_infer_classify(x, crops, 1, pf, &e) == 0, "flip: %s", e.msg);
        expr_infer_cam(x, 1, c_flip);
        for (int k = 0; k < EXPR_N; k++) w = fmaxf(w, fabsf(pf[k] - 0.5f * (a[k] + pm[k]))), sum += pf[k];
        CHECK(w <= 1e-6f && fabsf(sum - 1) <= 1e-5f, "%s: flip average off by %.3g (sum %.6f)", name, w, sum);
        CHECK(!memcmp(c_own, c_flip, sizeof c_own), "%s: CAM after flip averaging is not the crop's", name);
        CHECK(memcmp(pm, a, sizeof a), "%s: mirror image gives identical output (no test)", name);
    }

    /* a pool of 2 threads computes the same */
    expr_infer *x2 = NULL;
    CHECK(expr_infer_create_mode(&x2, path, 2, mode, &e) == 0, "2 threads: %s", e.msg);
    if (x2) {
        float c2[EN_CAM * EN_CAM], c1[EN_CAM * EN_CAM];
        expr_infer_run(x2, crops, d, &e);
        expr_infer_cam(x2, 3, c2);
        expr_infer_cam(x, 3, c1);
        float w = 0;
        for (int k = 0; k < EXPR_N; k++) w = fmaxf(w, fabsf(d[k] - b[k]));
        for (int p = 0; p < EN_CAM * EN_CAM; p++) w = fmaxf(w, fabsf(c2[p] - c1[p]) / (fabsf(c1[p]) + 1));
        CHECK(w <= 1e-5f, "%s: 2 threads differ from 1 by %.3g", name, w);
        expr_infer_free(x2);
    }

    /* information only: speed of one face, single thread */
    double t[2];
    expr_infer *m[2] = {ref, x};
    for (int q = 0; q < 2; q++) {
        double t0 = au_now();
        for (int r = 0; r < 20; r++) expr_infer_run(m[q], crops + (size_t)(r % NCROP) * EN_SIZE * EN_SIZE, a, &e);
        t[q] = (au_now() - t0) / 20 * 1e3;
    }
    printf("     (information: %.3f ms/face en_forward, %.3f ms/face %s)\n", t[0], t[1], expr_infer_mode_name(mode));
    expr_infer_free(ref);
    expr_infer_free(x);
    en_free(net);
}

/* Two instances sharing the caller's pool (expr_infer_create_pool) give, run
 * after run, the probabilities and CAMs that instances with pools of their
 * own of the same size give; freeing one leaves the pool working for the
 * other; a NULL pool is the single-thread instance. */
static void shared_pool(const char *path, const uint8_t *crops)
{
    au_error e = {0};
    void *pool = NULL;
    if (nn_pool_create(&pool, 2, &e)) { CHECK(0, "pool: %s", e.msg); return; }
    expr_infer *own[2] = {0}, *shared[2] = {0}, *one = NULL, *nopool = NULL;
    int ok = 1;
    for (int k = 0; k < 2 && ok; k++)
        ok = !expr_infer_create(&own[k], path, 2, &e) && !expr_infer_create_pool(&shared[k], path, pool, &e);
    ok = ok && !expr_infer_create(&one, path, 1, &e) && !expr_infer_create_pool(&nopool, path, NULL, &e);
    CHECK(ok, "create: %s", e.msg);
    if (ok) CHECK(expr_infer_get_mode(shared[0]) == expr_infer_get_mode(own[0]), "shared pool: another mode");
    for (int i = 0; i < 4 && ok; i++) {
        const uint8_t *c = crops + (size_t)(i % NCROP) * EN_SIZE * EN_SIZE;
        int k = i % 2; /* the two shared instances take turns on the pool */
        float pa[EXPR_N], pb[EXPR_N], ca[EN_CAM * EN_CAM], cb[EN_CAM * EN_CAM];
        CHECK(expr_infer_run(own[k], c, pa, &e) == 0 && expr_infer_run(shared[k], c, pb, &e) == 0, "run: %s", e.msg);
        expr_infer_cam(own[k], 2, ca);
        expr_infer_cam(shared[k], 2, cb);
        CHECK(!memcmp(pa, pb, sizeof pa) && !memcmp(ca, cb, sizeof ca), "crop %d: shared pool and own pool differ", i);
        CHECK(expr_infer_run(one, c, pa, &e) == 0 && expr_infer_run(nopool, c, pb, &e) == 0, "run: %s", e.msg);
        CHECK(!memcmp(pa, pb, sizeof pa), "crop %d: NULL pool differs from 1 thread", i);
    }
    if (ok) {
        float pa[EXPR_N], pb[EXPR_N];
        expr_infer_free(shared[0]);
        shared[0] = NULL;
        CHECK(expr_infer_run(shared[1], crops, pb, &e) == 0 && expr_infer_run(own[1], crops, pa, &e) == 0 &&
              !memcmp(pa, pb, sizeof pa), "after the other instance's free: %s", e.msg);
    }
    for (int k = 0; k < 2; k++) { expr_infer_free(own[k]); expr_infer_free(shared[k]); }
    expr_infer_free(one);
    expr_infer_free(nopool);
    nn_pool_free(pool);
}

static void errors(const char *path)
{
    au_error e = {0};
    expr_infer *x = (expr_infer *)&e; /* must be reset to NULL on failure */
    CHECK(expr_infer_create(&x, "/nonexistent/expr.bin", 1, &e) == AUGUR_EIO && !x, "missing file: %s", e.msg);
    printf("missing model: %s\n", e.msg);
    char bad[4300];
    snprintf(bad, sizeof bad, "%s.bad", path);
    FILE *f = fopen(bad, "wb");
    fputs("AUGEXPR9 this is not a model at all, just text", f);
    fclose(f);
    for (int mode = 0; mode < EXPR_INFER_NMODES; mode++) {
        x = (expr_infer *)&e;
        CHECK(expr_infer_create_mode(&x, bad, 1, mode, &e) == AUGUR_EFORMAT && !x, "corrupt file (%s): %s",
              expr_infer_mode_name(mode), e.msg);
    }
    printf("corrupt model: %s\n", e.msg);
    /* truncated: the first half of a real model */
    f = fopen(path, "rb");
    FILE *g = fopen(bad, "wb");
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    rewind(f);
    for (long i = 0; i < sz / 2; i++) fputc(fgetc(f), g);
    fclose(f);
    fclose(g);
    CHECK(expr_infer_create_mode(&x, bad, 1, EXPR_INFER_F32, &e) == AUGUR_EFORMAT && strstr(e.msg, "truncated"),
          "truncated file: %s", e.msg);
    remove(bad);
    /* a calibration file that is not one fails int8, and only int8 */
    char cal[4300];
    snprintf(cal, sizeof cal, "%s.cal", path);
    f = fopen(cal, "w");
    fputs("AUGEXPRCAL1 1 2 3 nan 5 6 7 8\n", f);
    fclose(f);
    CHECK(expr_infer_create_mode(&x, path, 1, EXPR_INFER_INT8, &e) == AUGUR_EFORMAT && strstr(e.msg, ".cal"),
          "corrupt calibration: %s", e.msg);
    printf("corrupt calibration: %s\n", e.msg);
    CHECK(expr_infer_create_mode(&x, path, 1, EXPR_INFER_F32, &e) == 0, "f32 ignores the calibration: %s", e.msg);
    expr_infer_free(x);
    remove(cal);
    x = (expr_infer *)&e;
    CHECK(expr_infer_create_mode(&x, path, 1, 99, &e) == AUGUR_EARG && !x, "bad mode: %s", e.msg);
    CHECK(expr_infer_mode_parse("int8") == EXPR_INFER_INT8 && expr_infer_mode_parse("f16") == -1, "mode names");
}

int main(void)
{
    static uint8_t crops[NCROP * EN_SIZE * EN_SIZE];
    tr_rng r;
    tr_rng_seed(&r, 11, 1);
    for (int i = 0; i < NCROP; i++) make_crop(crops + (size_t)i * EN_SIZE * EN_SIZE, &r);
    if (real_crop(crops)) printf("crop 0: the astronaut's aligned face\n");
    char path[] = "/tmp/augur-test-expr-infer-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) { CHECK(0, "mkstemp"); return t_finish(); }
    close(fd);
    static uint8_t calib[NCROP * EN_SIZE * EN_SIZE]; /* other crops than those compared on */
    for (int i = 0; i < NCROP; i++) make_crop(calib + (size_t)i * EN_SIZE * EN_SIZE, &r);
    char cal[4300];
    snprintf(cal, sizeof cal, "%s.cal", path);
    for (uint64_t seed = 1; seed <= 2; seed++) {
        if (make_model(path, crops, seed)) break;
        printf("random network %d:\n", (int)seed);
        parity(path, crops, EXPR_INFER_F32, 0);
        parity(path, crops, EXPR_INFER_INT8, 0);
        au_error e = {0};
        CHECK(expr_infer_calibrate(path, calib, NCROP, 99.99, &e) == 0, "calibrate: %s", e.msg);
        parity(path, crops, EXPR_INFER_INT8, 1);
        remove(cal);
    }
    shared_pool(path, crops);
    errors(path);
    remove(path);
#if !COUNT_ALLOCS
    printf("note: allocation counting is off under AddressSanitizer\n");
#endif
    return t_finish();
}
