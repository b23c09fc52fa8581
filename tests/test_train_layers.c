/*
 * tests/test_train_layers.c — the training stack's layers, optimisers and
 * random numbers (src/train/):
 *   - every backward against central finite differences of its forward, for
 *     the inputs and every parameter, on small random shapes; the max relative
 *     error of each layer is printed;
 *   - the im2col + sgemm convolution against the reference loops (forward and
 *     backward), and backward accumulating (+=);
 *   - batch norm's running statistics and inference mode, the loss values;
 *   - PCG32 against its published reference output, the schedule, the updates;
 *   - a tiny end-to-end training run (conv-BN-ReLU-pool-conv-ReLU-pool-linear,
 *     cross-entropy + AU-guidance loss, AdamW, cosine schedule) separating
 *     bright blobs on the left from blobs on the right: the loss must fall
 *     below 30% of its start, and the model must classify fresh images.
 *
 * Finite differences: the forward runs in float, the loss is accumulated in
 * double; the step is eps = 1e-3 on each element and the derivative is
 * (L(x+eps) - L(x-eps)) / (the float step actually taken). Layers that are a
 * tensor -> tensor map are checked through the projection L = sum(out * R)
 * with R fixed and random, so that dout = R. The relative error of one
 * element is |num - ana| / max(|num|, |ana|, floor), the floor (1e-2 of the
 * tensor's largest gradient) keeping near-zero entries, whose float noise is
 * all that is left, from dominating. Inputs are kept away from kinks (ReLU
 * at 0, max-pool ties), where the derivative does not exist.
 * FD_DEBUG=1 in the environment prints every element whose error is > 3e-3.
 */
#include "testutil.h"
#include "train/layers.h"
#include "fit/optim.h"
#include "train/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FD_EPS 1e-3f
#define FD_TOL 1e-2
#define FD_MAX_PROBES 200   /* elements checked per tensor (a random subset beyond that) */

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

static float *fnew(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static float *frand(tr_rng *r, size_t n, float lo, float hi)
{
    float *p = fnew(n);
    for (size_t i = 0; i < n; i++) p[i] = tr_rng_range(r, lo, hi);
    return p;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

static double max_abs(const float *a, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i]));
    return m;
}

/* max |a - b| / max|b| */
static double max_rel_diff(const float *a, const float *b, size_t n)
{
    double d = 0.0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i]));
    double s = max_abs(b, n);
    return s > 0 ? d / s : d;
}

typedef double (*loss_fn)(void *ctx);

/* The max relative error of the analytic gradient `ana` (n) of tensor x (n)
 * against central differences of loss(ctx). x is restored. */
static double fd_check(loss_fn loss, void *ctx, float *x, const float *ana, size_t n, tr_rng *r)
{
    const double floor = 1e-2 * max_abs(ana, n) + 1e-12;
    double worst = 0.0;
    size_t probes = n < FD_MAX_PROBES ? n : FD_MAX_PROBES;
    for (size_t p = 0; p < probes; p++) {
        size_t i = n <= FD_MAX_PROBES ? p : tr_rng_below(r, (uint32_t)n);
        const float keep = x[i];
        const float hi = keep + FD_EPS, lo = keep - FD_EPS;
        x[i] = hi;
        double lp = loss(ctx);
        x[i] = lo;
        double lm = loss(ctx);
        x[i] = keep;
        double num = (lp - lm) / ((double)hi - lo);
        double err = fabs(num - ana[i]) / fmax(fmax(fabs(num), fabs(ana[i])), floor);
        if (getenv("FD_DEBUG") && err > 3e-3) printf("    i=%zu num %.6g ana %.6g err %.2g floor %.2g\n", i, num, (double)ana[i], err, floor);
        worst = fmax(worst, err);
    }
    return worst;
}

/* One row of the report: a layer, its tensors' errors, the layer's max. */
static void report(const char *layer, int nt, const char *const names[], const double errs[])
{
    double worst = 0.0;
    printf("  %-22s", layer);
    for (int i = 0; i < nt; i++) {
        printf(" %s %.1e", names[i], errs[i]);
        worst = fmax(worst, errs[i]);
    }
    printf("   max %.1e\n", worst);
    CHECK(worst < FD_TOL, "%s: finite-difference relative error %.3g >= %.3g", layer, worst, FD_TOL);
}

/* ------------------------------------------------------------------------ */
/* gradient checks                                                           */

typedef struct conv_ctx {
    tr_conv_shape s;
    int fast, depthwise;         /* which forward */
    float *x, *w, *b, *out, *R, *scratch;
    size_t nx, nw, nout;
} conv_ctx;

static double conv_loss(void *p)
{
    conv_ctx *c = p;
    if (c->depthwise)
        tr_dwconv2d_forward(c->out, c->x, c->w, c->b, &c->s);
    else if (c->fast)
        tr_conv2d_forward(c->out, c->x, c->w, c->b, &c->s, c->scratch);
    else
        tr_conv2d_forward_ref(c->out, c->x, c->w, c->b, &c->s);
    return dot(c->out, c->R, c->nout);
}

static void check_conv(const char *layer, tr_conv_shape s, int fast, int depthwise, tr_rng *r)
{
    conv_ctx c = {.s = s, .fast = fast, .depthwise = depthwise};
    int OC = depthwise ? s.C : s.OC;
    c.nx = (size_t)s.B * s.H * s.W * s.C;
    c.nw = (size_t)s.k * s.k * s.C * (depthwise ? 1 : s.OC);
    c.nout = (size_t)s.B * tr_conv_out_h(&s) * tr_conv_out_w(&s) * OC;
    c.x = frand(r, c.nx, -1, 1);
    c.w = frand(r, c.nw, -1, 1);
    c.b = frand(r, OC, -1, 1);
    c.out = fnew(c.nout);
    c.R = frand(r, c.nout, -1, 1);
    c.scratch = fnew(tr_conv2d_scratch_floats(&s));
    float *dx = fnew(c.nx), *dw = fnew(c.nw), *db = fnew(OC);
    if (depthwise)
        tr_dwconv2d_backward(dx, dw, db, c.R, c.x, c.w, &s);
    else if (fast)
        tr_conv2d_backward(dx, dw, db, c.R, c.x, c.w, &s, c.scratch);
    else
        tr_conv2d_backward_ref(dx, dw, db, c.R, c.x, c.w, &s);
    const char *names[] = {"dinp", "dweight", "dbias"};
    double errs[3] = {fd_check(conv_loss, &c, c.x, dx, c.nx, r),
                      fd_check(conv_loss, &c, c.w, dw, c.nw, r),
                      fd_check(conv_loss, &c, c.b, db, OC, r)};
    report(layer, 3, names, errs);
    free(c.x), free(c.w), free(c.b), free(c.out), free(c.R), free(c.scratch);
    free(dx), free(dw), free(db);
}

typedef struct bn_ctx {
    int N, C;
    float *x, *gamma, *beta, *out, *mean, *rstd, *R;
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *c = p;
    tr_batchnorm_forward_train(c->out, c->mean, c->rstd, NULL, NULL, c->x, c->gamma, c->beta,
                               c->N, c->C, 1e-5f, 0.1f);
    return dot(c->out, c->R, (size_t)c->N * c->C);
}

static void check_batchnorm(tr_rng *r)
{
    bn_ctx c = {.N = 2 * 4 * 3, .C = 5};
    size_t n = (size_t)c.N * c.C;
    /* A narrow input spread (std ~0.15): BN's input gradient scales with
     * 1/std while the float noise of its normalised output does not, so this
     * keeps the check well-conditioned; eps/std ~ 0.007 keeps the
     * finite-difference truncation error ~1e-4. */
    c.x = frand(r, n, -0.25f, 0.25f);
    c.gamma = frand(r, c.C, 0.5f, 1.5f);
    c.beta = frand(r, c.C, -1, 1);
    c.out = fnew(n), c.mean = fnew(c.C), c.rstd = fnew(c.C);
    c.R = frand(r, n, -1, 1);
    float *dx = fnew(n), *dg = fnew(c.C), *db = fnew(c.C);
    bn_loss(&c);
    tr_batchnorm_backward(dx, dg, db, c.R, c.x, c.mean, c.rstd, c.gamma, c.N, c.C);
    const char *names[] = {"dinp", "dgamma", "dbeta"};
    double errs[3] = {fd_check(bn_loss, &c, c.x, dx, n, r),
                      fd_check(bn_loss, &c, c.gamma, dg, c.C, r),
                      fd_check(bn_loss, &c, c.beta, db, c.C, r)};
    report("batchnorm (train)", 3, names, errs);
    free(c.x), free(c.gamma), free(c.beta), free(c.out), free(c.mean), free(c.rstd), free(c.R);
    free(dx), free(dg), free(db);
}

/* Elementwise / pooling layers without parameters: inp -> out. */
typedef struct map_ctx {
    int kind;                     /* 0 relu, 1 maxpool, 2 avgpool, 3 attention */
    int B, H, W, C;
    float *x, *out, *R;
    size_t nx, nout;
} map_ctx;

static double map_loss(void *p)
{
    map_ctx *c = p;
    switch (c->kind) {
    case 0: tr_relu_forward(c->out, c->x, c->nx); break;
    case 1: tr_maxpool2_forward(c->out, c->x, c->B, c->H, c->W, c->C); break;
    case 2: tr_avgpool_forward(c->out, c->x, c->B, c->H, c->W, c->C); break;
    default: tr_attention_forward(c->out, c->x, c->B, c->H, c->W, c->C); break;
    }
    return dot(c->out, c->R, c->nout);
}

static void check_map(const char *layer, int kind, tr_rng *r)
{
    map_ctx c = {.kind = kind, .B = 2, .H = 5, .W = 6, .C = 3};
    c.nx = (size_t)c.B * c.H * c.W * c.C;
    c.nout = kind == 0 ? c.nx
           : kind == 1 ? (size_t)c.B * (c.H / 2) * (c.W / 2) * c.C
           : kind == 2 ? (size_t)c.B * c.C
           : (size_t)c.B * c.H * c.W;
    c.x = fnew(c.nx);
    if (kind == 1) {
        /* distinct values 0.01 apart (> 2 eps): no window has a near-tie */
        int *perm = malloc(c.nx * sizeof *perm);
        for (size_t i = 0; i < c.nx; i++) perm[i] = (int)i;
        tr_rng_shuffle(r, perm, c.nx);
        for (size_t i = 0; i < c.nx; i++) c.x[i] = 0.01f * perm[i] - 0.5f;
        free(perm);
    } else {
        for (size_t i = 0; i < c.nx; i++) {   /* |x| >= 0.05: away from ReLU's kink */
            float v = tr_rng_range(r, 0.05f, 1.0f);
            c.x[i] = tr_rng_u32(r) & 1 ? v : -v;
        }
    }
    c.out = fnew(c.nout);
    c.R = frand(r, c.nout, -1, 1);
    float *dx = fnew(c.nx);
    map_loss(&c);
    switch (kind) {
    case 0: tr_relu_backward(dx, c.R, c.out, c.nx); break;
    case 1: tr_maxpool2_backward(dx, c.R, c.x, c.B, c.H, c.W, c.C); break;
    case 2: tr_avgpool_backward(dx, c.R, c.B, c.H, c.W, c.C); break;
    default: tr_attention_backward(dx, c.R, c.B, c.H, c.W, c.C); break;
    }
    const char *names[] = {"dinp"};
    double errs[1] = {fd_check(map_loss, &c, c.x, dx, c.nx, r)};
    report(layer, 1, names, errs);
    free(c.x), free(c.out), free(c.R), free(dx);
}

typedef struct linear_ctx {
    int B, IC, OC;
    float *x, *w, *b, *out, *R;
} linear_ctx;

static double linear_loss(void *p)
{
    linear_ctx *c = p;
    tr_linear_forward(c->out, c->x, c->w, c->b, c->B, c->IC, c->OC);
    return dot(c->out, c->R, (size_t)c->B * c->OC);
}

static void check_linear(tr_rng *r)
{
    linear_ctx c = {.B = 3, .IC = 7, .OC = 5};
    size_t nx = (size_t)c.B * c.IC, nw = (size_t)c.IC * c.OC, no = (size_t)c.B * c.OC;
    c.x = frand(r, nx, -1, 1), c.w = frand(r, nw, -1, 1), c.b = frand(r, c.OC, -1, 1);
    c.out = fnew(no), c.R = frand(r, no, -1, 1);
    float *dx = fnew(nx), *dw = fnew(nw), *db = fnew(c.OC);
    tr_linear_backward(dx, dw, db, c.R, c.x, c.w, c.B, c.IC, c.OC);
    const char *names[] = {"dinp", "dweight", "dbias"};
    double errs[3] = {fd_check(linear_loss, &c, c.x, dx, nx, r),
                      fd_check(linear_loss, &c, c.w, dw, nw, r),
                      fd_check(linear_loss, &c, c.b, db, c.OC, r)};
    report("linear", 3, names, errs);
    free(c.x), free(c.w), free(c.b), free(c.out), free(c.R), free(dx), free(dw), free(db);
}

typedef struct xent_ctx {
    int B, K;
    float *z, *t, *w, *probs;
} xent_ctx;

static double xent_loss(void *p)
{
    xent_ctx *c = p;
    return tr_softmax_xent_forward(c->probs, c->z, c->t, c->w, c->B, c->K);
}

static void check_xent(tr_rng *r)
{
    xent_ctx c = {.B = 4, .K = 6};
    size_t n = (size_t)c.B * c.K;
    c.z = frand(r, n, -3, 3);
    c.t = frand(r, n, 0, 1);          /* soft targets: random distributions */
    for (int b = 0; b < c.B; b++) {
        float s = 0;
        for (int k = 0; k < c.K; k++) s += c.t[b * c.K + k];
        for (int k = 0; k < c.K; k++) c.t[b * c.K + k] /= s;
    }
    c.w = frand(r, c.K, 0.3f, 3.0f);
    c.probs = fnew(n);
    float *dz = fnew(n);
    xent_loss(&c);
    tr_softmax_xent_backward(dz, c.probs, c.t, c.w, c.B, c.K, 1.0f);
    const char *names[] = {"dlogits"};
    double errs[1] = {fd_check(xent_loss, &c, c.z, dz, n, r)};
    report("softmax-xent (soft, w)", 1, names, errs);
    free(c.z), free(c.t), free(c.w), free(c.probs), free(dz);
}

typedef struct au_ctx {
    int B, HW;
    float lambda;
    float *att, *heat;
    unsigned char *has;
} au_ctx;

static double au_loss(void *p)
{
    au_ctx *c = p;
    return tr_au_loss_forward(NULL, c->att, c->heat, c->has, c->B, c->HW, c->lambda);
}

static void check_au_loss(tr_rng *r)
{
    unsigned char has[3] = {1, 0, 1};   /* the middle sample is "neutral" */
    au_ctx c = {.B = 3, .HW = 20, .lambda = 0.7f, .has = has};
    size_t n = (size_t)c.B * c.HW;
    c.att = frand(r, n, 0, 1);
    c.heat = frand(r, n, 0, 1);
    float *da = fnew(n);
    tr_au_loss_backward(da, c.att, c.heat, c.has, c.B, c.HW, c.lambda, 1.0f);
    const char *names[] = {"datt"};
    double errs[1] = {fd_check(au_loss, &c, c.att, da, n, r)};
    report("AU-guidance loss", 1, names, errs);
    CHECK(max_abs(da + c.HW, c.HW) == 0.0, "the neutral sample got an attention gradient");

    /* The value: lambda/B * sum (1 - cos); a map equal to its heatmap (up to
     * scale) costs nothing. */
    float cos[3];
    memcpy(c.att, c.heat, c.HW * sizeof(float));
    for (int i = 0; i < c.HW; i++) c.att[i] *= 3.0f;
    double want = 0.7 / 3 * (1.0 - dot(c.att + 2 * c.HW, c.heat + 2 * c.HW, c.HW) /
                                       sqrt(dot(c.att + 2 * c.HW, c.att + 2 * c.HW, c.HW) *
                                            dot(c.heat + 2 * c.HW, c.heat + 2 * c.HW, c.HW)));
    double got = tr_au_loss_forward(cos, c.att, c.heat, c.has, c.B, c.HW, c.lambda);
    CHECK(fabs(got - want) < 1e-6, "AU loss %.7f, want %.7f", got, want);
    CHECK(fabsf(cos[0] - 1.0f) < 1e-6f && cos[1] == 0.0f, "cosines %g %g", cos[0], cos[1]);
    free(c.att), free(c.heat), free(da);
}

static void test_gradients(void)
{
    tr_rng r;
    tr_rng_seed(&r, 1, 0);
    printf("finite-difference gradient checks (max relative error; tolerance %.0e):\n", FD_TOL);
    tr_conv_shape s3 = {.B = 2, .H = 6, .W = 5, .C = 3, .OC = 4, .k = 3, .stride = 1, .pad = 1};
    tr_conv_shape s3s2 = {.B = 2, .H = 7, .W = 6, .C = 3, .OC = 4, .k = 3, .stride = 2, .pad = 1};
    tr_conv_shape s1 = {.B = 2, .H = 4, .W = 3, .C = 5, .OC = 3, .k = 1, .stride = 1, .pad = 0};
    check_conv("conv2d ref 3x3 s1", s3, 0, 0, &r);
    check_conv("conv2d ref 3x3 s2", s3s2, 0, 0, &r);
    check_conv("conv2d sgemm 3x3 s1", s3, 1, 0, &r);
    check_conv("conv2d sgemm 3x3 s2", s3s2, 1, 0, &r);
    check_conv("conv2d sgemm 1x1", s1, 1, 0, &r);
    tr_conv_shape d1 = {.B = 2, .H = 6, .W = 5, .C = 4, .OC = 4, .k = 3, .stride = 1, .pad = 1};
    tr_conv_shape d2 = {.B = 2, .H = 7, .W = 6, .C = 4, .OC = 4, .k = 3, .stride = 2, .pad = 1};
    check_conv("dwconv2d 3x3 s1", d1, 0, 1, &r);
    check_conv("dwconv2d 3x3 s2", d2, 0, 1, &r);
    check_batchnorm(&r);
    check_map("relu", 0, &r);
    check_map("maxpool 2x2", 1, &r);
    check_map("global avgpool", 2, &r);
    check_linear(&r);
    check_xent(&r);
    check_map("attention (mean of C)", 3, &r);
    check_au_loss(&r);
}

/* ------------------------------------------------------------------------ */
/* sgemm conv == reference conv                                              */

static void compare_conv(tr_conv_shape s, int with_bias, tr_rng *r)
{
    const int OH = tr_conv_out_h(&s), OW = tr_conv_out_w(&s);
    size_t nx = (size_t)s.B * s.H * s.W * s.C, nw = (size_t)s.k * s.k * s.C * s.OC;
    size_t no = (size_t)s.B * OH * OW * s.OC;
    float *x = frand(r, nx, -1, 1), *w = frand(r, nw, -1, 1), *b = frand(r, s.OC, -1, 1);
    float *g = frand(r, no, -1, 1), *scratch = fnew(tr_conv2d_scratch_floats(&s));
    float *o_ref = fnew(no), *o_fast = fnew(no);
    float *dx_ref = fnew(nx), *dw_ref = fnew(nw), *db_ref = fnew(s.OC);
    float *dx_fast = fnew(nx), *dw_fast = fnew(nw), *db_fast = fnew(s.OC);
    const float *bias = with_bias ? b : NULL;

    tr_conv2d_forward_ref(o_ref, x, w, bias, &s);
    tr_conv2d_forward(o_fast, x, w, bias, &s, scratch);
    tr_conv2d_backward_ref(dx_ref, dw_ref, with_bias ? db_ref : NULL, g, x, w, &s);
    tr_conv2d_backward(dx_fast, dw_fast, with_bias ? db_fast : NULL, g, x, w, &s, scratch);
    double e[4] = {max_rel_diff(o_fast, o_ref, no), max_rel_diff(dx_fast, dx_ref, nx),
                   max_rel_diff(dw_fast, dw_ref, nw),
                   with_bias ? max_rel_diff(db_fast, db_ref, s.OC) : 0.0};
    printf("  %dx%d s%d p%d %2dx%2dx%2d->%2d B%d%s: out %.1e dinp %.1e dweight %.1e dbias %.1e\n",
           s.k, s.k, s.stride, s.pad, s.H, s.W, s.C, s.OC, s.B, with_bias ? "" : " (no bias)",
           e[0], e[1], e[2], e[3]);
    for (int i = 0; i < 4; i++)
        CHECK(e[i] < 1e-5, "sgemm conv differs from the reference (%d: %.3g)", i, e[i]);

    /* backward accumulates: a second call doubles every gradient */
    tr_conv2d_backward(dx_fast, dw_fast, with_bias ? db_fast : NULL, g, x, w, &s, scratch);
    for (size_t i = 0; i < nx; i++) dx_ref[i] *= 2;
    for (size_t i = 0; i < nw; i++) dw_ref[i] *= 2;
    CHECK(max_rel_diff(dx_fast, dx_ref, nx) < 1e-5 && max_rel_diff(dw_fast, dw_ref, nw) < 1e-5,
          "conv2d_backward does not accumulate");

    free(x), free(w), free(b), free(g), free(scratch), free(o_ref), free(o_fast);
    free(dx_ref), free(dw_ref), free(db_ref), free(dx_fast), free(dw_fast), free(db_fast);
}

static void test_conv_paths(void)
{
    tr_rng r;
    tr_rng_seed(&r, 2, 0);
    printf("sgemm conv vs reference conv (max |diff| / max |ref|):\n");
    compare_conv((tr_conv_shape){.B = 3, .H = 9, .W = 7, .C = 5, .OC = 6, .k = 3, .stride = 1, .pad = 1}, 1, &r);
    compare_conv((tr_conv_shape){.B = 2, .H = 9, .W = 8, .C = 16, .OC = 8, .k = 3, .stride = 2, .pad = 1}, 1, &r);
    compare_conv((tr_conv_shape){.B = 2, .H = 8, .W = 8, .C = 4, .OC = 5, .k = 5, .stride = 1, .pad = 2}, 0, &r);
    compare_conv((tr_conv_shape){.B = 2, .H = 6, .W = 6, .C = 8, .OC = 12, .k = 3, .stride = 1, .pad = 0}, 1, &r);
    compare_conv((tr_conv_shape){.B = 2, .H = 5, .W = 4, .C = 12, .OC = 7, .k = 1, .stride = 1, .pad = 0}, 1, &r);
    compare_conv((tr_conv_shape){.B = 1, .H = 8, .W = 8, .C = 3, .OC = 4, .k = 1, .stride = 2, .pad = 0}, 0, &r);
}

/* ------------------------------------------------------------------------ */
/* values: batch norm statistics, cross-entropy                              */

static void test_values(void)
{
    tr_rng r;
    tr_rng_seed(&r, 3, 0);

    /* Batch norm: with momentum 1 the running stats are the batch's mean and
     * unbiased variance, and the training output has per-channel mean beta
     * and variance gamma^2 (biased). */
    enum { N = 50, C = 3 };
    float *x = frand(&r, N * C, -2, 5), out[N * C], mean[C], rstd[C];
    float rm[C] = {0}, rv[C] = {1, 1, 1}, gamma[C] = {1, 2, 0.5f}, beta[C] = {0, -1, 3};
    tr_batchnorm_forward_train(out, mean, rstd, rm, rv, x, gamma, beta, N, C, 1e-5f, 1.0f);
    for (int c = 0; c < C; c++) {
        double m = 0, v = 0, om = 0, ov = 0;
        for (int n = 0; n < N; n++) m += x[n * C + c], om += out[n * C + c];
        m /= N, om /= N;
        for (int n = 0; n < N; n++) {
            v += (x[n * C + c] - m) * (x[n * C + c] - m);
            ov += (out[n * C + c] - om) * (out[n * C + c] - om);
        }
        CHECK(fabs(rm[c] - m) < 1e-5 && fabs(rv[c] - v / (N - 1)) < 1e-4,
              "running stats %g %g, want %g %g", rm[c], rv[c], m, v / (N - 1));
        CHECK(fabs(om - beta[c]) < 1e-5 && fabs(ov / N - gamma[c] * gamma[c]) < 1e-3,
              "normalised channel %d: mean %g var %g", c, om, ov / N);
    }
    /* Inference mode with the running stats is the same affine map up to the
     * biased/unbiased variance: scale by sqrt((N-1)/N) to compare. */
    float rv_biased[C], out_eval[N * C];
    for (int c = 0; c < C; c++) rv_biased[c] = rv[c] * (N - 1) / N;
    tr_batchnorm_forward_eval(out_eval, x, rm, rv_biased, gamma, beta, N, C, 1e-5f);
    CHECK(max_rel_diff(out_eval, out, N * C) < 1e-5, "batchnorm eval != train on the same stats");
    free(x);

    /* Cross-entropy: hard labels, unweighted = mean -log p_y; weighted =
     * sum w_y (-log p_y) / sum w_y (PyTorch's convention). */
    float z[2 * 3] = {1, 2, 3, 0.5f, -1, 2}, t[2 * 3] = {0, 0, 1, 1, 0, 0}, p[6], w[3] = {1, 2, 4};
    double l0 = log(exp(1 - 3.0) + exp(2 - 3.0) + 1);                   /* -log p[0][2] */
    double l1 = log(exp(0.5) + exp(-1.0) + exp(2.0)) - 0.5;              /* -log p[1][0] */
    double got = tr_softmax_xent_forward(p, z, t, NULL, 2, 3);
    CHECK(fabs(got - (l0 + l1) / 2) < 1e-6, "xent %g, want %g", got, (l0 + l1) / 2);
    got = tr_softmax_xent_forward(p, z, t, w, 2, 3);
    CHECK(fabs(got - (4 * l0 + 1 * l1) / 5) < 1e-6, "weighted xent %g", got);
    CHECK(fabs(p[0] + p[1] + p[2] - 1) < 1e-6 && fabs(p[3] + p[4] + p[5] - 1) < 1e-6,
          "probabilities do not sum to 1");
    /* Huge logits stay finite. */
    float zbig[3] = {1000, -1000, 0};
    got = tr_softmax_xent_forward(p, zbig, t, NULL, 1, 3);
    CHECK(isfinite(got) && fabs(got - 1000) < 1e-3, "xent of large logits %g", got);
}

/* ------------------------------------------------------------------------ */
/* random numbers, schedule, optimisers                                      */

static void test_rng_optim(void)
{
    /* pcg32-demo (pcg-random.org, pcg-c-basic): seed 42, stream 54. */
    const uint32_t want[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e};
    tr_rng r;
    tr_rng_seed(&r, 42, 54);
    int same = 1;
    for (int i = 0; i < 6; i++) same &= tr_rng_u32(&r) == want[i];
    CHECK(same, "PCG32 differs from the reference sequence");

    double s = 0, s2 = 0, u = 0;
    int outside = 0;
    enum { M = 100000 };
    for (int i = 0; i < M; i++) {
        double v = tr_rng_normal(&r);
        s += v, s2 += v * v;
        float f = tr_rng_uniform(&r);
        outside += !(f >= 0.0f && f < 1.0f);
        u += f;
    }
    CHECK(outside == 0, "%d uniform draws out of [0,1)", outside);
    CHECK(fabs(s / M) < 0.02 && fabs(s2 / M - 1) < 0.02, "normal: mean %g var %g", s / M, s2 / M);
    CHECK(fabs(u / M - 0.5) < 0.01, "uniform mean %g", u / M);
    int idx[10], seen = 0;
    for (int i = 0; i < 10; i++) idx[i] = i;
    tr_rng_shuffle(&r, idx, 10);
    for (int i = 0; i < 10; i++) seen |= 1 << idx[i];
    CHECK(seen == 0x3ff, "shuffle is not a permutation");

    tr_schedule sc = {.lr_max = 1.0f, .lr_min = 0.1f, .warmup_steps = 10, .total_steps = 110};
    CHECK(fabsf(tr_lr_cosine(&sc, 0) - 0.1f) < 1e-6f && fabsf(tr_lr_cosine(&sc, 9) - 1.0f) < 1e-6f,
          "warm-up %g %g", tr_lr_cosine(&sc, 0), tr_lr_cosine(&sc, 9));
    CHECK(fabsf(tr_lr_cosine(&sc, 10) - 1.0f) < 1e-6f && fabsf(tr_lr_cosine(&sc, 60) - 0.55f) < 1e-6f &&
          fabsf(tr_lr_cosine(&sc, 110) - 0.1f) < 1e-6f && fabsf(tr_lr_cosine(&sc, 500) - 0.1f) < 1e-6f,
          "cosine %g %g %g", tr_lr_cosine(&sc, 10), tr_lr_cosine(&sc, 60), tr_lr_cosine(&sc, 110));

    /* AdamW's first step moves each parameter by lr * sign(grad) (plus decay). */
    tr_adamw o = tr_adamw_default();
    float p[3] = {1, 2, 3}, g[3] = {0.5f, -4, 1e-3f}, m[3] = {0}, v[3] = {0};
    tr_adamw_update(p, g, m, v, 3, 0.1f, 0.0f, 1, &o);
    CHECK(fabsf(p[0] - 0.9f) < 1e-5f && fabsf(p[1] - 2.1f) < 1e-5f && fabsf(p[2] - 2.9f) < 1e-4f,
          "adamw step 1: %g %g %g", p[0], p[1], p[2]);
    float q[1] = {2}, gz[1] = {0}, mz[1] = {0}, vz[1] = {0};
    tr_adamw_update(q, gz, mz, vz, 1, 0.1f, 0.5f, 1, &o);
    CHECK(fabsf(q[0] - 1.9f) < 1e-6f, "adamw decoupled decay: %g", q[0]);
    /* SGD-momentum by hand: v = 0.9 v + g + wd p; p -= lr v. */
    float sp[1] = {1}, sg[1] = {2}, sv[1] = {0};
    tr_sgd_update(sp, sg, sv, 1, 0.1f, 0.9f, 0.5f);    /* v = 2.5, p = 0.75 */
    tr_sgd_update(sp, sg, sv, 1, 0.1f, 0.9f, 0.5f);    /* v = 2.25 + 2.375, p = 0.2875 */
    CHECK(fabsf(sp[0] - 0.2875f) < 1e-6f, "sgd: %g", sp[0]);
}

/* ------------------------------------------------------------------------ */
/* a tiny end-to-end training run                                            */
/*
 * 16x16 grey images holding one bright Gaussian blob, in the left third
 * (class 0) or the right third (class 1), over noise. The network:
 *   x (B,16,16,1) -conv3x3 1->8, no bias-> BN -> ReLU = a1 (B,16,16,8)
 *   -maxpool-> (B,8,8,8) -conv3x3 8->16 + bias-> ReLU -maxpool-> (B,4,4,16)
 *   -linear 256->2-> logits
 * and the loss is cross-entropy + 0.1 * AU-guidance on a1's attention, the
 * "heatmap" being the blob itself, given for class 0 only (class 1 plays the
 * neutral face that has none).
 */
enum { E_B = 16, E_S = 16, E_C1 = 8, E_C2 = 16, E_K = 2, E_FLAT = 4 * 4 * E_C2 };
enum { P_W1, P_G1, P_BE1, P_W2, P_B2, P_W3, P_B3, P_COUNT };

typedef struct tiny_net {
    float *params, *grads, *m, *v;          /* one block each, tensors at off[] */
    size_t off[P_COUNT + 1];
    float run_mean[E_C1], run_var[E_C1];
    tr_conv_shape c1, c2;
    float *scratch;
    /* activations: z1 = conv1(x), a1 = relu(bn(z1)), att = attention(a1),
     * p1 = pool(a1), a2 = relu(conv2(p1)), p2 = pool(a2); the ReLUs run in
     * place, so a1 and a2 also hold their inputs until the ReLU overwrites them */
    float *x, *z1, *bn_mean, *bn_rstd, *a1, *att, *p1, *a2, *p2, *logits, *probs;
    /* their gradients; dy1 is that of bn's output, dz2 that of conv2's */
    float *dz1, *dy1, *da1, *datt, *dp1, *dz2, *da2, *dp2, *dlogits;
} tiny_net;

enum { A1 = E_B * E_S * E_S * E_C1, A2 = E_B * 8 * 8 * E_C2, ATT = E_B * E_S * E_S };

static float *P(tiny_net *n, int t) { return n->params + n->off[t]; }
static float *G(tiny_net *n, int t) { return n->grads + n->off[t]; }

static void tiny_init(tiny_net *n, tr_rng *r)
{
    memset(n, 0, sizeof *n);
    const size_t sizes[P_COUNT] = {9 * E_C1, E_C1, E_C1, 9 * E_C1 * E_C2, E_C2, E_FLAT * E_K, E_K};
    for (int t = 0; t < P_COUNT; t++) n->off[t + 1] = n->off[t] + sizes[t];
    size_t np = n->off[P_COUNT];
    n->params = fnew(np), n->grads = fnew(np), n->m = fnew(np), n->v = fnew(np);
    tr_rng_he_init(r, P(n, P_W1), sizes[P_W1], 9);
    for (int c = 0; c < E_C1; c++) P(n, P_G1)[c] = 1.0f, n->run_var[c] = 1.0f;
    tr_rng_he_init(r, P(n, P_W2), sizes[P_W2], 9 * E_C1);
    tr_rng_fill_normal(r, P(n, P_W3), sizes[P_W3], 0.0f, sqrtf(1.0f / E_FLAT));
    n->c1 = (tr_conv_shape){.B = E_B, .H = E_S, .W = E_S, .C = 1, .OC = E_C1, .k = 3, .stride = 1, .pad = 1};
    n->c2 = (tr_conv_shape){.B = E_B, .H = E_S / 2, .W = E_S / 2, .C = E_C1, .OC = E_C2, .k = 3, .stride = 1, .pad = 1};
    size_t sc1 = tr_conv2d_scratch_floats(&n->c1), sc2 = tr_conv2d_scratch_floats(&n->c2);
    n->scratch = fnew(sc1 > sc2 ? sc1 : sc2);
    n->x = fnew(ATT);
    n->z1 = fnew(A1), n->a1 = fnew(A1), n->att = fnew(ATT), n->p1 = fnew(A1 / 4);
    n->a2 = fnew(A2), n->p2 = fnew(A2 / 4);
    n->bn_mean = fnew(E_C1), n->bn_rstd = fnew(E_C1);
    n->logits = fnew(E_B * E_K), n->probs = fnew(E_B * E_K);
    n->dz1 = fnew(A1), n->dy1 = fnew(A1), n->da1 = fnew(A1), n->datt = fnew(ATT);
    n->dp1 = fnew(A1 / 4), n->dz2 = fnew(A2), n->da2 = fnew(A2), n->dp2 = fnew(A2 / 4);
    n->dlogits = fnew(E_B * E_K);
}

static void tiny_free(tiny_net *n)
{
    float *all[] = {n->params, n->grads, n->m, n->v, n->scratch, n->x, n->z1, n->a1, n->att,
                    n->p1, n->a2, n->p2, n->bn_mean, n->bn_rstd, n->logits, n->probs,
                    n->dz1, n->dy1, n->da1, n->datt, n->dp1, n->dz2, n->da2, n->dp2, n->dlogits};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

/* A batch: images into n->x, one-hot targets, blob heatmaps for class 0. */
static void tiny_batch(tiny_net *n, tr_rng *r, float *targets, float *heat, unsigned char *has)
{
    for (int b = 0; b < E_B; b++) {
        int cls = (int)tr_rng_below(r, 2);
        float cx = cls == 0 ? tr_rng_range(r, 2, 5) : tr_rng_range(r, 10, 13);
        float cy = tr_rng_range(r, 2, 13);
        for (int y = 0; y < E_S; y++)
            for (int x = 0; x < E_S; x++) {
                float d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                float blob = expf(-d2 / (2 * 1.5f * 1.5f));
                n->x[(b * E_S + y) * E_S + x] = blob + 0.1f * tr_rng_normal(r);
                heat[(b * E_S + y) * E_S + x] = blob;
            }
        targets[b * E_K + 0] = cls == 0, targets[b * E_K + 1] = cls == 1;
        has[b] = cls == 0;
    }
}

/* Forward; train selects batch statistics (and updates the running ones). */
static void tiny_forward(tiny_net *n, int train)
{
    tr_conv2d_forward(n->z1, n->x, P(n, P_W1), NULL, &n->c1, n->scratch);
    if (train)
        tr_batchnorm_forward_train(n->a1, n->bn_mean, n->bn_rstd, n->run_mean, n->run_var, n->z1,
                                   P(n, P_G1), P(n, P_BE1), E_B * E_S * E_S, E_C1, 1e-5f, 0.1f);
    else
        tr_batchnorm_forward_eval(n->a1, n->z1, n->run_mean, n->run_var, P(n, P_G1), P(n, P_BE1),
                                  E_B * E_S * E_S, E_C1, 1e-5f);
    tr_relu_forward(n->a1, n->a1, A1);
    tr_attention_forward(n->att, n->a1, E_B, E_S, E_S, E_C1);
    tr_maxpool2_forward(n->p1, n->a1, E_B, E_S, E_S, E_C1);
    tr_conv2d_forward(n->a2, n->p1, P(n, P_W2), P(n, P_B2), &n->c2, n->scratch);
    tr_relu_forward(n->a2, n->a2, A2);
    tr_maxpool2_forward(n->p2, n->a2, E_B, 8, 8, E_C2);
    tr_linear_forward(n->logits, n->p2, P(n, P_W3), P(n, P_B3), E_B, E_FLAT, E_K);
}

/* Backward of CE + AU loss, in reverse order of the forward. Every gradient
 * accumulates (+=), so all are zeroed first. */
static void tiny_backward(tiny_net *n, const float *targets, const float *heat,
                          const unsigned char *has, float lambda)
{
    memset(n->grads, 0, n->off[P_COUNT] * sizeof(float));
    float *dacts[] = {n->dz1, n->dy1, n->da1, n->datt, n->dp1, n->dz2, n->da2, n->dp2, n->dlogits};
    const size_t sizes[] = {A1, A1, A1, ATT, A1 / 4, A2, A2, A2 / 4, E_B * E_K};
    for (int i = 0; i < 9; i++) memset(dacts[i], 0, sizes[i] * sizeof(float));

    tr_softmax_xent_backward(n->dlogits, n->probs, targets, NULL, E_B, E_K, 1.0f);
    tr_linear_backward(n->dp2, G(n, P_W3), G(n, P_B3), n->dlogits, n->p2, P(n, P_W3), E_B, E_FLAT, E_K);
    tr_maxpool2_backward(n->da2, n->dp2, n->a2, E_B, 8, 8, E_C2);
    tr_relu_backward(n->dz2, n->da2, n->a2, A2);
    tr_conv2d_backward(n->dp1, G(n, P_W2), G(n, P_B2), n->dz2, n->p1, P(n, P_W2), &n->c2, n->scratch);
    tr_maxpool2_backward(n->da1, n->dp1, n->a1, E_B, E_S, E_S, E_C1);
    /* a1 feeds both the pool and the attention: the two gradients add up in da1 */
    tr_au_loss_backward(n->datt, n->att, heat, has, E_B, E_S * E_S, lambda, 1.0f);
    tr_attention_backward(n->da1, n->datt, E_B, E_S, E_S, E_C1);
    tr_relu_backward(n->dy1, n->da1, n->a1, A1);
    tr_batchnorm_backward(n->dz1, G(n, P_G1), G(n, P_BE1), n->dy1, n->z1, n->bn_mean, n->bn_rstd,
                          P(n, P_G1), E_B * E_S * E_S, E_C1);
    tr_conv2d_backward(NULL, G(n, P_W1), NULL, n->dz1, n->x, P(n, P_W1), &n->c1, n->scratch);
}

static void test_training(void)
{
    tr_rng init, data;
    tr_rng_seed(&init, 7, 1);
    tr_rng_seed(&data, 7, 2);
    tiny_net n;
    tiny_init(&n, &init);
    float targets[E_B * E_K], heat[E_B * E_S * E_S];
    unsigned char has[E_B];
    const float lambda = 0.1f;
    const int steps = 100;
    tr_schedule sched = {.lr_max = 1e-2f, .lr_min = 1e-4f, .warmup_steps = 10, .total_steps = steps};
    tr_adamw adam = tr_adamw_default();
    const float decay[P_COUNT] = {1e-4f, 0, 0, 1e-4f, 0, 1e-4f, 0};   /* none on BN and biases */

    double first = 0, last = 0, cos_first = 0, cos_last = 0;
    for (int step = 0; step < steps; step++) {
        tiny_batch(&n, &data, targets, heat, has);
        tiny_forward(&n, 1);
        double ce = tr_softmax_xent_forward(n.probs, n.logits, targets, NULL, E_B, E_K);
        float cos[E_B];
        double au = tr_au_loss_forward(cos, n.att, heat, has, E_B, E_S * E_S, lambda);
        double mcos = 0;
        int nh = 0;
        for (int b = 0; b < E_B; b++)
            if (has[b]) mcos += cos[b], nh++;
        mcos /= nh ? nh : 1;
        if (step == 0) first = ce + au, cos_first = mcos;
        if (step >= steps - 10) last += (ce + au) / 10, cos_last += mcos / 10;
        tiny_backward(&n, targets, heat, has, lambda);
        float lr = tr_lr_cosine(&sched, step);
        for (int t = 0; t < P_COUNT; t++) {
            size_t len = n.off[t + 1] - n.off[t];
            tr_adamw_update(P(&n, t), G(&n, t), n.m + n.off[t], n.v + n.off[t], len, lr, decay[t],
                            step + 1, &adam);
        }
    }
    printf("tiny training run: loss %.4f -> %.4f (last 10 steps, %.1f%%), attention cos %.3f -> %.3f\n",
           first, last, 100 * last / first, cos_first, cos_last);
    CHECK(last < 0.3 * first, "loss fell from %g to %g only", first, last);
    CHECK(cos_last > cos_first, "the AU loss did not raise the attention cosine");

    /* Fresh images, batch norm in inference mode: nearly all right. */
    int correct = 0, total = 0;
    for (int rep = 0; rep < 4; rep++) {
        tiny_batch(&n, &data, targets, heat, has);
        tiny_forward(&n, 0);
        for (int b = 0; b < E_B; b++, total++)
            correct += (n.logits[b * E_K + 1] > n.logits[b * E_K + 0]) == (targets[b * E_K + 1] > 0.5f);
    }
    printf("  held-out accuracy (BN inference mode): %d/%d\n", correct, total);
    CHECK(correct >= total * 95 / 100, "held-out accuracy %d/%d", correct, total);
    tiny_free(&n);
}

int main(void)
{
    test_gradients();
    test_conv_paths();
    test_values();
    test_rng_optim();
    test_training();
    return t_finish();
}
