/*
 * lab/eval/fusion.c — multinomial logistic regression on [log p, log e] by
 * Newton's method, and its JSON form. See fusion.h.
 */
#include "eval/fusion.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FU_D (FU_F + 1)          /* features + bias */
#define FU_P (FU_K * FU_D)       /* parameters */
#define FU_EPS 1e-6

void fu_features(const float prob[FU_K], const float evidence[FU_K], double x[FU_F])
{
    for (int k = 0; k < FU_K; k++) {
        x[k] = log(prob[k] > FU_EPS ? prob[k] : FU_EPS);
        x[FU_K + k] = log(evidence[k] > FU_EPS ? evidence[k] : FU_EPS);
    }
}

int fu_poe(const float prob[FU_K], const float evidence[FU_K], double w)
{
    double x[FU_F];
    fu_features(prob, evidence, x);
    int best = 0;
    double bz = -INFINITY;
    for (int k = 0; k < FU_K; k++) {
        double z = x[k] + w * x[FU_K + k];
        if (z > bz) { bz = z; best = k; }
    }
    return best;
}

int fu_predict(const fu_model *m, const double x[FU_F], double z[FU_K])
{
    int best = 0;
    double bz = -INFINITY;
    for (int k = 0; k < FU_K; k++) {
        double s = m->b[k];
        for (int j = 0; j < FU_F; j++) s += m->A[k][j] * x[j];
        if (z) z[k] = s;
        if (s > bz) { bz = s; best = k; }
    }
    return best;
}

static void softmax(const double *th, const double *xt, double *p)
{
    double mx = -INFINITY;
    for (int k = 0; k < FU_K; k++) {
        double s = 0;
        for (int d = 0; d < FU_D; d++) s += th[k * FU_D + d] * xt[d];
        p[k] = s;
        if (s > mx) mx = s;
    }
    double sum = 0;
    for (int k = 0; k < FU_K; k++) { p[k] = exp(p[k] - mx); sum += p[k]; }
    for (int k = 0; k < FU_K; k++) p[k] /= sum;
}

/* objective: mean weighted cross-entropy + penalty; ce (may be NULL) gets the first part */
static double objective(const double *th, const double *Xt, const int *y, const double *w, int n, double W,
                        const double *pen, double *ce)
{
    double l = 0, p[FU_K];
    for (int i = 0; i < n; i++) {
        softmax(th, Xt + (size_t)i * FU_D, p);
        l -= (w ? w[i] : 1.0) * log(p[y[i]] > 1e-300 ? p[y[i]] : 1e-300);
    }
    l /= W;
    if (ce) *ce = l;
    for (int q = 0; q < FU_P; q++) l += 0.5 * pen[q] * th[q] * th[q];
    return l;
}

/* Cholesky solve of the symmetric positive-definite H (P x P, overwritten) for g; 0 or -1 if not PD */
static int chol_solve(double *H, const double *g, double *x)
{
    int n = FU_P;
    for (int j = 0; j < n; j++) {
        double s = H[j * n + j];
        for (int k = 0; k < j; k++) s -= H[j * n + k] * H[j * n + k];
        if (!(s > 0)) return -1;
        H[j * n + j] = sqrt(s);
        for (int i = j + 1; i < n; i++) {
            double t = H[i * n + j];
            for (int k = 0; k < j; k++) t -= H[i * n + k] * H[j * n + k];
            H[i * n + j] = t / H[j * n + j];
        }
    }
    for (int i = 0; i < n; i++) { /* L y = g */
        double t = g[i];
        for (int k = 0; k < i; k++) t -= H[i * n + k] * x[k];
        x[i] = t / H[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) { /* L^T x = y */
        double t = x[i];
        for (int k = i + 1; k < n; k++) t -= H[k * n + i] * x[k];
        x[i] = t / H[i * n + i];
    }
    return 0;
}

int fu_fit(const double *X, const int *y, const double *w, int n, double l2, fu_model *m, au_error *err)
{
    memset(m, 0, sizeof *m);
    if (n < 1) return au_fail(err, AUGUR_EARG, "no rows to fit the fusion on");
    double W = 0, mu[FU_F] = {0}, sd[FU_F] = {0};
    for (int i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= FU_K) return au_fail(err, AUGUR_EARG, "fusion: label %d out of range", y[i]);
        double wi = w ? w[i] : 1.0;
        W += wi;
        for (int j = 0; j < FU_F; j++) mu[j] += wi * X[(size_t)i * FU_F + j];
    }
    if (!(W > 0)) return au_fail(err, AUGUR_EARG, "fusion: row weights sum to 0");
    for (int j = 0; j < FU_F; j++) mu[j] /= W;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < FU_F; j++) {
            double d = X[(size_t)i * FU_F + j] - mu[j];
            sd[j] += (w ? w[i] : 1.0) * d * d;
        }
    for (int j = 0; j < FU_F; j++) sd[j] = sqrt(sd[j] / W) > 1e-9 ? sqrt(sd[j] / W) : 1.0;

    double *Xt = malloc((size_t)n * FU_D * sizeof *Xt);
    double *H = malloc((size_t)FU_P * FU_P * sizeof *H);
    if (!Xt || !H) { free(Xt); free(H); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < FU_F; j++) Xt[(size_t)i * FU_D + j] = (X[(size_t)i * FU_F + j] - mu[j]) / sd[j];
        Xt[(size_t)i * FU_D + FU_F] = 1.0;
    }
    double th[FU_P] = {0}, pen[FU_P], g[FU_P], step[FU_P], trial[FU_P], p[FU_K];
    for (int k = 0; k < FU_K; k++)
        for (int d = 0; d < FU_D; d++) pen[k * FU_D + d] = d < FU_F ? l2 : l2 * 1e-6 + 1e-9;
    double f = objective(th, Xt, y, w, n, W, pen, NULL);
    int it;
    for (it = 0; it < 100; it++) {
        memset(H, 0, (size_t)FU_P * FU_P * sizeof *H);
        for (int q = 0; q < FU_P; q++) g[q] = pen[q] * th[q];
        for (int i = 0; i < n; i++) {
            const double *xt = Xt + (size_t)i * FU_D;
            double wi = (w ? w[i] : 1.0) / W;
            softmax(th, xt, p);
            for (int k = 0; k < FU_K; k++) {
                double r = wi * (p[k] - (y[i] == k));
                for (int d = 0; d < FU_D; d++) g[k * FU_D + d] += r * xt[d];
                for (int l = k; l < FU_K; l++) {
                    double c = wi * p[k] * ((k == l) - p[l]);
                    if (c == 0) continue;
                    for (int d = 0; d < FU_D; d++) {
                        double cd = c * xt[d];
                        double *row = H + (size_t)(k * FU_D + d) * FU_P + l * FU_D;
                        for (int e = 0; e < FU_D; e++) row[e] += cd * xt[e];
                    }
                }
            }
        }
        double gmax = 0;
        for (int q = 0; q < FU_P; q++) gmax = fabs(g[q]) > gmax ? fabs(g[q]) : gmax;
        if (gmax < 1e-9) break;
        /* mirror the upper blocks (l >= k) into the lower ones and add the penalty */
        for (int k = 0; k < FU_K; k++)
            for (int l = k + 1; l < FU_K; l++)
                for (int d = 0; d < FU_D; d++)
                    for (int e = 0; e < FU_D; e++)
                        H[(size_t)(l * FU_D + e) * FU_P + k * FU_D + d] = H[(size_t)(k * FU_D + d) * FU_P + l * FU_D + e];
        for (int q = 0; q < FU_P; q++) H[(size_t)q * FU_P + q] += pen[q];
        if (chol_solve(H, g, step)) { /* not positive definite (should not happen with the penalty): gradient step */
            for (int q = 0; q < FU_P; q++) step[q] = g[q];
        }
        double t = 1.0, f2 = f;
        for (int ls = 0; ls < 40; ls++, t *= 0.5) {
            for (int q = 0; q < FU_P; q++) trial[q] = th[q] - t * step[q];
            f2 = objective(trial, Xt, y, w, n, W, pen, NULL);
            if (f2 <= f) break;
        }
        if (!(f2 <= f)) break;
        memcpy(th, trial, sizeof th);
        double dec = f - f2;
        f = f2;
        if (dec < 1e-13) { it++; break; }
    }
    double ce = 0;
    objective(th, Xt, y, w, n, W, pen, &ce);
    /* fold the standardisation into the weights */
    for (int k = 0; k < FU_K; k++) {
        double b = th[k * FU_D + FU_F];
        for (int j = 0; j < FU_F; j++) {
            m->A[k][j] = th[k * FU_D + j] / sd[j];
            b -= th[k * FU_D + j] * mu[j] / sd[j];
        }
        m->b[k] = b;
    }
    m->l2 = l2;
    m->n_fit = n;
    m->iterations = it;
    m->loss = ce;
    free(Xt);
    free(H);
    return 0;
}

void fu_add_fit(cJSON *j, const fu_model *m)
{
    cJSON *wt = cJSON_AddArrayToObject(j, "weights");
    for (int k = 0; k < FU_K; k++) cJSON_AddItemToArray(wt, cJSON_CreateDoubleArray(m->A[k], FU_F));
    cJSON_AddItemToObject(j, "bias", cJSON_CreateDoubleArray(m->b, FU_K));
    cJSON_AddNumberToObject(j, "l2", m->l2);
    cJSON_AddBoolToObject(j, "class_balanced", m->balanced);
    cJSON_AddNumberToObject(j, "rows", m->n_fit);
    cJSON_AddNumberToObject(j, "newton_steps", m->iterations);
    cJSON_AddNumberToObject(j, "train_cross_entropy", m->loss);
}

int fu_save(const fu_model *m, const char *path, cJSON *meta, au_error *err)
{
    static const char *fnames[FU_F] = {
        "log p neutral", "log p happiness", "log p surprise", "log p sadness", "log p anger", "log p disgust",
        "log p fear", "log p contempt", "log e neutral", "log e happiness", "log e surprise", "log e sadness",
        "log e anger", "log e disgust", "log e fear", "log e contempt"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "schema", "augur.expr-fusion");
    cJSON_AddNumberToObject(j, "version", 1);
    cJSON_AddStringToObject(j, "rule",
                            "z_k = bias[k] + sum_j weights[k][j] * x_j with x = [log max(p_c, 1e-6) for the classifier's 8 "
                            "probabilities (augur_face.expression), log max(e_c, 1e-6) for the AU evidence's 8 scores "
                            "(augur_face.evidence)]; fused class = argmax_k z_k; softmax(z) its probabilities");
    cJSON *cl = cJSON_AddArrayToObject(j, "classes");
    for (int k = 0; k < FU_K; k++) cJSON_AddItemToArray(cl, cJSON_CreateString(augur_expression_name(k)));
    cJSON *fe = cJSON_AddArrayToObject(j, "features");
    for (int f = 0; f < FU_F; f++) cJSON_AddItemToArray(fe, cJSON_CreateString(fnames[f]));
    fu_add_fit(j, m);
    if (meta) cJSON_AddItemToObject(j, "training", meta);
    return au_write_json(path, j, err);
}

int fu_load(const char *path, fu_model *m, au_error *err)
{
    memset(m, 0, sizeof *m);
    uint8_t *text;
    size_t len;
    int rc = au_read_file(path, 1 << 20, 1, &text, &len, err);
    if (rc) return rc;
    cJSON *j = cJSON_Parse((const char *)text);
    free(text);
    if (!j) return au_fail(err, AUGUR_EFORMAT, "%s: not JSON", path);
    const cJSON *sc = cJSON_GetObjectItem(j, "schema"), *wt = cJSON_GetObjectItem(j, "weights"),
                *bi = cJSON_GetObjectItem(j, "bias");
    rc = 0;
    if (!cJSON_IsString(sc) || strcmp(sc->valuestring, "augur.expr-fusion"))
        rc = au_fail(err, AUGUR_EFORMAT, "%s: not an augur.expr-fusion file", path);
    else if (!cJSON_IsArray(wt) || cJSON_GetArraySize(wt) != FU_K || !cJSON_IsArray(bi) || cJSON_GetArraySize(bi) != FU_K)
        rc = au_fail(err, AUGUR_EFORMAT, "%s: weights must be %d x %d and bias %d", path, FU_K, FU_F, FU_K);
    for (int k = 0; !rc && k < FU_K; k++) {
        const cJSON *row = cJSON_GetArrayItem(wt, k), *b = cJSON_GetArrayItem(bi, k);
        if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != FU_F || !cJSON_IsNumber(b) || !isfinite(b->valuedouble)) {
            rc = au_fail(err, AUGUR_EFORMAT, "%s: row %d of the weights is not %d numbers", path, k, FU_F);
            break;
        }
        m->b[k] = b->valuedouble;
        for (int f = 0; f < FU_F; f++) {
            const cJSON *v = cJSON_GetArrayItem(row, f);
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
                rc = au_fail(err, AUGUR_EFORMAT, "%s: weights[%d][%d] is not a finite number", path, k, f);
                break;
            }
            m->A[k][f] = v->valuedouble;
        }
    }
    const cJSON *l2 = cJSON_GetObjectItem(j, "l2"), *bal = cJSON_GetObjectItem(j, "class_balanced"),
                *rows = cJSON_GetObjectItem(j, "rows");
    if (cJSON_IsNumber(l2)) m->l2 = l2->valuedouble;
    m->balanced = cJSON_IsTrue(bal);
    if (cJSON_IsNumber(rows)) m->n_fit = rows->valueint;
    cJSON_Delete(j);
    return rc;
}
