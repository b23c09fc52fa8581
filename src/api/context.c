/*
 * api/context.c — the public context: parameters, the per-face stage that
 * owns the models, error reporting.
 */
#include "api/context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage/stage.h"

AUGUR_API struct augur_params augur_default_params(void)
{
    struct augur_params p;
    memset(&p, 0, sizeof p);
    p.model_dir = NULL;
    p.n_threads = 1;
    p.backend = AUGUR_BACKEND_FAST;
    p.gaze = 1;
    p.blendshapes = 1;
    return p;
}

AUGUR_API int augur_init(augur_context **out, const struct augur_params *params)
{
    *out = NULL;
    augur_context *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return AUGUR_ENOMEM;
    *out = ctx;
    ctx->params = params ? *params : augur_default_params();
    return st_create(&ctx->stage, &ctx->params, &ctx->err);
}

AUGUR_API void augur_free(augur_context *ctx)
{
    if (!ctx) return;
    st_free(ctx->stage);
    free(ctx);
}

AUGUR_API const char *augur_errmsg(const augur_context *ctx)
{
    if (!ctx) return "out of memory (no context)";
    return ctx->err.msg;
}

AUGUR_API const char *augur_strerror(int code)
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

#define STR_(x) #x
#define STR(x) STR_(x)
AUGUR_API const char *augur_version(void)
{
    return STR(AUGUR_VERSION_MAJOR) "." STR(AUGUR_VERSION_MINOR) "." STR(AUGUR_VERSION_PATCH);
}

AUGUR_API const char *augur_model_dir(const augur_context *ctx)
{
    return ctx && ctx->stage ? st_paths(ctx->stage)->face_dir : NULL;
}

AUGUR_API const char *augur_au_model_path(const augur_context *ctx)
{
    return ctx && ctx->stage ? st_paths(ctx->stage)->au_model : NULL;
}

AUGUR_API const char *augur_expr_model_path(const augur_context *ctx)
{
    return ctx && ctx->stage ? st_paths(ctx->stage)->expr_model : NULL;
}

AUGUR_API int augur_load(augur_context *ctx)
{
    return st_load(ctx->stage, &ctx->err);
}
