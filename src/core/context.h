/*
 * core/context.h — the inside of the opaque augur_context. Stages keep their
 * loaded models and scratch state here; each adds its fields as it lands.
 */
#ifndef AUGUR_CORE_CONTEXT_H
#define AUGUR_CORE_CONTEXT_H

#include "augur.h"
#include "core/util.h"
#include "nn/nn.h"

struct augur_context {
    struct augur_params params;
    char model_dir[4096];
    au_error err;          /* last failure */
};

/* Loads `<model_dir>/<name>.json` with the context's backend and threads. */
int augur_load_model(augur_context *ctx, const char *name, nn_model **out);

#endif
