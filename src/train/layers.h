/*
 * train/layers.h — the layers augur trains its CNNs with, on the CPU, in the
 * style of llm.c: each layer is a pair of functions, X_forward and X_backward,
 * side by side in layers.c; each opens with a comment giving the shapes.
 *
 * Layout: every activation is float32, row-major NHWC — (B,H,W,C), channels
 * innermost — the layout of the inference runtime (nn/), so a trained network
 * runs there without transposing anything. NHWC also makes the fast conv
 * simple: an im2col row is KH*KW runs of C contiguous floats (memcpy), and the
 * GEMM output (B*OH*OW, OC) *is* the NHWC output. Weights keep TensorFlow's
 * layouts, again those of nn/: conv (KH,KW,C,OC) "HWIO", depthwise (KH,KW,C),
 * linear (IC,OC).
 *
 * Conventions (all layers):
 *   - forward writes its output (=); backward ACCUMULATES (+=) into every
 *     gradient it is given, so a tensor used twice gets both contributions and
 *     the caller zeroes gradients once per step;
 *   - a NULL gradient pointer means "not wanted" (dinp of the first layer,
 *     dbias of a conv without bias); a NULL bias means "no bias";
 *   - nothing here allocates: the caller owns every buffer, and the fast conv
 *     takes a scratch buffer of tr_conv2d_scratch_floats() floats;
 *   - no global state: every function is safe to call from several threads on
 *     distinct buffers (the sgemm path runs OpenBLAS, whose own thread count is
 *     OPENBLAS_NUM_THREADS / openblas_set_num_threads()).
 *
 * Initialisation: He/Kaiming normal, std = sqrt(2 / fan_in), fan_in = KH*KW*C
 * for conv, KH*KW for depthwise, IC for linear (train/rng.h: tr_rng_he_init).
 */
#ifndef AUGUR_TRAIN_LAYERS_H
#define AUGUR_TRAIN_LAYERS_H

#include <stddef.h>

/* The shape of a square-kernel convolution over an NHWC batch:
 * inp (B,H,W,C) -> out (B,OH,OW,OC), OH = (H + 2*pad - k) / stride + 1. */
typedef struct tr_conv_shape {
    int B, H, W, C;     /* input batch, height, width, channels */
    int OC;             /* output channels (depthwise: must equal C) */
    int k;              /* kernel size (k x k) */
    int stride;         /* 1 or 2 in practice; any >= 1 works */
    int pad;            /* zero padding on every side, pixels */
} tr_conv_shape;

/* Output side length for input side n (floor, as TensorFlow's explicit padding). */
int tr_conv_out_size(int n, int k, int stride, int pad);
int tr_conv_out_h(const tr_conv_shape *s);
int tr_conv_out_w(const tr_conv_shape *s);

/* ---- conv2d: k x k, stride, padding, optional bias ---------------------- */

/* Reference (plain loops, double accumulation): the oracle in tests. */
void tr_conv2d_forward_ref(float *out, const float *inp, const float *weight,
                           const float *bias, const tr_conv_shape *s);
void tr_conv2d_backward_ref(float *dinp, float *dweight, float *dbias,
                            const float *dout, const float *inp, const float *weight,
                            const tr_conv_shape *s);

/* Fast path: im2col + cblas_sgemm, one image at a time. `scratch` holds
 * tr_conv2d_scratch_floats(s) floats (the column matrix of one image and its
 * gradient); its content on entry does not matter. */
size_t tr_conv2d_scratch_floats(const tr_conv_shape *s);
void tr_conv2d_forward(float *out, const float *inp, const float *weight,
                       const float *bias, const tr_conv_shape *s, float *scratch);
void tr_conv2d_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight,
                        const tr_conv_shape *s, float *scratch);

/* ---- depthwise conv2d: one k x k filter per channel (s->OC == s->C) ----- */
void tr_dwconv2d_forward(float *out, const float *inp, const float *weight,
                         const float *bias, const tr_conv_shape *s);
void tr_dwconv2d_backward(float *dinp, float *dweight, float *dbias,
                          const float *dout, const float *inp, const float *weight,
                          const tr_conv_shape *s);

/* ---- batch norm over (B,H,W) per channel -------------------------------- */

/* Training mode: normalises with the batch's own mean and (biased) variance,
 * saves mean and rstd = 1/sqrt(var + eps) (C each) for the backward pass, and
 * when running_mean/running_var are not NULL updates them as
 *   running = (1 - momentum) * running + momentum * batch_stat
 * (running_var takes the unbiased variance, as PyTorch; momentum 0.1 typical).
 * N = B*H*W must be >= 2. */
void tr_batchnorm_forward_train(float *out, float *mean, float *rstd,
                                float *running_mean, float *running_var,
                                const float *inp, const float *gamma, const float *beta,
                                int N, int C, float eps, float momentum);
void tr_batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                           const float *dout, const float *inp,
                           const float *mean, const float *rstd, const float *gamma,
                           int N, int C);
/* Inference mode: the running statistics, an affine map per channel. */
void tr_batchnorm_forward_eval(float *out, const float *inp,
                               const float *running_mean, const float *running_var,
                               const float *gamma, const float *beta,
                               int N, int C, float eps);

/* ---- ReLU (elementwise; forward may run in place, out == inp) ------------ */
void tr_relu_forward(float *out, const float *inp, size_t n);
void tr_relu_backward(float *dinp, const float *dout, const float *out, size_t n);

/* ---- max pool 2x2, stride 2 (odd trailing row/column dropped) ------------ */
void tr_maxpool2_forward(float *out, const float *inp, int B, int H, int W, int C);
void tr_maxpool2_backward(float *dinp, const float *dout, const float *inp,
                          int B, int H, int W, int C);

/* ---- global average pool (B,H,W,C) -> (B,C) ----------------------------- */
void tr_avgpool_forward(float *out, const float *inp, int B, int H, int W, int C);
void tr_avgpool_backward(float *dinp, const float *dout, int B, int H, int W, int C);

/* ---- linear: (B,IC) @ (IC,OC) + (OC) -> (B,OC) --------------------------- */
void tr_linear_forward(float *out, const float *inp, const float *weight,
                       const float *bias, int B, int IC, int OC);
void tr_linear_backward(float *dinp, float *dweight, float *dbias,
                        const float *dout, const float *inp, const float *weight,
                        int B, int IC, int OC);

/* ---- softmax + cross-entropy with soft targets and class weights --------
 *
 * targets (B,K) is a probability vector per sample (one-hot for a hard label,
 * the FERPlus vote distribution for a soft one); class_w (K) may be NULL
 * (all 1). The loss is the weighted mean
 *     loss = sum_b sum_k w_k t_bk (-log p_bk)  /  sum_b sum_k w_k t_bk
 * which for one-hot targets is PyTorch's weighted CrossEntropyLoss (the
 * normaliser is the sum of the samples' class weights) and for w = 1 is the
 * plain mean over the batch. Writes probs (B,K); returns the loss, in double
 * as it is accumulated (a float would round away the digits that gradient
 * checks by finite differences need). */
double tr_softmax_xent_forward(float *probs, const float *logits, const float *targets,
                              const float *class_w, int B, int K);
/* dlogits += dloss * d(loss)/d(logits); dloss is 1 unless the loss is scaled. */
void tr_softmax_xent_backward(float *dlogits, const float *probs, const float *targets,
                              const float *class_w, int B, int K, float dloss);

/* ---- spatial attention and the AU-guidance loss -------------------------
 *
 * The attention map of a layer is the mean over channels of its activation,
 * act (B,H,W,C) -> att (B,H,W). The AU-guidance loss (Belharbi et al.) pulls
 * it towards an AU heatmap of the same (H,W) built from the sample's label:
 *     loss = (lambda / B) * sum_{b with heatmap} (1 - cos(att_b, heatmap_b))
 * has_heatmap (B) may be NULL (all have one); samples with has_heatmap[b] == 0
 * (neutral faces: no AU to attend to) contribute nothing, but still count in
 * B, so each sample's term has the same weight whatever the batch holds. */
void tr_attention_forward(float *att, const float *act, int B, int H, int W, int C);
void tr_attention_backward(float *dact, const float *datt, int B, int H, int W, int C);

/* Returns the loss (double, as above); cos_out (B) receives each sample's cosine (0 for samples
 * without heatmap) and may be NULL. HW = H*W. */
double tr_au_loss_forward(float *cos_out, const float *att, const float *heatmap,
                         const unsigned char *has_heatmap, int B, int HW, float lambda);
void tr_au_loss_backward(float *datt, const float *att, const float *heatmap,
                         const unsigned char *has_heatmap, int B, int HW, float lambda,
                         float dloss);

#endif
