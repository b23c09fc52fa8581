/*
 * lab/fit/optim.c — AdamW, SGD-momentum, the cosine schedule (see optim.h).
 */
#include "fit/optim.h"

#include <math.h>

tr_adamw tr_adamw_default(void)
{
    return (tr_adamw){.beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f};
}

void tr_adamw_update(float *param, const float *grad, float *m, float *v, size_t n,
                     float lr, float weight_decay, int t, const tr_adamw *o)
{
    /* Bias corrections: the moments start at zero, so early on they
     * underestimate; dividing by 1 - beta^t undoes that. */
    const float c1 = 1.0f - powf(o->beta1, (float)t);
    const float c2 = 1.0f - powf(o->beta2, (float)t);
    for (size_t i = 0; i < n; i++) {
        float g = grad[i];
        m[i] = o->beta1 * m[i] + (1.0f - o->beta1) * g;
        v[i] = o->beta2 * v[i] + (1.0f - o->beta2) * g * g;
        float mhat = m[i] / c1, vhat = v[i] / c2;
        param[i] -= lr * (mhat / (sqrtf(vhat) + o->eps) + weight_decay * param[i]);
    }
}

void tr_sgd_update(float *param, const float *grad, float *vel, size_t n,
                   float lr, float momentum, float weight_decay)
{
    for (size_t i = 0; i < n; i++) {
        vel[i] = momentum * vel[i] + grad[i] + weight_decay * param[i];
        param[i] -= lr * vel[i];
    }
}

float tr_lr_cosine(const tr_schedule *s, int step)
{
    if (step < s->warmup_steps)
        return s->lr_max * (float)(step + 1) / (float)s->warmup_steps;
    int span = s->total_steps - s->warmup_steps;
    double p = span > 0 ? (double)(step - s->warmup_steps) / span : 1.0;
    if (p > 1.0) p = 1.0;
    return (float)(s->lr_min + (s->lr_max - s->lr_min) * 0.5 * (1.0 + cos(M_PI * p)));
}

double tr_grad_sumsq(const float *grad, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)grad[i] * grad[i];
    return s;
}

void tr_grad_scale(float *grad, size_t n, float factor)
{
    for (size_t i = 0; i < n; i++) grad[i] *= factor;
}
