/*
 * api/explain.c — the public reasoning calls of augur.h: the grounded trace
 * of a face, TAG's AU-Prob-Bbox list, and the verifier of rationales
 * (explain/), with their text and JSON forms.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/context.h"
#include "explain/explain.h"

AUGUR_API int augur_trace(augur_context *ctx, const struct augur_face *face, enum augur_trace_format format,
                          char **text)
{
    *text = NULL;
    if (!face) return au_fail(&ctx->err, AUGUR_EARG, "no face");
    if (format != AUGUR_TRACE_TAG && format != AUGUR_TRACE_TEXT)
        return au_fail(&ctx->err, AUGUR_EARG, "unknown trace format %d", (int)format);
    ex_trace *t = malloc(sizeof *t);
    if (!t) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    int rc = ex_build_trace(face, face->has_expression ? face->expression_class : -1, t, &ctx->err);
    size_t cap = 8192;
    char *buf = NULL;
    while (!rc) { /* snprintf semantics: grow until it fits */
        char *nb = realloc(buf, cap);
        if (!nb) { rc = au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory"); break; }
        buf = nb;
        int n = format == AUGUR_TRACE_TEXT ? ex_trace_text(t, buf, cap) : ex_trace_tag(t, buf, cap);
        if (n >= 0 && (size_t)n < cap) break;
        cap = n >= 0 ? (size_t)n + 1 : 2 * cap;
    }
    free(t);
    if (rc) { free(buf); return rc; }
    *text = buf;
    return 0;
}

/* Present AUs first, then the others, each by probability: an AU read over its threshold but not
 * scored (held back by faces at rest, or beside its FACS alternative) must not head the list above
 * the AUs the face shows, as the trace beside it does not cite it. */
static int cmp_prob_desc(const void *a, const void *b)
{
    const struct augur_au *u = a, *v = b;
    if ((u->present != 0) != (v->present != 0)) return u->present ? -1 : 1;
    return u->probability < v->probability ? 1 : u->probability > v->probability ? -1 : 0;
}

AUGUR_API int augur_aulist(augur_context *ctx, const struct augur_face *face, int topk, char **text)
{
    *text = NULL;
    if (!face || topk < 1) return au_fail(&ctx->err, AUGUR_EARG, "need a face and topk >= 1");
    struct augur_au s[AUGUR_AU_COUNT];
    int n = 0;
    for (int k = 0; k < face->n_aus && k < AUGUR_AU_COUNT; k++)
        if (face->aus[k].source != AUGUR_AU_SOURCE_NONE && !augur_au_covered(face, &face->aus[k]) &&
            !face->aus[k].unvalidated)
            s[n++] = face->aus[k]; /* an AU of a covered half is not evidence (docs/AUS.md "A face half covered"),
                                    * nor one the model cannot rank (RULE34) */
    qsort(s, (size_t)n, sizeof *s, cmp_prob_desc);
    size_t cap = (size_t)AUGUR_AU_COUNT * 64 + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    buf[0] = 0;
    for (int k = 0; k < n && k < topk; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%sAU%d %.2f [%.0f,%.0f,%.0f,%.0f]", k ? "; " : "", s[k].id,
                                s[k].probability, s[k].box[0], s[k].box[1], s[k].box[2], s[k].box[3]);
    *text = buf;
    return 0;
}

AUGUR_API int augur_verify(augur_context *ctx, const struct augur_face *face, const char *text, size_t len,
                           struct augur_verdict *v)
{
    if (!face || !text || !v) return au_fail(&ctx->err, AUGUR_EARG, "need a face, a rationale and a verdict");
    return ex_verify(face, text, len, v, &ctx->err);
}

/* A score to 1e-4, as every other JSON number augur writes, rounded in double: a float rounded and widened would
 * print as 0.73470002412796021 */
static double r4(float x) { return round((double)x * 1e4) / 1e4; }

AUGUR_API char *augur_verdict_json(const struct augur_verdict *v, const char *image, const char *rationale)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (image) cJSON_AddStringToObject(o, "image", image);
    if (rationale) cJSON_AddStringToObject(o, "rationale", rationale);
    cJSON_AddNumberToObject(o, "grounding", r4(v->grounding));
    if (v->answer >= 0 && v->answer < EXPR_N) {
        cJSON_AddStringToObject(o, "answer", expr_names[v->answer]);
        cJSON_AddBoolToObject(o, "answer_agrees_with_evidence", v->answer_agrees);
    } else cJSON_AddNullToObject(o, "answer");
    cJSON *cl = cJSON_AddArrayToObject(o, "claims");
    for (int i = 0; cl && i < v->n_claims && i < AUGUR_MAX_CLAIMS; i++) {
        const ex_claim *c = &v->claims[i];
        cJSON *x = cJSON_CreateObject();
        if (!x) break;
        cJSON_AddNumberToObject(x, "au", c->au);
        cJSON_AddBoolToObject(x, "claimed_present", !c->absent);
        cJSON_AddBoolToObject(x, "supported", c->supported);
        cJSON_AddNumberToObject(x, "probability", r4(c->probability));
        if (c->has_box) cJSON_AddNumberToObject(x, "iou", r4(c->iou));
        else cJSON_AddNullToObject(x, "iou");
        cJSON_AddNumberToObject(x, "score", r4(c->score));
        cJSON_AddStringToObject(x, "reason", c->reason);
        cJSON_AddItemToArray(cl, x);
    }
    /* attributions ("AU6 + AU12 indicate happiness over sadness"), checked with the evidence terms: apart from
     * grounding, as the answer is */
    if (v->n_attributions > 0) cJSON_AddNumberToObject(o, "attribution", r4(v->attribution));
    else cJSON_AddNullToObject(o, "attribution");
    cJSON *at = cJSON_AddArrayToObject(o, "attributions");
    for (int i = 0; at && i < v->n_attributions && i < AUGUR_MAX_CLAIMS; i++) {
        const struct augur_attribution *a = &v->attributions[i];
        cJSON *x = cJSON_CreateObject();
        if (!x) break;
        cJSON_AddNumberToObject(x, "au", a->au);
        cJSON_AddStringToObject(x, "class", a->cls >= 0 && a->cls < EXPR_N ? expr_names[a->cls] : "?");
        if (a->over >= 0 && a->over < EXPR_N) cJSON_AddStringToObject(x, "over", expr_names[a->over]);
        else cJSON_AddNullToObject(x, "over");
        cJSON_AddBoolToObject(x, "supported", a->supported);
        cJSON_AddNumberToObject(x, "term", r4(a->term));
        cJSON_AddNumberToObject(x, "term_over", r4(a->term_over));
        cJSON_AddItemToArray(at, x);
    }
    cJSON_AddStringToObject(o, "notes", v->notes);
    return api_json_string(o, 0);
}

AUGUR_API int augur_read_text(augur_context *ctx, const char *path, size_t max_bytes, char **text, size_t *len)
{
    uint8_t *t = NULL;
    *text = NULL;
    *len = 0;
    int rc = au_read_file(path, max_bytes, 1, &t, len, &ctx->err);
    if (!rc) *text = (char *)t;
    return rc;
}
