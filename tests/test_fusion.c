/*
 * tests/test_fusion.c — the fused expression decision (lab/eval/fusion.h), no
 * data needed: the logistic regression recovers a rule it can represent,
 * beats either expert alone on synthetic faces where each is right on
 * different classes, matches the gradient condition at its optimum, saves and
 * loads exactly, and refuses damaged weight files; the shipped
 * models/expr-fusion.json, when present, loads and gives a sane decision.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/fusion.h"
#include "testutil.h"

static unsigned rng = 12345;
static double unif(void) { rng = rng * 1664525u + 1013904223u; return ((rng >> 8) + 0.5) / 16777216.0; }

static void softmax8(const double *z, float *p)
{
    double m = z[0], s = 0;
    for (int k = 1; k < FU_K; k++) m = z[k] > m ? z[k] : m;
    double e[FU_K];
    for (int k = 0; k < FU_K; k++) { e[k] = exp(z[k] - m); s += e[k]; }
    for (int k = 0; k < FU_K; k++) p[k] = (float)(e[k] / s);
}

/* a synthetic face of class y: the classifier knows classes 0-3 well and guesses on 4-7,
 * the evidence the other way round */
static void face(int y, float *prob, float *ev)
{
    double z1[FU_K], z2[FU_K];
    for (int k = 0; k < FU_K; k++) { z1[k] = 1.5 * (unif() - 0.5); z2[k] = 1.5 * (unif() - 0.5); }
    z1[y < 4 ? y : (int)(unif() * 4) + 4] += 3.0; /* classifier: right below 4, else a random high class */
    z2[y >= 4 ? y : (int)(unif() * 4)] += 3.0;   /* evidence: right from 4, else a random low class */
    softmax8(z1, prob);
    softmax8(z2, ev);
}

static int argmax(const float *v)
{
    int b = 0;
    for (int k = 1; k < FU_K; k++) if (v[k] > v[b]) b = k;
    return b;
}

int main(void)
{
    enum { N = 2000, M = 2000 };
    double *X = malloc(sizeof(double) * N * FU_F);
    int *y = malloc(sizeof(int) * N);
    float prob[FU_K], ev[FU_K];
    for (int i = 0; i < N; i++) {
        y[i] = i % FU_K;
        face(y[i], prob, ev);
        fu_features(prob, ev, X + (size_t)i * FU_F);
    }
    fu_model m;
    au_error e = {0};
    CHECK(fu_fit(X, y, NULL, N, 1e-3, &m, &e) == 0, "%s", e.msg);
    CHECK(m.iterations > 0 && m.iterations < 100, "Newton steps %d", m.iterations);
    CHECK(m.loss > 0 && m.loss < 1.0, "train cross-entropy %.3f", m.loss);

    int right_f = 0, right_c = 0, right_e = 0, right_poe = 0;
    for (int i = 0; i < M; i++) {
        int lab = i % FU_K;
        face(lab, prob, ev);
        double x[FU_F], z[FU_K];
        fu_features(prob, ev, x);
        int f = fu_predict(&m, x, z);
        right_f += f == lab;
        right_c += argmax(prob) == lab;
        right_e += argmax(ev) == lab;
        right_poe += fu_poe(prob, ev, 1.0) == lab;
    }
    printf("synthetic: classifier %.3f, evidence %.3f, product %.3f, fused %.3f\n", (double)right_c / M,
           (double)right_e / M, (double)right_poe / M, (double)right_f / M);
    CHECK(right_f > right_c + M / 5 && right_f > right_e + M / 5, "fused %d vs classifier %d, evidence %d", right_f,
          right_c, right_e);
    CHECK(right_f >= right_poe, "fused %d below the product of experts %d", right_f, right_poe);

    /* optimum: the gradient of the penalised loss on the raw-feature weights vanishes
     * only up to the penalty; check instead that moving any weight does not lower the
     * unpenalised+penalised objective much (a loose first-order check on a few weights) */
    {
        double base = 0;
        for (int i = 0; i < N; i++) {
            double z[FU_K];
            fu_predict(&m, X + (size_t)i * FU_F, z);
            double mx = z[0], s = 0;
            for (int k = 1; k < FU_K; k++) mx = z[k] > mx ? z[k] : mx;
            for (int k = 0; k < FU_K; k++) s += exp(z[k] - mx);
            base += -(z[y[i]] - mx - log(s));
        }
        base /= N;
        CHECK(fabs(base - m.loss) < 1e-6, "reported loss %.8f vs recomputed %.8f", m.loss, base);
        for (int k = 0; k < FU_K; k += 3) {
            fu_model p = m;
            p.b[k] += 1e-3;
            double l = 0;
            for (int i = 0; i < N; i++) {
                double z[FU_K];
                fu_predict(&p, X + (size_t)i * FU_F, z);
                double mx = z[0], s = 0;
                for (int q = 1; q < FU_K; q++) mx = z[q] > mx ? z[q] : mx;
                for (int q = 0; q < FU_K; q++) s += exp(z[q] - mx);
                l += -(z[y[i]] - mx - log(s));
            }
            l /= N;
            CHECK(l > base - 1e-6, "bias %d: a step lowers the loss (%.8f < %.8f): not at the optimum", k, l, base);
        }
    }

    /* weights: row weights that drop half the classes fit only the rest */
    {
        double *w = malloc(sizeof(double) * N);
        for (int i = 0; i < N; i++) w[i] = y[i] < 4 ? 1.0 : 1e-9;
        fu_model mw;
        CHECK(fu_fit(X, y, w, N, 1e-3, &mw, &e) == 0, "%s", e.msg);
        int low = 0, n_low = 0;
        for (int i = 0; i < N; i++) if (y[i] < 4) { n_low++; low += fu_predict(&mw, X + (size_t)i * FU_F, NULL) == y[i]; }
        CHECK(low > n_low * 9 / 10, "weighted fit: %d of %d", low, n_low);
        free(w);
    }

    /* save / load round trip, and damaged files */
    char dir[] = "/tmp/augur-fusion-XXXXXX", path[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(path, sizeof path, "%s/f.json", dir);
    CHECK(fu_save(&m, path, NULL, &e) == 0, "%s", e.msg);
    fu_model l;
    CHECK(fu_load(path, &l, &e) == 0, "%s", e.msg);
    double md = 0;
    for (int k = 0; k < FU_K; k++) {
        md = fmax(md, fabs(l.b[k] - m.b[k]));
        for (int j = 0; j < FU_F; j++) md = fmax(md, fabs(l.A[k][j] - m.A[k][j]));
    }
    CHECK(md < 1e-9 * (1 + fabs(m.b[0])), "round trip differs by %g", md);
    static const char *bad[] = {
        "not json", "{\"schema\": \"other\"}",
        "{\"schema\": \"augur.expr-fusion\", \"weights\": [[1]], \"bias\": [0]}",
        "{\"schema\": \"augur.expr-fusion\", \"weights\": [[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[],[],[],[],[],[],[]], "
        "\"bias\": [0,0,0,0,0,0,0,0]}",
    };
    for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
        FILE *f = fopen(path, "w");
        fputs(bad[b], f);
        fclose(f);
        e.msg[0] = 0;
        CHECK(fu_load(path, &l, &e) == AUGUR_EFORMAT && e.msg[0], "damaged file %zu accepted", b);
    }
    CHECK(fu_load(dir, &l, &e) != 0, "a folder accepted as a weights file");
    unlink(path);
    rmdir(dir);

    /* the shipped weights, when there are some */
    const char *shipped = t_src("models/expr-fusion.json");
    if (access(shipped, R_OK) == 0) {
        CHECK(fu_load(shipped, &l, &e) == 0, "%s", e.msg);
        float p[FU_K] = {0.01f, 0.93f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f, 0.01f};
        float v[FU_K] = {0.02f, 0.86f, 0.02f, 0.02f, 0.02f, 0.02f, 0.02f, 0.02f};
        double x[FU_F];
        fu_features(p, v, x);
        CHECK(fu_predict(&l, x, NULL) == 1, "the shipped fusion does not call a clear smile happiness");
    } else {
        printf("models/expr-fusion.json absent: shipped-weights checks skipped\n");
    }
    free(X);
    free(y);
    return t_finish();
}
