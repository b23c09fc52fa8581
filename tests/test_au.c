/*
 * tests/test_au.c — the AU stage on a real face, through the public API:
 *   - examples/astronaut.png (a smile): AU6, AU12, AU25 present; AU4, AU15
 *     absent; the AU12 box holds both mouth corners, low in the face box;
 *   - mirror: a horizontally flipped image changes no AU intensity by > 0.5;
 *   - pose: rotated in-plane by +-20 deg, no AU probability moves by >= 0.15;
 *   - size: at half and at double size the same AUs are present and no AU
 *     probability moves by >= 0.1;
 *   - the range of faces at rest: the astronaut's smile goes beyond it; it is
 *     saved and loaded; read against a neutral (video) the personal one is
 *     cited; a model without it reads the same; one upside down is refused;
 *   - the AU12 heatmap peaks at the mouth corners of the aligned crop;
 *   - a corrupt or missing AU model gives a clear error, not a crash;
 *   - the HOG of a mirrored crop is the exact permutation the symmetric
 *     descriptor relies on (so flipping an image cannot change the evidence);
 *   - the L-BFGS regression separates a synthetic two-class problem and its
 *     threshold keeps the false-alarm budget on "neutral" rows;
 *   - codebook weak labels: a neutral face shows no AU, a happy one AU6 + AU12;
 *   - the symmetrised blendshape input (bs_symmetric) is the same for a
 *     feature vector and its mirror (left/right channels swapped), and the
 *     geometry and HOG pass through unchanged.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "augur.h"
#include "au/au.h"
#include "fit/au_fit.h"
#include "eval/au_eval.h"
#include "expr/classes.h"
#include "face/blendshapes.h"
#include "face/canonical.h"
#include "face/pose.h"
#include "media/image.h"
#include "media/warp.h"
#include "stage/stage.h"
#include "testutil.h"

static const struct augur_au *au_of(const struct augur_face *f, int id)
{
    for (int i = 0; i < f->n_aus; i++) if (f->aus[i].id == id) return &f->aus[i];
    return NULL;
}

static int analyze(augur_context *ctx, const au_image *img, struct augur_face **faces)
{
    int n = -1;
    int rc = augur_analyze_rgb(ctx, img->rgb, img->w, img->h, faces, &n);
    CHECK(rc == 0, "analyze: %s", augur_errmsg(ctx));
    return n;
}

static void rotate(const au_image *src, float deg, au_image *dst)
{
    au_error e;
    au_image_alloc(dst, src->w, src->h, &e);
    float a = deg * (float)M_PI / 180.0f, c = cosf(a), s = sinf(a), cx = 0.5f * src->w, cy = 0.5f * src->h;
    float M[6] = {c, s, cx - (c * cx + s * cy), -s, c, cy - (-s * cx + c * cy)};
    au_warp_affine_rgb(src, M, dst);
}

/* Saves model m to path, then rewrites the string value `from` of its JSON field `key` as `to` (the same
 * length) in the file: 1 when done. For the checks that a bad field value is refused. */
static int saved_with(const au_model *m, const char *path, const char *key, const char *from, const char *to)
{
    static char txt[1 << 23];
    au_error e = {0};
    char k[64], v[32];
    if (strlen(from) != strlen(to) || au_model_save(m, path, &e)) return 0;
    snprintf(k, sizeof k, "\"%s\"", key);
    snprintf(v, sizeof v, "\"%s\"", from);
    FILE *f = fopen(path, "r+");
    size_t n = f ? fread(txt, 1, sizeof txt - 1, f) : 0;
    txt[n] = 0;
    char *p = strstr(txt, k);
    p = p ? strstr(p + strlen(k), v) : NULL;
    if (p && f) { memcpy(p + 1, to, strlen(to)); rewind(f); fwrite(txt, 1, n, f); }
    if (f) fclose(f);
    return p != NULL && f != NULL;
}

/* In the file at path, the first number after the first `key` starts with 0: make it 1 (0.59 -> 1.59). */
static int first_digit_to_one(const char *path, const char *key)
{
    static char txt[1 << 23];
    FILE *f = fopen(path, "r+");
    size_t n = f ? fread(txt, 1, sizeof txt - 1, f) : 0;
    txt[n] = 0;
    char *p = strstr(txt, key);
    if (p) p += strlen(key);
    while (p && *p && !(*p >= '0' && *p <= '9')) p++;
    int ok = p && *p == '0';
    if (ok) { *p = '1'; rewind(f); fwrite(txt, 1, n, f); }
    if (f) fclose(f);
    return ok;
}

/* HOG: au_hog(mirror) == au_hog(crop) exactly up to rounding, and it depends on the image. */
static void test_hog_mirror(void)
{
    uint8_t c[AU_APP_SIZE * AU_APP_SIZE], m[AU_APP_SIZE * AU_APP_SIZE];
    unsigned s = 12345;
    for (int y = 0; y < AU_APP_SIZE; y++)
        for (int x = 0; x < AU_APP_SIZE; x++) {
            s = s * 1103515245u + 12345u;
            /* an asymmetric gradient plus noise */
            c[y * AU_APP_SIZE + x] = (uint8_t)((3 * x + y + (s >> 24) % 40) & 255);
        }
    for (int y = 0; y < AU_APP_SIZE; y++)
        for (int x = 0; x < AU_APP_SIZE; x++) m[y * AU_APP_SIZE + x] = c[y * AU_APP_SIZE + AU_APP_SIZE - 1 - x];
    static float h[AU_APP_N], hm[AU_APP_N];
    au_hog(c, h);
    au_hog(m, hm);
    float d = 0, norm = 0;
    for (int i = 0; i < AU_APP_N; i++) { d = fmaxf(d, fabsf(h[i] - hm[i])); norm += h[i] * h[i]; }
    CHECK(d < 1e-5f, "HOG of the mirror differs by %g", (double)d);
    CHECK(norm > 1.0f, "HOG is empty (%g)", (double)norm);
    memset(m, 128, sizeof m);
    au_hog(m, hm);
    float z = 0;
    for (int i = 0; i < AU_APP_N; i++) z = fmaxf(z, fabsf(hm[i]));
    CHECK(z < 1e-6f, "a flat crop has gradients (%g)", (double)z);
}

/* A standard normal draw (sum of 12 uniforms) from the LCG state s. */
static float gauss(unsigned *s)
{
    float u = 0;
    for (int k = 0; k < 12; k++) { *s = *s * 1103515245u + 12345u; u += (float)((*s >> 8) & 0xffff) / 65536.0f; }
    return u - 6.0f;
}

/* 600 synthetic rows of 5 features: every third row happy, its first n_moved features shifted by 4 and AU12
 * labelled present (and AU4 too with au4), the others neutral with AU12 (and AU4) absent; each row its own group.
 * The rows live in one static set, refilled by each call. */
enum { HAPPY_N = 600, HAPPY_D = 5 };
static const au_fit_data *happy_rows(unsigned s, int n_moved, int au4)
{
    static float X[HAPPY_N * HAPPY_D];
    static signed char y[HAPPY_N * AU_COUNT], cls[HAPPY_N];
    static int g[HAPPY_N];
    static unsigned char neutral[HAPPY_N];
    static au_fit_data d;
    for (int i = 0; i < HAPPY_N; i++) {
        int pos = i % 3 == 0;
        for (int j = 0; j < HAPPY_D; j++) X[i * HAPPY_D + j] = gauss(&s) + (j < n_moved && pos ? 4.0f : 0.0f);
        for (int a = 0; a < AU_COUNT; a++) y[i * AU_COUNT + a] = -1;
        y[i * AU_COUNT + au_index(12)] = (signed char)pos;
        if (au4) y[i * AU_COUNT + au_index(4)] = (signed char)pos;
        g[i] = i;
        neutral[i] = !pos;
        cls[i] = pos ? EXPR_HAPPINESS : EXPR_NEUTRAL;
    }
    d = (au_fit_data){X, y, NULL, g, NULL, neutral, cls, NULL, HAPPY_N, HAPPY_D, NULL, NULL};
    return &d;
}

/* The regression: two Gaussian classes along feature 0; neutral rows are negatives. */
static void test_fit(void)
{
    enum { N = HAPPY_N, D = HAPPY_D };
    const au_fit_data *d = happy_rows(7, 1, 0);
    const float *X = d->X;
    const signed char *y = d->y;
    au_model *m = calloc(1, sizeof *m);
    au_fit_opts o = au_fit_default_opts();
    o.l2 = 1;
    au_error err = {0};
    int rc = m ? au_model_fit(m, d, &o, &err) : -1;
    CHECK(rc == 0, "fit: %s", err.msg);
    int a = au_index(12);
    if (!rc) {
        CHECK(m->trained[a] && !m->trained[au_index(4)], "only AU12 has labels");
        int tp = 0, fa = 0, npos = 0;
        for (int i = 0; i < N; i++) {
            float p[AU_COUNT];
            au_model_predict(m, X + i * D, p);
            int pr = p[a] >= m->threshold[a];
            if (y[i * AU_COUNT + a]) { npos++; tp += pr; } else fa += pr;
        }
        printf("synthetic AU12: recall %.3f, false alarms %.3f (threshold %.2f)\n", (double)tp / npos,
               (double)fa / (N - npos), m->threshold[a]);
        CHECK((double)tp / npos > 0.8, "recall %.3f", (double)tp / npos);
        CHECK((double)fa / (N - npos) <= 0.05, "false alarms %.3f over the budget", (double)fa / (N - npos));
        float ev[AU_EV_CLASSES], p[AU_COUNT];
        au_model_predict(m, X, p); /* row 0 is positive */
        au_model_evidence(m, p, ev);
        CHECK(m->has_evidence && ev[EXPR_HAPPINESS] > ev[EXPR_NEUTRAL], "evidence map: happiness %.2f neutral %.2f",
              ev[EXPR_HAPPINESS], ev[EXPR_NEUTRAL]);
    }
    free(m);
}

/* The evidence map signed as the FACS codebook signs it (au_fit_opts.ev_signs, RULE36): AU4 and AU12 fire on the
 * same happy rows, so a free map counts AU4 for happiness, which the codebook does not list for it; signed, AU4
 * weighs <= 0 for happiness and every weight keeps its sign, and the map still tells happiness from neutral (the
 * file's "evidence_signs" is tested on the shipped model, below). */
static void test_fit_evidence_signs(void)
{
    int a4 = au_index(4), a12 = au_index(12);
    const au_fit_data *d = happy_rows(9, 2, 1);
    const float *X = d->X;
    au_model *m = calloc(1, sizeof *m);
    au_fit_opts o = au_fit_default_opts();
    o.l2 = 1;
    au_error err = {0};
    int rc = m ? au_model_fit(m, d, &o, &err) : -1;
    CHECK(rc == 0 && m->has_evidence && !m->ev_signed && m->ev_w[EXPR_HAPPINESS][a4] > 0.05f,
          "a free map counts AU4 for happiness (%+.3f; %s)", rc ? 0.0 : (double)m->ev_w[EXPR_HAPPINESS][a4], err.msg);
    for (int signs = AU_EV_SIGNS_FACS; signs <= AU_EV_SIGNS_FACS_FOR; signs++) {
        o.ev_signs = signs;
        rc = rc ? rc : au_model_fit(m, d, &o, &err);
        CHECK(rc == 0 && m->has_evidence && m->ev_signed == signs, "signed fit (%s): %s", au_ev_signs_name(signs), err.msg);
        if (rc) { free(m); return; }
        int broken = 0;
        for (int c = 0; c < AU_EV_CLASSES; c++)
            for (int a = 0; a < AU_COUNT; a++) broken += au_ev_sign(signs, c, a) * m->ev_w[c][a] < 0;
        CHECK(au_ev_sign(AU_EV_SIGNS_FACS, EXPR_HAPPINESS, a4) == -1 && au_ev_sign(AU_EV_SIGNS_FACS_FOR, EXPR_HAPPINESS, a4) == -1 &&
              au_ev_sign(AU_EV_SIGNS_FACS, EXPR_HAPPINESS, a12) == 1 && au_ev_sign(AU_EV_SIGNS_FACS_FOR, EXPR_HAPPINESS, a12) == 0 &&
              au_ev_sign(AU_EV_SIGNS_FACS_FOR, EXPR_NEUTRAL, a12) == -1 && au_ev_sign(0, EXPR_NEUTRAL, a12) == 0,
              "au_ev_sign does not follow the codebook");
        CHECK(!broken && m->ev_w[EXPR_HAPPINESS][a4] <= 0 && m->ev_w[EXPR_HAPPINESS][a12] > 0.05f,
              "signed map (%s): %d weights break the codebook's signs, AU12 for happiness %+.3f, AU4 %+.3f",
              au_ev_signs_name(signs), broken, m->ev_w[EXPR_HAPPINESS][a12], m->ev_w[EXPR_HAPPINESS][a4]);
        float p[AU_COUNT], ev[AU_EV_CLASSES];
        au_model_predict(m, X, p); /* row 0 is happy */
        au_model_evidence(m, p, ev);
        float evn[AU_EV_CLASSES];
        au_model_predict(m, X + HAPPY_D, p); /* row 1 is neutral */
        au_model_evidence(m, p, evn);
        CHECK(ev[EXPR_HAPPINESS] > ev[EXPR_NEUTRAL] && evn[EXPR_NEUTRAL] > evn[EXPR_HAPPINESS],
              "signed map (%s): happy row %.2f/%.2f, neutral row %.2f/%.2f (happiness/neutral)", au_ev_signs_name(signs),
              ev[EXPR_HAPPINESS], ev[EXPR_NEUTRAL], evn[EXPR_HAPPINESS], evn[EXPR_NEUTRAL]);
    }
    free(m);
}

/* The budget with each data set weighing the same (au_fit_opts.budget_domains,
 * neutral_weight): 6 neutral rows of a second data set look more like the
 * AU than its positives do. Counted with the 394 neutral rows of the first,
 * they are 1.5% of the neutral rows, inside the 2% budget, and the threshold
 * lets them fire; weighed as a data set of their own they are half the rate,
 * and it must not. */
static void test_fit_budget_domains(void)
{
    enum { N = 600, D = 5, NB = 6 };
    static float X[N * D], nw[N];
    static signed char y[N * AU_COUNT];
    static int g[N];
    static unsigned char neutral[N];
    unsigned s = 11;
    int nb = 0, in_b[N] = {0};
    for (int i = 0; i < N; i++) {
        int pos = i % 3 == 0;
        if (!pos && nb < NB && i % 7 == 1) { in_b[i] = 1; nb++; }
        for (int j = 0; j < D; j++) X[i * D + j] = gauss(&s) + (j == 0 ? (pos ? 2.0f : in_b[i] ? 2.5f : 0.0f) : 0.0f);
        for (int a = 0; a < AU_COUNT; a++) y[i * AU_COUNT + a] = -1;
        y[i * AU_COUNT + au_index(12)] = (signed char)pos;
        g[i] = i;
        neutral[i] = !pos;
    }
    int n_neu = 0;
    for (int i = 0; i < N; i++) n_neu += neutral[i];
    for (int i = 0; i < N; i++) nw[i] = neutral[i] ? 1.0f / (2.0f * (in_b[i] ? nb : n_neu - nb)) : 0.0f;
    int fired[2] = {0, 0}, a = au_index(12);
    for (int v = 0; v < 2; v++) {
        au_model *m = calloc(1, sizeof *m);
        au_fit_data d = {X, y, NULL, g, NULL, neutral, NULL, NULL, N, D, NULL, v ? nw : NULL};
        au_fit_opts o = au_fit_default_opts();
        o.l2 = 1;
        o.budget_domains = v;
        au_error err = {0};
        int rc = m ? au_model_fit(m, &d, &o, &err) : -1;
        CHECK(rc == 0, "fit: %s", err.msg);
        for (int i = 0; !rc && i < N; i++) {
            float p[AU_COUNT];
            au_model_predict(m, X + i * D, p);
            fired[v] += in_b[i] && p[a] >= m->threshold[a];
        }
        if (!rc) printf("budget %s: threshold %.2f, the second data set's %d neutral rows fire on %d\n",
                        v ? "by data set" : "pooled", m->threshold[a], nb, fired[v]);
        free(m);
    }
    CHECK(nb == NB && fired[0] >= NB - 2 && fired[1] <= 1, "the second data set's neutral rows fire on %d "
          "(pooled) and %d (by data set) of %d", fired[0], fired[1], nb);
    /* the joint budget counts rows one by one: refused with it */
    au_fit_opts o = au_fit_default_opts();
    o.budget_domains = o.joint_budget = 1;
    au_error err = {0};
    CHECK(au_fit_check_opts(&o, &err) == AUGUR_EARG && strstr(err.msg, "--budget-domains"), "joint + domains: %s",
          err.msg);
}

/* A regional fit: AU12's label follows a brow feature as much as a mouth
 * one (a co-occurrence, as posed prototypes have); read regionally, AU12
 * weighs only the mouth's features and AU1 only the brows', the file says so,
 * and a regional file that weighs a feature outside an AU's area is refused. */
static void test_fit_regional(void)
{
    enum { N = 400, D = AU_GEOM_N };
    static float X[N * D];
    static signed char y[N * AU_COUNT];
    static int g[N];
    static unsigned char neutral[N];
    const int brow = AU_M_INNER_BROW_RAISE, mouth = AU_M_LIP_CORNER_RAISE, a12 = au_index(12), a1 = au_index(1);
    CHECK(au_geometry_area(brow) == AU_AREA_UPPER && (au_geometry_area(mouth) & AU_AREA_LOWER), "measure areas");
    CHECK(au_hog_area(0) == AU_AREA_UPPER && au_hog_area(AU_APP_N - 1) == AU_AREA_LOWER, "HOG block areas");
    unsigned s = 11;
    for (int i = 0; i < N; i++) {
        int pos = i % 2 == 0;
        for (int j = 0; j < D; j++) X[i * D + j] = gauss(&s) + ((j == brow || j == mouth) && pos ? 3.0f : 0.0f);
        for (int a = 0; a < AU_COUNT; a++) y[i * AU_COUNT + a] = -1;
        y[i * AU_COUNT + a12] = y[i * AU_COUNT + a1] = (signed char)pos;
        g[i] = i;
        neutral[i] = !pos;
    }
    au_model *m = calloc(1, sizeof *m), *back = calloc(1, sizeof *back);
    au_fit_data d = {X, y, NULL, g, NULL, neutral, NULL, NULL, N, D, NULL, NULL};
    au_fit_opts o = au_fit_default_opts();
    o.l2 = 1;
    au_error err = {0};
    for (int reg = 0; reg < 2 && m && back; reg++) {
        o.regional = reg; /* the whole face, then every AU from its own area */
        memset(m, 0, sizeof *m);
        int rc = au_model_fit(m, &d, &o, &err);
        CHECK(rc == 0 && m->regional[a12] == reg && m->regional[a1] == reg, "fit: %s", err.msg);
        if (rc) break;
        printf("synthetic %s: AU12 weighs brow %.3f mouth %.3f; AU1 brow %.3f mouth %.3f\n", reg ? "regional" : "whole face",
               m->w[a12][brow], m->w[a12][mouth], m->w[a1][brow], m->w[a1][mouth]);
        if (!reg) CHECK(m->w[a12][brow] > 0.1f, "a whole-face fit should use the brow for AU12");
        else {
            CHECK(m->w[a12][brow] == 0 && m->w[a12][mouth] > 0.1f && m->w[a1][mouth] == 0 && m->w[a1][brow] > 0.1f,
                  "regional weights outside their areas");
            char path[] = "/tmp/augur-test-regional-XXXXXX";
            int fd = mkstemp(path);
            if (fd >= 0) close(fd);
            CHECK(fd >= 0 && au_model_save(m, path, &err) == 0, "save: %s", err.msg);
            CHECK(au_model_load(back, path, &err) == 0 && back->regional[a12] == 1, "load: %s", err.msg);
            m->w[a12][brow] = 0.5f; /* tampered: AU12 now reads a brow */
            au_model_save(m, path, &err);
            err.msg[0] = 0;
            int lrc = au_model_load(back, path, &err);
            printf("a regional file with AU12 weighing a brow feature: %s\n", err.msg);
            CHECK(lrc == AUGUR_EFORMAT && strstr(err.msg, "AU12"), "tampered regional model loaded (%d)", lrc);
            remove(path);
        }
    }
    /* auto: per AU, the whole face or its own area by inner-fold F1. AU1 now
     * follows the mouth alone, which its own area (the brows) cannot see: it
     * must keep the whole face; every AU's weights agree with its flag. */
    for (int i = 0; i < N; i++) y[i * AU_COUNT + a1] = (signed char)(i % 2 == 0 && X[i * D + mouth] > 1.5f);
    o.regional = 2;
    if (m && au_model_fit(m, &d, &o, &err) == 0) {
        int outside = 0;
        for (int a = 0; a < AU_COUNT; a++)
            for (int j = 0; m->trained[a] && m->regional[a] && j < D; j++)
                outside += m->w[a][j] != 0 && !(au_model_feature_area(m, j) & au_area_of(a));
        printf("synthetic auto: AU1 (a mouth label) %s, AU12 %s\n", m->regional[a1] ? "regional" : "whole face",
               m->regional[a12] ? "regional" : "whole face");
        CHECK(m->trained[a1] && !m->regional[a1], "auto should keep the whole face for a label its area cannot see");
        CHECK(outside == 0, "%d weights outside a regional AU's areas", outside);
    } else CHECK(0, "auto fit: %s", err.msg);
    free(m);
    free(back);
}

/* The shared hidden layer (--hidden): AU12's label is an interaction of two
 * features (present when both are raised or both lowered: an XOR of their
 * signs; 6 features vary), which no regression on the features can read but a
 * hidden layer can;
 * AU1 follows one feature. The file round-trips to the same probabilities, and
 * a hidden file that also claims a regional AU, or whose layer is cut short,
 * is refused. */
static void test_fit_hidden(void)
{
    enum { N = 2000, D = AU_GEOM_N };
    static float X[N * D];
    static signed char y[N * AU_COUNT];
    static int g[N];
    static unsigned char neutral[N];
    const int a12 = au_index(12), a1 = au_index(1);
    unsigned s = 5;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < D; j++) X[i * D + j] = j < 6 ? gauss(&s) : 0.0f; /* 6 features vary */
        for (int a = 0; a < AU_COUNT; a++) y[i * AU_COUNT + a] = -1;
        y[i * AU_COUNT + a12] = (signed char)((X[i * D + 0] > 0) == (X[i * D + 1] > 0));
        y[i * AU_COUNT + a1] = (signed char)(X[i * D + 2] > 0.5f);
        g[i] = i;
        neutral[i] = !y[i * AU_COUNT + a12] && !y[i * AU_COUNT + a1];
    }
    au_model *m = calloc(1, sizeof *m), *back = calloc(1, sizeof *back);
    au_fit_data d = {X, y, NULL, g, NULL, neutral, NULL, NULL, N, D, NULL, NULL};
    au_fit_opts o = au_fit_default_opts();
    o.neutral_budget = 1; /* the thresholds by F1 alone */
    au_error err = {0};
    double acc[2] = {0};
    for (int hid = 0; hid < 2 && m && back; hid++) {
        o.hidden = hid ? 32 : 0;
        o.epochs = 100;
        memset(m, 0, sizeof *m);
        int rc = au_model_fit(m, &d, &o, &err);
        CHECK(rc == 0 && m->hidden == o.hidden && m->trained[a12] && m->trained[a1], "fit (hidden %d): %s", o.hidden, err.msg);
        if (rc) break;
        /* accuracy on fresh rows */
        int right = 0, right1 = 0;
        unsigned s2 = 77;
        float x[D], p[AU_COUNT];
        for (int i = 0; i < 1000; i++) {
            for (int j = 0; j < D; j++) x[j] = j < 6 ? gauss(&s2) : 0.0f;
            au_model_predict(m, x, p);
            right += (p[a12] >= m->threshold[a12]) == ((x[0] > 0) == (x[1] > 0));
            right1 += (p[a1] >= m->threshold[a1]) == (x[2] > 0.5f);
        }
        acc[hid] = right / 1000.0;
        printf("synthetic interaction, %s: AU12 accuracy %.3f, AU1 %.3f\n", hid ? "hidden layer of 32" : "regressions",
               acc[hid], right1 / 1000.0);
        CHECK(right1 > 850, "AU1 (one feature) accuracy %.3f", right1 / 1000.0);
        if (!hid) continue;
        char path[] = "/tmp/augur-test-hidden-XXXXXX";
        int fd = mkstemp(path);
        if (fd >= 0) close(fd);
        CHECK(fd >= 0 && au_model_save(m, path, &err) == 0, "save: %s", err.msg);
        CHECK(au_model_load(back, path, &err) == 0 && back->hidden == 32, "load: %s", err.msg);
        float pb[AU_COUNT];
        au_model_predict(m, X, p);
        au_model_predict(back, X, pb);
        CHECK(fabsf(p[a12] - pb[a12]) < 1e-6f && fabsf(p[a1] - pb[a1]) < 1e-6f, "round trip: AU12 %.7f vs %.7f", p[a12], pb[a12]);
        /* the layer's weights are stored as float32 in base64 (AU_F32_ENCODING): bit for bit the fit */
        int bits = 1;
        for (int j = 0; j < m->n_feat; j++) bits &= !memcmp(m->w1t[j], back->w1t[j], (size_t)m->hidden * sizeof(float));
        CHECK(bits && !memcmp(m->b1, back->b1, (size_t)m->hidden * sizeof(float)), "round trip: the hidden layer's weights changed");
        /* a regional AU beside a shared layer, and a layer one unit short, are refused */
        m->regional[a12] = 1;
        au_model_save(m, path, &err);
        CHECK(au_model_load(back, path, &err) == AUGUR_EFORMAT, "a hidden model with a regional AU loaded");
        m->regional[a12] = 0;
        au_model_save(m, path, &err);
        FILE *f = fopen(path, "rb");
        static char text[1 << 22];
        size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f) fclose(f);
        text[len] = 0;
        char *h = strstr(text, "\"hidden\":");
        while (h && *h && *h != '3') h++;
        CHECK(h && h[0] == '3' && h[1] == '2', "the saved file names its hidden layer");
        if (h && h[0] == '3' && h[1] == '2') {
            h[1] = '3'; /* "hidden": 33 over 32 units */
            f = fopen(path, "wb");
            if (f) { fwrite(text, 1, len, f); fclose(f); }
            CHECK(au_model_load(back, path, &err) == AUGUR_EFORMAT, "a hidden layer of 33 units with 32 rows loaded");
        }
        remove(path);
        o.regional = 1;
        CHECK(au_model_fit(m, &d, &o, &err) == AUGUR_EARG, "a hidden layer with regional AUs was fitted");
        o.regional = 0;
        /* an ensemble of 2 (--ensemble 2): one layer of 64 units whose first 32 are the single network
         * above (the first member keeps its seed) and whose outputs average the two members' */
        o.members = 2;
        if (au_model_fit(back, &d, &o, &err) == 0) {
            CHECK(back->hidden == 64, "ensemble layer: %d units", back->hidden);
            int same = 1;
            for (int j = 0; j < 6; j++)
                for (int u = 0; u < 32; u++) same &= back->w1t[j][u] == m->w1t[j][u];
            for (int u = 0; u < 32; u++) same &= back->b1[u] == m->b1[u] && fabsf(back->w[a12][u] - m->w[a12][u] / 2) < 1e-7f;
            CHECK(same, "the first member is the single network, its output weights halved");
            int right = 0;
            unsigned s2 = 77;
            float x[D];
            for (int i = 0; i < 1000; i++) {
                for (int j = 0; j < D; j++) x[j] = j < 6 ? gauss(&s2) : 0.0f;
                au_model_predict(back, x, p);
                right += (p[a12] >= back->threshold[a12]) == ((x[0] > 0) == (x[1] > 0));
            }
            printf("synthetic interaction, 2 networks of 32: AU12 accuracy %.3f\n", right / 1000.0);
            CHECK(right > 850, "ensemble AU12 accuracy %.3f", right / 1000.0);
        } else CHECK(0, "ensemble fit: %s", err.msg);
        o.members = 17; /* 17 x 32 units: over AU_MAX_HIDDEN and over 8 members */
        CHECK(au_fit_check_opts(&o, &err) == AUGUR_EARG, "17 networks accepted");
        o.members = 1;
    }
    CHECK(acc[1] > 0.85 && acc[0] < 0.7, "the interaction: hidden %.3f, regressions %.3f", acc[1], acc[0]);
    free(m);
    free(back);
}

/* People at rest and acting, for the tests of the reading against the
 * person's neutral: PP_P people with 3 neutral frames and 3 AU12 peaks each.
 * Feature 0 is the person's own offset (sd off_sd; none when 0) plus `shift`
 * on the peaks plus noise (sd `noise`), features 1-3 are noise, the other
 * geometry columns constant (a geometry-only model, so the file loads). A peak
 * is read against the person's first neutral frame, a neutral frame against
 * another one. */
enum { PP_P = 120, PP_R = 6, PP_N = PP_P * PP_R, PP_D = AU_GEOM_N };
typedef struct people {
    float X[PP_N * PP_D];
    signed char y[PP_N * AU_COUNT];
    int g[PP_N], ref[PP_N];
    unsigned char neutral[PP_N];
} people;

static void make_people(people *d, unsigned seed, float off_sd, float shift, float noise)
{
    unsigned s = seed;
    int a = au_index(12);
    for (int p = 0; p < PP_P; p++) {
        float off = off_sd > 0 ? off_sd * gauss(&s) : 0.0f;
        for (int r = 0; r < PP_R; r++) {
            int i = p * PP_R + r, pos = r >= 3;
            for (int j = 0; j < PP_D; j++)
                d->X[i * PP_D + j] = j >= 4 ? 0.0f : noise * gauss(&s) + (j == 0 ? off + (pos ? shift : 0.0f) : 0.0f);
            for (int k = 0; k < AU_COUNT; k++) d->y[i * AU_COUNT + k] = -1;
            d->y[i * AU_COUNT + a] = (signed char)pos;
            d->g[i] = p;
            d->neutral[i] = !pos;
            d->ref[i] = p * PP_R + (r == 0 ? 1 : 0);
        }
    }
}

/* The personal reading's thresholds: each person rests with an offset of their
 * own on feature 0 (a face shape), so a still face is hard to read; against the
 * person's neutral the offset cancels. Rows: 3 neutral frames and 3 peaks per
 * person; a peak is read against the person's first neutral frame, a neutral
 * frame against another one. Four features vary, the other geometry columns
 * are constant (a geometry-only model, so the file loads). */
static void test_fit_personal(void)
{
    static people d;
    make_people(&d, 11, 1.2f, 2.5f, 0.4f);
    enum { N = PP_N, D = PP_D };
    const float *X = d.X;
    const signed char *y = d.y;
    const int *ref = d.ref;
    int a = au_index(12);
    au_model *m = calloc(1, sizeof *m);
    au_fit_data fd = {d.X, d.y, NULL, d.g, NULL, d.neutral, NULL, NULL, PP_N, PP_D, d.ref, NULL};
    au_fit_opts o = au_fit_default_opts();
    o.l2 = 1;
    o.min_pos = 10;
    au_error err = {0};
    int rc = m ? au_model_fit(m, &fd, &o, &err) : -1;
    CHECK(rc == 0, "fit (personal): %s", err.msg);
    if (!rc) {
        int tp = 0, tp_still = 0, fa = 0, npos = 0, nneu = 0;
        for (int i = 0; i < N; i++) {
            float x[D], p[AU_COUNT];
            au_personal_features(m, X + i * D, X + ref[i] * D, x);
            au_model_predict(m, x, p);
            int pr = p[a] >= m->threshold_personal[a];
            au_model_predict(m, X + i * D, p);
            if (y[i * AU_COUNT + a]) { npos++; tp += pr; tp_still += p[a] >= m->threshold[a]; }
            else { nneu++; fa += pr; }
        }
        printf("synthetic personal AU12: recall %.3f against the person's neutral (threshold %.2f), %.3f still "
               "(threshold %.2f); personal false alarms %.3f\n", (double)tp / npos, m->threshold_personal[a],
               (double)tp_still / npos, m->threshold[a], (double)fa / nneu);
        CHECK((double)tp / npos > 0.9 && tp > tp_still, "personal recall %d, still %d of %d", tp, tp_still, npos);
        CHECK((double)fa / nneu <= 0.05, "personal false alarms %.3f over the budget", (double)fa / nneu);
        CHECK(m->threshold_personal[a] != m->threshold[a], "the personal threshold was not chosen");
        /* the file keeps both thresholds */
        char dir[] = "/tmp/augur-test-personal-XXXXXX", path[64];
        au_model *l = calloc(1, sizeof *l);
        if (l && mkdtemp(dir)) {
            snprintf(path, sizeof path, "%s/au.json", dir);
            CHECK(au_model_save(m, path, &err) == 0 && au_model_load(l, path, &err) == 0, "save/load: %s", err.msg);
            CHECK(fabsf(l->threshold_personal[a] - m->threshold_personal[a]) < 1e-6f &&
                  fabsf(l->threshold[a] - m->threshold[a]) < 1e-6f, "thresholds after load %.3f %.3f",
                  l->threshold[a], l->threshold_personal[a]);
            unlink(path);
            rmdir(dir);
        }
        free(l);
        /* without refs the personal reading keeps the still threshold */
        fd.ref = NULL;
        CHECK(au_model_fit(m, &fd, &o, &err) == 0 && m->threshold_personal[a] == m->threshold[a],
              "no refs: personal threshold %.2f, still %.2f", m->threshold_personal[a], m->threshold[a]);
    }
    free(m);
}

/* --video-reading auto: per AU, video keeps the still reading where it reads
 * the rows with a person's neutral better. Here nobody rests with an offset and
 * each person's neutral frame is as noisy as any frame, so subtracting it only
 * adds noise: the fit must choose the still reading for AU12, au_predict_personal
 * must then give the still probability and threshold, and the file must keep
 * the choice; with --video-reading personal (the default) it must not choose it.
 * A file with another "video_reading" is refused. */
static void test_fit_video_reading(void)
{
    static people d;
    make_people(&d, 5, 0.0f, 1.0f, 0.5f);
    enum { D = PP_D };
    const float *X = d.X;
    int a = au_index(12);
    au_model *m = calloc(1, sizeof *m), *l = calloc(1, sizeof *l);
    au_fit_data fd = {d.X, d.y, NULL, d.g, NULL, d.neutral, NULL, NULL, PP_N, PP_D, d.ref, NULL};
    au_fit_opts o = au_fit_default_opts();
    o.l2 = 1;
    o.min_pos = 10;
    au_error err = {0};
    if (!m || !l) { CHECK(0, "out of memory"); free(m); free(l); return; }
    CHECK(au_model_fit(m, &fd, &o, &err) == 0 && !m->still_in_video[a], "personal (default): %s, still chosen %d", err.msg,
          m->still_in_video[a]);
    o.video_reading = 1;
    int rc = au_model_fit(m, &fd, &o, &err);
    o.video_margin = 0.99f; /* no F1 gain is that large: the personal reading stays */
    CHECK(au_model_fit(m, &fd, &o, &err) == 0 && !m->still_in_video[a], "auto with a margin of 0.99: still chosen");
    o.video_margin = 0;
    rc = au_model_fit(m, &fd, &o, &err);
    CHECK(rc == 0 && m->still_in_video[a] == 1, "auto: the still reading chosen for AU12 (%d; %s)", m->still_in_video[a], err.msg);
    if (!rc && m->still_in_video[a]) {
        float pp[AU_COUNT], th[AU_COUNT], ps[AU_COUNT];
        au_predict_personal(m, X + 3 * D, X + 0 * D, pp, th, NULL, NULL);
        au_model_predict(m, X + 3 * D, ps);
        CHECK(pp[a] == ps[a] && th[a] == m->threshold[a], "AU12 read still: p %.4f (still %.4f), threshold %.3f (%.3f)",
              pp[a], ps[a], th[a], m->threshold[a]);
        char dir[] = "/tmp/augur-test-vreading-XXXXXX", path[64];
        if (mkdtemp(dir)) {
            snprintf(path, sizeof path, "%s/au.json", dir);
            CHECK(au_model_save(m, path, &err) == 0 && au_model_load(l, path, &err) == 0 && l->still_in_video[a] == 1,
                  "the file keeps the video reading: %s", err.msg);
            /* tampered: an unknown reading */
            FILE *f = fopen(path, "rb");
            char *txt = f ? malloc(1 << 22) : NULL;
            size_t n = txt ? fread(txt, 1, (1 << 22) - 1, f) : 0;
            if (f) fclose(f);
            char *at = txt ? (txt[n] = 0, strstr(txt, "\"still\"")) : NULL;
            CHECK(at != NULL, "the saved model names the still reading");
            if (at) {
                memcpy(at, "\"stil_\"", 7);
                f = fopen(path, "wb");
                if (f) { fwrite(txt, 1, n, f); fclose(f); }
                CHECK(au_model_load(l, path, &err) == AUGUR_EFORMAT, "a model with video_reading \"stil_\" loaded");
            }
            free(txt);
            unlink(path);
            rmdir(dir);
        }
    }
    free(m);
    free(l);
}


/* Joint thresholds: AU12 is easy (its F1 is near its best well inside the
 * budget) and AU4 is hard (at 2% false alarms it misses most of its
 * positives). Re-allocating the rate of neutral rows with any AU moves budget
 * from AU12 to AU4: AU4's threshold falls, the summed F1 rises, and the
 * neutral rows with any AU stay at the per-AU thresholds' rate. */
static void test_fit_joint(void)
{
    enum { N = 1500, D = 4 };
    static float X[N * D];
    static signed char y[N * AU_COUNT];
    static int g[N];
    static unsigned char neutral[N];
    unsigned s = 5;
    int a12 = au_index(12), a4 = au_index(4);
    for (int i = 0; i < N; i++) {
        int k = i % 3; /* 0 neutral, 1 AU12, 2 AU4 */
        for (int j = 0; j < D; j++) X[i * D + j] = gauss(&s) + (j == 0 && k == 1 ? 4.0f : j == 1 && k == 2 ? 1.2f : 0.0f);
        for (int a = 0; a < AU_COUNT; a++) y[i * AU_COUNT + a] = -1;
        y[i * AU_COUNT + a12] = (signed char)(k == 1);
        y[i * AU_COUNT + a4] = (signed char)(k == 2);
        g[i] = i / 3; /* not i: the inner folds (group % 3) would each hold one kind of row */
        neutral[i] = k == 0;
    }
    au_model *m[2] = {calloc(1, sizeof(au_model)), calloc(1, sizeof(au_model))};
    au_fit_data d = {X, y, NULL, g, NULL, neutral, NULL, NULL, N, D, NULL, NULL};
    double f1sum[2] = {0}, any[2] = {0};
    for (int v = 0; v < 2; v++) {
        au_fit_opts o = au_fit_default_opts();
        o.l2 = 1;
        o.joint_budget = v;
        au_error err = {0};
        int rc = m[v] ? au_model_fit(m[v], &d, &o, &err) : -1;
        CHECK(rc == 0, "fit (joint %d): %s", v, err.msg);
        if (rc) goto out;
        int tp[2] = {0}, fp[2] = {0}, fn[2] = {0}, nn = 0, na = 0;
        for (int i = 0; i < N; i++) {
            float p[AU_COUNT];
            au_model_predict(m[v], X + i * D, p);
            int f12 = p[a12] >= m[v]->threshold[a12], f4 = p[a4] >= m[v]->threshold[a4];
            int l12 = y[i * AU_COUNT + a12], l4 = y[i * AU_COUNT + a4];
            tp[0] += f12 && l12; fp[0] += f12 && !l12; fn[0] += !f12 && l12;
            tp[1] += f4 && l4; fp[1] += f4 && !l4; fn[1] += !f4 && l4;
            if (neutral[i]) { nn++; na += f12 || f4; }
        }
        for (int k = 0; k < 2; k++) f1sum[v] += 2.0 * tp[k] / (2.0 * tp[k] + fp[k] + fn[k]);
        any[v] = (double)na / nn;
        printf("synthetic joint %d: thresholds AU12 %.2f AU4 %.2f, F1 sum %.3f, neutral rows with any AU %.3f\n", v,
               m[v]->threshold[a12], m[v]->threshold[a4], f1sum[v], any[v]);
    }
    CHECK(m[1]->threshold[a4] < m[0]->threshold[a4] && m[1]->threshold[a12] > m[0]->threshold[a12],
          "joint thresholds AU4 %.2f (per-AU %.2f), AU12 %.2f (per-AU %.2f): no budget moved", m[1]->threshold[a4],
          m[0]->threshold[a4], m[1]->threshold[a12], m[0]->threshold[a12]);
    CHECK(f1sum[1] > f1sum[0], "joint F1 sum %.3f, per-AU %.3f", f1sum[1], f1sum[0]);
    CHECK(any[1] <= any[0] + 0.01, "joint: neutral rows with any AU %.3f, per-AU %.3f", any[1], any[0]);
    CHECK(m[1]->threshold_personal[a4] == m[1]->threshold[a4], "without refs the personal threshold %.2f is not the "
          "joint one %.2f", m[1]->threshold_personal[a4], m[1]->threshold[a4]);
out:
    free(m[0]);
    free(m[1]);
}

/* FACS's alternatives: AU26 is not scored beside AU27, AU45 not beside AU43; each alone stands. */
static void test_facs_exclusions(void)
{
    int present[AU_COUNT] = {0}, a26 = au_index(26), a27 = au_index(27), a25 = au_index(25);
    present[a26] = present[a25] = 1;
    CHECK(!au_facs_excluded(a26, present) && !au_facs_excluded(a25, present), "AU26 alone is scored");
    present[a27] = 1;
    CHECK(au_facs_excluded(a26, present) && !au_facs_excluded(a27, present) && !au_facs_excluded(a25, present),
          "AU26 beside AU27 should not be scored (and AU27, AU25 should)");

    /* eyes closed and blink read one closure: a still names it AU43; a video by its duration */
    int a43 = au_index(43), a45 = au_index(45);
    int closed[AU_COUNT] = {0};
    closed[a45] = 1;
    CHECK(!au_facs_excluded(a45, closed), "AU45 alone is scored");
    closed[a43] = 1;
    au_facs_apply(closed);
    CHECK(closed[a43] && !closed[a45], "a still's closure should read AU43 (%d) and not AU45 (%d)", closed[a43], closed[a45]);
    au_face_aus r;
    memset(&r, 0, sizeof r);
    r.au[a43].present = 1;
    au_closure_timed(&r, 0.2);
    CHECK(!r.au[a43].present && r.au[a45].present, "a closure 0.2 s old should read as a blink");
    memset(&r, 0, sizeof r);
    r.au[a43].present = 1;
    au_closure_timed(&r, AU_BLINK_MAX_S);
    CHECK(r.au[a43].present && !r.au[a45].present, "a closure %.1f s old should read as eyes closed", AU_BLINK_MAX_S);
    memset(&r, 0, sizeof r);
    au_closure_timed(&r, 0.1);
    CHECK(!r.au[a43].present && !r.au[a45].present, "open eyes should read neither AU43 nor AU45");
}

static void test_weak_labels(void)
{
    signed char y[AU_COUNT];
    au_weak_labels(EXPR_NEUTRAL, y);
    int any = 0;
    for (int a = 0; a < AU_COUNT; a++) any |= y[a] != 0;
    CHECK(!any, "a neutral face shows no AU");
    au_weak_labels(EXPR_HAPPINESS, y);
    CHECK(y[au_index(6)] == 1 && y[au_index(12)] == 1 && y[au_index(4)] == 0 && y[au_index(25)] == -1,
          "happiness: AU6 %d AU12 %d AU4 %d AU25 %d", y[au_index(6)], y[au_index(12)], y[au_index(4)], y[au_index(25)]);
    au_weak_labels(EXPR_DISGUST, y);
    CHECK(y[au_index(9)] == -1 && y[au_index(10)] == -1, "disgust asserts neither AU9 nor AU10 alone");
    /* --weak-au10 (RULE31, not shipped): AU10 absent on the classes neither FACS.md codebook gives it */
    signed char z[AU_COUNT];
    static const int no10[] = {EXPR_SURPRISE, EXPR_SADNESS, EXPR_FEAR, EXPR_CONTEMPT};
    for (size_t k = 0; k < sizeof no10 / sizeof *no10; k++) {
        au_weak_labels(no10[k], y);
        au_weak_labels_au10(no10[k], 1, z);
        y[au_index(10)] = 0;
        CHECK(!memcmp(y, z, sizeof y), "--weak-au10 1 on class %d: AU10 %d, or another AU changed", no10[k],
              z[au_index(10)]);
    }
    au_weak_labels_au10(EXPR_HAPPINESS, 1, z);
    CHECK(z[au_index(10)] == -1, "--weak-au10 1 asserts AU10 on a happy face");
    au_weak_labels_au10(EXPR_HAPPINESS, 2, z);
    CHECK(z[au_index(10)] == 0 && z[au_index(12)] == 1, "--weak-au10 2: happy AU10 %d", z[au_index(10)]);
    for (int mode = 0; mode <= 2; mode++) {
        au_weak_labels_au10(EXPR_ANGER, mode, z);
        au_weak_labels(EXPR_ANGER, y);
        CHECK(!memcmp(y, z, sizeof y), "--weak-au10 %d changes an anger face's labels", mode);
        au_weak_labels_au10(EXPR_DISGUST, mode, z);
        CHECK(z[au_index(10)] == -1, "--weak-au10 %d asserts AU10 on a disgusted face", mode);
    }
}

/* au_model_input: mirrored blendshapes give the same symmetrised input; the raw input differs */
static void test_bs_symmetric(void)
{
    static au_model m;
    static float f[AU_FEAT_N], g[AU_FEAT_N], a[AU_FEAT_N], b[AU_FEAT_N];
    memset(&m, 0, sizeof m);
    m.n_feat = AU_FEAT_N;
    m.use_appearance = m.use_blendshapes = m.bs_symmetric = 1;
    unsigned s = 7;
    for (int j = 0; j < AU_FEAT_N; j++) { s = s * 1103515245u + 12345u; f[j] = (float)((s >> 8) % 1000) / 1000.0f; }
    memcpy(g, f, sizeof g);
    const float *bs = f + AU_GEOM_N + AU_APP_N;
    for (int i = 1; i < AU_BLENDSHAPES; i++) g[AU_GEOM_N + AU_APP_N + i - 1] = bs[au_blendshape_mirror(i) - 1];
    au_model_input(&m, f, a);
    au_model_input(&m, g, b);
    CHECK(!memcmp(a, b, sizeof a), "symmetrised blendshapes: the mirror's input differs");
    CHECK(!memcmp(a, f, (AU_GEOM_N + AU_APP_N) * sizeof *a), "symmetrised blendshapes: geometry/HOG changed");
    /* mouthSmileLeft/Right (44, 45) become their mean and |difference| somewhere in the block */
    float mean = 0.5f * (bs[43] + bs[44]), diff = fabsf(bs[43] - bs[44]);
    int found = 0;
    for (int j = AU_GEOM_N + AU_APP_N; j + 1 < AU_FEAT_N; j++) found |= a[j] == mean && a[j + 1] == diff;
    CHECK(found, "symmetrised blendshapes: no (mean, |difference|) of the smile channels");
    m.bs_symmetric = 0;
    au_model_input(&m, f, a);
    au_model_input(&m, g, b);
    CHECK(memcmp(a, b, sizeof a) && !memcmp(a, f, sizeof a), "raw blendshapes: input is not the features as given");
}

/* The shape-free crop (--shape-free, use_appearance 2): a face whose mesh lies exactly on the canonical
 * face placed in the alignment's square is sampled where the aligned crop samples it (the displacements are
 * zero), so both crops agree to rounding; the astronaut's own face (a smile, her shape) differs from it. */

/* A neutral-gate field of m (RULE38's margin, RULE39's rise), set to 2 logits, is saved and loaded back; at 25 the
 * file is refused, naming it; left at 0. m must otherwise save to a loadable file. */
static void gate_field_saved(au_model *m, float *field, const char *name, const char *tmp)
{
    static au_model back;
    au_error e = {0};
    *field = 2.0f;
    float got = au_model_save(m, tmp, &e) == 0 && au_model_load(&back, tmp, &e) == 0
                    ? (field == &m->personal_gate_margin ? back.personal_gate_margin : back.personal_gate_rise) : -1;
    CHECK(got == 2.0f, "%s is not saved and loaded back (%s)", name, e.msg);
    *field = 25.0f;
    CHECK(au_model_save(m, tmp, &e) == 0 && au_model_load(&back, tmp, &e) == AUGUR_EFORMAT && strstr(e.msg, name),
          "a %s of 25 loads (%s)", name, e.msg);
    *field = 0.0f;
}

static void test_shape_free(const au_image *img)
{
    struct augur_params ap = augur_default_params();
    ap.model_dir = t_model_dir();
    st_stage *st;
    au_error e = {0};
    au_face *faces = malloc(AU_MAX_FACES * sizeof *faces), *g = malloc(sizeof *g);
    int n = 0;
    if (!faces || !g || st_create(&st, &ap, &e)) { CHECK(0, "stage: %s", e.msg); free(faces); free(g); return; }
    if (st_find(st, img, faces, &n, &e) == 0 && n >= 1 && faces[0].success) {
        static uint8_t a[AU_APP_SIZE * AU_APP_SIZE], b[AU_APP_SIZE * AU_APP_SIZE];
        au_appearance_crop(img, &faces[0], a);
        au_appearance_crop_shape_free(img, &faces[0], b);
        int moved = 0;
        for (int i = 0; i < AU_APP_SIZE * AU_APP_SIZE; i++) moved += abs(a[i] - b[i]) > 8;
        printf("shape-free crop of the astronaut: %d of %d pixels differ from the aligned crop by > 8\n", moved,
               AU_APP_SIZE * AU_APP_SIZE);
        CHECK(moved > 100, "the astronaut's shape-free crop is her aligned crop (%d pixels differ)", moved);
        /* the canonical face, placed in the square by the alignment's own points, then into the image */
        float src[AU_ALIGN_N][2], M[6];
        for (int i = 0; i < AU_ALIGN_N; i++)
            for (int c = 0; c < 2; c++) src[i][c] = au_canonical_mesh[au_align_points[i]][c];
        CHECK(au_similarity_2d((const float (*)[2])src, au_align_template, AU_ALIGN_N, M) == 0, "canonical placement");
        *g = faces[0];
        for (int i = 0; i < AU_MESH_N; i++) {
            float x, y;
            au_affine_apply(M, au_canonical_mesh[i][0], au_canonical_mesh[i][1], &x, &y);
            au_affine_apply(faces[0].align_inv, x, y, &g->mesh[i][0], &g->mesh[i][1]);
        }
        au_face_alignment(g);
        au_appearance_crop(img, g, a);
        au_appearance_crop_shape_free(img, g, b);
        int worst = 0;
        for (int i = 0; i < AU_APP_SIZE * AU_APP_SIZE; i++) worst = abs(a[i] - b[i]) > worst ? abs(a[i] - b[i]) : worst;
        CHECK(worst <= 1, "a face on the canonical shape: its shape-free crop differs from the aligned one by %d", worst);
    } else {
        CHECK(0, "shape-free: the astronaut's face not found (%s)", e.msg);
    }
    st_free(st);
    free(faces);
    free(g);
}

int main(void)
{
    test_hog_mirror();
    test_bs_symmetric();
    test_fit();
    test_fit_evidence_signs();
    test_fit_budget_domains();
    test_fit_personal();
    test_fit_video_reading();
    test_fit_joint();
    test_fit_regional();
    test_fit_hidden();
    test_weak_labels();
    test_facs_exclusions();
    struct augur_params p = augur_default_params();
    p.model_dir = t_model_dir();
    augur_context *ctx;
    if (augur_init(&ctx, &p)) { CHECK(0, "init: %s", augur_errmsg(ctx)); return t_finish(); }
    au_image img = {0};
    au_error e = {0};
    if (au_image_load(t_src("examples/astronaut.png"), &img, &e)) { CHECK(0, "%s", e.msg); return t_finish(); }
    test_shape_free(&img);

    struct augur_face *faces = NULL, *g = NULL;
    int n = analyze(ctx, &img, &faces);
    CHECK(n == 1 && faces[0].n_aus == AUGUR_AU_COUNT, "astronaut: %d faces, %d AUs", n, n ? faces[0].n_aus : 0);
    if (n != 1) return t_finish();
    const struct augur_face *f = &faces[0];
    int want_present[] = {6, 12, 25}, want_absent[] = {4, 15};
    for (int i = 0; i < 3; i++) {
        const struct augur_au *u = au_of(f, want_present[i]);
        CHECK(u && u->present, "AU%d should be present (p %.3f)", want_present[i], u ? u->probability : -1);
    }
    for (int i = 0; i < 2; i++) {
        const struct augur_au *u = au_of(f, want_absent[i]);
        CHECK(u && !u->present, "AU%d should be absent (p %.3f)", want_absent[i], u ? u->probability : -1);
    }
    /* each present AU's measurement goes beyond faces at rest (the smile is broad), and the
     * range is the model's, in the AU's direction */
    for (int i = 0; i < 3; i++) {
        const struct augur_au *u = au_of(f, want_present[i]);
        if (!u) continue;
        printf("AU%d measure %+.2f mm, faces at rest to %+.2f mm: beyond %d\n", u->id, u->measure_mm,
               u->measure_rest_mm, augur_measure_beyond_rest(u));
        CHECK(augur_measure_beyond_rest(u) == 1 && u->measure_rest_mm > 0, "AU%d: measure %.2f, rest %.2f", u->id,
              u->measure_mm, u->measure_rest_mm);
    }
    const struct augur_au *u12 = au_of(f, 12);
    if (u12) {
        float cy = 0.5f * (u12->box[1] + u12->box[3]), rel = (cy - f->box[1]) / (f->box[3] - f->box[1]);
        printf("AU12 p %.3f intensity %.2f box [%.0f %.0f %.0f %.0f]: centre at %.0f%% of the face box height\n",
               u12->probability, u12->intensity, u12->box[0], u12->box[1], u12->box[2], u12->box[3], 100 * rel);
        for (int k = 48; k <= 54; k += 6)
            CHECK(f->lm68[k][0] >= u12->box[0] && f->lm68[k][0] <= u12->box[2] && f->lm68[k][1] >= u12->box[1] &&
                  f->lm68[k][1] <= u12->box[3], "AU12 box misses mouth corner %d", k);
        CHECK(rel > 0.6f && u12->box[3] <= f->box[3], "AU12 box not in the lower face (%.2f)", rel);
    }

    /* mirror */
    au_image fl;
    au_image_alloc(&fl, img.w, img.h, &e);
    for (int y = 0; y < img.h; y++)
        for (int x = 0; x < img.w; x++)
            memcpy(fl.rgb + ((size_t)y * img.w + x) * 3, img.rgb + ((size_t)y * img.w + img.w - 1 - x) * 3, 3);
    if (analyze(ctx, &fl, &g) == 1) {
        float worst = 0;
        int worst_au = 0;
        for (int a = 0; a < g[0].n_aus; a++) {
            float d = fabsf(g[0].aus[a].intensity - f->aus[a].intensity);
            if (d > worst) { worst = d; worst_au = f->aus[a].id; }
        }
        printf("mirror: largest intensity change %.3f (AU%d)\n", worst, worst_au);
        CHECK(worst <= 0.5f, "mirror changes AU%d intensity by %.2f", worst_au, worst);
    } else CHECK(0, "flipped: face not found");
    augur_faces_free(g);
    au_image_free(&fl);

    /* A frame that cuts the face off under the lips: the mesh is estimated
     * past the edge (the chin), but every AU region box stays in the image,
     * and the chin's boxes end on its edge. */
    {
        au_image cut;
        int ch = (int)(f->lm68[57][1] + 3); /* just under the lower lip */
        au_image_alloc(&cut, img.w, ch, &e);
        memcpy(cut.rgb, img.rgb, (size_t)img.w * ch * 3);
        if (analyze(ctx, &cut, &g) == 1 && g[0].n_aus == AUGUR_AU_COUNT) {
            int outside = 0, on_edge = 0;
            for (int a = 0; a < g[0].n_aus; a++) {
                const float *b = g[0].aus[a].box;
                outside += !(b[0] >= 0 && b[1] >= 0 && b[2] <= cut.w && b[3] <= cut.h && b[0] <= b[2] && b[1] <= b[3]);
                on_edge += b[3] == (float)cut.h;
            }
            const struct augur_au *u17 = au_of(&g[0], 17);
            printf("cut under the lips (%d px high): face box to y %.0f, %d AU boxes outside the image, %d on its "
                   "bottom edge, AU17 box [%.0f %.0f %.0f %.0f]\n", ch, g[0].box[3], outside, on_edge,
                   u17 ? u17->box[0] : -1, u17 ? u17->box[1] : -1, u17 ? u17->box[2] : -1, u17 ? u17->box[3] : -1);
            CHECK(g[0].box[3] > cut.h, "the mesh should reach past the cut (face box to %.0f)", g[0].box[3]);
            CHECK(outside == 0, "%d AU boxes leave the image", outside);
            CHECK(u17 && u17->box[3] == (float)cut.h, "AU17's chin box should end on the image's edge");
        } else CHECK(0, "cut under the lips: face not found");
        augur_faces_free(g);
        au_image_free(&cut);
        float off[4] = {-40, 10, -5, 30}, in[4] = {-3, -2, 700, 20};
        au_clip_box(off, 100, 50);
        au_clip_box(in, 100, 50);
        CHECK(off[0] == 0 && off[2] == 0 && off[1] == 10 && off[3] == 30, "a box left of the image: [%g %g %g %g]",
              off[0], off[1], off[2], off[3]);
        CHECK(in[0] == 0 && in[1] == 0 && in[2] == 100 && in[3] == 20, "clip: [%g %g %g %g]", in[0], in[1], in[2], in[3]);
    }

    /* in-plane rotation */
    for (int s = -1; s <= 1; s += 2) {
        au_image r;
        rotate(&img, 20.0f * s, &r);
        if (analyze(ctx, &r, &g) == 1) {
            float worst = 0;
            int worst_au = 0;
            for (int a = 0; a < g[0].n_aus; a++) {
                float d = fabsf(g[0].aus[a].probability - f->aus[a].probability);
                if (d > worst) { worst = d; worst_au = f->aus[a].id; }
            }
            printf("rotated %+d deg: largest probability change %.3f (AU%d)\n", 20 * s, worst, worst_au);
            CHECK(worst < 0.15f, "rotation %+d changes AU%d probability by %.3f", 20 * s, worst_au, worst);
        } else CHECK(0, "rotated: face not found");
        augur_faces_free(g);
        au_image_free(&r);
    }

    /* Another size: the same photo at half size (the face ~46 px wide, as in
     * the 48x48 training sources) and at double size (~185 px) reads the same
     * AUs present, with probabilities within 0.1 of the original's (0.02 measured). */
    for (int k = 0; k < 2; k++) {
        float z = k ? 2.0f : 0.5f; /* output pixels per input pixel */
        au_image r;
        au_image_alloc(&r, (int)(img.w * z), (int)(img.h * z), &e);
        float M[6] = {1 / z, 0, 0, 0, 1 / z, 0};
        au_warp_affine_rgb(&img, M, &r);
        if (analyze(ctx, &r, &g) == 1) {
            float worst = 0;
            int worst_au = 0, differ = 0;
            for (int a = 0; a < g[0].n_aus; a++) {
                float d = fabsf(g[0].aus[a].probability - f->aus[a].probability);
                if (d > worst) { worst = d; worst_au = f->aus[a].id; }
                differ += g[0].aus[a].present != f->aus[a].present;
            }
            printf("%dx%d: largest probability change %.3f (AU%d), %d AUs present differently\n", r.w, r.h, worst,
                   worst_au, differ);
            CHECK(differ == 0 && worst < 0.1f, "at %dx%d %d AUs read differently, AU%d's probability moves by %.3f",
                  r.w, r.h, differ, worst_au, worst);
        } else CHECK(0, "%dx%d: face not found", r.w, r.h);
        augur_faces_free(g);
        au_image_free(&r);
    }

    /* heatmap of AU12 on a 48x48 aligned crop: the peak lies near a mouth corner */
    {
        float map[48 * 48];
        int a12 = au_index(12);
        au_heatmap(f, &a12, NULL, 1, 48, map);
        int best = 0;
        for (int i = 1; i < 48 * 48; i++) if (map[i] > map[best]) best = i;
        float px = (best % 48 + 0.5f) / 48, py = (best / 48 + 0.5f) / 48, cx[2], cy[2];
        for (int k = 0; k < 2; k++) au_affine_apply(f->align, f->lm68[k ? 54 : 48][0], f->lm68[k ? 54 : 48][1], &cx[k], &cy[k]);
        float d = fminf(hypotf(px - cx[0], py - cy[0]), hypotf(px - cx[1], py - cy[1]));
        float mx = 0.5f * (cx[0] + cx[1]), my = 0.5f * (cy[0] + cy[1]);
        printf("AU12 heatmap peak at (%.2f, %.2f) of the crop; mouth corners (%.2f, %.2f) (%.2f, %.2f)\n", px, py,
               cx[0], cy[0], cx[1], cy[1]);
        CHECK(d < 0.12f || (fabsf(py - my) < 0.1f && fabsf(px - mx) < 0.2f), "AU12 heatmap peak far from the mouth");
        CHECK(map[best] > 0.99f && map[0] < 0.01f, "heatmap not normalised");
    }

    /* the range of faces at rest in the model file: saved and loaded back; a model without it
     * (older files) reads the same AUs and says nothing of the range; a range whose low end is
     * over its high end is refused */
    {
        au_model *m = malloc(sizeof *m);
        char tmp[] = "/tmp/augur-test-aurest-XXXXXX";
        int tfd = mkstemp(tmp);
        if (tfd >= 0) close(tfd);
        au_error e2 = {0};
        const char *shipped = getenv("AUGUR_AU_MODEL") ? getenv("AUGUR_AU_MODEL") : t_src("models/au.json");
        int rc = m && tfd >= 0 ? au_model_load(m, shipped, &e2) : -1;
        CHECK(rc == 0 && m->has_measure_rest && m->has_measure_rest_personal, "the shipped AU model has no range of "
              "faces at rest (%s)", e2.msg);
        if (rc == 0) {
            float lo = m->measure_rest[0][AU_M_LIP_CORNER_RAISE], hi = m->measure_rest[1][AU_M_LIP_CORNER_RAISE];
            CHECK(lo < 0 && hi > 0 && m->measure_rest_personal[1][AU_M_LIP_CORNER_RAISE] < hi,
                  "lip corner raise at rest: %.2f..%.2f, personal to %.2f", lo, hi,
                  m->measure_rest_personal[1][AU_M_LIP_CORNER_RAISE]);
            /* read against a neutral (video), the face against itself: no measurement moves, and the
             * range cited is the personal one */
            static au_face_aus ra, rb;
            static au_neutral nz;
            if (au_read(m, &img, f, NULL, &ra, &e2) == 0 && au_face_canonicalize(f, nz.mesh) == 0) {
                memcpy(nz.feat, ra.features, sizeof nz.feat);
                int a12 = au_index(12);
                CHECK(au_read_features(m, f, ra.features, &nz, &rb, &e2) == 0 && fabsf(rb.au[a12].measure_mm) < 1e-3f &&
                      rb.au[a12].measure_rest_mm == m->measure_rest_personal[1][AU_M_LIP_CORNER_RAISE] &&
                      ra.au[a12].measure_rest_mm == hi,
                      "AU12 against itself: measure %.3f, rest %.2f (personal %.2f), still rest %.2f",
                      rb.au[a12].measure_mm, rb.au[a12].measure_rest_mm,
                      m->measure_rest_personal[1][AU_M_LIP_CORNER_RAISE], ra.au[a12].measure_rest_mm);
            } else CHECK(0, "au_read: %s", e2.msg);
            /* the reading against the person's neutral (RULE20): a face against itself becomes the population
             * neutral in every feature with "personal_shift": "all", in the geometry alone without; the field
             * is saved and loaded back, and a bad one refused */
            {
                static float x[AU_FEAT_N];
                int off_all = 0, off_geo = 0, n = m->n_feat;
                for (int k = 0; k < 2; k++) {
                    m->personal_all = k;
                    au_personal_features(m, ra.features, ra.features, x);
                    for (int j = 0; j < n; j++) {
                        float want = k || j < AU_GEOM_N ? m->neutral_mean[j] : ra.features[j];
                        *(k ? &off_all : &off_geo) += fabsf(x[j] - want) > 1e-4f * (1 + fabsf(want));
                    }
                }
                CHECK(n > AU_GEOM_N && off_all == 0 && off_geo == 0, "personal features against itself: %d (all) and %d "
                      "(geometry) of %d off", off_all, off_geo, n);
                static au_model back;
                CHECK(au_model_save(m, tmp, &e2) == 0 && au_model_load(&back, tmp, &e2) == 0 && back.personal_all == 1,
                      "personal_shift is not saved and loaded back (%s)", e2.msg);
                m->personal_all = 0;
                CHECK(au_model_save(m, tmp, &e2) == 0 && au_model_load(&back, tmp, &e2) == 0 && back.personal_all == 0,
                      "a model without personal_shift loads with it (%s)", e2.msg);
                m->personal_all = 1;
                CHECK(saved_with(m, tmp, "personal_shift", "all", "any") &&
                      au_model_load(&back, tmp, &e2) == AUGUR_EFORMAT && strstr(e2.msg, "personal_shift"),
                      "a personal_shift of \"any\" loads (%s)", e2.msg);
                m->personal_all = 0;
            }
            /* the gate by faces at rest (RULE19): an AU whose measurement goes beyond the range stays present;
             * with the range's edge moved past it, the AU is held back, its probability as it was; the gate
             * is saved and loaded back, and a bad one refused */
            {
                int a12 = au_index(12);
                static au_face_aus rg;
                m->rest_gate[a12] = 1;
                CHECK(au_read_features(m, f, ra.features, NULL, &rg, &e2) == 0 && rg.au[a12].present &&
                      !rg.au[a12].held_at_rest, "AU12 gated, beyond rest: present %d held %d", rg.au[a12].present,
                      rg.au[a12].held_at_rest);
                float keep = m->measure_rest[1][AU_M_LIP_CORNER_RAISE];
                m->measure_rest[1][AU_M_LIP_CORNER_RAISE] = ra.au[a12].measure_mm + 1.0f;
                CHECK(au_read_features(m, f, ra.features, NULL, &rg, &e2) == 0 && !rg.au[a12].present &&
                      rg.au[a12].held_at_rest && rg.au[a12].probability == ra.au[a12].probability &&
                      rg.au[a12].probability >= 0.5f, "AU12 gated within rest: present %d held %d p %.3f (was %.3f)",
                      rg.au[a12].present, rg.au[a12].held_at_rest, rg.au[a12].probability, ra.au[a12].probability);
                m->measure_rest[1][AU_M_LIP_CORNER_RAISE] = keep;
                static au_model back;
                CHECK(au_model_save(m, tmp, &e2) == 0 && au_model_load(&back, tmp, &e2) == 0 && back.rest_gate[a12] &&
                      !back.rest_gate[au_index(6)], "the gate is not saved and loaded back (%s)", e2.msg);
                FILE *gf = fopen(tmp, "r+");
                static char txt[1 << 23];
                size_t nt = gf ? fread(txt, 1, sizeof txt - 1, gf) : 0;
                txt[nt] = 0;
                char *g = strstr(txt, "\"rest_gate\"");
                char *one = g ? strchr(g, '1') : NULL;
                if (one && gf) { *one = '2'; rewind(gf); fwrite(txt, 1, nt, gf); }
                if (gf) fclose(gf);
                CHECK(one && au_model_load(&back, tmp, &e2) == AUGUR_EFORMAT, "a rest gate of 2 loads");
                m->rest_gate[a12] = 0;
            }
            /* an AU the model cannot rank (RULE34): with its out-of-fold AUC under min_auc, AU12 keeps its
             * probability and intensity but is not present (held 5, unvalidated) and leaves the evidence map (its
             * margin 0); at the bar it counts again; both fields are saved and loaded back, bad ones refused */
            {
                int a12 = au_index(12);
                static au_face_aus rv;
                float keep_auc = m->oof_auc[a12], keep_min = m->min_auc;
                m->min_auc = 0.6f;
                m->oof_auc[a12] = 0.59f;
                CHECK(au_read_features(m, f, ra.features, NULL, &rv, &e2) == 0 && !rv.au[a12].present &&
                      rv.au[a12].held_at_rest == AUGUR_HELD_UNVALIDATED && rv.au[a12].unvalidated &&
                      rv.au[a12].probability == ra.au[a12].probability && rv.au[a12].intensity == ra.au[a12].intensity &&
                      ra.au[a12].present, "AU12 not validated: present %d held %d unvalidated %d p %.3f (was %.3f, present %d)",
                      rv.au[a12].present, rv.au[a12].held_at_rest, rv.au[a12].unvalidated, rv.au[a12].probability,
                      ra.au[a12].probability, ra.au[a12].present);
                float pr[AU_COUNT], e_all[AU_EV_CLASSES], e_wo[AU_EV_CLASSES], e_ref[AU_EV_CLASSES];
                au_model_predict(m, ra.features, pr);
                au_model_evidence(m, pr, e_wo);
                m->oof_auc[a12] = 0.6f;
                au_model_evidence(m, pr, e_all);
                float keep_w[AU_EV_CLASSES];
                for (int c = 0; c < AU_EV_CLASSES; c++) { keep_w[c] = m->ev_w[c][a12]; m->ev_w[c][a12] = 0; }
                au_model_evidence(m, pr, e_ref); /* the map without AU12, by hand */
                for (int c = 0; c < AU_EV_CLASSES; c++) m->ev_w[c][a12] = keep_w[c];
                float d_ref = 0, d_all = 0;
                for (int c = 0; c < AU_EV_CLASSES; c++) {
                    d_ref = fmaxf(d_ref, fabsf(e_wo[c] - e_ref[c]));
                    d_all = fmaxf(d_all, fabsf(e_wo[c] - e_all[c]));
                }
                CHECK(m->has_evidence && d_ref < 1e-6f && d_all > 1e-3f, "the evidence map without an unvalidated AU: "
                      "%.2g from the map without it, %.2g from the map with it", d_ref, d_all);
                CHECK(au_read_features(m, f, ra.features, NULL, &rv, &e2) == 0 && rv.au[a12].present &&
                      !rv.au[a12].held_at_rest && !rv.au[a12].unvalidated, "AU12 at the bar: present %d held %d",
                      rv.au[a12].present, rv.au[a12].held_at_rest);
                m->oof_auc[a12] = 0.59f;
                static au_model back;
                CHECK(au_model_save(m, tmp, &e2) == 0 && au_model_load(&back, tmp, &e2) == 0 &&
                      fabsf(back.min_auc - 0.6f) < 1e-6f && fabsf(back.oof_auc[a12] - 0.59f) < 1e-6f &&
                      !au_model_validated(&back, a12) && au_model_validated(&back, au_index(6)),
                      "min_auc and oof_auc are not saved and loaded back (%s)", e2.msg);
                CHECK(au_model_save(m, tmp, &e2) == 0 && first_digit_to_one(tmp, "\"min_auc\"") &&
                      au_model_load(&back, tmp, &e2) == AUGUR_EFORMAT && strstr(e2.msg, "malformed"),
                      "a min_auc of 1.6 loads (%s)", e2.msg);
                CHECK(au_model_save(m, tmp, &e2) == 0 && first_digit_to_one(tmp, "\"oof_auc\"") &&
                      au_model_load(&back, tmp, &e2) == AUGUR_EFORMAT, "an oof_auc of 1.59 loads");
                m->oof_auc[a12] = keep_auc;
                m->min_auc = keep_min;
            }
            /* the evidence map's signs (RULE36): a file that says its weights are signed as the FACS codebook signs
             * them must be; claimed on a map that breaks a sign it is refused (naming the weight), and the same map
             * with every weight moved onto its sign loads, the claim kept */
            {
                static au_model back;
                static float keep_w[AU_EV_CLASSES][AU_COUNT];
                memcpy(keep_w, m->ev_w, sizeof keep_w);
                int keep_signed = m->ev_signed;
                if (!getenv("AUGUR_AU_MODEL")) /* the shipped map counts no AU for a class its codebook does not list */
                    CHECK(m->ev_signed == AU_EV_SIGNS_FACS_FOR, "the shipped evidence map's signs: %s",
                          au_ev_signs_name(m->ev_signed));
                for (int signs = AU_EV_SIGNS_FACS; signs <= AU_EV_SIGNS_FACS_FOR; signs++) {
                    int broken = 0;
                    m->ev_signed = signs;
                    memcpy(m->ev_w, keep_w, sizeof keep_w);
                    m->ev_w[EXPR_NEUTRAL][au_index(12)] = 0.25f; /* AU12 for neutral, whatever the shipped map says */
                    for (int c = 0; c < AU_EV_CLASSES; c++)
                        for (int a = 0; a < AU_COUNT; a++) broken += m->trained[a] && au_ev_sign(signs, c, a) * m->ev_w[c][a] < 0;
                    CHECK(broken && au_model_save(m, tmp, &e2) == 0 && au_model_load(&back, tmp, &e2) == AUGUR_EFORMAT &&
                          strstr(e2.msg, "evidence_signs") && strstr(e2.msg, " weighs "),
                          "a map claiming the signs (%s) with %d broken loads (%s)", au_ev_signs_name(signs), broken, e2.msg);
                    for (int c = 0; c < AU_EV_CLASSES; c++)
                        for (int a = 0; a < AU_COUNT; a++)
                            if (au_ev_sign(signs, c, a) * m->ev_w[c][a] < 0) m->ev_w[c][a] = 0;
                    CHECK(au_model_save(m, tmp, &e2) == 0 && au_model_load(&back, tmp, &e2) == 0 && back.ev_signed == signs &&
                          !memcmp(back.ev_w, m->ev_w, sizeof keep_w), "a signed map (%s) is not saved and loaded back (%s)",
                          au_ev_signs_name(signs), e2.msg);
                }
                memcpy(m->ev_w, keep_w, sizeof keep_w);
                m->ev_signed = keep_signed;
            }
            /* the gate of the reading against the person's neutral (RULE22): the face read against itself has
             * not moved, so an AU that its still reading does not show is held back, its probability kept; one
             * the still reading shows, or whose measurement goes beyond the personal range, stays; the field is
             * saved and loaded back, and a bad one refused */
            {
                int a12 = au_index(12);
                static au_face_aus r0, r1;
                float t_still = m->threshold[a12], t_pers = m->threshold_personal[a12];
                m->threshold[a12] = 1.01f;   /* the still reading cannot show AU12 */
                m->threshold_personal[a12] = 0.0f; /* the personal reading always does */
                m->personal_gate = 0;
                int ok0 = au_read_features(m, f, ra.features, &nz, &r0, &e2) == 0;
                m->personal_gate = AU_GATE_MOVED;
                int ok1 = au_read_features(m, f, ra.features, &nz, &r1, &e2) == 0;
                CHECK(!m->still_in_video[a12] && ok0 && ok1 && r0.au[a12].present && !r0.au[a12].held_at_rest &&
                      !r1.au[a12].present && r1.au[a12].held_at_rest && r1.au[a12].probability == r0.au[a12].probability,
                      "AU12 against itself, still reading absent: present %d/%d held %d/%d p %.3f/%.3f (gate off/on)",
                      r0.au[a12].present, r1.au[a12].present, r0.au[a12].held_at_rest, r1.au[a12].held_at_rest,
                      r0.au[a12].probability, r1.au[a12].probability);
                m->threshold[a12] = t_still; /* the still reading shows it (the astronaut smiles): it stays */
                CHECK(au_read_features(m, f, ra.features, &nz, &r1, &e2) == 0 && ra.au[a12].present && r1.au[a12].present &&
                      !r1.au[a12].held_at_rest, "AU12 against itself, still reading present: present %d held %d",
                      r1.au[a12].present, r1.au[a12].held_at_rest);
                float edge = au_rest_edge(m, 12, 1);
                CHECK(isfinite(edge) && au_personal_gated(m, a12, 0.0f, 0.0f, 0.0f) &&
                      !au_personal_gated(m, a12, 0.0f, 0.0f, edge + 0.5f) && !au_personal_gated(m, a12, t_still, 0.0f, 0.0f) &&
                      au_personal_gated(m, a12, 0.0f, 0.0f, edge - 0.5f) && !au_personal_gated(m, a12, t_still, t_still, 0.0f),
                      "au_personal_gated around AU12's personal edge %.2f", edge);
                /* RULE23's "neutral" gate: the still reading no longer supports an AU that the person's neutral
                 * shows as a photo too. The astronaut against itself: its neutral smiles, so AU12 (not moved) is
                 * held back; a neutral that does not show it, or a movement beyond rest, lets it stay */
                m->personal_gate = AU_GATE_NEUTRAL;
                CHECK(au_read_features(m, f, ra.features, &nz, &r1, &e2) == 0 && !r1.au[a12].present &&
                      r1.au[a12].held_at_rest == 3, "AU12 against a neutral that smiles too: present %d held %d",
                      r1.au[a12].present, r1.au[a12].held_at_rest);
                CHECK(!au_personal_gated(m, a12, t_still, 0.0f, 0.0f) && au_personal_gated(m, a12, t_still, t_still, 0.0f) &&
                      !au_personal_gated(m, a12, t_still, t_still, edge + 0.5f), "the neutral gate around AU12's edge");
                /* RULE38's margin: a neutral that shows the AU dismisses the still reading only where the face's
                 * still logit is less than personal_gate_margin beyond the neutral's */
                {
                    float zt = logf(t_still / (1 - t_still));
                    float p3 = 1 / (1 + expf(-(zt + 3))), p2 = 1 / (1 + expf(-(zt + 2))), p05 = 1 / (1 + expf(-(zt + 0.5f)));
                    m->personal_gate_margin = 2.0f;
                    CHECK(!au_personal_gated(m, a12, p3, p05, 0.0f) && au_personal_gated(m, a12, p3, p2, 0.0f) == 3 &&
                          !au_personal_gated(m, a12, p3, 0.0f, 0.0f) && !au_personal_gated(m, a12, p2, p2, edge + 0.5f),
                          "the neutral gate's margin: 2.5 logits over the neutral %d, 1 logit %d",
                          au_personal_gated(m, a12, p3, p05, 0.0f), au_personal_gated(m, a12, p3, p2, 0.0f));
                    float keep_tp = m->threshold_personal[a12];
                    m->threshold_personal[a12] = t_pers; /* a loadable file */
                    gate_field_saved(m, &m->personal_gate_margin, "personal_gate_margin", tmp);
                    m->threshold_personal[a12] = keep_tp;
                    CHECK(au_personal_gated(m, a12, p3, p05, 0.0f) == 3, "without the margin the neutral gate holds AU12");
                    /* RULE39's rise: the still reading counts where its logit is personal_gate_rise or more over the
                     * neutral's, over its threshold or not; a smaller rise leaves the gates as they were */
                    float pm1 = 1 / (1 + expf(-(zt - 1))), pm4 = 1 / (1 + expf(-(zt - 4)));
                    m->personal_gate_rise = 2.0f;
                    CHECK(!au_personal_gated(m, a12, p3, p05, 0.0f) && au_personal_gated(m, a12, p3, p2, 0.0f) == 3 &&
                              !au_personal_gated(m, a12, pm1, pm4, 0.0f) && au_personal_gated(m, a12, pm1, p05, 0.0f) == 2,
                          "the rise of 2: 2.5 logits over the neutral %d, 1 logit %d; under the threshold, 3 logits over %d, "
                          "1.5 under %d", au_personal_gated(m, a12, p3, p05, 0.0f), au_personal_gated(m, a12, p3, p2, 0.0f),
                          au_personal_gated(m, a12, pm1, pm4, 0.0f), au_personal_gated(m, a12, pm1, p05, 0.0f));
                    m->threshold_personal[a12] = t_pers;
                    gate_field_saved(m, &m->personal_gate_rise, "personal_gate_rise", tmp);
                    m->threshold_personal[a12] = keep_tp;
                    CHECK(au_personal_gated(m, a12, pm1, pm4, 0.0f) == 2, "without the rise the still gate holds AU12");
                }
                m->threshold_personal[a12] = t_pers;
                static au_model back2;
                CHECK(au_model_save(m, tmp, &e2) == 0 && au_model_load(&back2, tmp, &e2) == 0 &&
                      back2.personal_gate == AU_GATE_NEUTRAL, "personal_gate neutral is not saved and loaded back (%s)", e2.msg);
                m->personal_gate = AU_GATE_MOVED;
                static au_model back;
                CHECK(au_model_save(m, tmp, &e2) == 0 && au_model_load(&back, tmp, &e2) == 0 && back.personal_gate == 1,
                      "personal_gate is not saved and loaded back (%s)", e2.msg);
                CHECK(saved_with(m, tmp, "personal_gate", "moved", "moves") &&
                      au_model_load(&back, tmp, &e2) == AUGUR_EFORMAT && strstr(e2.msg, "personal_gate"),
                      "a personal_gate of \"moves\" loads (%s)", e2.msg);
                m->personal_gate = 0;
                CHECK(au_model_save(m, tmp, &e2) == 0 && au_model_load(&back, tmp, &e2) == 0 && back.personal_gate == 0,
                      "a model without personal_gate loads with it (%s)", e2.msg);
            }
            m->has_measure_rest = m->has_measure_rest_personal = 0;
            rc = au_model_save(m, tmp, &e2);
            CHECK(rc == 0, "save: %s", e2.msg);
            struct augur_params q = p;
            q.au_model = tmp;
            augur_context *c2 = NULL;
            struct augur_face *h = NULL;
            int nh = 0;
            if (!rc && augur_init(&c2, &q) == 0 && augur_analyze_rgb(c2, img.rgb, img.w, img.h, &h, &nh) == 0 &&
                nh == 1) {
                const struct augur_au *v = au_of(&h[0], 12);
                CHECK(v && v->present && augur_measure_beyond_rest(v) == -1 && isnan(v->measure_rest_mm),
                      "a model without the range: AU12 beyond rest %d", v ? augur_measure_beyond_rest(v) : -2);
                CHECK(v && u12 && v->probability == u12->probability, "a model without the range reads otherwise");
            } else CHECK(0, "a model without the range of faces at rest: %s", c2 ? augur_errmsg(c2) : "init");
            augur_faces_free(h);
            augur_free(c2);
            m->has_measure_rest = 1;
            m->measure_rest[0][0] = 2.0f;
            m->measure_rest[1][0] = -2.0f;
            if (au_model_save(m, tmp, &e2) == 0) {
                rc = au_model_load(m, tmp, &e2);
                printf("a range of faces at rest upside down: %s\n", e2.msg);
                CHECK(rc == AUGUR_EFORMAT, "a range whose low end is over its high end loads (%d)", rc);
            }
        }
        if (tfd >= 0) remove(tmp);
        free(m);
    }

    augur_faces_free(faces);

    /* corrupt and missing AU models */
    char bad[] = "/tmp/augur-test-aumodel-XXXXXX";
    int fd = mkstemp(bad);
    if (fd >= 0) {
        FILE *fp = fdopen(fd, "w");
        fputs("{\"format\": \"augur.au_model\", \"n_features\": 3, \"mean\": [1, 2]}", fp);
        fclose(fp);
        const char *paths[2] = {bad, "/nonexistent/au.json"};
        for (int k = 0; k < 2; k++) {
            struct augur_params q = p;
            q.au_model = paths[k];
            augur_context *c2;
            augur_init(&c2, &q);
            struct augur_face *h = NULL;
            int nh = 0;
            int rc = augur_analyze_rgb(c2, img.rgb, img.w, img.h, &h, &nh);
            printf("AU model '%s': %s\n", paths[k], augur_errmsg(c2));
            CHECK(rc == (k ? AUGUR_EIO : AUGUR_EFORMAT), "bad AU model: code %d", rc);
            CHECK(strstr(augur_errmsg(c2), "AU model") != NULL, "message does not say which model");
            augur_faces_free(h);
            augur_free(c2);
        }
        remove(bad);
    }
    au_image_free(&img);
    augur_free(ctx);
    return t_finish();
}
