/*
 * core/context.h — the inside of the opaque augur_context. Stages keep their
 * loaded models and scratch state here; each adds its fields as it lands.
 */
#ifndef AUGUR_CORE_CONTEXT_H
#define AUGUR_CORE_CONTEXT_H

#include "augur.h"
#include "core/util.h"
#include "nn/nn.h"

struct au_face_engine;

struct augur_context {
    struct augur_params params;
    char model_dir[4096];
    au_error err;                  /* last failure */
    struct au_face_engine *faces;  /* face stage, loaded on first use (api/analyze.c) */
    struct au_model *aus;          /* AU calibration, loaded on first use */
    struct expr_infer *expr;       /* expression classifier (expr/infer.h), loaded on first use (may stay absent) */
    int expr_tried;                /* 1 once loading was attempted */
    int expr_rc;                   /* its error code (0: loaded, or no default model) */
    char expr_msg[512];            /* and its message */
};

/* Releases what the stages hung on the context (api/analyze.c). */
void augur_release_stages(augur_context *ctx);

/* Loads `<model_dir>/<name>.json` with the context's backend and threads. */
int augur_load_model(augur_context *ctx, const char *name, nn_model **out);

#endif
