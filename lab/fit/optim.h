/*
 * lab/fit/optim.h — parameter updates and the learning-rate schedule.
 *
 * The optimisers update one contiguous slice of parameters at a time (a
 * tensor, or a group sharing hyper-parameters), so the caller decides per
 * slice what weight decay applies — usually decay on conv/linear weights and
 * none on biases and batch-norm gamma/beta. All state (moments, velocity) is
 * caller-owned, zero-initialised, as long as the slice; nothing allocates.
 *
 * Typical step:
 *     float lr = tr_lr_cosine(&sched, step);          // step = 0, 1, 2, ...
 *     tr_adamw_update(w, dw, m, v, n, lr, 5e-4f, step + 1, &adam);
 */
#ifndef AUGUR_TRAIN_OPTIM_H
#define AUGUR_TRAIN_OPTIM_H

#include <stddef.h>

/* ---- AdamW (Loshchilov & Hutter, decoupled weight decay) ---------------- */
typedef struct tr_adamw {
    float beta1;     /* first-moment decay, default 0.9 */
    float beta2;     /* second-moment decay, default 0.999 */
    float eps;       /* default 1e-8 */
} tr_adamw;

tr_adamw tr_adamw_default(void);

/* param (n) -= lr * (mhat / (sqrt(vhat) + eps) + weight_decay * param),
 * m, v (n) the moments (zero before step 1), t >= 1 the step count used for
 * bias correction. */
void tr_adamw_update(float *param, const float *grad, float *m, float *v, size_t n,
                     float lr, float weight_decay, int t, const tr_adamw *o);

/* ---- SGD with momentum and (L2, coupled) weight decay ------------------- */
/* vel = momentum * vel + (grad + weight_decay * param);  param -= lr * vel
 * (PyTorch's SGD, dampening 0); vel (n) zero before the first step. */
void tr_sgd_update(float *param, const float *grad, float *vel, size_t n,
                   float lr, float momentum, float weight_decay);

/* ---- cosine schedule with linear warm-up -------------------------------- */
typedef struct tr_schedule {
    float lr_max;        /* the peak learning rate, reached at the end of warm-up */
    float lr_min;        /* the floor of the cosine, reached at total_steps */
    int warmup_steps;    /* linear ramp from lr_max/warmup_steps up to lr_max */
    int total_steps;     /* warm-up included */
} tr_schedule;

/* The learning rate of step `step` (0-based):
 *   step < warmup:  lr_max * (step + 1) / warmup
 *   after:          lr_min + (lr_max - lr_min) * (1 + cos(pi * p)) / 2,
 *                   p = (step - warmup) / (total - warmup), clamped to [0, 1] */
float tr_lr_cosine(const tr_schedule *s, int step);

/* ---- gradient clipping by global norm ------------------------------------ */
/* sum of grad[i]^2; the global norm is sqrt of its sum over all slices. To
 * clip to max_norm, scale every slice by max_norm / norm when norm > max_norm. */
double tr_grad_sumsq(const float *grad, size_t n);
void tr_grad_scale(float *grad, size_t n, float factor);

#endif
