/*
 * au/model.c — the AU model at run time: prediction (standardised features,
 * one logistic regression per AU), the evidence map from AU margins, and
 * loading with validation (cJSON). Fitting and saving are the lab's
 * (lab/fit/au_fit.c). See model.h.
 */
#include "au/model.h"
#include "au/au.h"

#include "au/appearance.h"
#include "au/geometry.h"
#include "expr/classes.h"
#include "face/blendshapes.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

int au_area_of(int a)
{
    switch (au_defs[a].id) {
    case 1: case 2: case 4: case 5: case 7: case 43: case 45: return AU_AREA_UPPER;
    case 6: case 9: return AU_AREA_MID; /* the cheeks and crow's feet; the nose and glabella */
    default: return AU_AREA_LOWER;      /* 10, 12, 14-17, 20, 23-28: lips, corners, jaw, chin */
    }
}

/* The areas blendshape coefficient i (1..51) shows, by its MediaPipe name. */
static int blendshape_area(int i)
{
    const char *n = au_blendshape_name(i);
    if (!n) return 0;
    if (!strncmp(n, "browDown", 8)) return AU_AREA_UPPER | AU_AREA_MID; /* AU4, and AU9 lowers the brows */
    if (!strncmp(n, "brow", 4) || !strncmp(n, "eyeBlink", 8) || !strncmp(n, "eyeLook", 7) || !strncmp(n, "eyeWide", 7))
        return AU_AREA_UPPER;
    if (!strncmp(n, "eyeSquint", 9)) return AU_AREA_UPPER | AU_AREA_MID;
    if (!strncmp(n, "cheekSquint", 11)) return AU_AREA_MID;
    if (!strncmp(n, "noseSneer", 9)) return AU_AREA_MID | AU_AREA_LOWER;
    return AU_AREA_LOWER; /* cheekPuff, jaw*, mouth* */
}

int au_feature_area(int j)
{
    if (j < 0) return 0;
    if (j < AU_GEOM_N) return au_geometry_area(j);
    if (j < AU_GEOM_N + AU_APP_N) return au_hog_area(j - AU_GEOM_N);
    if (j < AU_FEAT_N) return blendshape_area(j - AU_GEOM_N - AU_APP_N + 1);
    return 0;
}

int au_model_feature_area(const au_model *m, int j)
{
    if (j < 0 || j >= m->n_feat) return 0;
    if (j < AU_GEOM_N) return au_geometry_area(j);
    j -= AU_GEOM_N;
    if (!m->use_appearance) return 0;
    if (j < AU_APP_N) return au_hog_area(j);
    j -= AU_APP_N;
    if (!m->use_blendshapes) return 0;
    if (!m->bs_symmetric) return blendshape_area(j + 1);
    /* au_model_input's symmetric layout: a coefficient with no side, or a pair's mean then |difference| */
    for (int i = 1, k = 0; i < AU_BLENDSHAPES; i++) {
        int mi = au_blendshape_mirror(i);
        int n = mi == i ? 1 : mi > i ? 2 : 0;
        if (j < k + n) return blendshape_area(i);
        k += n;
    }
    return 0;
}

void au_model_input(const au_model *m, const float *feat, float *x)
{
    memcpy(x, feat, (size_t)m->n_feat * sizeof *x);
    if (!m->use_blendshapes || !m->bs_symmetric) return;
    const float *bs = feat + AU_GEOM_N + AU_APP_N; /* coefficients 1..51 (0, "_neutral", is not a feature) */
    float *o = x + AU_GEOM_N + AU_APP_N;
    for (int i = 1; i < AU_BLENDSHAPES; i++) {
        int k = au_blendshape_mirror(i);
        if (k == i) *o++ = bs[i - 1];
        else if (k > i) {
            *o++ = 0.5f * (bs[i - 1] + bs[k - 1]);
            *o++ = fabsf(bs[i - 1] - bs[k - 1]);
        }
    }
}

void au_model_predict(const au_model *m, const float *feat, float prob[AU_COUNT])
{
    float z[AU_MAX_FEATURES];
    au_model_input(m, feat, z);
    for (int j = 0; j < m->n_feat; j++) z[j] = (z[j] - m->mean[j]) * m->scale[j];
    float s[AU_COUNT];
    au_model_logits(m, z, s);
    for (int a = 0; a < AU_COUNT; a++) prob[a] = m->trained[a] ? sigmoidf(s[a]) : -1;
}

void au_model_logits(const au_model *m, const float *z, float logit[AU_COUNT])
{
    float h[AU_MAX_HIDDEN];
    const float *x = z;
    int d = m->n_feat;
    if (m->hidden > 0) {
        int H = m->hidden;
        memcpy(h, m->b1, (size_t)H * sizeof *h);
        for (int j = 0; j < m->n_feat; j++) {
            const float zj = z[j], *w = m->w1t[j];
            if (zj != 0)
                for (int u = 0; u < H; u++) h[u] += zj * w[u];
        }
        for (int u = 0; u < H; u++) h[u] = h[u] > 0 ? h[u] : 0;
        x = h;
        d = H;
    }
    for (int a = 0; a < AU_COUNT; a++) {
        if (!m->trained[a]) { logit[a] = 0; continue; }
        double s = m->b[a];
        for (int j = 0; j < d; j++) s += (double)m->w[a][j] * x[j];
        logit[a] = (float)s;
    }
}

double au_prob_logit(double p)
{
    p = fmin(fmax(p, 1e-6), 1 - 1e-6);
    return log(p / (1 - p));
}

int au_model_validated(const au_model *m, int a)
{
    return !(m->min_auc > 0 && m->oof_auc[a] < m->min_auc); /* NaN (unknown): validated */
}

int au_ev_sign(int signs, int c, int a)
{
    int listed = expr_codebook_has(c, au_defs[a].id);
    if (signs == AU_EV_SIGNS_FACS) return listed ? 1 : -1;
    if (signs == AU_EV_SIGNS_FACS_FOR) return listed ? 0 : -1;
    return 0;
}

const char *au_ev_signs_name(int signs)
{
    return signs == AU_EV_SIGNS_FACS ? "facs" : signs == AU_EV_SIGNS_FACS_FOR ? "facs-for" : "free";
}

float au_model_margin(const au_model *m, int a, float p)
{
    if (!m->trained[a] || !au_model_validated(m, a)) return 0;
    float u = (float)(au_prob_logit(p) - au_prob_logit(m->threshold[a]));
    return fminf(AU_EV_CLAMP, fmaxf(-AU_EV_CLAMP, u));
}

void au_model_evidence_terms(const au_model *m, const float prob[AU_COUNT], float ev[AU_EV_CLASSES],
                             float terms[AU_COUNT][AU_EV_CLASSES])
{
    float u[AU_COUNT], mx = -1e30f, sum = 0;
    for (int a = 0; a < AU_COUNT; a++) u[a] = au_model_margin(m, a, prob[a]);
    for (int c = 0; c < AU_EV_CLASSES; c++) {
        float s = m->ev_b[c];
        for (int a = 0; a < AU_COUNT; a++) {
            /* + 0: a weight held at 0 (RULE37) times a negative margin is -0, which the JSON would write "-0" */
            float t = m->ev_w[c][a] * u[a] + 0.0f;
            if (terms) terms[a][c] = t;
            s += t;
        }
        ev[c] = s;
        if (s > mx) mx = s;
    }
    for (int c = 0; c < AU_EV_CLASSES; c++) sum += ev[c] = expf(ev[c] - mx);
    for (int c = 0; c < AU_EV_CLASSES; c++) ev[c] /= sum;
}

void au_model_evidence(const au_model *m, const float prob[AU_COUNT], float ev[AU_EV_CLASSES])
{
    au_model_evidence_terms(m, prob, ev, NULL);
}

/* Every stored number is bounded: a fitted model's values are within +-30
 * (docs/RELIABILITY.md), and a bound keeps sums of products finite, so a
 * hostile file cannot turn probabilities or evidence into inf/NaN. */
#define AU_MODEL_MAX_ABS 1e6

static int bounded(const cJSON *v)
{
    return cJSON_IsNumber(v) && fabs(v->valuedouble) <= AU_MODEL_MAX_ABS;
}

static int read_floats(const cJSON *a, float *out, int n)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) return -1;
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (!bounded(v)) return -1;
        out[i++] = (float)v->valuedouble;
    }
    return 0;
}

/* A string of base64 (OpenSSL's decoder) holding exactly n little-endian IEEE-754 float32 values, each
 * finite and bounded -> out (AU_F32_ENCODING). The network's hidden weights (253,000 numbers in the
 * shipped file) and the covered-area test's 44,000 are stored so: bit for bit the fitted floats, at a
 * third of their decimal size (models/au.json 4.06 MB -> 1.7 MB) and decoded in a fraction of the time. */
static int read_f32_base64(const cJSON *s, float *out, int n)
{
    if (!cJSON_IsString(s) || n < 1) return -1;
    size_t len = strlen(s->valuestring), want = 4 * (size_t)n;
    if (len != 4 * ((want + 2) / 3)) return -1;
    unsigned char *raw = malloc(len / 4 * 3 + 1);
    if (!raw) return -1;
    int got = EVP_DecodeBlock(raw, (const unsigned char *)s->valuestring, (int)len);
    int rc = got < (int)want ? -1 : 0;
    for (int i = 0; !rc && i < n; i++) {
        const unsigned char *b = raw + 4 * (size_t)i;
        uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        memcpy(&out[i], &u, sizeof u);
        if (!isfinite(out[i]) || fabsf(out[i]) > AU_MODEL_MAX_ABS) rc = -1;
    }
    free(raw);
    return rc;
}

/* "AU<n>" exactly (1 to 3 digits, nothing after) -> AU index, else -1 */
static int au_name_index(const char *s)
{
    if (!s || strncmp(s, "AU", 2)) return -1;
    int id = 0, k = 2;
    for (; s[k] >= '0' && s[k] <= '9' && k < 5; k++) id = id * 10 + (s[k] - '0');
    return k > 2 && !s[k] ? au_index(id) : -1;
}

/* An optional number of logits in [0, 20] that only the neutral gate reads (RULE38's margin, RULE39's rise): *out, 0
 * when absent; an error naming it otherwise. */
static int gate_logits(const cJSON *root, const char *name, int gate, float *out, const char *path, au_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);
    *out = 0.0f;
    if (!v) return 0;
    if (!(cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 20 && gate == AU_GATE_NEUTRAL))
        return au_fail(err, AUGUR_EFORMAT, "%s: %s must be a number of logits in [0, 20], with personal_gate \"neutral\"",
                       path, name);
    *out = (float)v->valuedouble;
    return 0;
}

int au_model_load(au_model *m, const char *path, au_error *err)
{
    uint8_t *text;
    size_t len;
    int rc = au_read_file(path, (size_t)16 << 20, 1, &text, &len, err);
    if (rc) return rc;
    cJSON *root = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    memset(m, 0, sizeof *m);
    rc = AUGUR_EFORMAT;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *nf = cJSON_GetObjectItemCaseSensitive(root, "n_features");
    if (!root || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "augur.au_model") || !cJSON_IsNumber(nf)) {
        cJSON_Delete(root);
        return au_fail(err, AUGUR_EFORMAT, "%s: not an augur AU model", path);
    }
    double nfv = nf->valuedouble;
    if (!(nfv >= 1 && nfv <= AU_MAX_FEATURES)) {
        cJSON_Delete(root);
        return au_fail(err, AUGUR_EFORMAT, "%s: n_features %g is out of range (1..%d)", path, nfv, AU_MAX_FEATURES);
    }
    m->n_feat = nf->valueint;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "source");
    if (cJSON_IsString(src)) snprintf(m->source, sizeof m->source, "%s", src->valuestring);
    const cJSON *ua = cJSON_GetObjectItemCaseSensitive(root, "use_appearance");
    m->use_appearance = cJSON_IsNumber(ua) ? ua->valueint : 0;
    const cJSON *ub = cJSON_GetObjectItemCaseSensitive(root, "use_blendshapes");
    m->use_blendshapes = cJSON_IsNumber(ub) ? ub->valueint : 0;
    const cJSON *sy = cJSON_GetObjectItemCaseSensitive(root, "blendshapes_symmetric");
    m->bs_symmetric = cJSON_IsNumber(sy) ? sy->valueint : 0;
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(root, "personal_shift");
    if (ps && !(cJSON_IsString(ps) && (!strcmp(ps->valuestring, "all") || !strcmp(ps->valuestring, "geometry")))) {
        cJSON_Delete(root);
        return au_fail(err, AUGUR_EFORMAT, "%s: personal_shift must be \"all\" or \"geometry\"", path);
    }
    m->personal_all = ps && !strcmp(ps->valuestring, "all");
    const cJSON *pg = cJSON_GetObjectItemCaseSensitive(root, "personal_gate");
    if (pg && !(cJSON_IsString(pg) && (!strcmp(pg->valuestring, "moved") || !strcmp(pg->valuestring, "neutral") ||
                                       !strcmp(pg->valuestring, "none")))) {
        cJSON_Delete(root);
        return au_fail(err, AUGUR_EFORMAT, "%s: personal_gate must be \"moved\", \"neutral\" or \"none\"", path);
    }
    m->personal_gate = !pg ? 0 : !strcmp(pg->valuestring, "moved") ? AU_GATE_MOVED
                     : !strcmp(pg->valuestring, "neutral") ? AU_GATE_NEUTRAL : 0;
    int grc = gate_logits(root, "personal_gate_margin", m->personal_gate, &m->personal_gate_margin, path, err);
    if (!grc) grc = gate_logits(root, "personal_gate_rise", m->personal_gate, &m->personal_gate_rise, path, err);
    if (grc) {
        cJSON_Delete(root);
        return grc;
    }
    /* the features this code computes are fixed: a model for other ones cannot be used */
    if ((m->use_appearance < 0 || m->use_appearance > 2) || (m->use_blendshapes != 0 && m->use_blendshapes != 1) ||
        (m->use_blendshapes && !m->use_appearance) || (m->bs_symmetric != 0 && m->bs_symmetric != 1) ||
        (m->bs_symmetric && !m->use_blendshapes)) {
        cJSON_Delete(root);
        return au_fail(err, AUGUR_EFORMAT, "%s: use_appearance %d, use_blendshapes %d, blendshapes_symmetric %d name "
                       "no features augur computes (use_appearance 0-2; the blendshapes need appearance)",
                       path, m->use_appearance, m->use_blendshapes, m->bs_symmetric);
    }
    int want = AU_GEOM_N + (m->use_appearance ? AU_APP_N : 0) + (m->use_blendshapes ? AU_BS_N : 0);
    if (m->n_feat != want) {
        cJSON_Delete(root);
        return au_fail(err, AUGUR_EFORMAT, "%s: n_features %d does not match the features augur computes (%d%s)",
                       path, m->n_feat, want,
                       m->use_blendshapes ? ": geometry + appearance + blendshapes"
                       : m->use_appearance ? ": geometry + appearance" : ": geometry");
    }
    if (read_floats(cJSON_GetObjectItemCaseSensitive(root, "mean"), m->mean, m->n_feat) ||
        read_floats(cJSON_GetObjectItemCaseSensitive(root, "scale"), m->scale, m->n_feat))
        goto bad;
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(root, "neutral_mean");
    if (nm) {
        if (read_floats(nm, m->neutral_mean, m->n_feat)) goto bad;
        m->has_neutral_mean = 1;
    }
    /* the range of faces at rest of the named measurements (optional: models before 2026-12-07 have none) */
    for (int k = 0; k < 2; k++) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(root, k ? "measure_rest_personal_mm" : "measure_rest_mm");
        if (!r) continue;
        float (*q)[AU_M_COUNT] = k ? m->measure_rest_personal : m->measure_rest;
        if (!cJSON_IsObject(r) || read_floats(cJSON_GetObjectItemCaseSensitive(r, "low"), q[0], AU_M_COUNT) ||
            read_floats(cJSON_GetObjectItemCaseSensitive(r, "high"), q[1], AU_M_COUNT))
            goto bad;
        for (int j = 0; j < AU_M_COUNT; j++)
            if (!(q[0][j] <= q[1][j])) goto bad;
        *(k ? &m->has_measure_rest_personal : &m->has_measure_rest) = 1;
    }
    /* RULE34: an AU whose own held-out ranking is under min_auc is not claimed (optional: files before
     * 2026-12-07 have neither, and every AU counts) */
    for (int a = 0; a < AU_COUNT; a++) m->oof_auc[a] = NAN;
    const cJSON *ma = cJSON_GetObjectItemCaseSensitive(root, "min_auc");
    if (ma && !(cJSON_IsNumber(ma) && ma->valuedouble >= 0 && ma->valuedouble <= 1)) goto bad;
    m->min_auc = ma ? (float)ma->valuedouble : 0;
    const cJSON *hd = cJSON_GetObjectItemCaseSensitive(root, "hidden");
    if (hd) {
        const cJSON *hw = cJSON_GetObjectItemCaseSensitive(root, "hidden_weights");
        /* each unit's weights: a base64 string of float32 (AU_F32_ENCODING, files since 2026-12-07) or,
         * without "hidden_encoding", an array of numbers (the files before) */
        const cJSON *enc = cJSON_GetObjectItemCaseSensitive(root, "hidden_encoding");
        if (!cJSON_IsNumber(hd) || !(hd->valuedouble >= 1 && hd->valuedouble <= AU_MAX_HIDDEN) ||
            hd->valuedouble != (double)hd->valueint || !cJSON_IsArray(hw) || cJSON_GetArraySize(hw) != hd->valueint ||
            (enc && (!cJSON_IsString(enc) || strcmp(enc->valuestring, AU_F32_ENCODING))) ||
            read_floats(cJSON_GetObjectItemCaseSensitive(root, "hidden_bias"), m->b1, hd->valueint))
            goto bad;
        m->hidden = hd->valueint;
        int u = 0;
        const cJSON *row;
        float unit[AU_MAX_FEATURES];
        cJSON_ArrayForEach(row, hw) {
            if (enc ? read_f32_base64(row, unit, m->n_feat) : read_floats(row, unit, m->n_feat)) goto bad;
            for (int j = 0; j < m->n_feat; j++) m->w1t[j][u] = unit[j];
            u++;
        }
    }
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root, "aus")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "au");
        int a = cJSON_IsNumber(id) ? au_index(id->valueint) : -1;
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(o, "threshold");
        const cJSON *tp = cJSON_GetObjectItemCaseSensitive(o, "threshold_personal");
        const cJSON *ir = cJSON_GetObjectItemCaseSensitive(o, "intensity_ref");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bias");
        const cJSON *pos = cJSON_GetObjectItemCaseSensitive(o, "positives");
        const cJSON *rg = cJSON_GetObjectItemCaseSensitive(o, "regional");
        const cJSON *vr = cJSON_GetObjectItemCaseSensitive(o, "video_reading");
        const cJSON *gate = cJSON_GetObjectItemCaseSensitive(o, "rest_gate");
        const cJSON *auc = cJSON_GetObjectItemCaseSensitive(o, "oof_auc");
        if (auc && !(cJSON_IsNumber(auc) && auc->valuedouble >= 0 && auc->valuedouble <= 1)) goto bad;
        if (vr && !(cJSON_IsString(vr) && (!strcmp(vr->valuestring, "still") || !strcmp(vr->valuestring, "personal"))))
            goto bad;
        if (a < 0 || !cJSON_IsNumber(th) || !cJSON_IsNumber(ir) || !cJSON_IsNumber(b) ||
            read_floats(cJSON_GetObjectItemCaseSensitive(o, "weights"), m->w[a], m->hidden ? m->hidden : m->n_feat))
            goto bad;
        m->threshold[a] = (float)th->valuedouble;
        m->threshold_personal[a] = tp ? (float)tp->valuedouble : m->threshold[a];
        m->intensity_ref[a] = (float)ir->valuedouble;
        m->still_in_video[a] = vr && !strcmp(vr->valuestring, "still");
        /* a gate needs the measurement it reads; without a range of faces at rest it has no effect */
        if (gate && !(cJSON_IsNumber(gate) && (gate->valueint == 0 || gate->valueint == 1) &&
                      (gate->valueint == 0 || au_measure_of(au_defs[a].id) >= 0)))
            goto bad;
        m->rest_gate[a] = gate ? gate->valueint : 0;
        if (auc) m->oof_auc[a] = (float)auc->valuedouble;
        m->b[a] = (float)b->valuedouble;
        m->n_pos[a] = cJSON_IsNumber(pos) ? pos->valueint : 0;
        if (!(m->threshold[a] > 0 && m->threshold[a] < 1) || (tp && !cJSON_IsNumber(tp)) ||
            !(m->threshold_personal[a] > 0 && m->threshold_personal[a] < 1) || !bounded(ir) || !bounded(b))
            goto bad;
        m->trained[a] = 1;
        if (rg && !(cJSON_IsNumber(rg) && (rg->valueint == 0 || rg->valueint == 1))) goto bad;
        if (rg && rg->valueint && m->hidden) goto bad; /* a shared hidden layer reads every feature */
        m->regional[a] = rg ? rg->valueint : 0;
        /* a regional AU says which evidence it reads: hold it to that */
        for (int j = 0; m->regional[a] && j < m->n_feat; j++)
            if (m->w[a][j] != 0 && !(au_model_feature_area(m, j) & au_area_of(a))) {
                cJSON_Delete(root);
                return au_fail(err, AUGUR_EFORMAT, "%s: AU%d is regional but weighs feature %d outside its face areas",
                               path, au_defs[a].id, j);
            }
    }
    const cJSON *cv = cJSON_GetObjectItemCaseSensitive(root, "cover");
    if (cv) { /* the HOG's principal subspaces (au/cover.h): only beside the HOG they describe */
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(cv, "components");
        const cJSON *areas = cJSON_GetObjectItemCaseSensitive(cv, "areas");
        const cJSON *enc = cJSON_GetObjectItemCaseSensitive(cv, "encoding");
        if (!m->use_appearance || !cJSON_IsNumber(k) || k->valuedouble != AU_COVER_K || !cJSON_IsArray(areas) ||
            cJSON_GetArraySize(areas) != AU_COVER_AREAS || !cJSON_IsString(enc) || strcmp(enc->valuestring, AU_COVER_ENCODING))
            goto bad;
        int c = 0, first, n;
        cJSON_ArrayForEach(o, areas) {
            au_cover_area(c, &first, &n);
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "area");
            const cJSON *edge = cJSON_GetObjectItemCaseSensitive(o, "edge");
            const cJSON *basis = cJSON_GetObjectItemCaseSensitive(o, "basis");
            if (!cJSON_IsString(name) || strcmp(name->valuestring, au_cover_area_name(c)) || !bounded(edge) ||
                !(edge->valuedouble > 0) ||
                read_f32_base64(cJSON_GetObjectItemCaseSensitive(o, "mean"), m->cover.mean[c], n))
                goto bad;
            m->cover.edge[c] = (float)edge->valuedouble;
            float *b = malloc((size_t)AU_COVER_K * n * sizeof *b);
            int brc = !b || read_f32_base64(basis, b, AU_COVER_K * n);
            for (int p = 0; !brc && p < AU_COVER_K; p++) memcpy(m->cover.basis[c][p], b + (size_t)p * n, (size_t)n * sizeof *b);
            free(b);
            if (brc) goto bad;
            c++;
        }
        m->cover.has = 1;
    }
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "evidence");
    if (ev) {
        if (!cJSON_IsArray(ev) || cJSON_GetArraySize(ev) != AU_EV_CLASSES) goto bad;
        int c = 0;
        cJSON_ArrayForEach(o, ev) {
            const cJSON *cl = cJSON_GetObjectItemCaseSensitive(o, "class");
            const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bias");
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "weights");
            if (!cJSON_IsString(cl) || strcmp(cl->valuestring, augur_expression_name(c)) || !bounded(b) ||
                !cJSON_IsObject(w))
                goto bad;
            m->ev_b[c] = (float)b->valuedouble;
            const cJSON *v;
            cJSON_ArrayForEach(v, w) {
                int a = au_name_index(v->string);
                if (a < 0 || !m->trained[a] || !bounded(v)) goto bad;
                m->ev_w[c][a] = (float)v->valuedouble;
            }
            c++;
        }
        m->has_evidence = 1;
        /* RULE36/RULE37: a map that says it is signed as the FACS codebook signs it must be (a file that claims the
         * signs and breaks one is refused, so that "AUx indicates C" in a trace always names an AU the codebook
         * lists) */
        const cJSON *signs = cJSON_GetObjectItemCaseSensitive(root, "evidence_signs");
        if (signs) {
            int sg = !cJSON_IsString(signs) ? 0 : !strcmp(signs->valuestring, au_ev_signs_name(AU_EV_SIGNS_FACS))
                     ? AU_EV_SIGNS_FACS : !strcmp(signs->valuestring, au_ev_signs_name(AU_EV_SIGNS_FACS_FOR))
                     ? AU_EV_SIGNS_FACS_FOR : 0;
            if (!sg) goto bad;
            for (int k = 0; k < AU_EV_CLASSES; k++)
                for (int a = 0; a < AU_COUNT; a++)
                    if (au_ev_sign(sg, k, a) * m->ev_w[k][a] < 0) {
                        cJSON_Delete(root);
                        return au_fail(err, AUGUR_EFORMAT, "%s: the evidence map says its weights are signed as the "
                                       "FACS codebook signs them (evidence_signs %s), but AU%d weighs %+g for %s", path,
                                       au_ev_signs_name(sg), au_defs[a].id, m->ev_w[k][a], augur_expression_name(k));
                    }
            m->ev_signed = sg;
        }
    }
    cJSON_Delete(root);
    return 0;
bad:
    cJSON_Delete(root);
    return au_fail(err, rc, "%s: malformed AU model (missing or non-numeric fields)", path);
}
