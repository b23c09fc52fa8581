/*
 * core/context.c — the public context: parameters, model folder resolution,
 * error reporting. Later stages hang their loaded models off the context.
 */
#include "core/context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef AUGUR_DEFAULT_MODEL_DIR
#define AUGUR_DEFAULT_MODEL_DIR ".cache/human-models-3.0.4"
#endif

struct augur_params augur_default_params(void)
{
    struct augur_params p;
    memset(&p, 0, sizeof p);
    p.model_dir = NULL;
    p.n_threads = 1;
    p.backend = AUGUR_BACKEND_FAST;
    return p;
}

int augur_init(augur_context **out, const struct augur_params *params)
{
    *out = NULL;
    augur_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return AUGUR_ENOMEM;
    *out = ctx;
    ctx->params = params ? *params : augur_default_params();
    if (ctx->params.n_threads < 1 || ctx->params.n_threads > 256)
        return au_fail(&ctx->err, AUGUR_EARG, "n_threads must be in 1..256 (got %d)", ctx->params.n_threads);
    const char *dir = ctx->params.model_dir;
    if (!dir || !*dir) dir = getenv("AUGUR_MODELS");
    if (!dir || !*dir) dir = AUGUR_DEFAULT_MODEL_DIR;
    snprintf(ctx->model_dir, sizeof ctx->model_dir, "%s", dir);
    ctx->params.model_dir = ctx->model_dir;
    return AUGUR_OK;
}

void augur_free(augur_context *ctx)
{
    if (!ctx) return;
    augur_release_stages(ctx);
    free(ctx);
}

const char *augur_errmsg(const augur_context *ctx)
{
    if (!ctx) return "out of memory (no context)";
    return ctx->err.msg;
}

const char *augur_strerror(int code)
{
    switch (code) {
    case AUGUR_OK: return "ok";
    case AUGUR_EIO: return "input/output error";
    case AUGUR_EFORMAT: return "corrupt or malformed input";
    case AUGUR_EUNSUPPORTED: return "unsupported input";
    case AUGUR_ELIMIT: return "input exceeds a size limit";
    case AUGUR_ENOMEM: return "out of memory";
    case AUGUR_EARG: return "invalid argument";
    case AUGUR_EBACKEND: return "compute backend error";
    case AUGUR_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}

const char *augur_version(void) { return "0.1.0"; }

const char *augur_model_dir(const augur_context *ctx) { return ctx ? ctx->model_dir : NULL; }

int augur_load_model(augur_context *ctx, const char *name, nn_model **out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.json", ctx->model_dir, name);
    nn_options o = nn_default_options();
    o.backend = ctx->params.backend == AUGUR_BACKEND_REFERENCE ? NN_BACKEND_REF : NN_BACKEND_XNN;
    o.n_threads = ctx->params.n_threads;
    int rc = nn_load(out, path, &o, &ctx->err);
    if (rc == AUGUR_EIO)
        au_wrap(&ctx->err, "model '%s' (run `make setup` to fetch the pretrained models, or set AUGUR_MODELS)", name);
    return rc;
}
