/*
 * tests/test_cover.c — the covered-area test (au/cover.h, RULE24):
 *   - the fit (lab/fit/cover_fit.c) on synthetic "faces" that lie near a
 *     low-rank subspace: an orthonormal basis, each component signed with its
 *     largest entry positive, the edge at the 99th percentile (about 1 row in
 *     100 scores over 1), rows left out by the mask not used, too few refused;
 *   - au_cover_test: a flat area (a cover has no gradients: zero HOG) and an
 *     area of another structure score over 1; an area of the subspace does
 *     not; a model without a fit calls nothing covered;
 *   - the model file: the test saved and loaded back value for value; a wrong
 *     component count, a wrong area name, a short mean or a cover in a model
 *     without the HOG refused;
 *   - a real face (examples/astronaut.png) through the public API with the
 *     shipped model: clean, nothing covered; the mouth painted over, the lower
 *     face covered, AU12 not present and covered while AU6 (the cheeks, the
 *     middle of the face) is read; a bar over the eyes, the upper face
 *     covered and AU12 still present; the JSON marks AU12 covered and gives
 *     it no measurement; the explanation and the verifier say so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "augur.h"
#include "au/au.h"
#include "au/cover.h"
#include "fit/au_fit.h"
#include "fit/cover_fit.h"
#include "media/image.h"
#include "testutil.h"

static float gauss(unsigned *s)
{
    float u = 0;
    for (int k = 0; k < 12; k++) { *s = *s * 1664525u + 1013904223u; u += (float)(*s >> 8) / 16777216.0f; }
    return u - 6.0f;
}

enum { N = 1200, RANK = 5 };

/* rows of AU_APP_N HOG values at offset 3 of a stride of AU_APP_N + 5: mean + RANK directions + noise */
static float *make_rows(unsigned seed, float noise, float dirs[RANK][AU_APP_N], float *mu)
{
    unsigned s = seed;
    for (int j = 0; j < AU_APP_N; j++) mu[j] = 0.1f + 0.05f * (float)(j % 7);
    for (int r = 0; r < RANK; r++)
        for (int j = 0; j < AU_APP_N; j++) dirs[r][j] = gauss(&s) / sqrtf((float)AU_APP_N);
    float *X = calloc((size_t)N * (AU_APP_N + 5), sizeof *X);
    for (int i = 0; X && i < N; i++) {
        float *x = X + (size_t)i * (AU_APP_N + 5) + 3, c[RANK];
        for (int r = 0; r < RANK; r++) c[r] = gauss(&s);
        for (int j = 0; j < AU_APP_N; j++) {
            x[j] = mu[j] + noise * gauss(&s) / sqrtf((float)AU_APP_N);
            for (int r = 0; r < RANK; r++) x[j] += c[r] * dirs[r][j];
        }
    }
    return X;
}

static void test_fit(void)
{
    static float dirs[RANK][AU_APP_N], mu[AU_APP_N];
    static au_cover c;
    au_error e = {0};
    float *X = make_rows(7, 0.3f, dirs, mu);
    if (!X) { CHECK(0, "out of memory"); return; }
    unsigned char *keep = malloc(N);
    for (int i = 0; i < N; i++) keep[i] = i % 4 != 3;
    CHECK(au_cover_fit(&c, X, keep, N, AU_APP_N + 5, 3, &e) == 0 && c.has, "fit: %s", e.msg);
    for (int k = 0; k < AU_COVER_AREAS; k++) {
        int first, n;
        au_cover_area(k, &first, &n);
        float worst = 0;
        for (int p = 0; p < AU_COVER_K; p++)
            for (int q = 0; q <= p; q++) {
                float d = 0;
                for (int j = 0; j < n; j++) d += c.basis[k][p][j] * c.basis[k][q][j];
                worst = fmaxf(worst, fabsf(d - (p == q)));
            }
        CHECK(worst < 1e-3f, "area %d: the basis is not orthonormal (%.2e)", k, worst);
        int signed_ok = 1;
        for (int p = 0; p < AU_COVER_K; p++) {
            int big = 0;
            for (int j = 1; j < n; j++) if (fabsf(c.basis[k][p][j]) > fabsf(c.basis[k][p][big])) big = j;
            signed_ok &= c.basis[k][p][big] > 0;
        }
        CHECK(signed_ok, "area %d: a component's largest entry is negative", k);
        float dm = 0;
        for (int j = 0; j < n; j++) dm = fmaxf(dm, fabsf(c.mean[k][j] - mu[first + j]));
        CHECK(dm < 0.05f, "area %d: the mean is off by %.3f", k, dm);
        /* the planted directions lie in the subspace: a row along them has almost no residual */
        float x[AU_COVER_MAX_DIM];
        for (int j = 0; j < n; j++) x[j] = c.mean[k][j] + 2.0f * dirs[0][first + j] - dirs[3][first + j];
        float r = au_cover_residual(&c, k, x);
        CHECK(r / c.edge[k] < 0.2f, "area %d: a row of the planted subspace scores %.2f", k, r / c.edge[k]);
    }
    /* the edge: about one kept row in 100 over it, in each area */
    int over[2] = {0}, kept = 0;
    for (int i = 0; i < N; i++) {
        if (!keep[i]) continue;
        kept++;
        float h[AU_APP_N], sc[2];
        memcpy(h, X + (size_t)i * (AU_APP_N + 5) + 3, sizeof h);
        au_cover_test(&c, h, sc);
        for (int k = 0; k < 2; k++) over[k] += sc[k] > 1;
    }
    printf("edge: %d and %d of %d training rows over it\n", over[0], over[1], kept);
    CHECK(over[0] >= kept / 200 && over[0] <= kept / 50 && over[1] >= kept / 200 && over[1] <= kept / 50,
          "the edge is not the 99th percentile (%d, %d of %d over)", over[0], over[1], kept);
    /* rows left out by the mask do not count: a fit on all rows differs */
    static au_cover all;
    CHECK(au_cover_fit(&all, X, NULL, N, AU_APP_N + 5, 3, &e) == 0 && memcmp(all.mean, c.mean, sizeof c.mean),
          "the mask is not applied");
    /* a flat area (zero HOG: a cover without gradients) and random structure score over 1 and are replaced */
    float h[AU_APP_N], sc[2];
    unsigned s = 99;
    int first, n;
    au_cover_area(1, &first, &n);
    for (int j = 0; j < AU_APP_N; j++) h[j] = j < first ? c.mean[0][j] : 0.0f;
    int bits = au_cover_test(&c, h, sc);
    printf("a flat lower area: scores %.2f %.2f, bits %d\n", sc[0], sc[1], bits);
    CHECK(bits == AU_AREA_LOWER && sc[1] > 1 && sc[0] < 1, "a flat lower area: bits %d, scores %.2f %.2f", bits,
          sc[0], sc[1]);
    for (int j = 0; j < AU_APP_N; j++) h[j] = j < first ? 0.5f + 0.5f * gauss(&s) : c.mean[1][j - first];
    bits = au_cover_test(&c, h, sc);
    CHECK(bits == AU_AREA_UPPER && sc[0] > 1, "other structure in the upper area: bits %d, score %.2f", bits, sc[0]);
    /* a model without a fit covers nothing */
    static au_cover none;
    for (int j = 0; j < AU_APP_N; j++) h[j] = 0;
    CHECK(au_cover_test(&none, h, sc) == 0 && sc[0] == 0 && sc[1] == 0 && h[0] == 0, "an empty test covers");
    /* too few rows */
    CHECK(au_cover_fit(&all, X, NULL, 10 * AU_COVER_K - 1, AU_APP_N + 5, 3, &e) == AUGUR_EARG && !all.has,
          "too few rows accepted (%s)", e.msg);
    free(keep);
    free(X);
}

/* path's text with the first `from` replaced by `to`, written back; 1 if it was there */
static int swap_saved(const char *path, const char *from, const char *to)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *t = malloc((size_t)n + 1);
    size_t got = t ? fread(t, 1, (size_t)n, fp) : 0;
    fclose(fp);
    if (!t || got != (size_t)n) { free(t); return 0; }
    t[n] = 0;
    char *at = strstr(t, from);
    if (at && (fp = fopen(path, "wb"))) {
        fwrite(t, 1, (size_t)(at - t), fp);
        fputs(to, fp);
        fputs(at + strlen(from), fp);
        fclose(fp);
    }
    free(t);
    return at != NULL;
}

static void test_model_file(void)
{
    static au_model m, back;
    static float dirs[RANK][AU_APP_N], mu[AU_APP_N];
    au_error e = {0};
    char tmp[] = "/tmp/augur-test-cover-XXXXXX";
    int fd = mkstemp(tmp);
    float *X = make_rows(3, 0.3f, dirs, mu);
    if (fd < 0 || !X || au_model_load(&m, t_src("models/au.json"), &e)) {
        CHECK(0, "setup: %s", e.msg);
        free(X);
        return;
    }
    close(fd);
    CHECK(au_cover_fit(&m.cover, X, NULL, N, AU_APP_N + 5, 3, &e) == 0, "fit: %s", e.msg);
    CHECK(au_model_save(&m, tmp, &e) == 0 && au_model_load(&back, tmp, &e) == 0 && back.cover.has &&
          back.cover.edge[1] == m.cover.edge[1] && back.cover.basis[0][AU_COVER_K - 1][17] == m.cover.basis[0][AU_COVER_K - 1][17] &&
          back.cover.mean[1][100] == m.cover.mean[1][100], "the covered-area test is not saved and loaded back (%s)", e.msg);
    static const char *const bad[][2] = {
        {"\"components\":\t24", "\"components\":\t23"},
        {"\"area\":\t\"lower face\"", "\"area\":\t\"mouth\""},
        {"\"edge\":\t", "\"edge\":\t-"},
        {"\"basis\":\t\"", "\"basis\":\t\"AAAA"},             /* one float too many */
        {"\"encoding\":\t\"float32le", "\"encoding\":\t\"float64le"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        int rc = -1;
        if (au_model_save(&m, tmp, &e) == 0 && swap_saved(tmp, bad[k][0], bad[k][1]))
            rc = au_model_load(&back, tmp, &e);
        printf("%s -> %s: %s\n", bad[k][0], bad[k][1], rc ? e.msg : "loaded");
        CHECK(rc == AUGUR_EFORMAT, "a damaged covered-area test (%s) loads (%d)", bad[k][1], rc);
    }
    m.cover.has = 0;
    CHECK(au_model_save(&m, tmp, &e) == 0 && au_model_load(&back, tmp, &e) == 0 && !back.cover.has,
          "a model without the covered-area test does not load as one (%s)", e.msg);
    remove(tmp);
    free(X);
}

static const struct augur_au *au_of(const struct augur_face *f, int id)
{
    for (int i = 0; i < f->n_aus; i++) if (f->aus[i].id == id) return &f->aus[i];
    return NULL;
}

/* img with the rectangle x0..x1, y0..y1 (px) filled with gray v */
static void paint(au_image *img, float x0, float y0, float x1, float y1, unsigned char v)
{
    for (int y = (int)fmaxf(0, y0); y < (int)fminf((float)img->h, y1); y++)
        for (int x = (int)fmaxf(0, x0); x < (int)fminf((float)img->w, x1); x++)
            memset(img->rgb + ((size_t)y * img->w + x) * 3, v, 3);
}

static void test_real_face(void)
{
    struct augur_params p = augur_default_params();
    p.model_dir = t_model_dir();
    augur_context *ctx = NULL;
    au_image img = {0}, cov = {0};
    au_error e = {0};
    if (augur_init(&ctx, &p) || au_image_load(t_src("examples/astronaut.png"), &img, &e)) {
        CHECK(0, "setup: %s %s", ctx ? augur_errmsg(ctx) : "", e.msg);
        augur_free(ctx);
        return;
    }
    struct augur_face *f = NULL, *g = NULL;
    int n = 0;
    CHECK(augur_analyze_rgb(ctx, img.rgb, img.w, img.h, &f, &n) == 0 && n == 1, "astronaut: %s", augur_errmsg(ctx));
    if (n == 1) {
        printf("clean: cover scores %.2f %.2f\n", f[0].cover_score[0], f[0].cover_score[1]);
        CHECK(f[0].covered == 0 && f[0].cover_score[0] > 0 && f[0].cover_score[0] < 1 && f[0].cover_score[1] > 0 &&
              f[0].cover_score[1] < 1, "the clean astronaut is covered (%d; %.2f %.2f)", f[0].covered,
              f[0].cover_score[0], f[0].cover_score[1]);
        const float (*l)[2] = (const float (*)[2])f[0].lm68;
        float x0 = l[0][0] - 8, x1 = l[16][0] + 8, eye = 0, h = f[0].box[3] - f[0].box[1];
        for (int k = 36; k < 48; k++) eye += l[k][1] / 12;
        for (int k = 0; k < 2; k++) {
            au_image_alloc(&cov, img.w, img.h, &e);
            memcpy(cov.rgb, img.rgb, (size_t)img.w * img.h * 3);
            if (k == 0) paint(&cov, x0, l[51][1] - 3, x1, l[8][1] + 10, 128); /* a hand over the mouth */
            else paint(&cov, x0, eye - 0.1f * h, x1, eye + 0.08f * h, 0);     /* sunglasses */
            int m = 0;
            CHECK(augur_analyze_rgb(ctx, cov.rgb, cov.w, cov.h, &g, &m) == 0 && m == 1, "covered: %d faces", m);
            if (m == 1) {
                const struct augur_au *u12 = au_of(&g[0], 12), *u6 = au_of(&g[0], 6), *u1 = au_of(&g[0], 1);
                printf("%s covered: scores %.2f %.2f, covered %d; AU12 present %d held %d; AU6 present %d\n",
                       k ? "eyes" : "mouth", g[0].cover_score[0], g[0].cover_score[1], g[0].covered,
                       u12 ? u12->present : -1, u12 ? u12->held_at_rest : -1, u6 ? u6->present : -1);
                if (k == 0)
                    CHECK((g[0].covered & AUGUR_AREA_LOWER) && !(g[0].covered & AUGUR_AREA_UPPER) && u12 && !u12->present &&
                          augur_au_covered(&g[0], u12) && (u12->held_at_rest == 0 || u12->held_at_rest == AUGUR_HELD_COVERED) && u6 && !augur_au_covered(&g[0], u6) &&
                          u1 && !augur_au_covered(&g[0], u1),
                          "the mouth covered: covered %d, AU12 present %d, AU6 present %d", g[0].covered,
                          u12 ? u12->present : -1, u6 ? u6->present : -1);
                else
                    CHECK((g[0].covered & AUGUR_AREA_UPPER) && u1 && augur_au_covered(&g[0], u1) && !u1->present &&
                          u12 && u12->present && !augur_au_covered(&g[0], u12),
                          "the eyes covered: covered %d, AU12 present %d", g[0].covered, u12 ? u12->present : -1);
                if (k == 0) {
                    /* the JSON: the lower face covered, AU12 marked covered and without a measurement (the mesh
                     * there is a guess), AU6 with its own */
                    struct augur_analysis an = {"covered.png", cov.w, cov.h, g, 1, 0};
                    char *js = augur_analysis_json(&an, 0);
                    const char *a12 = js ? strstr(js, "{\"au\":12,") : NULL, *a14 = js ? strstr(js, "{\"au\":14,") : NULL;
                    const char *a6 = js ? strstr(js, "{\"au\":6,") : NULL, *a7 = js ? strstr(js, "{\"au\":7,") : NULL;
                    int covered12 = 0, measure12 = 0, measure6 = 0;
                    for (const char *q = a12; q && a14 && q < a14; q++) {
                        covered12 |= !strncmp(q, "\"covered\":true", 14);
                        measure12 |= !strncmp(q, "\"measure\":", 10);
                    }
                    for (const char *q = a6; q && a7 && q < a7; q++) measure6 |= !strncmp(q, "\"measure\":", 10);
                    CHECK(js && strstr(js, "\"lower face\":{\"score\":") && covered12 && !measure12 && measure6,
                          "the JSON of the covered face: AU12 covered %d, measure %d; AU6 measure %d", covered12, measure12,
                          measure6);
                    augur_string_free(js);
                    /* the overlay draws the covered half (a smoke test: it renders, and differs from the picture
                     * of the same analysis with nothing covered) */
                    char png[] = "/tmp/augur-test-cover-ov-XXXXXX";
                    int pfd = mkstemp(png);
                    augur_image ai = {cov.w, cov.h, cov.rgb};
                    long sz[2] = {0, 0};
                    for (int pass = 0; pfd >= 0 && pass < 2; pass++) {
                        int keep = g[0].covered;
                        if (pass) g[0].covered = 0;
                        int orc = augur_write_overlay(ctx, &ai, &an, png);
                        g[0].covered = keep;
                        FILE *pf = orc ? NULL : fopen(png, "rb");
                        if (pf) { fseek(pf, 0, SEEK_END); sz[pass] = ftell(pf); fclose(pf); }
                    }
                    if (pfd >= 0) { close(pfd); remove(png); }
                    CHECK(sz[0] > 1000 && sz[1] > 1000 && sz[0] != sz[1], "the overlay of the covered face: %ld / %ld bytes",
                          sz[0], sz[1]);
                    /* TAG's AU-Prob-Bbox list leaves the covered half's AUs out */
                    char *list = NULL;
                    CHECK(augur_aulist(ctx, &g[0], AUGUR_AU_COUNT, &list) == 0 && list && !strstr(list, "AU12 ") &&
                          strstr(list, "AU6 "), "the AU list of the covered face: %s", list ? list : augur_errmsg(ctx));
                    augur_string_free(list);
                    /* what a person and a verifier are told */
                    char *text = NULL;
                    static struct augur_verdict v;
                    int rc = augur_trace(ctx, &g[0], AUGUR_TRACE_TEXT, &text);
                    CHECK(rc == 0 && text && strstr(text, "lower face looks covered"), "the explanation: %s",
                          text ? text : augur_errmsg(ctx));
                    augur_string_free(text);
                    const char *claim = "AU12 lip corner puller";
                    rc = augur_verify(ctx, &g[0], claim, strlen(claim), &v);
                    CHECK(rc == 0 && v.n_claims == 1 && !v.claims[0].supported && strstr(v.claims[0].reason, "covered"),
                          "the verifier on a covered AU12: %s", rc ? augur_errmsg(ctx) : v.n_claims ? v.claims[0].reason : "no claim");
                }
            }
            augur_faces_free(g);
            g = NULL;
            au_image_free(&cov);
        }
    }
    augur_faces_free(f);
    au_image_free(&img);
    augur_free(ctx);
}

int main(void)
{
    test_fit();
    test_model_file();
    test_real_face();
    return t_finish();
}
