/*
 * au/model.c — logistic-regression AU calibration: fitting (Newton's method
 * with an L2 ridge, class-balanced weights), threshold choice, prediction,
 * and JSON persistence (cJSON). See model.h.
 */
#include "au/model.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

void au_model_predict(const au_model *m, const float *feat, float prob[AU_COUNT])
{
    float z[AU_MAX_FEATURES];
    for (int j = 0; j < m->n_feat; j++) z[j] = (feat[j] - m->mean[j]) * m->scale[j];
    for (int a = 0; a < AU_COUNT; a++) {
        if (!m->trained[a]) { prob[a] = -1; continue; }
        double s = m->b[a];
        for (int j = 0; j < m->n_feat; j++) s += (double)m->w[a][j] * z[j];
        prob[a] = sigmoidf((float)s);
    }
}

/* Cholesky solve of the (d x d) SPD system H x = g in place (x -> g). */
static int chol_solve(double *H, double *g, int d)
{
    for (int j = 0; j < d; j++) {
        double s = H[j * d + j];
        for (int k = 0; k < j; k++) s -= H[j * d + k] * H[j * d + k];
        if (s <= 1e-12) return -1;
        double l = sqrt(s);
        H[j * d + j] = l;
        for (int i = j + 1; i < d; i++) {
            double t = H[i * d + j];
            for (int k = 0; k < j; k++) t -= H[i * d + k] * H[j * d + k];
            H[i * d + j] = t / l;
        }
    }
    for (int i = 0; i < d; i++) { /* L y = g */
        double t = g[i];
        for (int k = 0; k < i; k++) t -= H[i * d + k] * g[k];
        g[i] = t / H[i * d + i];
    }
    for (int i = d - 1; i >= 0; i--) { /* L^T x = y */
        double t = g[i];
        for (int k = i + 1; k < d; k++) t -= H[k * d + i] * g[k];
        g[i] = t / H[i * d + i];
    }
    return 0;
}

/* Weighted L2 logistic regression on standardised Z (n x d), labels t in {0,1}
 * for rows with mask; weights balance the classes. Output w (d) and b. */
static int fit_lr(const float *Z, const signed char *t, int stride_t, const unsigned char *mask, int n, int d,
                  double l2, float *w_out, float *b_out)
{
    int D = d + 1; /* last = bias */
    double *H = malloc((size_t)D * D * sizeof *H), *g = malloc((size_t)D * sizeof *g);
    double *w = calloc((size_t)D, sizeof *w);
    if (!H || !g || !w) { free(H); free(g); free(w); return -1; }
    int npos = 0, nneg = 0;
    for (int i = 0; i < n; i++)
        if (mask[i] && t[(size_t)i * stride_t] >= 0) { if (t[(size_t)i * stride_t]) npos++; else nneg++; }
    double wp = npos ? 0.5 * (npos + nneg) / npos : 0, wn = nneg ? 0.5 * (npos + nneg) / nneg : 0;
    int rc = 0;
    for (int it = 0; it < 25; it++) {
        memset(H, 0, (size_t)D * D * sizeof *H);
        memset(g, 0, (size_t)D * sizeof *g);
        for (int i = 0; i < n; i++) {
            int y = t[(size_t)i * stride_t];
            if (!mask[i] || y < 0) continue;
            const float *z = Z + (size_t)i * d;
            double s = w[d];
            for (int j = 0; j < d; j++) s += w[j] * z[j];
            double p = 1.0 / (1.0 + exp(-s)), cw = y ? wp : wn;
            double r = cw * (p - y), h = cw * p * (1 - p);
            for (int j = 0; j < d; j++) {
                g[j] += r * z[j];
                double hz = h * z[j];
                for (int k = 0; k <= j; k++) H[j * D + k] += hz * z[k];
                H[d * D + j] += hz;
            }
            g[d] += r;
            H[d * D + d] += h;
        }
        for (int j = 0; j < d; j++) { g[j] += l2 * w[j]; H[j * D + j] += l2; }
        H[d * D + d] += 1e-6;
        for (int j = 0; j < D; j++) /* symmetrise (lower triangle filled) */
            for (int k = j + 1; k < D; k++) H[j * D + k] = H[k * D + j];
        double gn = 0;
        for (int j = 0; j < D; j++) gn += g[j] * g[j];
        if (chol_solve(H, g, D)) { rc = -1; break; }
        for (int j = 0; j < D; j++) w[j] -= g[j];
        if (gn < 1e-10) break;
    }
    for (int j = 0; j < d; j++) w_out[j] = (float)w[j];
    *b_out = (float)w[d];
    free(H); free(g); free(w);
    return rc;
}

static double logit(const float *z, const float *w, float b, int d)
{
    double s = b;
    for (int j = 0; j < d; j++) s += (double)w[j] * z[j];
    return s;
}

/* Threshold on probability maximising F1 over (score, label) pairs. */
static float best_threshold(const double *score, const signed char *lab, int m)
{
    float best_t = 0.5f;
    double best_f = -1;
    for (int k = 1; k < 40; k++) {
        double th = k / 40.0, lt = log(th / (1 - th));
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < m; i++) {
            int pr = score[i] >= lt;
            tp += pr && lab[i];
            fp += pr && !lab[i];
            fn += !pr && lab[i];
        }
        double f = tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
        if (f > best_f + 1e-9) { best_f = f; best_t = (float)th; }
    }
    return best_t;
}

int au_model_fit(au_model *m, const float *X, const signed char *y, const int *groups, int n, int n_feat,
                 float l2, int min_pos, au_error *err)
{
    if (n_feat > AU_MAX_FEATURES) return au_fail(err, AUGUR_EARG, "too many features (%d)", n_feat);
    if (n < 10) return au_fail(err, AUGUR_EARG, "too few training samples (%d)", n);
    memset(m->trained, 0, sizeof m->trained);
    m->n_feat = n_feat;
    m->n_train = n;
    for (int j = 0; j < n_feat; j++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < n; i++) { s += X[(size_t)i * n_feat + j]; s2 += (double)X[(size_t)i * n_feat + j] * X[(size_t)i * n_feat + j]; }
        double mu = s / n, var = s2 / n - mu * mu;
        m->mean[j] = (float)mu;
        m->scale[j] = var > 1e-12 ? (float)(1.0 / sqrt(var)) : 0.0f;
    }
    float *Z = malloc((size_t)n * n_feat * sizeof *Z);
    unsigned char *mask = malloc((size_t)n);
    double *score = malloc((size_t)n * sizeof *score);
    signed char *lab = malloc((size_t)n);
    float *wtmp = malloc(AU_MAX_FEATURES * sizeof *wtmp);
    if (!Z || !mask || !score || !lab || !wtmp) {
        free(Z); free(mask); free(score); free(lab); free(wtmp);
        return au_fail(err, AUGUR_ENOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n_feat; j++) Z[(size_t)i * n_feat + j] = (X[(size_t)i * n_feat + j] - m->mean[j]) * m->scale[j];
    int rc = 0;
    for (int a = 0; a < AU_COUNT && !rc; a++) {
        int pos = 0;
        for (int i = 0; i < n; i++) pos += y[(size_t)i * AU_COUNT + a] == 1;
        m->n_pos[a] = pos;
        if (pos < min_pos) continue;
        /* ridge strength and threshold from out-of-fold scores over 3 subject folds
         * (nested inside whatever split the caller made): the l2 among
         * {l2/10, l2, 10*l2} whose best-threshold F1 is highest */
        double best_f1 = -1;
        float best_l2 = l2;
        for (int c = 0; c < 3 && groups && !rc; c++) {
            float l2c = l2 * (c == 0 ? 0.1f : c == 1 ? 1.0f : 10.0f);
            int mcount = 0;
            for (int f = 0; f < 3; f++) {
                for (int i = 0; i < n; i++) mask[i] = (groups[i] % 3) != f;
                if (fit_lr(Z, y + a, AU_COUNT, mask, n, n_feat, l2c, wtmp, &m->b[a])) { rc = -1; break; }
                for (int i = 0; i < n; i++) {
                    if ((groups[i] % 3) != f || y[(size_t)i * AU_COUNT + a] < 0) continue;
                    score[mcount] = logit(Z + (size_t)i * n_feat, wtmp, m->b[a], n_feat);
                    lab[mcount++] = y[(size_t)i * AU_COUNT + a];
                }
            }
            float th = best_threshold(score, lab, mcount);
            double lt = log(th / (1 - th));
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < mcount; i++) {
                int pr = score[i] >= lt;
                tp += pr && lab[i]; fp += pr && !lab[i]; fn += !pr && lab[i];
            }
            double f1 = tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
            if (f1 > best_f1 + 1e-9) { best_f1 = f1; best_l2 = l2c; m->threshold[a] = th; }
        }
        if (rc) break;
        memset(mask, 1, (size_t)n);
        if (fit_lr(Z, y + a, AU_COUNT, mask, n, n_feat, best_l2, m->w[a], &m->b[a])) { rc = -1; break; }
        m->l2[a] = best_l2;
        if (!groups) { /* no subject groups: threshold from in-sample scores */
            int mcount = 0;
            for (int i = 0; i < n; i++) {
                if (y[(size_t)i * AU_COUNT + a] < 0) continue;
                score[mcount] = logit(Z + (size_t)i * n_feat, m->w[a], m->b[a], n_feat);
                lab[mcount++] = y[(size_t)i * AU_COUNT + a];
            }
            m->threshold[a] = best_threshold(score, lab, mcount);
        }
        /* intensity reference: 95th percentile of the positives' logits */
        double *pl = malloc((size_t)pos * sizeof *pl);
        int np = 0;
        for (int i = 0; pl && i < n; i++)
            if (y[(size_t)i * AU_COUNT + a] == 1) pl[np++] = logit(Z + (size_t)i * n_feat, m->w[a], m->b[a], n_feat);
        for (int i = 1; i < np; i++)
            for (int j = i; j > 0 && pl[j] < pl[j - 1]; j--) { double t = pl[j]; pl[j] = pl[j - 1]; pl[j - 1] = t; }
        m->intensity_ref[a] = np ? (float)pl[(int)(0.95 * (np - 1))] : 4.0f;
        free(pl);
        m->trained[a] = 1;
    }
    free(Z); free(mask); free(score); free(lab); free(wtmp);
    if (rc) return au_fail(err, AUGUR_EINTERNAL, "AU regression did not converge (singular system)");
    return 0;
}

static cJSON *float_array(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

int au_model_save(const au_model *m, const char *path, au_error *err)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    cJSON_AddStringToObject(root, "format", "augur.au_model");
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddStringToObject(root, "source", m->source);
    cJSON_AddNumberToObject(root, "n_features", m->n_feat);
    cJSON_AddNumberToObject(root, "use_appearance", m->use_appearance);
    cJSON_AddNumberToObject(root, "n_train", m->n_train);
    cJSON_AddItemToObject(root, "mean", float_array(m->mean, m->n_feat));
    cJSON_AddItemToObject(root, "scale", float_array(m->scale, m->n_feat));
    cJSON *aus = cJSON_AddArrayToObject(root, "aus");
    for (int a = 0; a < AU_COUNT; a++) {
        if (!m->trained[a]) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "au", au_defs[a].id);
        cJSON_AddNumberToObject(o, "positives", m->n_pos[a]);
        cJSON_AddNumberToObject(o, "threshold", m->threshold[a]);
        cJSON_AddNumberToObject(o, "l2", m->l2[a]);
        cJSON_AddNumberToObject(o, "intensity_ref", m->intensity_ref[a]);
        cJSON_AddNumberToObject(o, "bias", m->b[a]);
        cJSON_AddItemToObject(o, "weights", float_array(m->w[a], m->n_feat));
        cJSON_AddItemToArray(aus, o);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) { free(text); return au_fail(err, AUGUR_EIO, "cannot write '%s'", tmp); }
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    free(text);
    if (bad || rename(tmp, path)) { remove(tmp); return au_fail(err, AUGUR_EIO, "cannot write '%s'", path); }
    return 0;
}

static int read_floats(const cJSON *a, float *out, int n)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) return -1;
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return -1;
        out[i++] = (float)v->valuedouble;
    }
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
    if (!root || !cJSON_IsString(fmt) || strcmp(fmt->valuestring, "augur.au_model") || !cJSON_IsNumber(nf) ||
        nf->valueint < 1 || nf->valueint > AU_MAX_FEATURES) {
        cJSON_Delete(root);
        return au_fail(err, AUGUR_EFORMAT, "%s: not an augur AU model", path);
    }
    m->n_feat = nf->valueint;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "source");
    if (cJSON_IsString(src)) snprintf(m->source, sizeof m->source, "%s", src->valuestring);
    const cJSON *ua = cJSON_GetObjectItemCaseSensitive(root, "use_appearance");
    m->use_appearance = cJSON_IsNumber(ua) ? ua->valueint : 0;
    if (read_floats(cJSON_GetObjectItemCaseSensitive(root, "mean"), m->mean, m->n_feat) ||
        read_floats(cJSON_GetObjectItemCaseSensitive(root, "scale"), m->scale, m->n_feat))
        goto bad;
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root, "aus")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "au");
        int a = cJSON_IsNumber(id) ? au_index(id->valueint) : -1;
        const cJSON *th = cJSON_GetObjectItemCaseSensitive(o, "threshold");
        const cJSON *ir = cJSON_GetObjectItemCaseSensitive(o, "intensity_ref");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "bias");
        const cJSON *pos = cJSON_GetObjectItemCaseSensitive(o, "positives");
        if (a < 0 || !cJSON_IsNumber(th) || !cJSON_IsNumber(ir) || !cJSON_IsNumber(b) ||
            read_floats(cJSON_GetObjectItemCaseSensitive(o, "weights"), m->w[a], m->n_feat))
            goto bad;
        m->threshold[a] = (float)th->valuedouble;
        m->intensity_ref[a] = (float)ir->valuedouble;
        m->b[a] = (float)b->valuedouble;
        m->n_pos[a] = cJSON_IsNumber(pos) ? pos->valueint : 0;
        m->trained[a] = 1;
    }
    cJSON_Delete(root);
    return 0;
bad:
    cJSON_Delete(root);
    return au_fail(err, rc, "%s: malformed AU model (missing or non-numeric fields)", path);
}
