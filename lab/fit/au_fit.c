/*
 * lab/fit/au_fit.c — fitting the AU model (lab/fit/au_fit.h): per-AU L2
 * logistic regressions by L-BFGS with class-balanced weights, presence
 * thresholds from out-of-fold scores, the evidence map (softmax regression
 * of expression class on AU margins), and saving the model as JSON. The run
 * time half (prediction, evidence, loading) is src/au/model.c.
 */
#include "fit/au_fit.h"

#include "au/appearance.h"
#include "au/au.h"
#include "au/geometry.h"
#include "core/util.h"

#include <cblas.h>
#include <openssl/evp.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The optimiser -------------------------------------------------------
 * L-BFGS (Nocedal & Wright, algorithm 7.4; 10 memory pairs) with a
 * backtracking Armijo line search, for the smooth convex objectives below.
 * Newton's method, used before, needs a d x d Hessian per step, which stops
 * being affordable once the appearance features make d ~ 2000 with tens of
 * thousands of rows; L-BFGS needs two matrix-vector products per step. */
#define LBFGS_M 10
typedef double (*objective_fn)(void *ctx, const double *x, double *g);

static double dotd(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

/* x[i] on the side sign[i] allows (> 0: x >= 0, < 0: x <= 0, 0: free); sign NULL: every x free. */
static void project_signs(double *x, const signed char *sign, int D)
{
    for (int i = 0; sign && i < D; i++)
        if ((sign[i] > 0 && x[i] < 0) || (sign[i] < 0 && x[i] > 0)) x[i] = 0;
}

/* Minimises fn from x (in place), each x[i] kept on the side sign[i] allows (NULL: unconstrained). The
 * constrained case is projected L-BFGS: a variable at its bound whose gradient pushes it out is held there
 * (out of the direction); the step is projected back onto the allowed signs and accepted by the Armijo test
 * on the projected step (one the gradient does not promise to decrease is refused); the curvature pairs are
 * dropped whenever the set of held variables changes (they describe another subspace). Enough for the small
 * convex problem it serves (the evidence map's signs, RULE36/RULE37); not a general bound-constrained solver
 * (hand-written, as the rest of this file's optimiser: ~200 variables need no library). Returns 0, or -1 out
 * of memory. */
static int lbfgs_signed(objective_fn fn, void *ctx, double *x, int D, int max_iter, const signed char *sign)
{
    double *mem = malloc((size_t)D * (2 * LBFGS_M + 4) * sizeof *mem);
    unsigned char *held = sign ? calloc((size_t)D, 2) : NULL;
    if (!mem || (sign && !held)) { free(mem); free(held); return -1; }
    unsigned char *was = held ? held + D : NULL;
    double *g = mem, *xn = g + D, *gn = xn + D, *q = gn + D;
    double *S = q + D, *Y = S + (size_t)LBFGS_M * D, rho[LBFGS_M], alpha[LBFGS_M];
    project_signs(x, sign, D);
    double f = fn(ctx, x, g);
    int hist = 0, head = 0;
    for (int it = 0; it < max_iter; it++) {
        if (sign) { /* the variables held at their bound */
            int changed = 0;
            for (int i = 0; i < D; i++) {
                held[i] = sign[i] && x[i] == 0 && (sign[i] > 0 ? g[i] > 0 : g[i] < 0);
                changed |= held[i] != was[i];
                was[i] = held[i];
            }
            if (changed) hist = 0;
        }
        /* two-loop recursion: q = H g, newest pair first */
        memcpy(q, g, (size_t)D * sizeof *q);
        for (int i = 0; held && i < D; i++)
            if (held[i]) q[i] = 0;
        for (int k = 0; k < hist; k++) {
            int j = (head - 1 - k + LBFGS_M) % LBFGS_M;
            alpha[j] = rho[j] * dotd(S + (size_t)j * D, q, D);
            for (int i = 0; i < D; i++) q[i] -= alpha[j] * Y[(size_t)j * D + i];
        }
        double gamma = 1.0 / (1.0 + sqrt(dotd(g, g, D))); /* no curvature yet: a short first step */
        if (hist) {
            int j = (head - 1 + LBFGS_M) % LBFGS_M;
            gamma = dotd(S + (size_t)j * D, Y + (size_t)j * D, D) / dotd(Y + (size_t)j * D, Y + (size_t)j * D, D);
        }
        for (int i = 0; i < D; i++) q[i] *= gamma;
        for (int k = hist - 1; k >= 0; k--) {
            int j = (head - 1 - k + LBFGS_M) % LBFGS_M;
            double b = rho[j] * dotd(Y + (size_t)j * D, q, D);
            for (int i = 0; i < D; i++) q[i] += S[(size_t)j * D + i] * (alpha[j] - b);
        }
        for (int i = 0; held && i < D; i++)
            if (held[i]) q[i] = 0;
        double gq = dotd(g, q, D);
        if (gq <= 0) {
            memcpy(q, g, (size_t)D * sizeof *q);
            for (int i = 0; held && i < D; i++)
                if (held[i]) q[i] = 0;
            gq = dotd(g, q, D);
            hist = 0;
        }
        if (gq <= 0) break; /* every variable that could move is held: a constrained minimum */
        double step = 1, fnew = 0;
        int ok = 0;
        for (int ls = 0; ls < 40; ls++, step *= 0.5) {
            for (int i = 0; i < D; i++) xn[i] = x[i] - step * q[i];
            project_signs(xn, sign, D);
            fnew = fn(ctx, xn, gn);
            double dec = 0; /* the decrease the gradient promises for the projected step */
            for (int i = 0; i < D; i++) dec += g[i] * (x[i] - xn[i]);
            if (sign ? dec > 0 && fnew <= f - 1e-4 * dec : fnew <= f - 1e-4 * step * gq) { ok = 1; break; }
        }
        if (!ok) break; /* no decrease left at this precision: converged */
        double *s = S + (size_t)head * D, *yv = Y + (size_t)head * D;
        for (int i = 0; i < D; i++) { s[i] = xn[i] - x[i]; yv[i] = gn[i] - g[i]; }
        double sy = dotd(s, yv, D);
        if (sy > 1e-12) { rho[head] = 1.0 / sy; head = (head + 1) % LBFGS_M; if (hist < LBFGS_M) hist++; }
        double df = f - fnew;
        memcpy(x, xn, (size_t)D * sizeof *x);
        memcpy(g, gn, (size_t)D * sizeof *g);
        f = fnew;
        if (df <= 1e-7 * fmax(1.0, fabs(f))) break;
    }
    free(mem);
    free(held);
    return 0;
}

static int lbfgs(objective_fn fn, void *ctx, double *x, int D, int max_iter)
{
    return lbfgs_signed(fn, ctx, x, D, max_iter, NULL);
}

/* ---- One AU: weighted L2 logistic regression ------------------------------
 * Objective: sum_i c_i * logloss_i + l2/2 |w|^2 (bias not regularised); row
 * weight c_i = the row's weight times a class weight balancing positives and
 * negatives. Rows are gathered into a contiguous matrix so the two products
 * per evaluation (Z w and Z^T r) are single OpenBLAS sgemv calls. */
typedef struct lr_problem {
    const float *Z;     /* m x d, gathered rows (standardised) */
    const float *y, *c; /* m labels 0/1, m row weights */
    int m, d;
    double l2;
    float *s, *r, *xf, *gf;
} lr_problem;

static double lr_objective(void *ctx, const double *x, double *g)
{
    lr_problem *P = ctx;
    int d = P->d;
    for (int j = 0; j < d; j++) P->xf[j] = (float)x[j];
    cblas_sgemv(CblasRowMajor, CblasNoTrans, P->m, d, 1.0f, P->Z, d, P->xf, 1, 0.0f, P->s, 1);
    double f = 0, gb = 0;
    for (int i = 0; i < P->m; i++) {
        double z = P->s[i] + x[d];
        double sp = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); /* log(1 + e^z), stably */
        f += P->c[i] * (sp - P->y[i] * z);
        P->r[i] = (float)(P->c[i] * (1.0 / (1.0 + exp(-z)) - P->y[i]));
        gb += P->r[i];
    }
    cblas_sgemv(CblasRowMajor, CblasTrans, P->m, d, 1.0f, P->Z, d, P->r, 1, 0.0f, P->gf, 1);
    for (int j = 0; j < d; j++) {
        g[j] = P->gf[j] + P->l2 * x[j];
        f += 0.5 * P->l2 * x[j] * x[j];
    }
    g[d] = gb;
    return f;
}

/* Fits on rows with mask[i] and a known label, on the columns with cols[j]
 * (NULL: all; the others' weights are 0). Returns 0, 1 when one class is
 * missing (nothing to fit), -1 out of memory. */
static int fit_lr(const float *Z, const signed char *t, const float *sw, const unsigned char *mask, int n, int nf,
                  const unsigned char *cols, double l2, float *w_out, float *b_out)
{
    int d = 0;
    for (int j = 0; j < nf; j++) d += !cols || cols[j];
    int m = 0;
    double wpos = 0, wneg = 0;
    for (int i = 0; i < n; i++) {
        int y = t[(size_t)i * AU_COUNT];
        if (!mask[i] || y < 0) continue;
        m++;
        if (y) wpos += sw ? sw[i] : 1; else wneg += sw ? sw[i] : 1;
    }
    if (wpos <= 0 || wneg <= 0) return 1;
    lr_problem P = {0};
    float *Zs = malloc((size_t)m * d * sizeof *Zs), *buf = malloc(((size_t)4 * m + 2 * (size_t)(d + 1)) * sizeof *buf);
    double *x = calloc((size_t)d + 1, sizeof *x);
    int rc = -1;
    if (Zs && buf && x) {
        float *ys = buf, *cs = ys + m;
        double cp = 0.5 * (wpos + wneg) / wpos, cn = 0.5 * (wpos + wneg) / wneg;
        for (int i = 0, k = 0; i < n; i++) {
            int y = t[(size_t)i * AU_COUNT];
            if (!mask[i] || y < 0) continue;
            const float *z = Z + (size_t)i * nf;
            float *zs = Zs + (size_t)k * d;
            if (!cols) memcpy(zs, z, (size_t)nf * sizeof *Zs);
            else for (int j = 0; j < nf; j++) if (cols[j]) *zs++ = z[j];
            ys[k] = (float)y;
            cs[k] = (float)((sw ? sw[i] : 1) * (y ? cp : cn));
            k++;
        }
        P = (lr_problem){Zs, ys, cs, m, d, l2, cs + m, cs + 2 * m, cs + 3 * m, cs + 3 * m + d + 1};
        rc = lbfgs(lr_objective, &P, x, d + 1, 400);
        for (int j = 0, k = 0; j < nf; j++) w_out[j] = !cols || cols[j] ? (float)x[k++] : 0.0f;
        *b_out = (float)x[d];
    }
    free(Zs); free(buf); free(x);
    return rc;
}

static double logit_of(const float *z, const float *w, float b, int d)
{
    return b + (double)cblas_sdot(d, z, 1, w, 1);
}


/* ---- Every AU at once: a hidden layer shared by the AUs' regressions -------
 * The same per-AU losses as fit_lr (each row's weight times a class weight that
 * balances the AU's positives and negatives; a row without the AU's label adds
 * nothing), each AU's loss averaged over its rows so every AU weighs the same,
 * summed over the AUs; minimised by Adam over mini-batches of 256 rows with a
 * cosine-decayed step (1e-3), dropout on the standardised input and weight
 * decay on the weights. Written here because no Debian-packaged library trains
 * a masked multi-label network from C; the products are OpenBLAS sgemm, and one
 * BLAS thread with one seed gives the same weights every time. The result
 * goes into m (w1t, b1 and, per fitted AU, w[a][0..H-1], b[a]). */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double rng_unit(uint64_t *s) { return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0; }
static double rng_gauss(uint64_t *s) { return sqrt(-2.0 * log(rng_unit(s))) * cos(6.283185307179586 * rng_unit(s)); }

/* Fits one network and writes it as member `member` of `members` in m: its
 * hidden units at member * H, its output weights divided by members and its
 * output biases added (divided too), so that the finished layer's logits are
 * the members' average. */
static int fit_mlp(const float *Z, const signed char *Y, const float *sw, const unsigned char *mask, int n, int nf,
                   const int fit[AU_COUNT], const au_fit_opts *o, uint64_t seed, int member, int members, au_model *m)
{
    enum { BS = 256 };
    int H = o->hidden, ta[AU_COUNT], k = 0, rows = 0;
    for (int a = 0; a < AU_COUNT; a++) if (fit[a]) ta[k++] = a;
    for (int i = 0; i < n; i++) rows += mask[i] != 0;
    if (!k || rows < 1 || H < 1 || H > AU_MAX_HIDDEN) return 1;
    size_t n1 = (size_t)H * nf, np = n1 + H + (size_t)k * H + k;
    float *P = calloc(np, sizeof *P), *G = malloc(np * sizeof *G), *M1 = calloc(np, sizeof *M1), *M2 = calloc(np, sizeof *M2);
    float *C = malloc((size_t)n * k * sizeof *C), *Zb = malloc((size_t)BS * nf * sizeof *Zb);
    float *Hp = malloc((size_t)BS * H * sizeof *Hp), *Hr = malloc((size_t)BS * H * sizeof *Hr);
    float *O = malloc((size_t)BS * k * sizeof *O), *GH = malloc((size_t)BS * H * sizeof *GH);
    int *idx = malloc((size_t)rows * sizeof *idx);
    /* area dropout (RULE26): a face at rest's standardised input (zrest), each input's face areas (farea),
     * each fitted AU's (aarea), and per batch row the area dropped (dropb, 0 none) */
    int ad = o->area_dropout > 0 && m->has_neutral_mean, aarea[AU_COUNT], dropb[BS];
    float *zrest = ad ? malloc((size_t)nf * sizeof *zrest) : NULL;
    int *farea = ad ? malloc((size_t)nf * sizeof *farea) : NULL;
    int rc = -1;
    if (!P || !G || !M1 || !M2 || !C || !Zb || !Hp || !Hr || !O || !GH || !idx || (ad && (!zrest || !farea))) goto out;
    if (ad) {
        au_model_input(m, m->neutral_mean, zrest);
        for (int j = 0; j < nf; j++) {
            zrest[j] = (zrest[j] - m->mean[j]) * m->scale[j];
            farea[j] = au_model_feature_area(m, j);
        }
    }
    for (int t = 0; t < k; t++) aarea[t] = au_area_of(ta[t]);
    float *W1 = P, *B1 = P + n1, *W2 = B1 + H, *B2 = W2 + (size_t)k * H;
    float *gW1 = G, *gB1 = G + n1, *gW2 = gB1 + H, *gB2 = gW2 + (size_t)k * H;
    /* per AU: the loss weights of its labelled rows, summing to 1 (half to each class) */
    for (int t = 0; t < k; t++) {
        double wp = 0, wn = 0;
        for (int i = 0; i < n; i++) {
            signed char y = Y[(size_t)i * AU_COUNT + ta[t]];
            if (!mask[i] || y < 0) continue;
            if (y) wp += sw ? sw[i] : 1; else wn += sw ? sw[i] : 1;
        }
        for (int i = 0; i < n; i++) {
            signed char y = Y[(size_t)i * AU_COUNT + ta[t]];
            double wi = sw ? sw[i] : 1;
            C[(size_t)i * k + t] = !mask[i] || y < 0 || wp <= 0 || wn <= 0 ? 0.0f : (float)(0.5 * wi / (y ? wp : wn));
        }
    }
    uint64_t rs = seed * 0x2545f4914f6cdd1dull + 1;
    for (size_t j = 0; j < n1; j++) W1[j] = (float)(rng_gauss(&rs) * sqrt(2.0 / nf));
    for (size_t j = 0; j < (size_t)k * H; j++) W2[j] = (float)(rng_gauss(&rs) * sqrt(1.0 / H));
    for (int i = 0, r = 0; i < n; i++) if (mask[i]) idx[r++] = i;
    int steps = o->epochs * ((rows + BS - 1) / BS), t_step = 0;
    float keep = 1.0f - o->dropout;
    for (int ep = 0; ep < o->epochs; ep++) {
        for (int i = rows - 1; i > 0; i--) { int j = (int)(rng_next(&rs) % (uint64_t)(i + 1)), q = idx[i]; idx[i] = idx[j]; idx[j] = q; }
        for (int s0 = 0; s0 < rows; s0 += BS) {
            int bs = rows - s0 < BS ? rows - s0 : BS;
            for (int r = 0; r < bs; r++) {
                const float *z = Z + (size_t)idx[s0 + r] * nf;
                float *zb = Zb + (size_t)r * nf;
                for (int j = 0; j < nf; j++) zb[j] = o->dropout > 0 ? (rng_unit(&rs) < keep ? z[j] / keep : 0.0f) : z[j];
                /* one face area at rest, as the reading reads a covered one (au_read_features) */
                dropb[r] = ad && rng_unit(&rs) < o->area_dropout ? (rng_unit(&rs) < 0.5 ? AU_AREA_UPPER : AU_AREA_LOWER) : 0;
                for (int j = 0; dropb[r] && j < nf; j++) if (farea[j] & dropb[r]) zb[j] = zrest[j];
            }
            /* forward: Hp = Zb W1^T + b1, Hr = ReLU(Hp), O = Hr W2^T + b2 */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bs, H, nf, 1.0f, Zb, nf, W1, nf, 0.0f, Hp, H);
            for (int r = 0; r < bs; r++)
                for (int u = 0; u < H; u++) {
                    float v = Hp[(size_t)r * H + u] + B1[u];
                    Hp[(size_t)r * H + u] = v;
                    Hr[(size_t)r * H + u] = v > 0 ? v : 0;
                }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, bs, k, H, 1.0f, Hr, H, W2, H, 0.0f, O, k);
            /* the output's gradient, in place: (sigmoid - y) times the row's weight, scaled so the batch
             * estimates the sum over all rows */
            memset(gB2, 0, (size_t)k * sizeof *gB2);
            for (int r = 0; r < bs; r++) {
                int i = idx[s0 + r];
                for (int t = 0; t < k; t++) {
                    float c = C[(size_t)i * k + t], *g = &O[(size_t)r * k + t];
                    if (c == 0 || (dropb[r] & aarea[t])) { *g = 0; continue; } /* an AU of the area dropped: unseen */
                    double p = 1.0 / (1.0 + exp(-(double)(*g + B2[t])));
                    *g = (float)(c * ((double)rows / bs) * (p - (Y[(size_t)i * AU_COUNT + ta[t]] == 1)));
                    gB2[t] += *g;
                }
            }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, H, bs, 1.0f, O, k, Hr, H, 0.0f, gW2, H);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bs, H, k, 1.0f, O, k, W2, H, 0.0f, GH, H);
            memset(gB1, 0, (size_t)H * sizeof *gB1);
            for (int r = 0; r < bs; r++)
                for (int u = 0; u < H; u++) {
                    float *g = &GH[(size_t)r * H + u];
                    if (Hp[(size_t)r * H + u] <= 0) *g = 0;
                    gB1[u] += *g;
                }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, nf, bs, 1.0f, GH, H, Zb, nf, 0.0f, gW1, nf);
            for (size_t j = 0; j < n1; j++) gW1[j] += o->wd * W1[j];
            for (size_t j = 0; j < (size_t)k * H; j++) gW2[j] += o->wd * W2[j];
            /* Adam */
            t_step++;
            double lr = 1e-3 * 0.5 * (1.0 + cos(3.141592653589793 * t_step / steps));
            double c1 = 1.0 - pow(0.9, t_step), c2 = 1.0 - pow(0.999, t_step);
            for (size_t j = 0; j < np; j++) {
                M1[j] = 0.9f * M1[j] + 0.1f * G[j];
                M2[j] = 0.999f * M2[j] + 0.001f * G[j] * G[j];
                P[j] -= (float)(lr * (M1[j] / c1) / (sqrt(M2[j] / c2) + 1e-8));
            }
        }
    }
    int off = member * H;
    m->hidden = H * members;
    for (int u = 0; u < H; u++) {
        for (int j = 0; j < nf; j++) m->w1t[j][off + u] = W1[(size_t)u * nf + j];
        m->b1[off + u] = B1[u];
    }
    for (int t = 0; t < k; t++) {
        if (!member) memset(m->w[ta[t]], 0, sizeof m->w[ta[t]]), m->b[ta[t]] = 0;
        for (int u = 0; u < H; u++) m->w[ta[t]][off + u] = W2[(size_t)t * H + u] / (float)members;
        m->b[ta[t]] += B2[t] / (float)members;
    }
    rc = 0;
out:
    free(P); free(G); free(M1); free(M2); free(C); free(Zb); free(Hp); free(Hr); free(O); free(GH); free(idx);
    free(zrest); free(farea);
    return rc;
}

/* ---- The evidence map: softmax regression of class on AU margins ---------- */
typedef struct sm_problem {
    const float *U;          /* m x AU_COUNT margins */
    const signed char *cls;  /* m classes */
    int m;
    double l2;
    const double *w;         /* m row weights, or NULL */
} sm_problem;

/* The network of au_fit_opts: members networks, seeds apart, merged into one layer. */
static int fit_net(const float *Z, const signed char *Y, const float *sw, const unsigned char *mask, int n, int nf,
                   const int fit[AU_COUNT], const au_fit_opts *o, uint64_t seed, au_model *m)
{
    int K = o->members > 1 ? o->members : 1;
    for (int e = 0; e < K; e++)
        if (fit_mlp(Z, Y, sw, mask, n, nf, fit, o, seed + (uint64_t)e * 0x9e3779b97f4a7c15ull, e, K, m)) return -1;
    return 0;
}

static double sm_objective(void *ctx, const double *x, double *g)
{
    sm_problem *P = ctx;
    enum { K = AU_EV_CLASSES, A = AU_COUNT, W = A + 1 }; /* per class: A weights and a bias */
    memset(g, 0, K * W * sizeof *g);
    double f = 0;
    for (int i = 0; i < P->m; i++) {
        const float *u = P->U + (size_t)i * A;
        double z[K], mx = -1e300, sum = 0;
        for (int c = 0; c < K; c++) {
            z[c] = x[c * W + A];
            for (int a = 0; a < A; a++) z[c] += x[c * W + a] * u[a];
            if (z[c] > mx) mx = z[c];
        }
        for (int c = 0; c < K; c++) sum += exp(z[c] - mx);
        double wi = P->w ? P->w[i] : 1.0;
        f += wi * (mx + log(sum) - z[P->cls[i]]);
        for (int c = 0; c < K; c++) {
            double r = wi * (exp(z[c] - mx) / sum - (c == P->cls[i]));
            for (int a = 0; a < A; a++) g[c * W + a] += r * u[a];
            g[c * W + A] += r;
        }
    }
    for (int c = 0; c < K; c++)
        for (int a = 0; a < A; a++) { f += 0.5 * P->l2 * x[c * W + a] * x[c * W + a]; g[c * W + a] += P->l2 * x[c * W + a]; }
    return f;
}

/* ---- Thresholds ----------------------------------------------------------- */

/* The threshold grid: probabilities k/100, k = 1..TH_GRID, as logits. */
#define TH_GRID 99
static double grid_logit(int k)
{
    double th = k / 100.0;
    return log(th / (1 - th));
}

/* F1 of presence (score >= lt) over the labelled rows with rows[i]; score and
 * lab step by stride (1, or AU_COUNT to read one AU's column). */
static double f1_at(const double *score, const signed char *lab, size_t stride, const unsigned char *rows, int n,
                    double lt)
{
    int tp = 0, fp = 0, fn = 0;
    for (int i = 0; i < n; i++) {
        signed char l = lab[(size_t)i * stride];
        if (!rows[i] || l < 0) continue;
        int pr = score[(size_t)i * stride] >= lt;
        tp += pr && l == 1;
        fp += pr && l == 0;
        fn += !pr && l == 1;
    }
    return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
}

/* The presence threshold of one AU from out-of-fold logits: on the grid, the
 * best F1 over coded rows among the thresholds whose false alarms on neutral
 * rows stay within the budget (the strictest threshold if none does). */
static float pick_threshold(const double *score, const signed char *lab, const unsigned char *coded,
                            const unsigned char *neutral, const float *nw, int n, float budget)
{
    float best_t = 0.5f, strict_t = 0.99f;
    double best_f = -1, best_fa = 2, n_neutral = 0;
    for (int i = 0; i < n; i++) n_neutral += neutral[i] ? (nw ? nw[i] : 1.0) : 0.0;
    for (int k = 1; k <= TH_GRID; k++) {
        double lt = grid_logit(k), fa = 0;
        for (int i = 0; i < n; i++) fa += neutral[i] && score[i] >= lt ? (nw ? nw[i] : 1.0) : 0.0;
        double far = n_neutral > 0 ? fa / n_neutral : 0;
        if (far < best_fa - 1e-12) { best_fa = far; strict_t = (float)(k / 100.0); }
        if (far > budget) continue;
        double f = f1_at(score, lab, 1, coded, n, lt);
        if (f > best_f + 1e-9) { best_f = f; best_t = (float)(k / 100.0); }
    }
    return best_f >= 0 ? best_t : strict_t;
}

/* Joint thresholds (au_fit_opts.joint_budget). The per-AU budget caps each
 * AU's false alarms on neutral rows alike, but what a user meets is a resting
 * face with *any* AU present, and the AUs differ in what a looser threshold
 * buys: AU12 is near its best F1 far inside the budget, AU4 and AU15 are not.
 * This keeps the union rate (neutral rows with any AU) at the level the
 * per-AU thresholds give and spends it where the F1 on coded rows gains most:
 * for each lambda of a grid, coordinate ascent on sum_a F1_a - lambda * rate
 * (each AU's best grid threshold given the others, from the per-AU solution,
 * until nothing moves), keeping the best sum of F1 whose rate is within the
 * per-AU solution's. The per-AU solution itself is a candidate, so the result
 * is never worse on the training rows. A small allocation problem of this
 * model's own; written here. thr holds the per-AU thresholds on entry. */
static int joint_thresholds(const double *oof, const signed char *y, const int *trained,
                            const unsigned char *const f1rows[AU_COUNT], const unsigned char *neutral, int n,
                            float thr[AU_COUNT])
{
    enum { K = TH_GRID };
    int nn = 0;
    for (int i = 0; i < n; i++) nn += neutral[i] != 0;
    if (!nn) return 0;
    double f1[AU_COUNT][K + 1];
    unsigned char *kmx = calloc((size_t)nn * AU_COUNT, 1);
    int *cnt = malloc((size_t)nn * 2 * sizeof *cnt), *cnt0 = cnt + nn;
    if (!kmx || !cnt) { free(kmx); free(cnt); return -1; }
    double lt[K + 1];
    for (int k = 1; k <= K; k++) lt[k] = grid_logit(k);
    for (int a = 0; a < AU_COUNT; a++) {
        if (!trained[a]) continue;
        for (int k = 1; k <= K; k++) f1[a][k] = f1_at(oof + a, y + a, AU_COUNT, f1rows[a], n, lt[k]);
        /* a neutral row fires for every grid threshold k <= kmx (the thresholds rise with k) */
        for (int i = 0, r = 0; i < n; i++) {
            if (!neutral[i]) continue;
            int km = 0;
            while (km < K && oof[(size_t)i * AU_COUNT + a] >= lt[km + 1]) km++;
            kmx[(size_t)r++ * AU_COUNT + a] = (unsigned char)km;
        }
    }
    int k0[AU_COUNT], kb[AU_COUNT], kc[AU_COUNT];
    for (int a = 0; a < AU_COUNT; a++) k0[a] = trained[a] ? (int)lrint(thr[a] * 100) : K;
    /* per neutral row, how many AUs fire on it at the per-AU thresholds; the rows with any, and the sum of F1 */
#define FIRES(r, a, kv) ((kv)[a] <= kmx[(size_t)(r) * AU_COUNT + (a)])
    int any0 = 0;
    double best = 0;
    for (int r = 0; r < nn; r++) {
        cnt0[r] = 0;
        for (int a = 0; a < AU_COUNT; a++) cnt0[r] += trained[a] && FIRES(r, a, k0);
        any0 += cnt0[r] > 0;
    }
    for (int a = 0; a < AU_COUNT; a++) best += trained[a] ? f1[a][k0[a]] : 0;
    memcpy(kb, k0, sizeof kb);
    for (double lambda = 0.01; lambda < 1e4; lambda *= 1.25) {
        memcpy(kc, k0, sizeof kc);
        memcpy(cnt, cnt0, (size_t)nn * sizeof *cnt);
        for (int sweep = 0, moved = 1; moved && sweep < 100; sweep++) {
            moved = 0;
            for (int a = 0; a < AU_COUNT; a++) {
                if (!trained[a]) continue;
                /* rows no other AU fires on, by the highest k at which this AU fires on them */
                int base = 0, hist[K + 2] = {0};
                for (int r = 0; r < nn; r++) {
                    int others = cnt[r] - FIRES(r, a, kc);
                    if (others > 0) base++;
                    else hist[kmx[(size_t)r * AU_COUNT + a]]++;
                }
                int extra = 0, bk = kc[a];
                double bv = -1e300;
                for (int k = K; k >= 1; k--) { /* extra = rows (alone) this AU fires on at k */
                    extra += hist[k];
                    double v = f1[a][k] - lambda * (double)(base + extra) / nn;
                    if (v > bv + 1e-12) { bv = v; bk = k; }
                }
                if (bk != kc[a]) {
                    int old = kc[a];
                    for (int r = 0; r < nn; r++) {
                        int km = kmx[(size_t)r * AU_COUNT + a];
                        cnt[r] += (bk <= km) - (old <= km);
                    }
                    kc[a] = bk;
                    moved = 1;
                }
            }
        }
        int any = 0;
        double s = 0;
        for (int r = 0; r < nn; r++) any += cnt[r] > 0;
        for (int a = 0; a < AU_COUNT; a++) s += trained[a] ? f1[a][kc[a]] : 0;
        if (any <= any0 && s > best + 1e-9) { best = s; memcpy(kb, kc, sizeof kb); }
    }
#undef FIRES
    for (int a = 0; a < AU_COUNT; a++)
        if (trained[a]) thr[a] = kb[a] / 100.0f;
    free(kmx);
    free(cnt);
    return 0;
}

/* au_fit_auc (au_fit.h): by ranks, averaged over ties. */
typedef struct { double s; signed char y; } scored;
static int cmp_scored(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x < y ? -1 : x > y;
}
double au_fit_auc(const double *score, const signed char *lab, size_t stride, const unsigned char *rows, int n)
{
    scored *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return NAN;
    int k = 0;
    double pos = 0, rank_pos = 0;
    for (int i = 0; i < n; i++)
        if ((!rows || rows[i]) && (lab[(size_t)i * stride] == 0 || lab[(size_t)i * stride] == 1))
            v[k++] = (scored){score[i], lab[(size_t)i * stride]};
    qsort(v, (size_t)k, sizeof *v, cmp_scored);
    for (int i = 0; i < k;) {
        int j = i;
        while (j < k && v[j].s == v[i].s) j++;
        double r = (i + 1 + j) / 2.0; /* the mean of ranks i+1..j */
        for (int q = i; q < j; q++)
            if (v[q].y == 1) { pos++; rank_pos += r; }
        i = j;
    }
    free(v);
    double neg = k - pos;
    return pos > 0 && neg > 0 ? (rank_pos - pos * (pos + 1) / 2) / (pos * neg) : NAN;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The 10th and 90th percentiles of v (n >= 1 values, sorted in place). */
static void rest_range(float *v, int n, float *lo, float *hi)
{
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    *lo = v[(int)(0.1 * (n - 1) + 0.5)];
    *hi = v[(int)(0.9 * (n - 1) + 0.5)];
}

/* au_model.measure_rest: each named measurement (the first AU_M_COUNT geometry
 * features) over the neutral rows against the population neutral (neutral_mean),
 * and over the neutral rows that have a ref (another neutral frame of the person)
 * against it. Needs at least 20 rows for a range. 0, or -1 out of memory. */
static int measure_rest(au_model *m, const au_fit_data *d)
{
    m->has_measure_rest = m->has_measure_rest_personal = 0;
    if (!d->neutral || !m->has_neutral_mean || d->n_feat < AU_M_COUNT) return 0;
    float *v = malloc((size_t)d->n * sizeof *v);
    if (!v) return -1;
    for (int k = 0; k < (d->ref ? 2 : 1); k++) { /* 0: against the population neutral; 1: the person's (ref) */
        float (*q)[AU_M_COUNT] = k ? m->measure_rest_personal : m->measure_rest;
        int nv = 0; /* the same rows for every measurement */
        for (int j = 0; j < AU_M_COUNT; j++) {
            nv = 0;
            for (int i = 0; i < d->n; i++) {
                if (!d->neutral[i] || (k && (d->ref[i] < 0 || d->ref[i] == i))) continue; /* not a face against itself */
                float rest = k ? d->X[(size_t)d->ref[i] * d->n_feat + j] : m->neutral_mean[j];
                v[nv++] = d->X[(size_t)i * d->n_feat + j] - rest;
            }
            if (nv < 20) break;
            rest_range(v, nv, &q[0][j], &q[1][j]);
        }
        *(k ? &m->has_measure_rest_personal : &m->has_measure_rest) = nv >= 20;
    }
    free(v);
    return 0;
}

au_fit_opts au_fit_default_opts(void)
{
    au_fit_opts o = {.l2 = 20.0f, .min_pos = 20, .neutral_budget = 0.02f, .ev_l2 = 1.0f,
                     .epochs = 20, .wd = 1e-4f, .dropout = 0.2f, .seed = 1, .members = 1};
    return o;
}

int au_fit_check_opts(const au_fit_opts *o, au_error *err)
{
    if (o->hidden < 0 || o->hidden > AU_MAX_HIDDEN)
        return au_fail(err, AUGUR_EARG, "hidden units %d out of range (0..%d)", o->hidden, AU_MAX_HIDDEN);
    if (o->members < 1 || o->members > 8 || (o->hidden > 0 && o->hidden * o->members > AU_MAX_HIDDEN))
        return au_fail(err, AUGUR_EARG, "%d networks of %d units: at most 8 networks and %d units in all", o->members,
                       o->hidden, AU_MAX_HIDDEN);
    if (o->members > 1 && o->hidden <= 0)
        return au_fail(err, AUGUR_EARG, "an ensemble averages networks: it needs a hidden layer (--hidden H)");
    if (o->budget_domains && o->joint_budget)
        return au_fail(err, AUGUR_EARG, "the joint budget counts neutral faces one by one: it cannot be combined "
                                        "with --budget-domains");
    for (int a = 0; a < AU_COUNT; a++)
        if (o->rest_gate[a] && au_measure_of(au_defs[a].id) < 0)
            return au_fail(err, AUGUR_EARG, "AU%d has no named measurement: it cannot be gated by faces at rest",
                           au_defs[a].id);
    if (o->hidden > 0 && o->regional)
        return au_fail(err, AUGUR_EARG, "a hidden layer reads every feature: it cannot be combined with regional AUs "
                                        "(--hidden 0 for per-AU regressions)");
    if (!(o->area_dropout >= 0 && o->area_dropout < 1) || (o->area_dropout > 0 && o->hidden <= 0))
        return au_fail(err, AUGUR_EARG, "area dropout %g: a probability in [0, 1), for a network (--hidden H)",
                       o->area_dropout);
    if (!(o->min_auc >= 0 && o->min_auc <= 1))
        return au_fail(err, AUGUR_EARG, "min AUC %g: a ranking in [0, 1]", o->min_auc);
    if (o->hidden > 0 && (o->epochs < 1 || !(o->dropout >= 0 && o->dropout < 1) || !(o->wd >= 0)))
        return au_fail(err, AUGUR_EARG, "bad network settings (epochs %d, dropout %g, weight decay %g)", o->epochs,
                       o->dropout, o->wd);
    return 0;
}

int au_model_fit(au_model *m, const au_fit_data *d, const au_fit_opts *o, au_error *err)
{
    int n = d->n, nf = d->n_feat;
    if (nf > AU_MAX_FEATURES || nf < 1) return au_fail(err, AUGUR_EARG, "bad feature count (%d)", nf);
    if (n < 10) return au_fail(err, AUGUR_EARG, "too few training samples (%d)", n);
    int rc0 = au_fit_check_opts(o, err);
    if (rc0) return rc0;
    memset(m->trained, 0, sizeof m->trained);
    m->hidden = 0;
    memset(m->regional, 0, sizeof m->regional);
    memset(m->still_in_video, 0, sizeof m->still_in_video);
    memset(m->rest_gate, 0, sizeof m->rest_gate);
    m->n_feat = nf;
    m->n_train = n;
    m->has_evidence = 0;
    m->ev_signed = 0;
    for (int a = 0; a < AU_COUNT; a++) m->oof_auc[a] = NAN;
    m->min_auc = o->min_auc; /* before the evidence map, which leaves out the AUs it does not validate */
    unsigned char colmask[AU_MAX_FEATURES];
    /* the neutral rows' mean features (as computed, before au_model_input), for
     * person-specific normalisation */
    int nn = 0;
    memset(m->neutral_mean, 0, sizeof m->neutral_mean);
    for (int i = 0; d->neutral && i < n; i++) {
        if (!d->neutral[i]) continue;
        for (int j = 0; j < nf; j++) m->neutral_mean[j] += d->X[(size_t)i * nf + j];
        nn++;
    }
    for (int j = 0; j < nf && nn; j++) m->neutral_mean[j] /= (float)nn;
    m->has_neutral_mean = nn > 0;
    if (measure_rest(m, d)) return au_fail(err, AUGUR_ENOMEM, "out of memory");

    float *Z = malloc((size_t)n * nf * sizeof *Z);
    unsigned char *mask = malloc((size_t)n), *all = malloc((size_t)n), *none = calloc((size_t)n, 1);
    double *score = malloc((size_t)n * sizeof *score);
    signed char *lab = malloc((size_t)n);
    float *wtmp = malloc(AU_MAX_FEATURES * sizeof *wtmp), *U = calloc((size_t)n * AU_COUNT, sizeof *U);
    double *oof = malloc((size_t)n * AU_COUNT * sizeof *oof);
    /* the rows with a ref, read against it: their rows (pi), model input (Zp) and out-of-fold logits */
    int n_ref = 0;
    for (int i = 0; d->ref && m->has_neutral_mean && i < n; i++) n_ref += d->ref[i] >= 0;
    int *pi = malloc(((size_t)n_ref + 1) * sizeof *pi);
    float *Zp = malloc(((size_t)n_ref + 1) * nf * sizeof *Zp), *xp = malloc(AU_MAX_FEATURES * sizeof *xp);
    double *oofp = malloc(((size_t)n_ref + 1) * sizeof *oofp), *oofp_v = malloc(((size_t)n_ref + 1) * sizeof *oofp_v);
    signed char *labp = malloc((size_t)n_ref + 1);
    unsigned char *codedp = malloc((size_t)n_ref + 1), *neutralp = malloc((size_t)n_ref + 1);
    const unsigned char *f1rows_of[AU_COUNT] = {0}; /* per AU, the rows whose F1 picks its threshold */
    int own_personal[AU_COUNT] = {0};                 /* per AU, 1 when the personal reading has a threshold of its own */
    double *oofp_all = NULL;                          /* hidden: the network's out-of-fold logits, rows with a ref */
    float *flog = NULL;                               /* hidden: the network's logits on every row */
    int rc = 0;
    if (!Z || !mask || !all || !none || !score || !lab || !wtmp || !U || !oof || !pi || !Zp || !xp || !oofp || !oofp_v || !labp ||
        !codedp || !neutralp) { rc = -1; goto done; }
    memset(all, 1, (size_t)n);
    /* Z: the model's input (au_model_input: the blendshapes symmetrised when
     * m->bs_symmetric), standardised; the mean and scale are stored in m */
    double *s1 = calloc((size_t)nf, sizeof *s1), *s2 = calloc((size_t)nf, sizeof *s2);
    if (!s1 || !s2) { free(s1); free(s2); rc = -1; goto done; }
    for (int i = 0; i < n; i++) {
        float *z = Z + (size_t)i * nf;
        au_model_input(m, d->X + (size_t)i * nf, z);
        for (int j = 0; j < nf; j++) { s1[j] += z[j]; s2[j] += (double)z[j] * z[j]; }
    }
    for (int j = 0; j < nf; j++) {
        double mu = s1[j] / n, var = s2[j] / n - mu * mu;
        m->mean[j] = (float)mu;
        m->scale[j] = var > 1e-12 ? (float)(1.0 / sqrt(var)) : 0.0f;
    }
    free(s1); free(s2);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < nf; j++) Z[(size_t)i * nf + j] = (Z[(size_t)i * nf + j] - m->mean[j]) * m->scale[j];
    int np_neutral = 0;
    for (int i = 0, k = 0; k < n_ref; i++) {
        if (d->ref[i] < 0) continue;
        au_personal_features(m, d->X + (size_t)i * nf, d->X + (size_t)d->ref[i] * nf, xp);
        float *z = Zp + (size_t)k * nf;
        au_model_input(m, xp, z);
        for (int j = 0; j < nf; j++) z[j] = (z[j] - m->mean[j]) * m->scale[j];
        codedp[k] = !d->coded || d->coded[i];
        neutralp[k] = d->neutral && d->neutral[i];
        np_neutral += neutralp[k];
        pi[k++] = i;
    }
    /* with a hidden layer, one network for every AU: its out-of-fold logits over the same 3 inner folds
     * (oof, and oofp_all for the rows read against their person's neutral), then the network on all rows
     * and its logits on them (flog, for the intensity scale) */
    if (!rc && o->hidden > 0) {
        int fit_now[AU_COUNT];
        for (int a = 0; a < AU_COUNT; a++) {
            int pos = 0;
            for (int i = 0; i < n; i++) pos += d->y[(size_t)i * AU_COUNT + a] == 1;
            fit_now[a] = pos >= o->min_pos;
        }
        oofp_all = calloc(((size_t)n_ref + 1) * AU_COUNT, sizeof *oofp_all);
        flog = malloc((size_t)n * AU_COUNT * sizeof *flog);
        if (!oofp_all || !flog) rc = -1;
        memcpy(m->trained, fit_now, sizeof m->trained); /* au_model_logits reads the fitted AUs */
        float lg[AU_COUNT];
        for (int f = 0; f < 3 && !rc; f++) {
            for (int i = 0; i < n; i++) mask[i] = (d->group[i] % 3) != f;
            if (fit_net(Z, d->y, d->weight, mask, n, nf, fit_now, o, (uint64_t)o->seed * 16 + (uint64_t)f, m)) { rc = -1; break; }
            for (int i = 0; i < n; i++) {
                if (mask[i]) continue;
                au_model_logits(m, Z + (size_t)i * nf, lg);
                for (int a = 0; a < AU_COUNT; a++) oof[(size_t)i * AU_COUNT + a] = lg[a];
            }
            for (int q = 0; q < n_ref; q++) {
                if (mask[pi[q]]) continue;
                au_model_logits(m, Zp + (size_t)q * nf, lg);
                for (int a = 0; a < AU_COUNT; a++) oofp_all[(size_t)q * AU_COUNT + a] = lg[a];
            }
        }
        if (!rc && fit_net(Z, d->y, d->weight, all, n, nf, fit_now, o, (uint64_t)o->seed * 16 + 3, m)) rc = -1;
        for (int i = 0; !rc && i < n; i++) au_model_logits(m, Z + (size_t)i * nf, flog + (size_t)i * AU_COUNT);
        memset(m->trained, 0, sizeof m->trained);
    }
    for (int a = 0; a < AU_COUNT && !rc; a++) {
        const signed char *y = d->y + a;
        int pos = 0;
        for (int i = 0; i < n; i++) pos += y[(size_t)i * AU_COUNT] == 1;
        m->n_pos[a] = pos;
        if (pos < o->min_pos) continue;
        for (int j = 0; o->regional && j < nf; j++) colmask[j] = (au_model_feature_area(m, j) & au_area_of(a)) != 0;
        /* the F1 is taken on FACS-coded rows when the AU has enough coded positives, else on all labelled rows */
        int coded_pos = 0;
        for (int i = 0; i < n; i++) {
            lab[i] = y[(size_t)i * AU_COUNT];
            coded_pos += (!d->coded || d->coded[i]) && lab[i] == 1;
        }
        const unsigned char *f1rows = d->coded && coded_pos >= 10 ? d->coded : all;
        /* out-of-fold scores over 3 inner folds of the groups (nested in whatever split the caller made), for
         * the whole face or the AU's areas; with regional 2, both, and the one with the better F1 at its own
         * threshold is kept (the whole face on a tie) */
        int own = o->regional == 1 || (o->regional == 3 && o->regional_aus[a]);
        const unsigned char *cols = own ? colmask : NULL;
        double best_f = -1;
        if (o->hidden > 0) { /* the network's out-of-fold logits, above */
            for (int i = 0; i < n; i++) score[i] = oof[(size_t)i * AU_COUNT + a];
            for (int q = 0; q < n_ref; q++) oofp[q] = oofp_all[(size_t)q * AU_COUNT + a];
        }
        for (int v = 0; v < (o->regional == 2 ? 2 : 1) && !rc && o->hidden <= 0; v++) {
            const unsigned char *cv = own || v == 1 ? colmask : NULL;
            for (int f = 0; f < 3 && !rc; f++) {
                for (int i = 0; i < n; i++) mask[i] = (d->group[i] % 3) != f;
                float b;
                int r = fit_lr(Z, y, d->weight, mask, n, nf, cv, o->l2, wtmp, &b);
                if (r < 0) rc = -1;
                for (int i = 0; i < n; i++)
                    if (!mask[i]) score[i] = r ? 0 : logit_of(Z + (size_t)i * nf, wtmp, b, nf);
                /* a row and its ref are one person, so one inner fold */
                for (int k = 0; k < n_ref; k++)
                    if (!mask[pi[k]]) oofp_v[k] = r ? 0 : logit_of(Zp + (size_t)k * nf, wtmp, b, nf);
            }
            double fv = 0;
            if (o->regional == 2) {
                float t = pick_threshold(score, lab, f1rows, d->neutral ? d->neutral : none, d->neutral_weight, n, o->neutral_budget);
                fv = f1_at(score, lab, 1, f1rows, n, log(t / (1.0 - t)));
            }
            if (fv > best_f + 1e-9) {
                best_f = fv;
                cols = cv;
                for (int i = 0; i < n; i++) oof[(size_t)i * AU_COUNT + a] = score[i];
                memcpy(oofp, oofp_v, (size_t)n_ref * sizeof *oofp);
            }
        }
        if (rc) break;
        m->regional[a] = cols != NULL;
        int r = o->hidden > 0 ? 0 : fit_lr(Z, y, d->weight, all, n, nf, cols, o->l2, m->w[a], &m->b[a]);
        if (r < 0) { rc = -1; break; }
        if (r > 0) continue; /* one class only */
        m->l2[a] = o->hidden > 0 ? o->wd : o->l2;
        for (int i = 0; i < n; i++) score[i] = oof[(size_t)i * AU_COUNT + a];
        f1rows_of[a] = f1rows;
        m->oof_auc[a] = (float)au_fit_auc(score, lab, 1, f1rows, n); /* RULE34 */
        m->threshold[a] = pick_threshold(score, lab, f1rows, d->neutral ? d->neutral : none, d->neutral_weight, n, o->neutral_budget);
        /* the personal reading's threshold, by the same rule on the rows read against their person's neutral
         * (when there are enough of them: 20 neutral rows, 10 coded positives) */
        int pos_p = 0;
        for (int k = 0; k < n_ref; k++) { labp[k] = y[(size_t)pi[k] * AU_COUNT]; pos_p += codedp[k] && labp[k] == 1; }
        own_personal[a] = np_neutral >= 20 && pos_p >= 10;
        m->threshold_personal[a] = own_personal[a]
                                 ? pick_threshold(oofp, labp, codedp, neutralp, NULL, n_ref, o->neutral_budget) : m->threshold[a];
        /* which reading video uses (au_predict_personal): against the person's neutral, unless the still
         * reading of the same rows, at its own threshold, has an F1 higher by more than video_margin
         * (--video-reading auto [--video-margin X]). The personal threshold was picked on these rows and
         * the still one on all rows, so the comparison leans towards the personal reading. (With
         * joint_budget the still thresholds move afterwards; the choice is made before.) */
        if (own_personal[a] && o->video_reading) {
            for (int k = 0; k < n_ref; k++) oofp_v[k] = oof[(size_t)pi[k] * AU_COUNT + a];
            double tp = m->threshold_personal[a], ts = m->threshold[a];
            double f_p = f1_at(oofp, labp, 1, codedp, n_ref, log(tp / (1.0 - tp)));
            double f_s = f1_at(oofp_v, labp, 1, codedp, n_ref, log(ts / (1.0 - ts)));
            m->still_in_video[a] = f_s > f_p + o->video_margin;
        }
        /* intensity reference: 95th percentile of the positives' logits */
        double *pl = malloc((size_t)pos * sizeof *pl);
        int np = 0;
        for (int i = 0; pl && i < n; i++)
            if (lab[i] == 1) pl[np++] = flog ? flog[(size_t)i * AU_COUNT + a] : logit_of(Z + (size_t)i * nf, m->w[a], m->b[a], nf);
        for (int i = 1; i < np; i++)
            for (int j = i; j > 0 && pl[j] < pl[j - 1]; j--) { double t = pl[j]; pl[j] = pl[j - 1]; pl[j - 1] = t; }
        m->intensity_ref[a] = np ? (float)pl[(int)(0.95 * (np - 1))] : 4.0f;
        free(pl);
        m->trained[a] = 1;
        m->rest_gate[a] = o->rest_gate[a]; /* a gate only on a fitted AU, as a model file can hold it */
    }
    if (!rc && o->joint_budget && d->neutral) {
        if (joint_thresholds(oof, d->y, m->trained, f1rows_of, d->neutral, n, m->threshold)) rc = -1;
        for (int a = 0; a < AU_COUNT; a++) /* a personal reading without thresholds of its own keeps the still ones */
            if (!own_personal[a]) m->threshold_personal[a] = m->threshold[a];
    }
    /* the evidence map, from the out-of-fold margins of rows with a class */
    if (!rc && d->cls) {
        int k = 0;
        signed char *cls = lab; /* reuse */
        double *evw = score;    /* reuse */
        for (int i = 0; i < n; i++) {
            if (d->cls[i] < 0) continue;
            evw[k] = d->ev_weight ? d->ev_weight[i] : 1.0;
            for (int a = 0; a < AU_COUNT; a++)
                U[(size_t)k * AU_COUNT + a] = au_model_margin(m, a, (float)(1.0 / (1.0 + exp(-oof[(size_t)i * AU_COUNT + a])))); /* 0: not fitted or not validated */
            cls[k++] = d->cls[i];
        }
        if (k >= 10) {
            double x[AU_EV_CLASSES * (AU_COUNT + 1)] = {0};
            sm_problem P = {U, cls, k, o->ev_l2, evw};
            signed char sign[AU_EV_CLASSES * (AU_COUNT + 1)] = {0}; /* each weight's side (au_ev_sign); biases free */
            for (int c = 0; c < AU_EV_CLASSES; c++)
                for (int a = 0; a < AU_COUNT; a++) sign[c * (AU_COUNT + 1) + a] = (signed char)au_ev_sign(o->ev_signs, c, a);
            if (lbfgs_signed(sm_objective, &P, x, AU_EV_CLASSES * (AU_COUNT + 1), 500, o->ev_signs ? sign : NULL)) rc = -1;
            for (int c = 0; c < AU_EV_CLASSES; c++) {
                for (int a = 0; a < AU_COUNT; a++) m->ev_w[c][a] = (float)x[c * (AU_COUNT + 1) + a];
                m->ev_b[c] = (float)x[c * (AU_COUNT + 1) + AU_COUNT];
            }
            m->has_evidence = 1;
            m->ev_signed = o->ev_signs;
        }
    }
done:
    free(Z); free(mask); free(all); free(none); free(score); free(lab); free(wtmp); free(U); free(oof);
    free(pi); free(Zp); free(xp); free(oofp); free(oofp_v); free(labp); free(codedp); free(neutralp); free(oofp_all); free(flog);
    if (rc) return au_fail(err, AUGUR_ENOMEM, "out of memory fitting the AU model");
    return 0;
}

/* A JSON array of floats, each written with the 9 significant digits that give
 * the same float back (cJSON would write the double's 15-17). */
static cJSON *float_array(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    char buf[32];
    for (int i = 0; a && i < n; i++) {
        snprintf(buf, sizeof buf, "%.9g", (double)v[i]);
        cJSON_AddItemToArray(a, isfinite(v[i]) ? cJSON_CreateRaw(buf) : cJSON_CreateNumber(0));
    }
    return a;
}

/* A JSON string of base64 of rows x cols floats (row r at v + r * stride) as little-endian float32, row
 * by row (AU_F32_ENCODING; au_model_load decodes it). */
static cJSON *f32_base64(const float *v, int rows, int cols, int stride)
{
    size_t n = (size_t)rows * cols;
    unsigned char *raw = malloc(4 * n), *txt = malloc(4 * ((4 * n + 2) / 3) + 1);
    cJSON *s = NULL;
    if (raw && txt) {
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, &v[(i / (size_t)cols) * (size_t)stride + i % (size_t)cols], sizeof u);
            for (int b = 0; b < 4; b++) raw[4 * i + (size_t)b] = (unsigned char)(u >> (8 * b));
        }
        EVP_EncodeBlock(txt, raw, (int)(4 * n));
        s = cJSON_CreateString((const char *)txt);
    }
    free(raw);
    free(txt);
    return s;
}

int au_model_save(const au_model *m, const char *path, au_error *err)
{
    cJSON *root = cJSON_CreateObject();
    if (!root) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    cJSON_AddStringToObject(root, "format", "augur.au_model");
    cJSON_AddNumberToObject(root, "version", 2);
    cJSON_AddStringToObject(root, "source", m->source);
    cJSON_AddNumberToObject(root, "n_features", m->n_feat);
    cJSON_AddNumberToObject(root, "use_appearance", m->use_appearance);
    if (m->use_blendshapes) cJSON_AddNumberToObject(root, "use_blendshapes", 1);
    if (m->bs_symmetric) cJSON_AddNumberToObject(root, "blendshapes_symmetric", 1);
    if (m->personal_all) cJSON_AddStringToObject(root, "personal_shift", "all");
    if (m->personal_gate)
        cJSON_AddStringToObject(root, "personal_gate", m->personal_gate == AU_GATE_NEUTRAL ? "neutral" : "moved");
    if (m->personal_gate == AU_GATE_NEUTRAL && m->personal_gate_margin > 0)
        cJSON_AddNumberToObject(root, "personal_gate_margin", m->personal_gate_margin);
    if (m->personal_gate == AU_GATE_NEUTRAL && m->personal_gate_rise > 0)
        cJSON_AddNumberToObject(root, "personal_gate_rise", m->personal_gate_rise);
    if (m->min_auc > 0) { /* as given (a float's double would print 0.60000002384185791) */
        char v[24];
        snprintf(v, sizeof v, "%.6g", (double)m->min_auc);
        cJSON_AddRawToObject(root, "min_auc", v);
    }
    cJSON_AddNumberToObject(root, "n_train", m->n_train);
    cJSON_AddItemToObject(root, "mean", float_array(m->mean, m->n_feat));
    cJSON_AddItemToObject(root, "scale", float_array(m->scale, m->n_feat));
    if (m->has_neutral_mean) cJSON_AddItemToObject(root, "neutral_mean", float_array(m->neutral_mean, m->n_feat));
    for (int k = 0; k < 2; k++) {
        if (!(k ? m->has_measure_rest_personal : m->has_measure_rest)) continue;
        cJSON *r = cJSON_AddObjectToObject(root, k ? "measure_rest_personal_mm" : "measure_rest_mm");
        const float (*q)[AU_M_COUNT] = k ? m->measure_rest_personal : m->measure_rest;
        if (r) {
            cJSON_AddItemToObject(r, "low", float_array(q[0], AU_M_COUNT));
            cJSON_AddItemToObject(r, "high", float_array(q[1], AU_M_COUNT));
        }
    }
    if (m->hidden > 0) {
        cJSON_AddNumberToObject(root, "hidden", m->hidden);
        cJSON_AddStringToObject(root, "hidden_encoding", AU_F32_ENCODING);
        cJSON *hw = cJSON_AddArrayToObject(root, "hidden_weights");
        float unit[AU_MAX_FEATURES];
        for (int u = 0; hw && u < m->hidden; u++) {
            for (int j = 0; j < m->n_feat; j++) unit[j] = m->w1t[j][u];
            cJSON_AddItemToArray(hw, f32_base64(unit, 1, m->n_feat, m->n_feat));
        }
        cJSON_AddItemToObject(root, "hidden_bias", float_array(m->b1, m->hidden));
    }
    if (m->has_evidence && m->ev_signed) cJSON_AddStringToObject(root, "evidence_signs", au_ev_signs_name(m->ev_signed));
    if (m->has_evidence) {
        cJSON *ev = cJSON_AddArrayToObject(root, "evidence");
        for (int c = 0; c < AU_EV_CLASSES; c++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "class", augur_expression_name(c));
            cJSON_AddNumberToObject(o, "bias", m->ev_b[c]);
            cJSON *w = cJSON_AddObjectToObject(o, "weights");
            for (int a = 0; a < AU_COUNT; a++) {
                if (!m->trained[a]) continue;
                char k[16];
                snprintf(k, sizeof k, "AU%d", au_defs[a].id);
                cJSON_AddNumberToObject(w, k, m->ev_w[c][a]);
            }
            cJSON_AddItemToArray(ev, o);
        }
    }
    if (m->cover.has) {
        cJSON *cv = cJSON_AddObjectToObject(root, "cover"), *areas = cJSON_AddArrayToObject(cv, "areas");
        cJSON_AddNumberToObject(cv, "components", AU_COVER_K);
        cJSON_AddStringToObject(cv, "encoding", AU_COVER_ENCODING);
        for (int k = 0; areas && k < AU_COVER_AREAS; k++) {
            int first, n;
            au_cover_area(k, &first, &n);
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "area", au_cover_area_name(k));
            char edge[32];
            snprintf(edge, sizeof edge, "%.9g", (double)m->cover.edge[k]);
            cJSON_AddRawToObject(o, "edge", edge);
            cJSON_AddItemToObject(o, "mean", f32_base64(m->cover.mean[k], 1, n, n));
            cJSON_AddItemToObject(o, "basis", f32_base64(&m->cover.basis[k][0][0], AU_COVER_K, n, AU_COVER_MAX_DIM));
            cJSON_AddItemToArray(areas, o);
        }
    }
    cJSON *aus = cJSON_AddArrayToObject(root, "aus");
    for (int a = 0; a < AU_COUNT; a++) {
        if (!m->trained[a]) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "au", au_defs[a].id);
        cJSON_AddNumberToObject(o, "positives", m->n_pos[a]);
        if (m->regional[a]) cJSON_AddNumberToObject(o, "regional", 1);
        cJSON_AddNumberToObject(o, "threshold", m->threshold[a]);
        if (m->threshold_personal[a] != m->threshold[a]) /* only a model fitted with refs has them */
            cJSON_AddNumberToObject(o, "threshold_personal", m->threshold_personal[a]);
        if (m->still_in_video[a]) cJSON_AddStringToObject(o, "video_reading", "still");
        if (m->rest_gate[a]) cJSON_AddNumberToObject(o, "rest_gate", 1);
        if (m->oof_auc[a] >= 0 && m->oof_auc[a] <= 1) { /* 4 decimals: a ranking, not a weight */
            char v[16];
            snprintf(v, sizeof v, "%.4f", (double)m->oof_auc[a]);
            cJSON_AddRawToObject(o, "oof_auc", v);
        }
        cJSON_AddNumberToObject(o, "l2", m->l2[a]);
        cJSON_AddNumberToObject(o, "intensity_ref", m->intensity_ref[a]);
        cJSON_AddNumberToObject(o, "bias", m->b[a]);
        cJSON_AddItemToObject(o, "weights", float_array(m->w[a], m->hidden > 0 ? m->hidden : m->n_feat));
        cJSON_AddItemToArray(aus, o);
    }
    return au_write_json(path, root, err);
}

