/*
 * api/output.c — the public image, input-list, writer and output-file calls
 * of augur.h: thin wrappers over media/, out/ and core/util.c that put
 * errors on the context.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api/context.h"
#include "media/image.h"
#include "out/out.h"

AUGUR_API int augur_image_load(augur_context *ctx, const char *path, augur_image *img)
{
    memset(img, 0, sizeof *img);
    return au_image_load(path, img, &ctx->err);
}

AUGUR_API int augur_image_decode(augur_context *ctx, const void *data, size_t len, augur_image *img)
{
    memset(img, 0, sizeof *img);
    if (!data) return au_fail(&ctx->err, AUGUR_EARG, "no image data");
    return au_image_decode(data, len, "image data", img, &ctx->err);
}

AUGUR_API void augur_image_free(augur_image *img) { au_image_free(img); }

AUGUR_API int augur_list_images(augur_context *ctx, const char *arg, int recursive, char ***paths, int *n)
{
    return au_inputs_expand_r(arg, recursive, paths, n, &ctx->err);
}

AUGUR_API void augur_paths_free(char **paths, int n) { au_inputs_free(paths, n); }

AUGUR_API void augur_string_free(char *s) { free(s); }

char *api_json_string(cJSON *j, int pretty)
{
    if (!j) return NULL;
    char *s = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) return NULL;
    char *out = strdup(s);
    cJSON_free(s);
    return out;
}

AUGUR_API char *augur_analysis_json(const struct augur_analysis *a, int pretty)
{
    return api_json_string(au_analysis_to_json(a), pretty);
}

AUGUR_API int augur_write_json(augur_context *ctx, FILE *f, const struct augur_analysis *a, int pretty)
{
    cJSON *j = au_analysis_to_json(a);
    if (!j) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory building JSON");
    int rc = au_json_write(f, j, pretty, &ctx->err);
    cJSON_Delete(j);
    return rc;
}

AUGUR_API int augur_write_csv_header(augur_context *ctx, FILE *f)
{
    ctx->csv_inputs = 0;
    return au_csv_header(f) ? au_fail(&ctx->err, AUGUR_EIO, "cannot write CSV: %s", strerror(errno)) : 0;
}

AUGUR_API int augur_write_csv(augur_context *ctx, FILE *f, const struct augur_analysis *a)
{
    long long frame = ++ctx->csv_inputs;
    return au_csv_rows(f, a, frame) ? au_fail(&ctx->err, AUGUR_EIO, "cannot write CSV: %s", strerror(errno)) : 0;
}

AUGUR_API int augur_write_csv_error(augur_context *ctx, FILE *f, const char *file, long long frame, const char *error)
{
    if (frame == 0) frame = ++ctx->csv_inputs;
    return au_csv_error_row(f, file ? file : "", frame, error) ? au_fail(&ctx->err, AUGUR_EIO, "cannot write CSV: %s", strerror(errno)) : 0;
}

AUGUR_API int augur_write_overlay(augur_context *ctx, const augur_image *img, const struct augur_analysis *a,
                                  const char *png_path)
{
    return au_overlay_png(img, a, png_path, &ctx->err);
}

struct augur_output { au_outfile f; };

AUGUR_API int augur_output_check(augur_context *ctx, const char *path)
{
    return au_out_check_target(path, &ctx->err);
}

AUGUR_API int augur_output_open(augur_context *ctx, const char *path, augur_output **out, FILE **f)
{
    *out = NULL;
    *f = NULL;
    augur_output *o = calloc(1, sizeof *o);
    if (!o) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    int rc = au_out_open(&o->f, path, &ctx->err);
    if (rc) { free(o); return rc; }
    *out = o;
    *f = o->f.f;
    return 0;
}

AUGUR_API int augur_output_commit(augur_context *ctx, augur_output *o)
{
    if (!o) return au_fail(&ctx->err, AUGUR_EARG, "no output file");
    int rc = au_out_commit(&o->f, &ctx->err);
    free(o);
    return rc;
}

AUGUR_API void augur_output_abort(augur_output *o)
{
    if (!o) return;
    au_out_abort(&o->f);
    free(o);
}

AUGUR_API int augur_output_detach(augur_context *ctx, augur_output *o, char *part, size_t cap)
{
    if (!o) return au_fail(&ctx->err, AUGUR_EARG, "no output file");
    int bad = fflush(o->f.f) != 0 || ferror(o->f.f);
    bad |= fclose(o->f.f) != 0;
    if (part && cap) snprintf(part, cap, "%s", o->f.tmp);
    free(o->f.tmp);
    free(o->f.path);
    free(o);
    return bad ? au_fail(&ctx->err, AUGUR_EIO, "writing the output failed") : 0;
}

AUGUR_API int augur_stdout_check(augur_context *ctx) { return au_stdout_check(&ctx->err); }
