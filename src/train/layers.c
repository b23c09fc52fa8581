/*
 * train/layers.c — forward/backward pairs of the layers augur trains (see
 * layers.h for the conventions: NHWC, HWIO weights, backward accumulates,
 * caller-owned buffers). Each pair sits side by side so the backward can be
 * read against the forward it differentiates.
 *
 * Only the regular convolution, where nearly all the arithmetic of a CNN is,
 * has two versions: a plain loop reference (the oracle in tests) and an
 * im2col + sgemm fast path. The other layers are memory-bound and written once,
 * with the channel loop innermost so the compiler vectorises it.
 */
#include "train/layers.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

int tr_conv_out_size(int n, int k, int stride, int pad)
{
    return (n + 2 * pad - k) / stride + 1;
}

int tr_conv_out_h(const tr_conv_shape *s) { return tr_conv_out_size(s->H, s->k, s->stride, s->pad); }
int tr_conv_out_w(const tr_conv_shape *s) { return tr_conv_out_size(s->W, s->k, s->stride, s->pad); }

/* ------------------------------------------------------------------------ */
/* conv2d, reference                                                         */

void tr_conv2d_forward_ref(float *out, const float *inp, const float *weight,
                           const float *bias, const tr_conv_shape *s)
{
    /* inp (B,H,W,C), weight (k,k,C,OC), bias (OC) or NULL -> out (B,OH,OW,OC)
     * out[b,oy,ox,oc] = bias[oc] + sum_{ky,kx,c} inp[b, oy*S+ky-P, ox*S+kx-P, c]
     *                                            * weight[ky,kx,c,oc]          */
    const int B = s->B, H = s->H, W = s->W, C = s->C, OC = s->OC, k = s->k;
    const int OH = tr_conv_out_h(s), OW = tr_conv_out_w(s);
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int oc = 0; oc < OC; oc++) {
                    double acc = bias ? bias[oc] : 0.0;
                    for (int ky = 0; ky < k; ky++) {
                        int iy = oy * s->stride + ky - s->pad;
                        if (iy < 0 || iy >= H) continue;
                        for (int kx = 0; kx < k; kx++) {
                            int ix = ox * s->stride + kx - s->pad;
                            if (ix < 0 || ix >= W) continue;
                            const float *x = inp + (((size_t)b * H + iy) * W + ix) * C;
                            const float *w = weight + ((size_t)ky * k + kx) * C * OC + oc;
                            for (int c = 0; c < C; c++) acc += (double)x[c] * w[(size_t)c * OC];
                        }
                    }
                    out[(((size_t)b * OH + oy) * OW + ox) * OC + oc] = (float)acc;
                }
}

void tr_conv2d_backward_ref(float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight,
                            const tr_conv_shape *s)
{
    /* dout (B,OH,OW,OC), inp (B,H,W,C), weight (k,k,C,OC)
     * -> dinp (B,H,W,C) +=, dweight (k,k,C,OC) +=, dbias (OC) +=   (each may be NULL)
     * Every output element g = dout[b,oy,ox,oc] sends g * weight to the input
     * pixels of its patch and g * input to the weights that touched them. */
    const int B = s->B, H = s->H, W = s->W, C = s->C, OC = s->OC, k = s->k;
    const int OH = tr_conv_out_h(s), OW = tr_conv_out_w(s);
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int oc = 0; oc < OC; oc++) {
                    float g = dout[(((size_t)b * OH + oy) * OW + ox) * OC + oc];
                    if (dbias) dbias[oc] += g;
                    for (int ky = 0; ky < k; ky++) {
                        int iy = oy * s->stride + ky - s->pad;
                        if (iy < 0 || iy >= H) continue;
                        for (int kx = 0; kx < k; kx++) {
                            int ix = ox * s->stride + kx - s->pad;
                            if (ix < 0 || ix >= W) continue;
                            size_t xi = (((size_t)b * H + iy) * W + ix) * C;
                            size_t wi = ((size_t)ky * k + kx) * C * OC + oc;
                            for (int c = 0; c < C; c++) {
                                if (dweight) dweight[wi + (size_t)c * OC] += inp[xi + c] * g;
                                if (dinp) dinp[xi + c] += weight[wi + (size_t)c * OC] * g;
                            }
                        }
                    }
                }
}

/* ------------------------------------------------------------------------ */
/* conv2d, fast path: im2col + sgemm                                         */
/*
 * For one image, the column matrix col (OH*OW, k*k*C) has one row per output
 * pixel holding the k x k x C patch under it (taps in (ky,kx) order, channels
 * innermost: the weight's row order). Then
 *     out  (OH*OW, OC)   = col @ weight            weight seen as (k*k*C, OC)
 *     dweight           += col^T @ dout
 *     dcol (OH*OW, kkC)  = dout @ weight^T,  scattered back by col2im
 * A 1x1, stride 1, unpadded conv needs no im2col: the image is its own col.
 */

static int is_pointwise(const tr_conv_shape *s)
{
    return s->k == 1 && s->stride == 1 && s->pad == 0;
}

size_t tr_conv2d_scratch_floats(const tr_conv_shape *s)
{
    /* col and dcol of one image */
    return 2 * (size_t)tr_conv_out_h(s) * tr_conv_out_w(s) * s->k * s->k * s->C;
}

/* img (H,W,C) -> col (OH*OW, k*k*C); zeros where the patch covers padding. */
static void im2col(float *col, const float *img, const tr_conv_shape *s, int OH, int OW)
{
    const int H = s->H, W = s->W, C = s->C, k = s->k;
    float *row = col;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * s->stride + ky - s->pad;
                for (int kx = 0; kx < k; kx++, row += C) {
                    int ix = ox * s->stride + kx - s->pad;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                        memset(row, 0, (size_t)C * sizeof *row);
                    else
                        memcpy(row, img + ((size_t)iy * W + ix) * C, (size_t)C * sizeof *row);
                }
            }
}

/* The adjoint of im2col: img (H,W,C) += each col entry at the pixel it came
 * from (entries over padding are dropped). */
static void col2im(float *img, const float *col, const tr_conv_shape *s, int OH, int OW)
{
    const int H = s->H, W = s->W, C = s->C, k = s->k;
    const float *row = col;
    for (int oy = 0; oy < OH; oy++)
        for (int ox = 0; ox < OW; ox++)
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * s->stride + ky - s->pad;
                for (int kx = 0; kx < k; kx++, row += C) {
                    int ix = ox * s->stride + kx - s->pad;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                    float *px = img + ((size_t)iy * W + ix) * C;
                    for (int c = 0; c < C; c++) px[c] += row[c];
                }
            }
}

void tr_conv2d_forward(float *out, const float *inp, const float *weight,
                       const float *bias, const tr_conv_shape *s, float *scratch)
{
    /* inp (B,H,W,C), weight (k,k,C,OC), bias (OC) or NULL -> out (B,OH,OW,OC)
     * scratch: tr_conv2d_scratch_floats(s) floats */
    const int OH = tr_conv_out_h(s), OW = tr_conv_out_w(s), OC = s->OC;
    const int M = OH * OW, K = s->k * s->k * s->C;   /* GEMM: (M,K) @ (K,OC) */
    for (int b = 0; b < s->B; b++) {
        const float *img = inp + (size_t)b * s->H * s->W * s->C;
        float *o = out + (size_t)b * M * OC;
        const float *col = img;
        if (!is_pointwise(s)) {
            im2col(scratch, img, s, OH, OW);
            col = scratch;
        }
        if (bias)
            for (int m = 0; m < M; m++) memcpy(o + (size_t)m * OC, bias, (size_t)OC * sizeof *o);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, OC, K,
                    1.0f, col, K, weight, OC, bias ? 1.0f : 0.0f, o, OC);
    }
}

void tr_conv2d_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight,
                        const tr_conv_shape *s, float *scratch)
{
    /* dout (B,OH,OW,OC), inp (B,H,W,C), weight (k,k,C,OC)
     * -> dinp (B,H,W,C) +=, dweight (k,k,C,OC) +=, dbias (OC) +=   (each may be NULL)
     * scratch: tr_conv2d_scratch_floats(s) floats */
    const int OH = tr_conv_out_h(s), OW = tr_conv_out_w(s), OC = s->OC;
    const int M = OH * OW, K = s->k * s->k * s->C;
    float *col = scratch, *dcol = scratch + (size_t)M * K;
    for (int b = 0; b < s->B; b++) {
        const size_t img_size = (size_t)s->H * s->W * s->C;
        const float *img = inp + b * img_size;
        const float *g = dout + (size_t)b * M * OC;
        if (dbias)
            for (int m = 0; m < M; m++)
                for (int oc = 0; oc < OC; oc++) dbias[oc] += g[(size_t)m * OC + oc];
        if (dweight) {
            const float *cb = img;
            if (!is_pointwise(s)) {
                im2col(col, img, s, OH, OW);   /* recomputed: storing it costs B x more memory */
                cb = col;
            }
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, OC, M,
                        1.0f, cb, K, g, OC, 1.0f, dweight, OC);
        }
        if (dinp) {
            float *di = dinp + b * img_size;
            if (is_pointwise(s)) {   /* dcol is dinp itself: accumulate in place */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, OC,
                            1.0f, g, OC, weight, OC, 1.0f, di, K);
            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, OC,
                            1.0f, g, OC, weight, OC, 0.0f, dcol, K);
                col2im(di, dcol, s, OH, OW);
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* depthwise conv2d                                                          */

void tr_dwconv2d_forward(float *out, const float *inp, const float *weight,
                         const float *bias, const tr_conv_shape *s)
{
    /* inp (B,H,W,C), weight (k,k,C), bias (C) or NULL -> out (B,OH,OW,C)
     * out[b,oy,ox,c] = bias[c] + sum_{ky,kx} inp[b, oy*S+ky-P, ox*S+kx-P, c] * weight[ky,kx,c] */
    const int H = s->H, W = s->W, C = s->C, k = s->k;
    const int OH = tr_conv_out_h(s), OW = tr_conv_out_w(s);
    for (int b = 0; b < s->B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float *o = out + (((size_t)b * OH + oy) * OW + ox) * C;
                for (int c = 0; c < C; c++) o[c] = bias ? bias[c] : 0.0f;
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * s->stride + ky - s->pad;
                    if (iy < 0 || iy >= H) continue;
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ox * s->stride + kx - s->pad;
                        if (ix < 0 || ix >= W) continue;
                        const float *x = inp + (((size_t)b * H + iy) * W + ix) * C;
                        const float *w = weight + ((size_t)ky * k + kx) * C;
                        for (int c = 0; c < C; c++) o[c] += x[c] * w[c];
                    }
                }
            }
}

void tr_dwconv2d_backward(float *dinp, float *dweight, float *dbias,
                          const float *dout, const float *inp, const float *weight,
                          const tr_conv_shape *s)
{
    /* dout (B,OH,OW,C), inp (B,H,W,C), weight (k,k,C)
     * -> dinp (B,H,W,C) +=, dweight (k,k,C) +=, dbias (C) +=   (each may be NULL) */
    const int H = s->H, W = s->W, C = s->C, k = s->k;
    const int OH = tr_conv_out_h(s), OW = tr_conv_out_w(s);
    for (int b = 0; b < s->B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                const float *g = dout + (((size_t)b * OH + oy) * OW + ox) * C;
                if (dbias)
                    for (int c = 0; c < C; c++) dbias[c] += g[c];
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * s->stride + ky - s->pad;
                    if (iy < 0 || iy >= H) continue;
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ox * s->stride + kx - s->pad;
                        if (ix < 0 || ix >= W) continue;
                        size_t xi = (((size_t)b * H + iy) * W + ix) * C;
                        size_t wi = ((size_t)ky * k + kx) * C;
                        if (dweight)
                            for (int c = 0; c < C; c++) dweight[wi + c] += inp[xi + c] * g[c];
                        if (dinp)
                            for (int c = 0; c < C; c++) dinp[xi + c] += weight[wi + c] * g[c];
                    }
                }
            }
}

/* ------------------------------------------------------------------------ */
/* batch norm                                                                */
/*
 * Per-channel sums over the N = B*H*W rows are taken a block of BN_BLOCK
 * channels at a time, with double accumulators on the stack: memory is walked
 * row by row (not with stride C per channel) and the sums stay exact enough
 * for N in the hundreds of thousands.
 */
enum { BN_BLOCK = 64 };

void tr_batchnorm_forward_train(float *out, float *mean, float *rstd,
                                float *running_mean, float *running_var,
                                const float *inp, const float *gamma, const float *beta,
                                int N, int C, float eps, float momentum)
{
    /* inp (N,C) with N = B*H*W, gamma (C), beta (C)
     * -> out (N,C), mean (C), rstd (C); running_mean/var (C) updated when not NULL
     * out = gamma * (inp - mean) * rstd + beta,  rstd = 1 / sqrt(var + eps) */
    for (int c0 = 0; c0 < C; c0 += BN_BLOCK) {
        const int nc = C - c0 < BN_BLOCK ? C - c0 : BN_BLOCK;
        double sum[BN_BLOCK] = {0}, sq[BN_BLOCK] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C + c0;
            for (int j = 0; j < nc; j++) sum[j] += x[j];
        }
        for (int j = 0; j < nc; j++) sum[j] /= N;              /* now the mean */
        for (int n = 0; n < N; n++) {                           /* two-pass variance */
            const float *x = inp + (size_t)n * C + c0;
            for (int j = 0; j < nc; j++) {
                double d = x[j] - sum[j];
                sq[j] += d * d;
            }
        }
        for (int j = 0; j < nc; j++) {
            const int c = c0 + j;
            double var = sq[j] / N;
            mean[c] = (float)sum[j];
            rstd[c] = (float)(1.0 / sqrt(var + eps));
            if (running_mean) running_mean[c] += momentum * ((float)sum[j] - running_mean[c]);
            if (running_var) {
                float unbiased = (float)(sq[j] / (N > 1 ? N - 1 : 1));
                running_var[c] += momentum * (unbiased - running_var[c]);
            }
        }
    }
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        for (int c = 0; c < C; c++) o[c] = gamma[c] * (x[c] - mean[c]) * rstd[c] + beta[c];
    }
}

void tr_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                           const float *dout, const float *inp,
                           const float *mean, const float *rstd, const float *gamma,
                           int N, int C)
{
    /* dout (N,C), inp (N,C), mean/rstd (C) saved by the forward, gamma (C)
     * -> dinp (N,C) +=, dgamma (C) +=, dbeta (C) +=
     * With xhat = (inp - mean) * rstd, per channel:
     *   dbeta  = sum dout            dgamma = sum dout * xhat
     *   dinp   = gamma * rstd / N * (N * dout - sum dout - xhat * sum dout*xhat)
     * (the last two terms are the gradient through the batch mean and variance). */
    for (int c0 = 0; c0 < C; c0 += BN_BLOCK) {
        const int nc = C - c0 < BN_BLOCK ? C - c0 : BN_BLOCK;
        double sum_g[BN_BLOCK] = {0}, sum_gx[BN_BLOCK] = {0};
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C + c0, *g = dout + (size_t)n * C + c0;
            for (int j = 0; j < nc; j++) {
                float xhat = (x[j] - mean[c0 + j]) * rstd[c0 + j];
                sum_g[j] += g[j];
                sum_gx[j] += g[j] * xhat;
            }
        }
        for (int j = 0; j < nc; j++) {
            if (dbeta) dbeta[c0 + j] += (float)sum_g[j];
            if (dgamma) dgamma[c0 + j] += (float)sum_gx[j];
        }
        if (!dinp) continue;
        float mean_g[BN_BLOCK], mean_gx[BN_BLOCK];
        for (int j = 0; j < nc; j++) {
            mean_g[j] = (float)(sum_g[j] / N);
            mean_gx[j] = (float)(sum_gx[j] / N);
        }
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C + c0, *g = dout + (size_t)n * C + c0;
            float *dx = dinp + (size_t)n * C + c0;
            for (int j = 0; j < nc; j++) {
                const int c = c0 + j;
                float xhat = (x[j] - mean[c]) * rstd[c];
                dx[j] += gamma[c] * rstd[c] * (g[j] - mean_g[j] - xhat * mean_gx[j]);
            }
        }
    }
}

void tr_batchnorm_forward_eval(float *out, const float *inp,
                               const float *running_mean, const float *running_var,
                               const float *gamma, const float *beta,
                               int N, int C, float eps)
{
    /* inp (N,C), running_mean/var, gamma, beta (C) -> out (N,C)
     * out = gamma * (inp - running_mean) / sqrt(running_var + eps) + beta */
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        for (int c = 0; c < C; c++)
            o[c] = gamma[c] * (x[c] - running_mean[c]) / sqrtf(running_var[c] + eps) + beta[c];
    }
}

/* ------------------------------------------------------------------------ */
/* ReLU                                                                      */

void tr_relu_forward(float *out, const float *inp, size_t n)
{
    /* inp (n) -> out (n), any shape; out may be inp */
    for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
}

void tr_relu_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    /* dout (n), out (n) the forward's output -> dinp (n) +=
     * (reads the output, not the input, so the forward may run in place) */
    for (size_t i = 0; i < n; i++)
        if (out[i] > 0.0f) dinp[i] += dout[i];
}

/* ------------------------------------------------------------------------ */
/* max pool 2x2, stride 2                                                    */

/* The window's winner: offset from the window's top-left pixel, in elements,
 * of the first of (0,0),(0,1),(1,0),(1,1) that holds the maximum. Shared by
 * forward and backward so both agree on ties. */
static size_t pool_argmax(const float *p, size_t row, size_t C)
{
    size_t best = 0;
    const size_t offs[4] = {0, C, row, row + C};
    for (int i = 1; i < 4; i++)
        if (p[offs[i]] > p[best]) best = offs[i];
    return best;
}

void tr_maxpool2_forward(float *out, const float *inp, int B, int H, int W, int C)
{
    /* inp (B,H,W,C) -> out (B,H/2,W/2,C), the max of each 2x2 window */
    const int OH = H / 2, OW = W / 2;
    const size_t row = (size_t)W * C;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < C; c++) {
                    const float *p = inp + (((size_t)b * H + 2 * oy) * W + 2 * ox) * C + c;
                    out[(((size_t)b * OH + oy) * OW + ox) * C + c] = p[pool_argmax(p, row, C)];
                }
}

void tr_maxpool2_backward(float *dinp, const float *dout, const float *inp,
                          int B, int H, int W, int C)
{
    /* dout (B,H/2,W/2,C), inp (B,H,W,C) -> dinp (B,H,W,C) +=
     * The gradient goes to the window's winner, found again from inp (no
     * index buffer to keep between the passes). */
    const int OH = H / 2, OW = W / 2;
    const size_t row = (size_t)W * C;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++)
                for (int c = 0; c < C; c++) {
                    size_t at = (((size_t)b * H + 2 * oy) * W + 2 * ox) * C + c;
                    dinp[at + pool_argmax(inp + at, row, C)] +=
                        dout[(((size_t)b * OH + oy) * OW + ox) * C + c];
                }
}

/* ------------------------------------------------------------------------ */
/* global average pool                                                       */

void tr_avgpool_forward(float *out, const float *inp, int B, int H, int W, int C)
{
    /* inp (B,H,W,C) -> out (B,C), the mean over H*W */
    const int HW = H * W;
    for (int b = 0; b < B; b++) {
        float *o = out + (size_t)b * C;
        for (int c = 0; c < C; c++) o[c] = 0.0f;
        for (int i = 0; i < HW; i++) {
            const float *x = inp + ((size_t)b * HW + i) * C;
            for (int c = 0; c < C; c++) o[c] += x[c];
        }
        for (int c = 0; c < C; c++) o[c] /= HW;
    }
}

void tr_avgpool_backward(float *dinp, const float *dout, int B, int H, int W, int C)
{
    /* dout (B,C) -> dinp (B,H,W,C) +=, each pixel getting dout / (H*W) */
    const int HW = H * W;
    for (int b = 0; b < B; b++) {
        const float *g = dout + (size_t)b * C;
        for (int i = 0; i < HW; i++) {
            float *dx = dinp + ((size_t)b * HW + i) * C;
            for (int c = 0; c < C; c++) dx[c] += g[c] / HW;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* linear                                                                    */

void tr_linear_forward(float *out, const float *inp, const float *weight,
                       const float *bias, int B, int IC, int OC)
{
    /* inp (B,IC), weight (IC,OC), bias (OC) or NULL -> out (B,OC)
     * A flattened NHWC activation (B,H,W,C) is (B, H*W*C) as it lies. */
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * IC;
        float *o = out + (size_t)b * OC;
        for (int oc = 0; oc < OC; oc++) o[oc] = bias ? bias[oc] : 0.0f;
        for (int i = 0; i < IC; i++) {
            const float *w = weight + (size_t)i * OC;
            for (int oc = 0; oc < OC; oc++) o[oc] += x[i] * w[oc];
        }
    }
}

void tr_linear_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight,
                        int B, int IC, int OC)
{
    /* dout (B,OC), inp (B,IC), weight (IC,OC)
     * -> dinp (B,IC) +=, dweight (IC,OC) +=, dbias (OC) +=   (each may be NULL) */
    for (int b = 0; b < B; b++) {
        const float *g = dout + (size_t)b * OC, *x = inp + (size_t)b * IC;
        if (dbias)
            for (int oc = 0; oc < OC; oc++) dbias[oc] += g[oc];
        for (int i = 0; i < IC; i++) {
            const float *w = weight + (size_t)i * OC;
            if (dinp) {
                float acc = 0.0f;
                for (int oc = 0; oc < OC; oc++) acc += w[oc] * g[oc];
                dinp[(size_t)b * IC + i] += acc;
            }
            if (dweight) {
                float *dw = dweight + (size_t)i * OC;
                for (int oc = 0; oc < OC; oc++) dw[oc] += x[i] * g[oc];
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* softmax + cross-entropy                                                   */

static float class_weight(const float *class_w, int k) { return class_w ? class_w[k] : 1.0f; }

/* sum_b sum_k w_k t_bk: the loss's normaliser (depends on the targets only). */
static double xent_norm(const float *targets, const float *class_w, int B, int K)
{
    double z = 0.0;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++) z += (double)class_weight(class_w, k) * targets[(size_t)b * K + k];
    return z;
}

double tr_softmax_xent_forward(float *probs, const float *logits, const float *targets,
                              const float *class_w, int B, int K)
{
    /* logits (B,K), targets (B,K) rows summing to 1, class_w (K) or NULL
     * -> probs (B,K); returns sum_bk w_k t_bk (-log p_bk) / sum_bk w_k t_bk
     * -log p is taken as logsumexp(z) - z, never as log of a rounded p. */
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * K, *t = targets + (size_t)b * K;
        float *p = probs + (size_t)b * K;
        float zmax = z[0];
        for (int k = 1; k < K; k++) zmax = z[k] > zmax ? z[k] : zmax;
        double sum = 0.0;
        for (int k = 0; k < K; k++) sum += exp((double)z[k] - zmax);
        double lse = zmax + log(sum);
        for (int k = 0; k < K; k++) {
            p[k] = (float)(exp((double)z[k] - zmax) / sum);
            loss += (double)class_weight(class_w, k) * t[k] * (lse - z[k]);
        }
    }
    double norm = xent_norm(targets, class_w, B, K);
    return norm > 0.0 ? loss / norm : 0.0;
}

void tr_softmax_xent_backward(float *dlogits, const float *probs, const float *targets,
                              const float *class_w, int B, int K, float dloss)
{
    /* probs (B,K) from the forward, targets (B,K), class_w (K) or NULL
     * -> dlogits (B,K) +=
     * For one sample with s = sum_k w_k t_k:
     *   d/dz_j sum_k w_k t_k (-log p_k) = p_j * s - w_j t_j
     * (= p - t for w = 1: the familiar softmax-cross-entropy gradient). */
    double norm = xent_norm(targets, class_w, B, K);
    if (norm <= 0.0) return;
    float scale = (float)(dloss / norm);
    for (int b = 0; b < B; b++) {
        const float *p = probs + (size_t)b * K, *t = targets + (size_t)b * K;
        float *dz = dlogits + (size_t)b * K;
        float s = 0.0f;
        for (int k = 0; k < K; k++) s += class_weight(class_w, k) * t[k];
        for (int k = 0; k < K; k++) dz[k] += scale * (p[k] * s - class_weight(class_w, k) * t[k]);
    }
}

/* ------------------------------------------------------------------------ */
/* spatial attention and the AU-guidance loss                                */

void tr_attention_forward(float *att, const float *act, int B, int H, int W, int C)
{
    /* act (B,H,W,C) -> att (B,H,W), the mean over channels */
    const size_t n = (size_t)B * H * W;
    for (size_t i = 0; i < n; i++) {
        const float *x = act + i * C;
        float sum = 0.0f;
        for (int c = 0; c < C; c++) sum += x[c];
        att[i] = sum / C;
    }
}

void tr_attention_backward(float *dact, const float *datt, int B, int H, int W, int C)
{
    /* datt (B,H,W) -> dact (B,H,W,C) +=, each channel getting datt / C */
    const size_t n = (size_t)B * H * W;
    for (size_t i = 0; i < n; i++) {
        float g = datt[i] / C;
        float *dx = dact + i * C;
        for (int c = 0; c < C; c++) dx[c] += g;
    }
}

/* cos(a, h) of two maps of n pixels, with |a| and |h|; 0 when either is zero. */
static double map_cosine(const float *a, const float *h, int n, double *na, double *nh)
{
    double dot = 0.0, aa = 0.0, hh = 0.0;
    for (int i = 0; i < n; i++) {
        dot += (double)a[i] * h[i];
        aa += (double)a[i] * a[i];
        hh += (double)h[i] * h[i];
    }
    *na = sqrt(aa);
    *nh = sqrt(hh);
    return *na > 0.0 && *nh > 0.0 ? dot / (*na * *nh) : 0.0;
}

double tr_au_loss_forward(float *cos_out, const float *att, const float *heatmap,
                         const unsigned char *has_heatmap, int B, int HW, float lambda)
{
    /* att (B,HW), heatmap (B,HW), has_heatmap (B) or NULL -> cos_out (B) or NULL;
     * returns (lambda / B) * sum_{b with heatmap} (1 - cos(att_b, heatmap_b)) */
    double sum = 0.0;
    for (int b = 0; b < B; b++) {
        double cos = 0.0, na, nh;
        if (!has_heatmap || has_heatmap[b]) {
            cos = map_cosine(att + (size_t)b * HW, heatmap + (size_t)b * HW, HW, &na, &nh);
            sum += 1.0 - cos;
        }
        if (cos_out) cos_out[b] = (float)cos;
    }
    return B > 0 ? lambda * sum / B : 0.0;
}

void tr_au_loss_backward(float *datt, const float *att, const float *heatmap,
                         const unsigned char *has_heatmap, int B, int HW, float lambda,
                         float dloss)
{
    /* att (B,HW), heatmap (B,HW), has_heatmap (B) or NULL -> datt (B,HW) +=
     *   d cos(a,h) / da = h / (|a| |h|) - cos * a / |a|^2
     * and the loss carries -lambda / B per sample. A zero map (cos undefined)
     * gets no gradient. */
    const double scale = -(double)dloss * lambda / B;
    for (int b = 0; b < B; b++) {
        if (has_heatmap && !has_heatmap[b]) continue;
        const float *a = att + (size_t)b * HW, *h = heatmap + (size_t)b * HW;
        double na, nh, cos = map_cosine(a, h, HW, &na, &nh);
        if (na == 0.0 || nh == 0.0) continue;
        float *da = datt + (size_t)b * HW;
        for (int i = 0; i < HW; i++)
            da[i] += (float)(scale * (h[i] / (na * nh) - cos * a[i] / (na * na)));
    }
}
