/*
 * expr/infer.c — expression inference (see infer.h).  This first version runs
 * the training network's forward pass with running statistics (B = 1).
 */
#include "expr/infer.h"

#include <stdlib.h>
#include <string.h>

struct expr_infer {
    expr_net *net;
};

int expr_infer_create(expr_infer **out, const char *model_path, int n_threads, au_error *err)
{
    (void)n_threads;
    *out = NULL;
    expr_infer *e = calloc(1, sizeof *e);
    if (!e) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    int rc = en_create(&e->net, 1, 1, err);
    if (!rc) rc = en_load_weights(e->net, model_path, err);
    if (rc) { expr_infer_free(e); return rc; }
    *out = e;
    return 0;
}

void expr_infer_free(expr_infer *e)
{
    if (!e) return;
    en_free(e->net);
    free(e);
}

int expr_infer_run(expr_infer *e, const uint8_t *crop, float *probs, au_error *err)
{
    (void)err;
    expr_net *n = e->net;
    for (int i = 0; i < EN_SIZE * EN_SIZE; i++) n->input[i] = crop[i] / 255.0f - 0.5f; /* as in training */
    en_forward(n, 1, 0);
    memcpy(probs, n->probs, AU_EXPR_N * sizeof(float));
    return 0;
}

void expr_infer_cam(const expr_infer *e, int k, float *cam) { en_cam(e->net, 0, k, cam); }

float expr_infer_cam_cos(const expr_infer *e, int k, const float *heat12) { return en_cam_cos(e->net, 0, k, heat12); }
