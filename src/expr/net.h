/*
 * expr/net.h — augur's expression CNN, trained in C (train/layers.h):
 *
 *   input 48x48x1 (the FER-framed aligned crop, expr/prep.h), then 4 blocks of
 *   [conv3x3 -> batch norm -> ReLU] x 2 -> max pool 2x2 with 32, 64, 128, 256
 *   channels (48 -> 24 -> 12 -> 6 -> 3 after the pools), global average pool,
 *   linear -> 8 classes.  ~118 M multiply-accumulates per face (budget 150 M).
 *
 * The attention map for AU guidance is the channel mean of block 3's last
 * activation (12x12, before its pool); the class activation map (CAM) is the
 * linear layer's class weights over block 4's last activation (6x6).
 *
 * All parameters live in one flat array (gradients and AdamW moments mirror
 * it), so optimisation, checkpoints and the model file are single copies.
 */
#ifndef AUGUR_EXPR_NET_H
#define AUGUR_EXPR_NET_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "expr/classes.h"
#include "train/layers.h"

#define EN_SIZE 48
#define EN_CONVS 8
#define EN_ATT 12    /* attention map side (block 3) */
#define EN_CAM 6     /* CAM side (block 4) */

typedef struct en_conv {
    tr_conv_shape s;           /* for batch capacity B */
    float *w, *gamma, *beta;   /* parameters (views into params) */
    float *rmean, *rvar;       /* running statistics (views into stats) */
    float *dw, *dgamma, *dbeta;
    float *in;                 /* input activation (view) */
    float *pre, *act;          /* conv output (pre-BN), BN+ReLU output, B*OH*OW*OC */
    float *dpre, *dact;
    float *mean, *rstd;        /* batch statistics of the last training forward */
} en_conv;

typedef struct expr_net {
    int B;                     /* batch capacity */
    size_t n_params, n_stats;
    float *params, *grads, *adam_m, *adam_v, *stats;
    en_conv conv[EN_CONVS];
    float *pool[4], *dpool[4]; /* block outputs after max pooling */
    float *input, *dinput_unused;
    float *gap, *dgap;         /* (B, 256) */
    float *fc_w, *fc_b, *dfc_w, *dfc_b;
    float *logits, *dlogits, *probs;
    float *att, *datt;         /* (B, 12*12) */
    float *cam, *dcam;         /* (B, 6*6): raw CAM of class cam_k[b] (en_cam_forward), its gradient */
    int *cam_k;                /* (B) the class whose CAM is guided */
    int cam_grad;              /* 1: en_backward also propagates dcam (AU guidance on the CAM) */
    float *scratch;
    double macs;
} expr_net;

/* Allocates a network for batches of up to B; parameters He-initialised from seed. */
int en_create(expr_net **out, int B, uint64_t seed, au_error *err);
void en_free(expr_net *n);

/* Forward on n->input (B_used images, 48x48, values ~[0,1]); train: batch
 * statistics (and running-stat updates), else running statistics.
 * Fills logits, probs, att. */
void en_forward(expr_net *n, int B, int train);

/* Backward from dlogits (and datt for the AU loss); gradients accumulate into
 * n->grads, which the caller zeroes per step. */
void en_backward(expr_net *n, int B);

/* Raw CAMs of classes n->cam_k[0..B-1] into n->cam (after en_forward). With
 * n->cam_grad set, en_backward adds the gradient of n->dcam (through block 4's
 * last activation and the linear weights): AU guidance applied to the CAM
 * itself instead of the block-3 attention. */
void en_cam_forward(expr_net *n, int B);

/* Class activation map of image b for class k: (EN_CAM x EN_CAM), written to cam. */
void en_cam(const expr_net *n, int b, int k, float *cam);

/* CAM-COS: cosine between the (ReLU'ed) CAM of image b for class k and a
 * 12x12 AU heatmap average-pooled to the CAM's 6x6. */
float en_cam_cos(const expr_net *n, int b, int k, const float *heat12);
/* The same for a CAM already computed (EN_CAM x EN_CAM): the one CAM-COS. */
float en_cam_cos_of(const float *cam, const float *heat12);

/* Model file: "AUGEXPR2", n_params, n_stats (u64 LE), parameters as IEEE half,
 * running statistics as float32 ("AUGEXPR1": parameters as float32, also read). */
int en_save(const expr_net *n, const char *path, au_error *err);

/* A model file's contents without a network around them: what inference
 * (expr/infer.c) needs, ~4.7 MB of floats where en_create's training network
 * adds gradients, AdamW moments and activations. params and stats are laid
 * out as in expr_net (and the file); the other pointers are views into them. */
typedef struct en_conv_weights {
    int C, OC;                       /* input, output channels (kernel 3x3, stride 1, pad 1) */
    const float *w;                  /* HWIO: [3][3][C][OC] */
    const float *gamma, *beta;       /* batch norm */
    const float *rmean, *rvar;       /* its running statistics */
} en_conv_weights;

typedef struct en_weights {
    size_t n_params, n_stats;
    float *params, *stats;           /* owned: en_weights_free */
    en_conv_weights conv[EN_CONVS];
    const float *fc_w, *fc_b;        /* linear layer: (256, EXPR_N) and (EXPR_N) */
} en_weights;

/* The one reader of the model file (formats AUGEXPR1/2): sizes against the
 * architecture, then en_check_weights' checks. 0, or AUGUR_EIO / EFORMAT /
 * ENOMEM naming the file with *w left empty (en_weights_free-safe). */
int en_read_weights(const char *path, en_weights *w, au_error *err);
void en_weights_free(en_weights *w);

/* en_read_weights into an existing network (training, conversion, reference
 * inference); n is left unchanged on failure. */
int en_load_weights(expr_net *n, const char *path, au_error *err);
/* The uniform average of k >= 1 model files, parameter by parameter and
 * statistic by statistic, into n (a "model soup", Wortsman et al. 2022: the
 * average of fine-tunings from one starting model is one model of the same
 * size, so inference costs nothing more).  Only meaningful for models that
 * share a starting point; n is left unchanged on failure. */
int en_average_weights(expr_net *n, const char *const *paths, int k, au_error *err);
/* Every stored float finite and every batch-norm running variance >= 0, else
 * AUGUR_EFORMAT naming the file, the layer and the array (en_read_weights
 * checks the same; a model from an untrusted place gets no other check). */
int en_check_weights(const expr_net *n, const char *path, au_error *err);

#endif
