/*
 * expr/net.c — the expression CNN's layout, forward and backward passes.
 * See net.h for the architecture.
 */
#include "expr/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/rng.h"

static const int widths[4] = {32, 64, 128, 256};

#define BN_EPS 1e-5f
#define BN_MOMENTUM 0.1f

static float *take(float **cursor, size_t n) { float *p = *cursor; *cursor += n; return p; }

int en_create(expr_net **out, int B, uint64_t seed, au_error *err)
{
    *out = NULL;
    expr_net *n = calloc(1, sizeof *n);
    if (!n) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    n->B = B;
    /* shapes */
    int H = EN_SIZE, C = 1, k = 0;
    for (int b = 0; b < 4; b++) {
        for (int j = 0; j < 2; j++, k++) {
            en_conv *c = &n->conv[k];
            c->s = (tr_conv_shape){B, H, H, C, widths[b], 3, 1, 1};
            n->n_params += (size_t)9 * C * widths[b] + 2 * (size_t)widths[b];
            n->n_stats += 2 * (size_t)widths[b];
            n->macs += (double)H * H * 9 * C * widths[b];
            C = widths[b];
        }
        H /= 2;
    }
    n->n_params += (size_t)256 * EXPR_N + EXPR_N;
    n->macs += 256.0 * EXPR_N;
    n->params = calloc(n->n_params, sizeof(float));
    n->grads = calloc(n->n_params, sizeof(float));
    n->adam_m = calloc(n->n_params, sizeof(float));
    n->adam_v = calloc(n->n_params, sizeof(float));
    n->stats = calloc(n->n_stats, sizeof(float));
    /* activations */
    size_t act = 0, scratch = 0;
    H = EN_SIZE;
    for (int b = 0, kk = 0; b < 4; b++, H /= 2)
        for (int j = 0; j < 2; j++, kk++) {
            act += 4 * (size_t)B * H * H * widths[b] + 2 * (size_t)widths[b]; /* pre, act, dpre, dact, mean, rstd */
            size_t s = tr_conv2d_scratch_floats(&n->conv[kk].s);
            if (s > scratch) scratch = s;
            if (j == 1) act += 2 * (size_t)B * (H / 2) * (H / 2) * widths[b]; /* pool, dpool */
        }
    act += (size_t)B * EN_SIZE * EN_SIZE + 2 * (size_t)B * 256 + 3 * (size_t)B * EXPR_N + 2 * (size_t)B * EN_ATT * EN_ATT
           + 2 * (size_t)B * EN_CAM * EN_CAM;
    float *arena = calloc(act + scratch, sizeof(float));
    if (!n->params || !n->grads || !n->adam_m || !n->adam_v || !n->stats || !arena) {
        free(arena);
        en_free(n);
        return au_fail(err, AUGUR_ENOMEM, "out of memory for a batch-%d expression network", B);
    }
    n->scratch = arena + act;
    float *a = arena, *pp = n->params, *gp = n->grads, *sp = n->stats;
    n->input = take(&a, (size_t)B * EN_SIZE * EN_SIZE);
    tr_rng rng;
    tr_rng_seed(&rng, seed, 1);
    H = EN_SIZE;
    float *prev = n->input;
    for (int b = 0, kk = 0; b < 4; b++, H /= 2) {
        for (int j = 0; j < 2; j++, kk++) {
            en_conv *c = &n->conv[kk];
            size_t w = (size_t)9 * c->s.C * c->s.OC, o = (size_t)B * H * H * c->s.OC;
            c->w = take(&pp, w); c->gamma = take(&pp, c->s.OC); c->beta = take(&pp, c->s.OC);
            c->dw = take(&gp, w); c->dgamma = take(&gp, c->s.OC); c->dbeta = take(&gp, c->s.OC);
            c->rmean = take(&sp, c->s.OC); c->rvar = take(&sp, c->s.OC);
            tr_rng_he_init(&rng, c->w, w, 9 * c->s.C);
            for (int q = 0; q < c->s.OC; q++) { c->gamma[q] = 1; c->rvar[q] = 1; }
            c->in = prev;
            c->pre = take(&a, o); c->act = take(&a, o); c->dpre = take(&a, o); c->dact = take(&a, o);
            c->mean = take(&a, c->s.OC); c->rstd = take(&a, c->s.OC);
            prev = c->act;
        }
        n->pool[b] = take(&a, (size_t)B * (H / 2) * (H / 2) * widths[b]);
        n->dpool[b] = take(&a, (size_t)B * (H / 2) * (H / 2) * widths[b]);
        prev = n->pool[b];
    }
    n->fc_w = take(&pp, (size_t)256 * EXPR_N); n->fc_b = take(&pp, EXPR_N);
    n->dfc_w = take(&gp, (size_t)256 * EXPR_N); n->dfc_b = take(&gp, EXPR_N);
    tr_rng_he_init(&rng, n->fc_w, (size_t)256 * EXPR_N, 256);
    n->gap = take(&a, (size_t)B * 256); n->dgap = take(&a, (size_t)B * 256);
    n->logits = take(&a, (size_t)B * EXPR_N); n->dlogits = take(&a, (size_t)B * EXPR_N);
    n->probs = take(&a, (size_t)B * EXPR_N);
    n->att = take(&a, (size_t)B * EN_ATT * EN_ATT); n->datt = take(&a, (size_t)B * EN_ATT * EN_ATT);
    n->cam = take(&a, (size_t)B * EN_CAM * EN_CAM); n->dcam = take(&a, (size_t)B * EN_CAM * EN_CAM);
    n->cam_k = calloc((size_t)B, sizeof(int));
    if (!n->cam_k) { en_free(n); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    *out = n;
    return 0;
}

void en_free(expr_net *n)
{
    if (!n) return;
    free(n->params); free(n->grads); free(n->adam_m); free(n->adam_v); free(n->stats);
    free(n->input); /* the activation arena starts at input */
    free(n->cam_k);
    free(n);
}

void en_forward(expr_net *n, int B, int train)
{
    for (int k = 0; k < EN_CONVS; k++) {
        en_conv *c = &n->conv[k];
        tr_conv_shape s = c->s;
        s.B = B;
        int N = B * s.H * s.W;
        tr_conv2d_forward(c->pre, c->in, c->w, NULL, &s, n->scratch);
        if (train) tr_batchnorm_forward_train(c->act, c->mean, c->rstd, c->rmean, c->rvar, c->pre, c->gamma, c->beta,
                                              N, s.OC, BN_EPS, BN_MOMENTUM);
        else tr_batchnorm_forward_eval(c->act, c->pre, c->rmean, c->rvar, c->gamma, c->beta, N, s.OC, BN_EPS);
        tr_relu_forward(c->act, c->act, (size_t)N * s.OC);
        if (k % 2 == 1) tr_maxpool2_forward(n->pool[k / 2], c->act, B, s.H, s.W, s.OC);
        if (k == 5) tr_attention_forward(n->att, c->act, B, s.H, s.W, s.OC);
    }
    tr_avgpool_forward(n->gap, n->pool[3], B, 3, 3, 256);
    tr_linear_forward(n->logits, n->gap, n->fc_w, n->fc_b, B, 256, EXPR_N);
    for (int b = 0; b < B; b++) { /* softmax for inference */
        const float *l = n->logits + b * EXPR_N;
        float *p = n->probs + b * EXPR_N, mx = l[0], s = 0;
        for (int j = 1; j < EXPR_N; j++) mx = fmaxf(mx, l[j]);
        for (int j = 0; j < EXPR_N; j++) s += p[j] = expf(l[j] - mx);
        for (int j = 0; j < EXPR_N; j++) p[j] /= s;
    }
}

void en_cam_forward(expr_net *n, int B)
{
    for (int b = 0; b < B; b++) en_cam(n, b, n->cam_k[b], n->cam + (size_t)b * EN_CAM * EN_CAM);
}

/* CAM_k[p] = sum_c w[c][k] A[p][c]  =>  dA[p][c] += w[c][k] dCAM[p],  dw[c][k] += sum_p dCAM[p] A[p][c] */
static void cam_backward(expr_net *n, int B)
{
    const en_conv *c = &n->conv[EN_CONVS - 1];
    for (int b = 0; b < B; b++) {
        int k = n->cam_k[b];
        const float *A = c->act + (size_t)b * EN_CAM * EN_CAM * 256, *g = n->dcam + (size_t)b * EN_CAM * EN_CAM;
        float *dA = c->dact + (size_t)b * EN_CAM * EN_CAM * 256;
        for (int p = 0; p < EN_CAM * EN_CAM; p++) {
            if (g[p] == 0) continue;
            for (int ch = 0; ch < 256; ch++) {
                dA[(size_t)p * 256 + ch] += n->fc_w[ch * EXPR_N + k] * g[p];
                n->dfc_w[ch * EXPR_N + k] += g[p] * A[(size_t)p * 256 + ch];
            }
        }
    }
}

void en_backward(expr_net *n, int B)
{
    memset(n->dgap, 0, (size_t)B * 256 * sizeof(float));
    tr_linear_backward(n->dgap, n->dfc_w, n->dfc_b, n->dlogits, n->gap, n->fc_w, B, 256, EXPR_N);
    memset(n->dpool[3], 0, (size_t)B * 9 * 256 * sizeof(float));
    tr_avgpool_backward(n->dpool[3], n->dgap, B, 3, 3, 256);
    for (int k = EN_CONVS - 1; k >= 0; k--) {
        en_conv *c = &n->conv[k];
        tr_conv_shape s = c->s;
        s.B = B;
        size_t N = (size_t)B * s.H * s.W, o = N * s.OC;
        /* the gradient of this layer's activation: from the block's pool (second
         * conv of a block), else already written by the next conv's backward */
        if (k % 2 == 1) {
            memset(c->dact, 0, o * sizeof(float));
            tr_maxpool2_backward(c->dact, n->dpool[k / 2], c->act, B, s.H, s.W, s.OC);
        }
        if (k == 5) tr_attention_backward(c->dact, n->datt, B, s.H, s.W, s.OC);
        if (k == EN_CONVS - 1 && n->cam_grad) cam_backward(n, B);
        /* ReLU: pass the gradient where the unit was active (in place) */
        for (size_t i = 0; i < o; i++) if (!(c->act[i] > 0)) c->dact[i] = 0;
        memset(c->dpre, 0, o * sizeof(float));
        tr_batchnorm_backward(c->dpre, c->dgamma, c->dbeta, c->dact, c->pre, c->mean, c->rstd, c->gamma, (int)N, s.OC);
        float *dprev = NULL;
        if (k > 0) {
            dprev = k % 2 == 0 ? n->dpool[k / 2 - 1] : n->conv[k - 1].dact;
            memset(dprev, 0, (size_t)B * s.H * s.W * s.C * sizeof(float));
        }
        tr_conv2d_backward(dprev, c->dw, NULL, c->dpre, c->in, c->w, &s, n->scratch);
    }
}

void en_cam(const expr_net *n, int b, int k, float *cam)
{
    /* CAM_k = sum_c w[c][k] * A_c over block 4's last activation (6x6x256) */
    const float *A = n->conv[7].act + (size_t)b * EN_CAM * EN_CAM * 256;
    for (int p = 0; p < EN_CAM * EN_CAM; p++) {
        double s = 0;
        for (int c = 0; c < 256; c++) s += (double)n->fc_w[c * EXPR_N + k] * A[(size_t)p * 256 + c];
        cam[p] = (float)s;
    }
}

float en_cam_cos(const expr_net *n, int b, int k, const float *h)
{
    float cam[EN_CAM * EN_CAM];
    en_cam(n, b, k, cam);
    return en_cam_cos_of(cam, h);
}

float en_cam_cos_of(const float *cam, const float *h)
{
    double d = 0, na = 0, nb = 0;
    for (int y = 0; y < EN_CAM; y++)
        for (int x = 0; x < EN_CAM; x++) {
            float a = fmaxf(cam[y * EN_CAM + x], 0); /* ReLU, as CAMs are shown */
            float t = 0.25f * (h[2 * y * EN_ATT + 2 * x] + h[2 * y * EN_ATT + 2 * x + 1] +
                               h[(2 * y + 1) * EN_ATT + 2 * x] + h[(2 * y + 1) * EN_ATT + 2 * x + 1]);
            d += (double)a * t; na += (double)a * a; nb += (double)t * t;
        }
    return na > 0 && nb > 0 ? (float)(d / sqrt(na * nb)) : 0;
}

int en_save(const expr_net *n, const char *path, au_error *err)
{
    /* parameters as IEEE half (the shipped file stays small; the accuracy cost is
     * below the noise of evaluation), running statistics as float32 */
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return au_fail(err, AUGUR_EIO, "cannot write '%s'", tmp);
    uint64_t np = n->n_params, ns = n->n_stats;
    int bad = fwrite("AUGEXPR2", 1, 8, f) != 8 || fwrite(&np, 8, 1, f) != 1 || fwrite(&ns, 8, 1, f) != 1;
    for (size_t i = 0; i < np && !bad; i++) {
        uint16_t h = au_float_to_half(n->params[i]);
        bad = fwrite(&h, 2, 1, f) != 1;
    }
    bad = bad || fwrite(n->stats, sizeof(float), ns, f) != ns;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) { remove(tmp); return au_fail(err, AUGUR_EIO, "cannot write '%s'", path); }
    return 0;
}

/* Parameter and statistics counts of the architecture (as en_create counts them). */
static void counts(size_t *np, size_t *ns)
{
    *np = *ns = 0;
    for (int k = 0, C = 1; k < EN_CONVS; C = widths[k / 2], k++) {
        *np += (size_t)9 * C * widths[k / 2] + 2 * (size_t)widths[k / 2];
        *ns += 2 * (size_t)widths[k / 2];
    }
    *np += (size_t)256 * EXPR_N + EXPR_N;
}

/* Views of params and stats in en_create's order (the file's): per
 * convolution w, gamma, beta in params and running mean, variance in stats,
 * then the linear layer's weight and bias in params. */
static void layout(en_weights *w, float *params, float *stats)
{
    counts(&w->n_params, &w->n_stats);
    w->params = params;
    w->stats = stats;
    const float *p = params, *s = stats;
    for (int k = 0, C = 1; k < EN_CONVS; C = widths[k / 2], k++) {
        en_conv_weights *c = &w->conv[k];
        c->C = C;
        c->OC = widths[k / 2];
        c->w = p; p += (size_t)9 * C * c->OC;
        c->gamma = p; p += c->OC;
        c->beta = p; p += c->OC;
        c->rmean = s; s += c->OC;
        c->rvar = s; s += c->OC;
    }
    w->fc_w = p; p += (size_t)256 * EXPR_N;
    w->fc_b = p;
}

static int check(const en_weights *w, const char *path, au_error *err);

int en_read_weights(const char *path, en_weights *w, au_error *err)
{
    memset(w, 0, sizeof *w);
    size_t want_np, want_ns;
    counts(&want_np, &want_ns);
    uint8_t *buf;
    size_t len;
    int rc = au_read_file(path, (size_t)256 << 20, 0, &buf, &len, err);
    if (rc) return rc;
    uint64_t np, ns;
    int half = len >= 8 && !memcmp(buf, "AUGEXPR2", 8);
    if (len < 24 || (!half && memcmp(buf, "AUGEXPR1", 8))) {
        free(buf);
        return au_fail(err, AUGUR_EFORMAT, "%s: not an augur expression model", path);
    }
    memcpy(&np, buf + 8, 8);
    memcpy(&ns, buf + 16, 8);
    if (np != want_np || ns != want_ns || len != 24 + (half ? 2 : 4) * np + 4 * ns) {
        free(buf);
        return au_fail(err, AUGUR_EFORMAT, "%s: %llu parameters and %llu statistics, this network has %zu and %zu (or the "
                       "file is truncated)", path, (unsigned long long)np, (unsigned long long)ns, want_np, want_ns);
    }
    float *params = malloc((want_np + want_ns) * sizeof(float));
    if (!params) { free(buf); return au_fail(err, AUGUR_ENOMEM, "out of memory for the expression model"); }
    if (half)
        for (size_t i = 0; i < np; i++) {
            uint16_t h;
            memcpy(&h, buf + 24 + 2 * i, 2);
            params[i] = au_half_to_float(h);
        }
    else memcpy(params, buf + 24, 4 * np);
    memcpy(params + np, buf + 24 + (half ? 2 : 4) * np, 4 * ns);
    free(buf);
    layout(w, params, params + np);
    if ((rc = check(w, path, err))) en_weights_free(w);
    return rc;
}

void en_weights_free(en_weights *w)
{
    free(w->params); /* stats follow params in the same block */
    memset(w, 0, sizeof *w);
}

int en_load_weights(expr_net *n, const char *path, au_error *err)
{
    en_weights w;
    int rc = en_read_weights(path, &w, err);
    if (rc) return rc;
    if (w.n_params != n->n_params || w.n_stats != n->n_stats) { /* en_create's network always matches */
        en_weights_free(&w);
        return au_fail(err, AUGUR_EARG, "%s: the network is not the expression architecture", path);
    }
    memcpy(n->params, w.params, w.n_params * sizeof(float));
    memcpy(n->stats, w.stats, w.n_stats * sizeof(float));
    en_weights_free(&w);
    return 0;
}

int en_average_weights(expr_net *n, const char *const *paths, int k, au_error *err)
{
    if (k < 1) return au_fail(err, AUGUR_EARG, "no model to average");
    size_t np = n->n_params, ns = n->n_stats;
    double *sum = calloc(np + ns, sizeof *sum); /* double: k half-precision values summed exactly enough */
    if (!sum) return au_fail(err, AUGUR_ENOMEM, "out of memory averaging models");
    for (int j = 0; j < k; j++) {
        en_weights w;
        int rc = en_read_weights(paths[j], &w, err);
        if (rc) { free(sum); return rc; }
        for (size_t i = 0; i < np; i++) sum[i] += w.params[i];
        for (size_t i = 0; i < ns; i++) sum[np + i] += w.stats[i];
        en_weights_free(&w);
    }
    for (size_t i = 0; i < np; i++) n->params[i] = (float)(sum[i] / k);
    for (size_t i = 0; i < ns; i++) n->stats[i] = (float)(sum[np + i] / k);
    free(sum);
    return 0;
}

/* The first bad value of one stored array: its index, or -1. neg_ok = 0 also
 * refuses negatives (a batch-norm variance: sqrt(v + eps) of a negative v is
 * NaN, and a NaN there once scored a happy face "neutral 0.13", exit 0). */
static long first_bad(const float *v, size_t n, int neg_ok)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]) || (!neg_ok && v[i] < 0)) return (long)i;
    return -1;
}

static int check(const en_weights *wt, const char *path, au_error *err)
{
    for (int k = 0; k < EN_CONVS; k++) {
        const en_conv_weights *c = &wt->conv[k];
        size_t oc = (size_t)c->OC, w = (size_t)9 * c->C * c->OC;
        const struct { const char *name; const float *v; size_t n; int neg_ok; } arr[] = {
            {"weights", c->w, w, 1}, {"batch-norm gamma", c->gamma, oc, 1}, {"batch-norm beta", c->beta, oc, 1},
            {"batch-norm running mean", c->rmean, oc, 1}, {"batch-norm running variance", c->rvar, oc, 0},
        };
        for (size_t a = 0; a < sizeof arr / sizeof *arr; a++) {
            long i = first_bad(arr[a].v, arr[a].n, arr[a].neg_ok);
            if (i >= 0)
                return au_fail(err, AUGUR_EFORMAT, "%s: convolution %d %s[%ld] is %g (must be finite%s)", path, k + 1,
                               arr[a].name, i, (double)arr[a].v[i], arr[a].neg_ok ? "" : " and >= 0");
        }
    }
    long i = first_bad(wt->fc_w, (size_t)256 * EXPR_N, 1);
    if (i >= 0) return au_fail(err, AUGUR_EFORMAT, "%s: linear layer weight[%ld] is not finite", path, i);
    if ((i = first_bad(wt->fc_b, EXPR_N, 1)) >= 0)
        return au_fail(err, AUGUR_EFORMAT, "%s: linear layer bias[%ld] is not finite", path, i);
    return 0;
}

int en_check_weights(const expr_net *n, const char *path, au_error *err)
{
    en_weights v; /* a view of the network's own arrays: no copy */
    layout(&v, n->params, n->stats);
    return check(&v, path, err);
}
