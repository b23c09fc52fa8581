/*
 * api/context.h — the inside of the opaque augur_context: the parameters,
 * the last error, and the per-face stage (stage/stage.h) that owns every
 * model. The public calls (api/) reach the stages through it.
 */
#ifndef AUGUR_API_CONTEXT_H
#define AUGUR_API_CONTEXT_H

#include "augur.h"
#include "core/util.h"

struct st_stage;

struct augur_context {
    struct augur_params params;    /* as given; model paths resolved in the stage */
    au_error err;                  /* last failure */
    struct st_stage *stage;        /* models and the per-face reading */
    long long csv_inputs;          /* inputs written to the CSV since its header (the image rows' `frame`) */
};

/* A cJSON tree as a malloc'ed string the caller frees with free() (what
 * augur_string_free does), unlike cJSON's own allocation when its hooks
 * differ; the tree is deleted either way. NULL when j is NULL or out of
 * memory. (api/output.c) */
struct cJSON;
char *api_json_string(struct cJSON *j, int pretty);

#endif
