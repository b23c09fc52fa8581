/*
 * tests/test_expr_train.c — what the expression trainer adds around the
 * network (no data needed): the augmentation (lab/fit/augment.h) — the basic
 * recipe bit for bit, the robust one moving the AU heatmap with the face and
 * reproducible from its seed —, several training domains
 * (expr_cache_append) with domain-aware sampling, and the subject/film groups
 * that the folds are drawn from (fer_groups), and distilled targets
 * (expr_distill_targets).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/fer.h"
#include "fit/augment.h"
#include "fit/train_expr.h"
#include "testutil.h"

#define S EN_SIZE
#define H EN_ATT

/* a face-sized test card: gray, with one bright 8x8 square at (x0, y0) and the heatmap's cell over it */
static void card(uint8_t *crop, uint8_t *heat, int x0, int y0)
{
    for (int i = 0; i < S * S; i++) crop[i] = (uint8_t)(60 + (i * 7) % 40);
    for (int y = y0; y < y0 + 8; y++)
        for (int x = x0; x < x0 + 8; x++) crop[y * S + x] = 250;
    memset(heat, 0, H * H);
    for (int y = y0 / 4; y < (y0 + 8) / 4; y++)
        for (int x = x0 / 4; x < (x0 + 8) / 4; x++) heat[y * H + x] = 255;
}

static void test_basic(void)
{
    uint8_t crop[S * S], heat[H * H];
    card(crop, heat, 8, 12);
    float out[S * S], hout[H * H];
    /* no rng: the normalised crop; flip_always: its mirror */
    expr_augment(crop, S, heat, H, NULL, EXPR_AUG_BASIC, 0, out, hout);
    CHECK(fabsf(out[12 * S + 8] - (250 / 255.0f - 0.5f)) < 1e-6f, "identity crop %g", out[12 * S + 8]);
    CHECK(hout[3 * H + 2] == 1.0f && hout[0] == 0.0f, "identity heat");
    expr_augment(crop, S, heat, H, NULL, EXPR_AUG_ROBUST, 1, out, hout); /* no rng: robust is not applied */
    CHECK(fabsf(out[12 * S + (S - 1 - 8)] - (250 / 255.0f - 0.5f)) < 1e-6f, "mirrored crop");
    CHECK(hout[3 * H + (H - 1 - 2)] == 1.0f, "mirrored heat");
    /* the original recipe, draw for draw (models/expr-ferplus.md must reproduce) */
    tr_rng a, b;
    tr_rng_seed(&a, 11, 7);
    tr_rng_seed(&b, 11, 7);
    int bad = 0;
    for (int t = 0; t < 50; t++) {
        expr_augment(crop, S, heat, H, &a, EXPR_AUG_BASIC, 0, out, hout);
        int flip = tr_rng_uniform(&b) < 0.5f;
        int dx = (int)(tr_rng_uniform(&b) * 7) - 3, dy = (int)(tr_rng_uniform(&b) * 7) - 3;
        float gain = tr_rng_range(&b, 0.8f, 1.2f), bias = tr_rng_range(&b, -0.1f, 0.1f);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) {
                int sx = (flip ? S - 1 - x : x) + dx, sy = y + dy;
                sx = sx < 0 ? 0 : sx >= S ? S - 1 : sx;
                sy = sy < 0 ? 0 : sy >= S ? S - 1 : sy;
                bad += out[y * S + x] != (crop[sy * S + sx] / 255.0f - 0.5f) * gain + bias;
            }
    }
    CHECK(bad == 0, "basic augmentation differs from the original recipe at %d pixels", bad);
}

/* the centroid of the pixels above the midpoint of the range (crop) or of the mass (heat, in crop pixels) */
static void centroid(const float *v, int n, int heat, float *cx, float *cy)
{
    float lo = v[0], hi = v[0];
    for (int i = 1; i < n * n; i++) { lo = fminf(lo, v[i]); hi = fmaxf(hi, v[i]); }
    double sx = 0, sy = 0, sw = 0;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            float w = heat ? v[y * n + x] : v[y * n + x] > 0.5f * (lo + hi) ? 1.0f : 0.0f;
            sx += w * x; sy += w * y; sw += w;
        }
    float k = heat ? (float)S / H : 1, o = heat ? 0.5f * (k - 1) : 0;
    *cx = sw > 0 ? (float)(sx / sw) * k + o : -100;
    *cy = sw > 0 ? (float)(sy / sw) * k + o : -100;
}

static void test_robust(void)
{
    uint8_t crop[S * S], heat[H * H];
    card(crop, heat, 8, 12);
    float out[S * S], hout[H * H], out2[S * S], hout2[H * H];
    tr_rng r, r2;
    tr_rng_seed(&r, 3, 7);
    tr_rng_seed(&r2, 3, 7);
    int n = 400, follow = 0, finite = 1, moved = 0, same = 1, mirrored = 0;
    float cx0, cy0;
    expr_augment(crop, S, heat, H, NULL, EXPR_AUG_BASIC, 0, out, hout);
    centroid(out, S, 0, &cx0, &cy0);
    for (int t = 0; t < n; t++) {
        expr_augment(crop, S, heat, H, &r, EXPR_AUG_ROBUST, 0, out, hout);
        expr_augment(crop, S, heat, H, &r2, EXPR_AUG_ROBUST, 0, out2, hout2);
        same &= !memcmp(out, out2, sizeof out) && !memcmp(hout, hout2, sizeof hout);
        for (int i = 0; i < S * S; i++) finite &= isfinite(out[i]) && fabsf(out[i]) < 2.5f;
        for (int i = 0; i < H * H; i++) finite &= hout[i] >= 0 && hout[i] <= 1.0f + 1e-6f;
        float cx, cy, hx, hy;
        centroid(out, S, 0, &cx, &cy);
        centroid(hout, H, 1, &hx, &hy);
        follow += hypotf(cx - hx, cy - hy) < 4.0f; /* the heatmap moved with the face (a 4-px cell) */
        moved += hypotf(cx - cx0, cy - cy0) > 1.5f;
        mirrored += cx > S / 2;
    }
    CHECK(same, "the robust augmentation is not reproducible from its seed");
    CHECK(finite, "robust augmentation out of range");
    CHECK(follow >= n * 85 / 100, "the heatmap followed the face in only %d of %d draws", follow, n);
    CHECK(moved >= n / 2, "the geometry moved the face in only %d of %d draws", moved, n);
    CHECK(mirrored > n / 3 && mirrored < 2 * n / 3, "mirrored %d of %d", mirrored, n);
    printf("robust augmentation: the heatmap followed the face in %d of %d draws, the face moved in %d\n", follow, n, moved);
}

static void fill_cache(expr_cache *c, int n, int label0)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->crops = calloc((size_t)n, S * S);
    c->heat = calloc((size_t)n, H * H);
    c->has_face = calloc((size_t)n, 1);
    c->label = calloc((size_t)n, sizeof(int));
    c->target = calloc((size_t)n * EXPR_N, sizeof(float));
    for (int i = 0; i < n; i++) {
        int k = (label0 + i) % 3;
        uint8_t heat[H * H];
        card(c->crops + (size_t)i * S * S, heat, 4 + 4 * k, 10);
        memcpy(c->heat + (size_t)i * H * H, heat, sizeof heat);
        c->has_face[i] = 1;
        c->label[i] = k;
        c->target[(size_t)i * EXPR_N + k] = 1;
        c->count[k]++;
    }
}

static void test_domains(void)
{
    expr_cache a, b;
    fill_cache(&a, 12, 0);
    fill_cache(&b, 6, 1);
    uint8_t keep[6] = {1, 0, 1, 1, 0, 1};
    au_error err = {0};
    CHECK(expr_cache_append(&a, &b, keep, &err) == 0, "append: %s", err.msg);
    CHECK(a.n == 16 && a.n_domains == 2, "append: n %d domains %d", a.n, a.n_domains);
    int in1 = 0;
    for (int i = 0; i < a.n; i++) in1 += a.domain[i] == 1;
    CHECK(in1 == 4 && a.domain[0] == 0 && a.domain[15] == 1, "domain tags");
    CHECK(a.label[12] == b.label[0] && a.label[13] == b.label[2] && a.label[15] == b.label[5], "kept items in order");
    int total = 0;
    for (int k = 0; k < EXPR_N; k++) total += a.count[k];
    CHECK(total == 16, "class counts %d", total);
    /* a short run with balanced domains: each domain draws half of every batch on average */
    expr_net *net;
    CHECK(en_create(&net, 4, 1, &err) == 0, "net: %s", err.msg);
    char dir[] = "/tmp/augur-test-expr-train-XXXXXX", out[128], logp[160];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(out, sizeof out, "%s/m.bin", dir);
    expr_train_opts o = expr_train_default_opts();
    o.epochs = 1;
    o.batch = 4;
    o.out = out;
    o.quiet = 1;
    o.augment = EXPR_AUG_ROBUST;
    o.domain_power = 0; /* balanced */
    o.au_lambda = 1;
    o.au_layer = EXPR_AU_CAM;
    CHECK(expr_train(net, &a, NULL, &o, &err) == 0, "train: %s", err.msg);
    snprintf(logp, sizeof logp, "%s.log", out);
    FILE *f = fopen(logp, "r");
    char line[1024] = "";
    CHECK(f && fgets(line, sizeof line, f), "log");
    if (f) fclose(f);
    CHECK(strstr(line, "augment robust") && strstr(line, "domains 2") && strstr(line, "12 images weigh 0.500") &&
              strstr(line, "4 images weigh 0.500"), "log header: %s", line);
    /* too many domains is an error, not an overflow */
    int rc = 0;
    for (int k = 0; k < EXPR_MAX_DOMAINS && !rc; k++) rc = expr_cache_append(&a, &b, NULL, &err);
    CHECK(rc == AUGUR_EARG, "domain limit: %d", rc);
    en_free(net);
    char p[200];
    const char *ext[] = {"", ".log", ".ckpt"};
    for (int k = 0; k < 3; k++) { snprintf(p, sizeof p, "%s%s", out, ext[k]); unlink(p); }
    rmdir(dir);
    expr_cache_free(&a);
    expr_cache_free(&b);
}

/* Distillation: the targets become (1-W) label + W teacher, the teacher's part
 * being its softmax(logits/T) averaged over the image and its mirror; a teacher
 * that cannot be read changes nothing. */
static void test_distill(void)
{
    expr_cache c;
    fill_cache(&c, 5, 0);
    expr_net *t;
    au_error err = {0};
    char dir[] = "/tmp/augur-test-expr-distill-XXXXXX", path[128], missing[160];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/teacher.bin", dir);
    snprintf(missing, sizeof missing, "%s/none.bin", dir);
    CHECK(en_create(&t, 8, 3, &err) == 0 && en_save(t, path, &err) == 0, "teacher: %s", err.msg);
    en_free(t);
    CHECK(en_create(&t, 8, 1, &err) == 0 && en_load_weights(t, path, &err) == 0, "reload: %s", err.msg);
    /* the expected teacher distribution at temperature 2, computed here from the network itself */
    float want[5][EXPR_N] = {{0}};
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < c.n; i++)
            expr_augment(c.crops + (size_t)i * S * S, S, NULL, H, NULL, 0, pass, t->input + (size_t)i * S * S, NULL);
        en_forward(t, c.n, 0);
        for (int i = 0; i < c.n; i++) {
            double z[EXPR_N], mx = -1e30, sum = 0;
            for (int k = 0; k < EXPR_N; k++) mx = fmax(mx, t->logits[i * EXPR_N + k]);
            for (int k = 0; k < EXPR_N; k++) sum += z[k] = exp((t->logits[i * EXPR_N + k] - mx) / 2);
            for (int k = 0; k < EXPR_N; k++) want[i][k] += (float)(z[k] / sum / 2);
        }
    }
    en_free(t);
    const char *bad[1] = {missing}, *good[2] = {path, path};
    CHECK(expr_distill_targets(&c, bad, 1, 0.5f, 2, 1, 1, &err) == AUGUR_EIO, "a missing teacher: %s", err.msg);
    CHECK(c.target[0] == 1 && c.target[1] == 0, "a failed distillation changed the targets");
    CHECK(expr_distill_targets(&c, good, 2, 1.5f, 2, 1, 1, &err) == AUGUR_EARG, "a weight over 1 is refused");
    CHECK(expr_distill_targets(&c, good, 2, 0.25f, 2, 0, 1, &err) == 0, "distil: %s", err.msg);
    double worst = 0, sum_err = 0;
    for (int i = 0; i < c.n; i++) {
        double sum = 0;
        for (int k = 0; k < EXPR_N; k++) {
            float e = 0.75f * (k == c.label[i]) + 0.25f * want[i][k];
            worst = fmax(worst, fabs(c.target[(size_t)i * EXPR_N + k] - e));
            sum += c.target[(size_t)i * EXPR_N + k];
        }
        sum_err = fmax(sum_err, fabs(sum - 1));
    }
    CHECK(worst < 1e-5 && sum_err < 1e-5, "distilled targets off by %g (sums off by %g)", worst, sum_err);
    unlink(path);
    rmdir(dir);
    expr_cache_free(&c);
}

static void test_groups(void)
{
    fer_item it[6];
    memset(it, 0, sizeof it);
    char *paths[6] = {"ck/anger/S005_001_00000011.png", "ck/fear/S010_004_00000019.png", "ck/happy/S005_003_00000009.png",
                      NULL, "sfew/Angry/Bridesmaids_011212400_00000016.png", "noslash_x.png"};
    for (int i = 0; i < 6; i++) it[i].path = paths[i];
    fer_set s = {.items = it, .n = 6};
    int g[6];
    char names[6][64];
    int n = fer_groups(&s, g, names);
    CHECK(n == 4, "groups %d", n);
    CHECK(g[0] == 0 && g[1] == 1 && g[2] == 0 && g[3] == -1 && g[4] == 2 && g[5] == 3, "group of each item");
    CHECK(!strcmp(names[0], "S005") && !strcmp(names[2], "Bridesmaids") && !strcmp(names[3], "noslash"), "names");
    CHECK(fer_groups(&s, g, NULL) == 4, "groups without names");
}

int main(void)
{
    test_basic();
    test_robust();
    test_groups();
    test_domains();
    test_distill();
    return t_finish();
}
