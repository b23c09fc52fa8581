/*
 * expr/infer.c — expression inference (see infer.h) in three modes:
 *
 *   EXPR_INFER_TRAIN  the training network's forward pass (en_forward, B = 1,
 *                     running statistics): the reference every mode is held to;
 *   EXPR_INFER_F32    batch norm folded into the convolutions at load
 *                     (w' = w * g/sqrt(v+eps), b' = beta - mean * g/sqrt(v+eps)),
 *                     ReLU fused as the convolution's clamp, XNNPACK f32 NHWC
 *                     operators (conv, max pool, global average pool, fully
 *                     connected) set up once on fixed buffers;
 *   EXPR_INFER_INT8   the same folded network with convolutions 2..8 as
 *                     XNNPACK qc8 operators: int8 weights with one scale per
 *                     output channel, int8 activations with one static scale
 *                     per layer.  The first convolution (1 input channel, 0.6%
 *                     of the work) stays f32 and its output is quantised; max
 *                     pooling runs on int8 (exact: max commutes with the
 *                     monotone quantisation); the pooled 3x3x256 of block 4 is
 *                     dequantised for the f32 average pool and linear layer;
 *                     the CAM dequantises block 4's 6x6x256 int8 activation.
 *
 * Activation scales for int8 (each layer's output is post-ReLU, so the range
 * is [0, r] with zero point -128, scale r/255): from the folded batch-norm
 * statistics, r = max over channels of beta_c + 6 * |gamma_c| — the running
 * statistics are those of the training images, so this is a calibration on
 * training data that needs no file beside the model.  When a file
 * "<model>.cal" exists (written by expr_infer_calibrate from training crops,
 * `augur train expr --calibrate`) its measured ranges replace the derived ones.
 * On FERPlus validation both agree with f32 on the top class of 99.3-99.4% of
 * the images (docs/PERFORMANCE.md).
 *
 * The f32 and int8 modes read the model file with en_read_weights (the
 * parameters alone, not en_create's training network with its gradients and
 * AdamW moments), fold them into operators, which pack their own copies, and
 * free them. A run writes only into buffers allocated at create time; XNNPACK
 * operators are set up once against them, so expr_infer_run allocates nothing.
 */
#include "expr/infer.h"

#include <math.h>
#include <pthreadpool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xnnpack.h>

#include "expr/prep.h"
#include "nn/nn.h"

#define BN_EPS 1e-5f /* as in expr/net.c */
#ifndef EXPR_INFER_NSIGMA
#define EXPR_INFER_NSIGMA 6.0f /* chosen on FERPlus validation: top-1 agreement with f32 99.4% (4: 97.9%) */
#endif

static const int widths[4] = {32, 64, 128, 256};

struct expr_infer {
    int mode;
    expr_net *net;          /* EXPR_INFER_TRAIN: the training network, whose forward pass it runs; else NULL */
    pthreadpool_t pool;     /* NULL: single thread */
    int own_pool;           /* 1: made here (n_threads > 1), destroyed by expr_infer_free; 0: the caller's */
    xnn_operator_t conv[EN_CONVS], mpool[4], gap, fc, quant, dequant;
    float *buf;             /* all f32 activations */
    int8_t *buf8;           /* all int8 activations (EXPR_INFER_INT8) */
    float *x;               /* input 48x48 */
    float *act[EN_CONVS];   /* f32 conv outputs (F32: all; INT8: the first) */
    float *pooled[4];       /* f32 pooled block outputs (INT8: block 4's only) */
    int8_t *qact[EN_CONVS]; /* int8 conv outputs */
    int8_t *qpooled[4];
    float *gapv, *logits;
    float range[EN_CONVS];  /* int8: activation range [0, range] of each conv output */
    int calibrated;         /* int8: the ranges came from "<model>.cal" */
    float fc_w[256 * EXPR_N]; /* (IC, OC) as in the net, for the CAM */
    float probs[EXPR_N];
};

#define XCHECK(call)                                                                                         \
    do {                                                                                                     \
        enum xnn_status st_ = (call);                                                                        \
        if (st_ != xnn_status_success)                                                                       \
            return au_fail(err, AUGUR_EBACKEND, "XNNPACK (expression network): %s: %s", #call, nn_xnn_status(st_)); \
    } while (0)

const char *expr_infer_mode_name(int mode)
{
    return mode == EXPR_INFER_TRAIN ? "train" : mode == EXPR_INFER_F32 ? "f32" : mode == EXPR_INFER_INT8 ? "int8" : NULL;
}

int expr_infer_mode_parse(const char *s)
{
    for (int m = 0; m < EXPR_INFER_NMODES; m++)
        if (!strcmp(s, expr_infer_mode_name(m))) return m;
    return -1;
}

int expr_infer_default_mode(void)
{
    const char *s = getenv("AUGUR_EXPR_MODE");
    int m = s && *s ? expr_infer_mode_parse(s) : -1;
    return m >= 0 ? m : EXPR_INFER_DEFAULT;
}

int expr_infer_get_mode(const expr_infer *e) { return e->mode; }

/* Folded conv k: OHWI weights and bias (f32), as XNNPACK wants them. */
static void fold(const en_conv_weights *c, float *ohwi, float *bias)
{
    int C = c->C, OC = c->OC;
    for (int o = 0; o < OC; o++) {
        float s = c->gamma[o] / sqrtf(c->rvar[o] + BN_EPS);
        bias[o] = c->beta[o] - c->rmean[o] * s;
        for (int h = 0; h < 9; h++)
            for (int i = 0; i < C; i++) ohwi[((size_t)o * 9 + h) * C + i] = c->w[((size_t)h * C + i) * OC + o] * s;
    }
}

/* Activation ranges derived from batch norm (see the header comment). */
static void bn_ranges(const en_weights *n, float *range)
{
    for (int k = 0; k < EN_CONVS; k++) {
        const en_conv_weights *c = &n->conv[k];
        float r = 0;
        for (int o = 0; o < c->OC; o++) r = fmaxf(r, c->beta[o] + EXPR_INFER_NSIGMA * fabsf(c->gamma[o]));
        range[k] = r > 1e-6f ? r : 1e-6f;
    }
}

/* Ranges from "<model>.cal" when it exists (*found = 1). */
static int read_ranges(const char *model_path, float *range, int *found, au_error *err)
{
    *found = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s.cal", model_path);
    if (access(path, F_OK) != 0) return 0;
    FILE *f = au_fopen_regular(path, NULL, err); /* a FIFO named <model>.cal must not block the load */
    if (!f) return err ? err->code : AUGUR_EIO;
    float r[EN_CONVS];
    char magic[16] = "";
    int ok = fscanf(f, "%15s", magic) == 1 && !strcmp(magic, "AUGEXPRCAL1");
    for (int k = 0; ok && k < EN_CONVS; k++) ok = fscanf(f, "%f", &r[k]) == 1 && isfinite(r[k]) && r[k] > 0;
    fclose(f);
    if (!ok) return au_fail(err, AUGUR_EFORMAT, "%s: not an expression calibration file (AUGEXPRCAL1 and 8 ranges)", path);
    memcpy(range, r, sizeof r);
    *found = 1;
    return 0;
}

static int build_f32(expr_infer *e, const en_weights *n, au_error *err)
{
    int H = EN_SIZE;
    float *prev = e->x;
    for (int k = 0; k < EN_CONVS; k++) {
        const en_conv_weights *c = &n->conv[k];
        int C = c->C, OC = c->OC;
        float *w = malloc(((size_t)9 * C * OC + OC) * sizeof(float) + XNN_EXTRA_BYTES);
        if (!w) return au_fail(err, AUGUR_ENOMEM, "out of memory");
        fold(c, w, w + (size_t)9 * C * OC);
        enum xnn_status st = xnn_create_convolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, C, OC, C, OC, w,
                                                               w + (size_t)9 * C * OC, 0.0f, INFINITY, 0, &e->conv[k]);
        free(w);
        XCHECK(st);
        XCHECK(xnn_setup_convolution2d_nhwc_f32(e->conv[k], 1, H, H, prev, e->act[k], e->pool));
        prev = e->act[k];
        if (k % 2 == 1) {
            int b = k / 2;
            XCHECK(xnn_create_max_pooling2d_nhwc_f32(0, 0, 0, 0, 2, 2, 2, 2, 1, 1, OC, OC, OC, -INFINITY, INFINITY, 0,
                                                     &e->mpool[b]));
            XCHECK(xnn_setup_max_pooling2d_nhwc_f32(e->mpool[b], 1, H, H, prev, e->pooled[b], e->pool));
            prev = e->pooled[b];
            H /= 2;
        }
    }
    return 0;
}

static int build_int8(expr_infer *e, const en_weights *n, au_error *err)
{
    float *r = e->range;
    int H = EN_SIZE;
    /* conv 1: f32 (one input channel), then quantised */
    {
        const en_conv_weights *c = &n->conv[0];
        float w[9 * 32 + 32 + XNN_EXTRA_BYTES / sizeof(float)];
        fold(c, w, w + 9 * 32);
        XCHECK(xnn_create_convolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 32, 1, 32, w, w + 9 * 32, 0.0f,
                                                 INFINITY, 0, &e->conv[0]));
        XCHECK(xnn_setup_convolution2d_nhwc_f32(e->conv[0], 1, H, H, e->x, e->act[0], e->pool));
        XCHECK(xnn_create_convert_nc_f32_qs8(32, 32, 32, r[0] / 255.0f, -128, -128, 127, 0, &e->quant));
        XCHECK(xnn_setup_convert_nc_f32_qs8(e->quant, (size_t)H * H, e->act[0], e->qact[0], e->pool));
    }
    const int8_t *prev = e->qact[0];
    for (int k = 1; k < EN_CONVS; k++) {
        const en_conv_weights *c = &n->conv[k];
        int C = c->C, OC = c->OC;
        size_t nw = (size_t)9 * C * OC;
        float *w = malloc((nw + 2 * (size_t)OC) * sizeof(float));
        int8_t *qw = malloc(nw + XNN_EXTRA_BYTES);
        int32_t *qb = malloc((size_t)OC * sizeof(int32_t));
        if (!w || !qw || !qb) { free(w); free(qw); free(qb); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
        float *bias = w + nw, *ks = bias + OC;
        fold(c, w, bias);
        float in_scale = r[k - 1] / 255.0f, out_scale = r[k] / 255.0f;
        for (int o = 0; o < OC; o++) {
            float m = 0;
            for (size_t i = 0; i < (size_t)9 * C; i++) m = fmaxf(m, fabsf(w[(size_t)o * 9 * C + i]));
            ks[o] = m > 0 ? m / 127.0f : 1.0f;
            for (size_t i = 0; i < (size_t)9 * C; i++) qw[(size_t)o * 9 * C + i] = (int8_t)lrintf(w[(size_t)o * 9 * C + i] / ks[o]);
            /* input zero point -128: XNNPACK subtracts it; the bias is in units of in_scale * ks */
            double b = bias[o] / ((double)in_scale * ks[o]);
            qb[o] = (int32_t)fmax(fmin(llrint(b), 2147483647.0), -2147483647.0);
        }
        enum xnn_status st = xnn_create_convolution2d_nhwc_qc8(1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, C, OC, C, OC, -128,
                                                               in_scale, ks, qw, qb, -128, out_scale, -128, 127, 0,
                                                               &e->conv[k]);
        free(w); free(qw); free(qb);
        XCHECK(st);
        XCHECK(xnn_setup_convolution2d_nhwc_qc8(e->conv[k], 1, H, H, prev, e->qact[k], e->pool));
        prev = e->qact[k];
        if (k % 2 == 1) {
            int b = k / 2;
            XCHECK(xnn_create_max_pooling2d_nhwc_s8(0, 0, 0, 0, 2, 2, 2, 2, 1, 1, OC, OC, OC, -128, 127, 0, &e->mpool[b]));
            XCHECK(xnn_setup_max_pooling2d_nhwc_s8(e->mpool[b], 1, H, H, prev, e->qpooled[b], e->pool));
            prev = e->qpooled[b];
            H /= 2;
        }
    }
    XCHECK(xnn_create_convert_nc_qs8_f32(256, 256, 256, r[EN_CONVS - 1] / 255.0f, -128, 0, &e->dequant));
    XCHECK(xnn_setup_convert_nc_qs8_f32(e->dequant, 9, e->qpooled[3], e->pooled[3], e->pool));
    return 0;
}

/* The XNNPACK network of the f32 or int8 mode from the weights; the
 * operators pack what they need, so w may be freed afterwards. */
static int build(expr_infer *e, const en_weights *w, const char *model_path, au_error *err)
{
    int rc = nn_xnn_init(err);
    if (rc) return rc;
    /* buffers: f32 input, conv outputs, pooled outputs, gap, logits; int8 likewise */
    size_t nf = EN_SIZE * EN_SIZE + 256 + EXPR_N, n8 = 0;
    int H = EN_SIZE;
    for (int k = 0; k < EN_CONVS; k++) {
        size_t a = (size_t)H * H * widths[k / 2] + XNN_EXTRA_BYTES;
        nf += a;
        n8 += a;
        if (k % 2 == 1) { H /= 2; nf += (size_t)H * H * widths[k / 2] + XNN_EXTRA_BYTES; n8 += (size_t)H * H * widths[k / 2] + XNN_EXTRA_BYTES; }
    }
    e->buf = calloc(nf, sizeof(float));
    e->buf8 = e->mode == EXPR_INFER_INT8 ? calloc(n8, 1) : NULL;
    if (!e->buf || (e->mode == EXPR_INFER_INT8 && !e->buf8)) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    float *p = e->buf;
    int8_t *q = e->buf8;
    e->x = p; p += EN_SIZE * EN_SIZE;
    H = EN_SIZE;
    for (int k = 0; k < EN_CONVS; k++) {
        size_t a = (size_t)H * H * widths[k / 2] + XNN_EXTRA_BYTES;
        e->act[k] = p; p += a;
        if (q) { e->qact[k] = q; q += a; }
        if (k % 2 == 1) {
            H /= 2;
            a = (size_t)H * H * widths[k / 2] + XNN_EXTRA_BYTES;
            e->pooled[k / 2] = p; p += a;
            if (q) { e->qpooled[k / 2] = q; q += a; }
        }
    }
    e->gapv = p; p += 256;
    e->logits = p;
    if (e->mode == EXPR_INFER_INT8) {
        bn_ranges(w, e->range);
        rc = read_ranges(model_path, e->range, &e->calibrated, err);
        if (!rc) rc = build_int8(e, w, err);
    } else rc = build_f32(e, w, err);
    if (rc) return rc;
    XCHECK(xnn_create_global_average_pooling_nwc_f32(256, 256, 256, -INFINITY, INFINITY, 0, &e->gap));
    XCHECK(xnn_setup_global_average_pooling_nwc_f32(e->gap, 1, 9, e->pooled[3], e->gapv, e->pool));
    XCHECK(xnn_create_fully_connected_nc_f32(256, EXPR_N, 256, EXPR_N, w->fc_w, w->fc_b, -INFINITY,
                                             INFINITY, XNN_FLAG_TRANSPOSE_WEIGHTS, &e->fc));
    XCHECK(xnn_setup_fully_connected_nc_f32(e->fc, 1, e->gapv, e->logits, e->pool));
    return 0;
}

/* The one constructor: pool, when given, is the caller's (n_threads is then
 * ignored); else a pool of n_threads is made here when n_threads > 1. */
static int create(expr_infer **out, const char *model_path, int n_threads, void *pool, int mode, au_error *err)
{
    *out = NULL;
    if (mode < 0 || mode >= EXPR_INFER_NMODES) return au_fail(err, AUGUR_EARG, "bad expression inference mode %d", mode);
    expr_infer *e = calloc(1, sizeof *e);
    if (!e) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    e->mode = mode;
    int rc;
    if (mode == EXPR_INFER_TRAIN) { /* the reference: the training network itself (its threads are OpenBLAS's) */
        rc = en_create(&e->net, 1, 1, err);
        if (!rc) rc = en_load_weights(e->net, model_path, err);
        if (!rc) memcpy(e->fc_w, e->net->fc_w, sizeof e->fc_w);
    } else { /* the weights alone, folded into operators and freed: everything lives in the operators */
        en_weights w;
        rc = en_read_weights(model_path, &w, err);
        if (!rc) memcpy(e->fc_w, w.fc_w, sizeof e->fc_w);
        void *own = NULL;
        if (!rc && pool) e->pool = pool;
        else if (!rc && !(rc = nn_pool_create(&own, n_threads, err))) { e->pool = own; e->own_pool = own != NULL; }
        if (!rc) rc = build(e, &w, model_path, err);
        en_weights_free(&w);
    }
    if (rc) { expr_infer_free(e); return rc; }
    *out = e;
    return 0;
}

int expr_infer_create_mode(expr_infer **out, const char *model_path, int n_threads, int mode, au_error *err)
{
    return create(out, model_path, n_threads, NULL, mode, err);
}

/* expr_infer_default_mode(), and f32 where int8 has no kernels. */
static int create_default(expr_infer **out, const char *model_path, int n_threads, void *pool, au_error *err)
{
    int mode = expr_infer_default_mode();
    int rc = create(out, model_path, n_threads, pool, mode, err);
    if (rc == AUGUR_EBACKEND && mode == EXPR_INFER_INT8) { /* a CPU without XNNPACK's int8 kernels: f32 */
        au_log(2, "expression model: int8 unavailable (%s), using f32\n", err->msg);
        rc = create(out, model_path, n_threads, pool, EXPR_INFER_F32, err);
    }
    return rc;
}

int expr_infer_create(expr_infer **out, const char *model_path, int n_threads, au_error *err)
{
    return create_default(out, model_path, n_threads, NULL, err);
}

int expr_infer_create_pool(expr_infer **out, const char *model_path, void *pool, au_error *err)
{
    return create_default(out, model_path, 1, pool, err);
}

void expr_infer_free(expr_infer *e)
{
    if (!e) return;
    for (int k = 0; k < EN_CONVS; k++) if (e->conv[k]) xnn_delete_operator(e->conv[k]);
    for (int b = 0; b < 4; b++) if (e->mpool[b]) xnn_delete_operator(e->mpool[b]);
    xnn_operator_t rest[] = {e->gap, e->fc, e->quant, e->dequant};
    for (size_t i = 0; i < sizeof rest / sizeof *rest; i++) if (rest[i]) xnn_delete_operator(rest[i]);
    if (e->own_pool) nn_pool_free(e->pool);
    free(e->buf);
    free(e->buf8);
    en_free(e->net);
    free(e);
}

#define XRUN(op)                                                                                           \
    do {                                                                                                   \
        enum xnn_status st_ = xnn_run_operator((op), e->pool);                                             \
        if (st_ != xnn_status_success)                                                                     \
            return au_fail(err, AUGUR_EBACKEND, "XNNPACK (expression network): run: %s", nn_xnn_status(st_)); \
    } while (0)

int expr_infer_run(expr_infer *e, const uint8_t *crop, float *probs, au_error *err)
{
    if (e->mode == EXPR_INFER_TRAIN) {
        expr_net *n = e->net;
        for (int i = 0; i < EN_SIZE * EN_SIZE; i++) n->input[i] = crop[i] / 255.0f - 0.5f; /* as in training */
        en_forward(n, 1, 0);
        memcpy(probs, n->probs, EXPR_N * sizeof(float));
        return 0;
    }
    for (int i = 0; i < EN_SIZE * EN_SIZE; i++) e->x[i] = crop[i] / 255.0f - 0.5f; /* as in training */
    XRUN(e->conv[0]);
    if (e->mode == EXPR_INFER_INT8) XRUN(e->quant);
    for (int k = 1; k < EN_CONVS; k++) {
        XRUN(e->conv[k]);
        if (k % 2 == 1) XRUN(e->mpool[k / 2]);
    }
    if (e->mode == EXPR_INFER_INT8) XRUN(e->dequant);
    XRUN(e->gap);
    XRUN(e->fc);
    float mx = e->logits[0], s = 0;
    for (int j = 1; j < EXPR_N; j++) mx = fmaxf(mx, e->logits[j]);
    for (int j = 0; j < EXPR_N; j++) s += probs[j] = expf(e->logits[j] - mx);
    for (int j = 0; j < EXPR_N; j++) probs[j] /= s;
    return 0;
}

int expr_infer_run_flip(expr_infer *e, const uint8_t *crop, float *probs, au_error *err)
{
    uint8_t mir[EN_SIZE * EN_SIZE];
    float p2[EXPR_N];
    for (int y = 0; y < EN_SIZE; y++)
        for (int x = 0; x < EN_SIZE; x++) mir[y * EN_SIZE + x] = crop[y * EN_SIZE + EN_SIZE - 1 - x];
    int rc = expr_infer_run(e, mir, p2, err);
    if (!rc) rc = expr_infer_run(e, crop, probs, err);
    if (rc) return rc;
    for (int k = 0; k < EXPR_N; k++) probs[k] = 0.5f * (probs[k] + p2[k]);
    return 0;
}

int expr_infer_classify(expr_infer *e, const uint8_t *crop, int flip, float *probs, au_error *err)
{
    return flip ? expr_infer_run_flip(e, crop, probs, err) : expr_infer_run(e, crop, probs, err);
}

int expr_infer_face(expr_infer *e, const uint8_t *crop, int flip, au_face *f, au_error *err)
{
    float probs[EXPR_N];
    int rc = expr_infer_classify(e, crop, flip, probs, err);
    if (rc) return rc;
    int c = 0;
    for (int k = 0; k < EXPR_N; k++) {
        f->expression[k] = probs[k];
        if (probs[k] > probs[c]) c = k;
    }
    f->expression_class = c;
    f->has_expression = 1;
    expr_infer_cam(e, c, f->cam); /* kept for the overlay */
    f->cam_cos = -1;
    if (c != EXPR_NEUTRAL) {
        uint8_t heat[EN_ATT * EN_ATT];
        float h[EN_ATT * EN_ATT];
        expr_class_heatmap(f, c, EN_ATT, heat);
        for (int i = 0; i < EN_ATT * EN_ATT; i++) h[i] = heat[i] / 255.0f;
        f->cam_cos = expr_cam_cos(f->cam, h);
    }
    return 0;
}

void expr_infer_cam(const expr_infer *e, int k, float *cam)
{
    if (e->mode == EXPR_INFER_TRAIN) { en_cam(e->net, 0, k, cam); return; }
    /* CAM_k = sum_c w[c][k] * A_c over block 4's last activation (6x6x256), as en_cam */
    float sc = e->range[EN_CONVS - 1] / 255.0f;
    for (int p = 0; p < EN_CAM * EN_CAM; p++) {
        double s = 0;
        if (e->mode == EXPR_INFER_INT8) {
            const int8_t *A = e->qact[EN_CONVS - 1] + (size_t)p * 256;
            for (int c = 0; c < 256; c++) s += (double)e->fc_w[c * EXPR_N + k] * (sc * (A[c] + 128));
        } else {
            const float *A = e->act[EN_CONVS - 1] + (size_t)p * 256;
            for (int c = 0; c < 256; c++) s += (double)e->fc_w[c * EXPR_N + k] * A[c];
        }
        cam[p] = (float)s;
    }
}

void expr_infer_att(const expr_infer *e, float *att)
{
    if (e->mode == EXPR_INFER_TRAIN) { memcpy(att, e->net->att, EN_ATT * EN_ATT * sizeof(float)); return; }
    float sc = e->range[5] / 255.0f;
    for (int p = 0; p < EN_ATT * EN_ATT; p++) {
        float s = 0;
        if (e->mode == EXPR_INFER_INT8) {
            int q = 0;
            for (int c = 0; c < 128; c++) q += e->qact[5][(size_t)p * 128 + c] + 128;
            s = sc * q;
        } else
            for (int c = 0; c < 128; c++) s += e->act[5][(size_t)p * 128 + c];
        att[p] = s / 128;
    }
}

float expr_infer_cam_cos(const expr_infer *e, int k, const float *h)
{
    float cam[EN_CAM * EN_CAM];
    expr_infer_cam(e, k, cam);
    return expr_cam_cos(cam, h);
}

int expr_infer_calibrate(const char *model_path, const uint8_t *crops, int n, double percentile, au_error *err)
{
    if (n < 1 || !(percentile > 0 && percentile <= 100))
        return au_fail(err, AUGUR_EARG, "calibration needs crops (got %d) and a percentile in (0, 100] (got %g)", n,
                       percentile);
    expr_infer *e;
    int rc = expr_infer_create_mode(&e, model_path, 1, EXPR_INFER_F32, err);
    if (rc) return rc;
    enum { BINS = 4096 };
    float mx[EN_CONVS] = {0}, probs[EXPR_N];
    double *hist = calloc((size_t)EN_CONVS * BINS, sizeof(double)), total[EN_CONVS] = {0};
    if (!hist) { expr_infer_free(e); return au_fail(err, AUGUR_ENOMEM, "out of memory"); }
    /* pass 1: the largest activation of each layer; pass 2: histograms of the positive ones over [0, max] */
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (int i = 0; i < n && !rc; i++) {
            rc = expr_infer_run(e, crops + (size_t)i * EN_SIZE * EN_SIZE, probs, err);
            for (int k = 0, H = EN_SIZE; k < EN_CONVS && !rc; k++) {
                size_t len = (size_t)H * H * widths[k / 2];
                const float *a = e->act[k];
                if (pass == 0)
                    for (size_t j = 0; j < len; j++) mx[k] = fmaxf(mx[k], a[j]);
                else if (mx[k] > 0)
                    for (size_t j = 0; j < len; j++)
                        if (a[j] > 0) {
                            int b = (int)(a[j] / mx[k] * BINS);
                            hist[(size_t)k * BINS + (b < BINS ? b : BINS - 1)]++;
                            total[k]++;
                        }
                if (k % 2 == 1) H /= 2;
            }
        }
    float range[EN_CONVS];
    for (int k = 0; k < EN_CONVS && !rc; k++) {
        double want = total[k] * percentile / 100, cum = 0;
        int b = 0;
        while (b < BINS - 1 && (cum += hist[(size_t)k * BINS + b]) < want) b++;
        range[k] = mx[k] > 0 ? mx[k] * (b + 1) / BINS : 1e-3f;
    }
    free(hist);
    expr_infer_free(e);
    if (rc) return rc;
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s.cal", model_path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return au_fail(err, AUGUR_EIO, "cannot write '%s'", tmp);
    fprintf(f, "AUGEXPRCAL1");
    for (int k = 0; k < EN_CONVS; k++) fprintf(f, " %.6g", range[k]);
    fprintf(f, "\n# int8 activation range of each convolution's output: the %g-th percentile over %d crops\n",
            percentile, n);
    if (fclose(f) != 0 || rename(tmp, path)) { remove(tmp); return au_fail(err, AUGUR_EIO, "cannot write '%s'", path); }
    return 0;
}

float expr_cam_cos(const float *cam, const float *h) { return en_cam_cos_of(cam, h); }
