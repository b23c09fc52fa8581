/*
 * tests/test_expr_net.c — the expression CNN end to end: the analytic
 * gradient of (cross-entropy + AU-guidance loss) against central finite
 * differences on sampled parameters of every layer kind, a save/load round
 * trip, a corrupt model file, and a tiny training run that must reduce the loss.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expr/net.h"
#include "testutil.h"
#include "fit/optim.h"
#include "train/rng.h"

#define B 4

static float targets[B * EXPR_N], heat[B * EN_ATT * EN_ATT];
static unsigned char has_heat[B] = {1, 0, 1, 1};
static float lambda = 2.0f;
static float heat6[B * EN_CAM * EN_CAM];
static int cam_mode; /* 1: the AU loss on the CAM of class cam_k[b] instead of the attention */

static double loss(expr_net *n, int backward)
{
    en_forward(n, B, 1);
    float probs[B * EXPR_N];
    double l = tr_softmax_xent_forward(probs, n->logits, targets, NULL, B, EXPR_N);
    if (cam_mode) en_cam_forward(n, B);
    l += cam_mode ? tr_au_loss_forward(NULL, n->cam, heat6, has_heat, B, EN_CAM * EN_CAM, lambda)
                  : tr_au_loss_forward(NULL, n->att, heat, has_heat, B, EN_ATT * EN_ATT, lambda);
    if (backward) {
        memset(n->grads, 0, n->n_params * sizeof(float));
        memset(n->dlogits, 0, sizeof(float) * B * EXPR_N);
        memset(n->datt, 0, sizeof(float) * B * EN_ATT * EN_ATT);
        tr_softmax_xent_backward(n->dlogits, probs, targets, NULL, B, EXPR_N, 1.0f);
        memset(n->dcam, 0, sizeof(float) * B * EN_CAM * EN_CAM);
        n->cam_grad = cam_mode;
        if (cam_mode) tr_au_loss_backward(n->dcam, n->cam, heat6, has_heat, B, EN_CAM * EN_CAM, lambda, 1.0f);
        else tr_au_loss_backward(n->datt, n->att, heat, has_heat, B, EN_ATT * EN_ATT, lambda, 1.0f);
        en_backward(n, B);
    }
    return l;
}

int main(void)
{
    expr_net *n;
    au_error e = {0};
    if (en_create(&n, B, 7, &e)) { CHECK(0, "%s", e.msg); return t_finish(); }
    printf("parameters %zu, %.1f M multiply-accumulates per face\n", n->n_params, n->macs / 1e6);
    CHECK(n->macs <= 150e6, "over the 150 M MAC budget: %.1f M", n->macs / 1e6);
    tr_rng r;
    tr_rng_seed(&r, 3, 1);
    for (int i = 0; i < B * EN_SIZE * EN_SIZE; i++) n->input[i] = tr_rng_uniform(&r);
    for (int b = 0; b < B; b++) {
        float s = 0;
        for (int k = 0; k < EXPR_N; k++) s += targets[b * EXPR_N + k] = tr_rng_uniform(&r);
        for (int k = 0; k < EXPR_N; k++) targets[b * EXPR_N + k] /= s;
    }
    for (int i = 0; i < B * EN_ATT * EN_ATT; i++) heat[i] = tr_rng_uniform(&r);
    for (int i = 0; i < B * EN_CAM * EN_CAM; i++) heat6[i] = tr_rng_uniform(&r);
    for (int b = 0; b < B; b++) n->cam_k[b] = (b * 5 + 1) % EXPR_N;

    /* gradient check on sampled parameters: conv weights, BN gamma/beta, linear;
     * with the AU loss on the attention (mode 0) and on the CAM (mode 1) */
    for (cam_mode = 0; cam_mode < 2; cam_mode++) {
    printf("AU loss on the %s:\n", cam_mode ? "CAM" : "attention");
    loss(n, 1);
    float *g = malloc(n->n_params * sizeof(float));
    memcpy(g, n->grads, n->n_params * sizeof(float));
    struct { const char *name; float *p; size_t count; } groups[] = {
        {"conv1 w", n->conv[0].w, 9 * 32}, {"conv6 w", n->conv[5].w, 9 * 128 * 128}, {"conv8 gamma", n->conv[7].gamma, 256},
        {"conv3 beta", n->conv[2].beta, 64}, {"conv2 w", n->conv[1].w, 9 * 32 * 32}, {"conv7 w", n->conv[6].w, 9 * 128 * 256}, {"conv7 beta", n->conv[6].beta, 256}, {"fc w", n->fc_w, 256 * EXPR_N}, {"fc b", n->fc_b, EXPR_N},
    };
    for (size_t gi = 0; gi < sizeof groups / sizeof *groups; gi++) {
        double gmax = 0, dot = 0, na = 0, nf = 0, worst = 0;
        size_t off0 = (size_t)(groups[gi].p - n->params);
        for (size_t i = 0; i < groups[gi].count; i++) gmax = fmax(gmax, fabs(g[off0 + i]));
        for (int t = 0; t < 8; t++) {
            /* a deep ReLU/max-pool network has kinks and a float32 forward has
             * noise, so a single step size can mislead: take, of three step
             * sizes, the estimate closest to the analytic value */
            size_t i = (size_t)(tr_rng_uniform(&r) * groups[gi].count) % groups[gi].count, off = off0 + i;
            double an = g[off], best_fd = 0, best = 1e30;
            for (float eps = 1e-2f; eps > 1e-5f; eps /= 10) {
                float keep = n->params[off];
                n->params[off] = keep + eps; double lp = loss(n, 0);
                n->params[off] = keep - eps; double lm = loss(n, 0);
                n->params[off] = keep;
                double fd = (lp - lm) / (2 * eps);
                if (fabs(fd - an) < best) { best = fabs(fd - an); best_fd = fd; }
            }
            dot += an * best_fd; na += an * an; nf += best_fd * best_fd;
            worst = fmax(worst, best / fmax(fabs(an), 0.1 * gmax + 1e-9));
        }
        double cosine = dot / sqrt(fmax(na * nf, 1e-30));
        printf("%-12s cosine(analytic, numerical) %.4f, max error %.3g of max(|g|, 0.1 max|g|)\n", groups[gi].name,
               cosine, worst);
        CHECK(cosine > 0.98 && worst < 0.25, "%s gradient (%s): cosine %.4f, error %.3g", groups[gi].name,
              cam_mode ? "CAM" : "attention", cosine, worst);
    }
    free(g);
    }
    cam_mode = 0;

    /* tiny training run on hard labels (a loss that can reach 0): it must fall */
    lambda = 0.1f;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < EXPR_N; k++) targets[b * EXPR_N + k] = k == (b * 3) % EXPR_N;
    tr_adamw opt = tr_adamw_default();
    double first = loss(n, 1), last = first;
    for (int step = 1; step <= 40; step++) {
        tr_adamw_update(n->params, n->grads, n->adam_m, n->adam_v, n->n_params, 2e-3f, 0, step, &opt);
        last = loss(n, 1);
    }
    printf("overfit 4 images: loss %.4f -> %.4f\n", first, last);
    CHECK(last < 0.2 * first, "loss did not fall: %.4f -> %.4f", first, last);

    /* save / load round trip and a damaged file */
    char path[] = "/tmp/augur-test-expr-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) {
        close(fd);
        CHECK(en_save(n, path, &e) == 0, "save: %s", e.msg);
        expr_net *m;
        en_create(&m, 1, 99, &e);
        CHECK(en_load_weights(m, path, &e) == 0, "load: %s", e.msg);
        double worst = 0;
        for (size_t i = 0; i < n->n_params; i++)
            worst = fmax(worst, fabs(m->params[i] - n->params[i]) / fmax(fabs(n->params[i]), 1e-3));
        CHECK(worst < 1e-3 && !memcmp(m->stats, n->stats, n->n_stats * 4), "half-precision round trip: %.3g", worst);

        /* the model soup: the average of two files is their mean, value by value */
        char path2[] = "/tmp/augur-test-expr2-XXXXXX";
        int fd2 = mkstemp(path2);
        if (fd2 >= 0) {
            close(fd2);
            expr_net *o, *a;
            en_create(&o, 1, 7, &e);
            en_create(&a, 1, 5, &e);
            for (size_t i = 0; i < o->n_stats; i++) o->stats[i] = 0.5f + (float)i; /* stats unlike n's */
            CHECK(en_save(o, path2, &e) == 0, "save 2: %s", e.msg);
            CHECK(en_load_weights(o, path2, &e) == 0, "load 2: %s", e.msg); /* o as stored (half) */
            const char *two[] = {path, path2};
            CHECK(en_average_weights(a, two, 2, &e) == 0, "average: %s", e.msg);
            int bad = 0;
            for (size_t i = 0; i < a->n_params; i++) bad += a->params[i] != (m->params[i] + o->params[i]) / 2;
            for (size_t i = 0; i < a->n_stats; i++) bad += a->stats[i] != (m->stats[i] + o->stats[i]) / 2;
            CHECK(bad == 0, "average of two models: %d values are not the mean", bad);
            const char *one[] = {path, "/nonexistent/augur-model.bin"};
            float keep = a->params[0];
            CHECK(en_average_weights(a, one, 2, &e) == AUGUR_EIO && strstr(e.msg, "nonexistent"), "average with a missing file: %s", e.msg);
            CHECK(a->params[0] == keep, "a failed average left the network unchanged");
            en_free(o);
            en_free(a);
            remove(path2);
        }
        FILE *f = fopen(path, "r+b");
        if (f) { fseek(f, 0, SEEK_END); long sz = ftell(f); fclose(f); truncate(path, sz / 2); }
        CHECK(en_load_weights(m, path, &e) == AUGUR_EFORMAT && strstr(e.msg, "truncated"), "truncated model: %s", e.msg);
        en_free(m);
        remove(path);
    }
    en_free(n);
    return t_finish();
}
