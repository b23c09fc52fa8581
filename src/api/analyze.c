/*
 * api/analyze.c — the public analysis calls of augur.h over the per-face
 * stage (stage/stage.h): decode (media/) -> faces (face/) -> AUs (au/) ->
 * expression (expr/) and its AU-evidence check (explain/). Models load on
 * first use and stay on the context.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "au/au.h"
#include "api/context.h"
#include "expr/classes.h"
#include "face/blendshapes.h"
#include "media/image.h"
#include "stage/stage.h"

AUGUR_API const char *augur_expression_name(int cls) { return cls >= 0 && cls < EXPR_N ? expr_names[cls] : NULL; }
AUGUR_API const char *augur_au_name(int au) { int a = au_index(au); return a < 0 ? NULL : au_defs[a].name; }
AUGUR_API const char *augur_au_muscle(int au) { int a = au_index(au); return a < 0 ? NULL : au_defs[a].muscle; }
AUGUR_API const char *augur_au_region(int au) { int a = au_index(au); return a < 0 ? NULL : au_defs[a].region; }
AUGUR_API const char *augur_measure_name(int m) { return m >= 0 && m < AU_M_COUNT ? au_measure_names[m] : NULL; }
AUGUR_API int augur_measure_direction(int au) { return au_measure_direction(au); }
AUGUR_API int augur_measure_shows(const struct augur_au *u)
{
    if (!u || u->source == AUGUR_AU_SOURCE_NONE || u->measure < 0 || u->measure >= AU_M_COUNT) return -1;
    return u->measure_mm * (float)au_measure_direction(u->id) > 0;
}
AUGUR_API int augur_measure_beyond_rest(const struct augur_au *u)
{
    if (augur_measure_shows(u) < 0) return -1;
    return au_beyond_rest(u->id, u->measure_mm, u->measure_rest_mm);
}
AUGUR_API const char *augur_blendshape_name(int i) { return au_blendshape_name(i); }
_Static_assert(AUGUR_AREA_UPPER == AU_AREA_UPPER && AUGUR_AREA_LOWER == AU_AREA_LOWER, "augur.h's area bits are au/geometry.h's");
AUGUR_API int augur_au_covered(const struct augur_face *f, const struct augur_au *u)
{
    int a = f && u ? au_index(u->id) : -1;
    return a >= 0 && (f->covered & au_area_of(a)) != 0;
}

AUGUR_API const char *augur_au_held_reason(const struct augur_au *u)
{
    static const char *const why[] = {NULL, "rest", "still", "neutral", "covered", "unvalidated"};
    _Static_assert(AUGUR_HELD_REST == 1 && AUGUR_HELD_STILL == 2 && AUGUR_HELD_NEUTRAL == 3 && AUGUR_HELD_COVERED == 4 &&
                   AUGUR_HELD_UNVALIDATED == 5, "augur_au_held_reason's names follow enum augur_au_held");
    if (!u || u->source == AUGUR_AU_SOURCE_NONE || u->present || !(u->probability >= 0.5f)) return NULL;
    if (u->held_at_rest > 0 && u->held_at_rest <= AUGUR_HELD_UNVALIDATED) return why[u->held_at_rest];
    return "alternative"; /* au_facs_excluded (or, in video, the lids' closure named by its length) */
}

static int analyze(augur_context *ctx, const au_image *img, struct augur_face **faces, int *n_faces)
{
    *faces = NULL;
    *n_faces = 0;
    au_face *buf = malloc(AU_MAX_FACES * sizeof *buf);
    if (!buf) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    int n = 0;
    int rc = st_find(ctx->stage, img, buf, &n, &ctx->err);
    for (int i = 0; !rc && i < n; i++) rc = st_read_face(ctx->stage, img, &buf[i], NULL, &ctx->err);
    if (rc || n == 0) { free(buf); return rc; }
    au_face *shrunk = realloc(buf, (size_t)n * sizeof *buf);
    *faces = shrunk ? shrunk : buf;
    *n_faces = n;
    return 0;
}

AUGUR_API int augur_analyze_file(augur_context *ctx, const char *path, struct augur_face **faces, int *n_faces)
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

AUGUR_API int augur_analyze_rgb(augur_context *ctx, const unsigned char *rgb, int width, int height,
                                struct augur_face **faces, int *n_faces)
{
    *faces = NULL;
    *n_faces = 0;
    if (!rgb || width < 1 || height < 1 || width > AU_IMAGE_MAX_SIDE || height > AU_IMAGE_MAX_SIDE ||
        (long long)width * height > AU_IMAGE_MAX_PIXELS)
        return au_fail(&ctx->err, AUGUR_EARG, "bad image: %dx%d pixels%s", width, height, rgb ? "" : " (NULL)");
    au_image img = {width, height, (unsigned char *)rgb};
    return analyze(ctx, &img, faces, n_faces);
}

AUGUR_API int augur_analyze_image(augur_context *ctx, const augur_image *img, struct augur_face **faces, int *n_faces)
{
    if (!img) return au_fail(&ctx->err, AUGUR_EARG, "no image");
    return augur_analyze_rgb(ctx, img->rgb, img->w, img->h, faces, n_faces);
}

AUGUR_API void augur_faces_free(struct augur_face *faces) { free(faces); }
