/*
 * lab/eval/expr_eval.c — expression metrics (lab/fit/train_expr.h) through the
 * inference path (expr/infer.h): one face at a time, as analysis runs it, so
 * the accuracy and ms/face reported are those of the mode users get.  Same
 * protocol as expr_evaluate: optional flip averaging of probabilities, CAM-COS
 * and ATT-COS on the unflipped pass over non-neutral images with a face.
 */
#include "expr/infer.h"
#include "fit/train_expr.h"

#include <math.h>
#include <string.h>

static double cosine(const float *a, const float *b, int n)
{
    double d = 0, na = 0, nb = 0;
    for (int i = 0; i < n; i++) { d += (double)a[i] * b[i]; na += (double)a[i] * a[i]; nb += (double)b[i] * b[i]; }
    return na > 0 && nb > 0 ? d / sqrt(na * nb) : 0;
}

int expr_evaluate_infer(expr_infer *e, const expr_cache *c, int flip, expr_metrics *m, au_error *err)
{
    enum { CROP = EN_SIZE * EN_SIZE, HEAT = EN_ATT * EN_ATT };
    memset(m, 0, sizeof *m);
    double t0 = au_now(), cam_sum = 0, att_sum = 0;
    for (int i = 0; i < c->n; i++) {
        const uint8_t *src = c->crops + (size_t)i * CROP;
        float probs[EXPR_N];
        int rc = expr_infer_classify(e, src, flip, probs, err), lab = c->label[i];
        if (rc) return rc;
        if (c->has_face[i] && lab != EXPR_NEUTRAL) { /* the CAM and attention are the unmirrored crop's */
            float h[HEAT], att[HEAT];
            for (int j = 0; j < HEAT; j++) h[j] = c->heat[(size_t)i * HEAT + j] / 255.0f;
            cam_sum += expr_infer_cam_cos(e, lab, h);
            expr_infer_att(e, att);
            att_sum += cosine(att, h, HEAT);
            m->n_cos++;
        }
        int best = 0;
        for (int k = 1; k < EXPR_N; k++) if (probs[k] > probs[best]) best = k;
        m->confusion[lab][best]++;
    }
    m->ms_per_face = 1e3 * (au_now() - t0) / (c->n ? c->n : 1);
    m->n = c->n;
    expr_metrics_finish(m, cam_sum, att_sum);
    return 0;
}
