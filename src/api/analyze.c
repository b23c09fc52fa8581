/*
 * api/analyze.c — the public analysis calls of augur.h over the stages:
 * decode (media/) -> faces (face/). Later stages add their results here.
 */
#include <stdlib.h>
#include <string.h>

#include "core/context.h"
#include "face/engine.h"
#include "media/image.h"

void augur_release_stages(augur_context *ctx)
{
    au_face_engine_free(ctx->faces);
    ctx->faces = NULL;
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
