/*
 * api/analyze.c — the public analysis calls of augur.h over the stages:
 * decode (media/) -> faces (face/) -> AUs (au/) -> expression (expr/) and its
 * AU-evidence check (explain/). Models load on first use and stay on the context.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "au/au.h"
#include "core/context.h"
#include "explain/explain.h"
#include "expr/infer.h"
#include "expr/prep.h"
#include "face/engine.h"
#include "media/image.h"

#ifndef AUGUR_SHIPPED_MODEL_DIR
#define AUGUR_SHIPPED_MODEL_DIR "models"
#endif

void augur_release_stages(augur_context *ctx)
{
    au_face_engine_free(ctx->faces);
    ctx->faces = NULL;
    free(ctx->aus);
    ctx->aus = NULL;
    expr_infer_free(ctx->expr);
    ctx->expr = NULL;
}

const char *augur_expression_name(int cls) { return cls >= 0 && cls < AU_EXPR_N ? au_expr_names[cls] : NULL; }

/* The expression model is optional: an explicit path must load; the default
 * one is used when it exists. */
static int ensure_expr(augur_context *ctx)
{
    if (ctx->expr_tried) /* a failed explicit model fails every call, not just the first */
        return ctx->expr_rc ? au_fail(&ctx->err, ctx->expr_rc, "%s", ctx->expr_msg) : 0;
    ctx->expr_tried = 1;
    const char *path = ctx->params.expr_model;
    int explicit_path = path && *path;
    char buf[4200];
    if (!explicit_path) path = getenv("AUGUR_EXPR_MODEL"), explicit_path = path && *path;
    if (!explicit_path) {
        snprintf(buf, sizeof buf, "%s/expr-ferplus.bin", AUGUR_SHIPPED_MODEL_DIR);
        path = buf;
        FILE *f = fopen(path, "rb");
        if (!f) return 0;
        fclose(f);
    }
    int rc = expr_infer_create(&ctx->expr, path, ctx->params.n_threads > 0 ? ctx->params.n_threads : 1, &ctx->err);
    if (rc) {
        au_wrap(&ctx->err, "loading the expression model");
        ctx->expr_rc = rc;
        snprintf(ctx->expr_msg, sizeof ctx->expr_msg, "%s", ctx->err.msg);
    }
    return rc;
}

_Static_assert(EN_CAM == AUGUR_CAM_SIDE, "augur.h's CAM size follows the network's");

/* Expression of one meshed face: probabilities, the CAM and CAM-COS. */
static int read_expression(augur_context *ctx, const au_image *img, au_face *f)
{
    uint8_t crop[EN_SIZE * EN_SIZE];
    expr_crop(img, f, EN_SIZE, crop);
    return expr_infer_face(ctx->expr, crop, ctx->params.expr_flip, f, &ctx->err);
}

static int ensure_aus(augur_context *ctx)
{
    if (ctx->aus) return 0;
    const char *path = ctx->params.au_model;
    char buf[4200];
    if (!path || !*path) path = getenv("AUGUR_AU_MODEL");
    if (!path || !*path) {
        snprintf(buf, sizeof buf, "%s/au.json", AUGUR_SHIPPED_MODEL_DIR);
        path = buf;
    }
    ctx->aus = malloc(sizeof *ctx->aus);
    if (!ctx->aus) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    int rc = au_model_load(ctx->aus, path, &ctx->err);
    if (rc) {
        free(ctx->aus);
        ctx->aus = NULL;
        au_wrap(&ctx->err, "loading the AU model (set AUGUR_AU_MODEL or train one with `augur train au`)");
    }
    return rc;
}

const char *augur_au_name(int au) { int a = au_index(au); return a < 0 ? NULL : au_defs[a].name; }
const char *augur_au_muscle(int au) { int a = au_index(au); return a < 0 ? NULL : au_defs[a].muscle; }
const char *augur_au_region(int au) { int a = au_index(au); return a < 0 ? NULL : au_defs[a].region; }
const char *augur_measure_name(int m) { return m >= 0 && m < AU_M_COUNT ? au_measure_names[m] : NULL; }

/* AUs of every meshed face, into the public records. */
static int read_aus(augur_context *ctx, const au_image *img, au_face *faces, int n)
{
    int rc = ensure_aus(ctx);
    if (rc) return rc;
    for (int i = 0; i < n; i++) {
        au_face *f = &faces[i];
        f->n_aus = 0;
        if (!f->success) continue;
        au_face_aus r;
        if (au_read(ctx->aus, img, f, NULL, &r, &ctx->err)) continue; /* degenerate mesh: no AUs, still a face */
        au_fill_face(&r, f);
        if (!r.has_evidence) ex_set_evidence(f); /* a model without an evidence map: FACS prototypes */
    }
    return 0;
}

static int ensure_faces(augur_context *ctx)
{
    if (ctx->faces) return 0;
    nn_options o = nn_default_options();
    o.backend = ctx->params.backend == AUGUR_BACKEND_REFERENCE ? NN_BACKEND_REF : NN_BACKEND_XNN;
    o.n_threads = ctx->params.n_threads;
    int rc = au_face_engine_create(&ctx->faces, ctx->model_dir, &o, &ctx->err);
    if (rc == AUGUR_EIO)
        au_wrap(&ctx->err, "loading the face models (run `make setup` to fetch them, or set AUGUR_MODELS)");
    return rc;
}

static int analyze(augur_context *ctx, const au_image *img, struct augur_face **faces, int *n_faces)
{
    *faces = NULL;
    *n_faces = 0;
    int rc = ensure_faces(ctx);
    if (rc) return rc;
    au_face *buf = malloc(AU_MAX_FACES * sizeof *buf);
    if (!buf) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    int n = 0;
    au_face_opts o = au_face_default_opts();
    o.detector = (enum au_detector_choice)ctx->params.detector;
    o.crop_mode = (enum au_crop_mode)ctx->params.crop;
    rc = au_face_find(ctx->faces, img, &o, buf, &n, &ctx->err);
    if (!rc) rc = read_aus(ctx, img, buf, n);
    if (!rc) rc = ensure_expr(ctx);
    for (int i = 0; !rc && ctx->expr && i < n; i++) {
        au_face *f = &buf[i];
        if (!f->success || !f->n_aus) continue;
        if ((rc = read_expression(ctx, img, f))) break;
        /* the consistency check of explain/ (docs/REASONING.md) */
        f->weakly_grounded = ex_weakly_grounded(f);
    }
    if (rc) { free(buf); return rc; }
    if (n == 0) { free(buf); return 0; }
    au_face *shrunk = realloc(buf, (size_t)n * sizeof *buf);
    *faces = shrunk ? shrunk : buf;
    *n_faces = n;
    return 0;
}

int augur_analyze_file(augur_context *ctx, const char *path, struct augur_face **faces, int *n_faces)
{
    *faces = NULL;
    *n_faces = 0;
    au_image img = {0};
    int rc = au_image_load(path, &img, &ctx->err);
    if (rc) return rc;
    rc = analyze(ctx, &img, faces, n_faces);
    au_image_free(&img);
    return rc;
}

int augur_analyze_rgb(augur_context *ctx, const unsigned char *rgb, int width, int height,
                      struct augur_face **faces, int *n_faces)
{
    *faces = NULL;
    *n_faces = 0;
    if (!rgb || width < 1 || height < 1 || width > AU_IMAGE_MAX_SIDE || height > AU_IMAGE_MAX_SIDE ||
        (long long)width * height > AU_IMAGE_MAX_PIXELS)
        return au_fail(&ctx->err, AUGUR_EARG, "bad image: %dx%d pixels%s", width, height, rgb ? "" : " (NULL)");
    au_image img = {width, height, (uint8_t *)rgb};
    return analyze(ctx, &img, faces, n_faces);
}

void augur_faces_free(struct augur_face *faces) { free(faces); }
