/*
 * api/video.c — the public video calls of augur.h: a frame source
 * (media/video.h), a stream that tracks and reads faces (video/pipeline.h
 * over the context's per-face stage) and feeds the temporal analysis
 * (video/temporal.h), the per-frame writers (video/output.h) and an encoder
 * for annotated video (media/video_write.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "api/context.h"
#include "media/video.h"
#include "media/video_write.h"
#include "out/out.h"
#include "video/output.h"
#include "video/pipeline.h"
#include "video/temporal.h"

/* ---- source --------------------------------------------------------------- */

struct augur_video {
    augur_context *ctx;
    au_video *v;
};

AUGUR_API struct augur_video_params augur_video_default_params(void)
{
    au_video_opts o;
    au_video_default_opts(&o);
    return o;
}

AUGUR_API int augur_video_open(augur_context *ctx, const char *input, const struct augur_video_params *p,
                               augur_video **out)
{
    *out = NULL;
    augur_video *v = calloc(1, sizeof *v);
    if (!v) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    v->ctx = ctx;
    au_video_opts o = p ? *p : augur_video_default_params();
    int rc = au_video_open(&v->v, input, &o, &ctx->err);
    if (rc) { free(v); return rc; }
    *out = v;
    return 0;
}

AUGUR_API int augur_video_read(augur_video *v, augur_image *frame, double *t)
{
    return au_video_read(v->v, frame, t, &v->ctx->err);
}

AUGUR_API const struct augur_video_info *augur_video_info(const augur_video *v) { return au_video_get_info(v->v); }

AUGUR_API void augur_video_close(augur_video *v)
{
    if (!v) return;
    au_video_close(v->v);
    free(v);
}

/* ---- stream ----------------------------------------------------------------- */

struct augur_stream {
    augur_context *ctx;
    vp *pipe;
    vt_analyzer *ta;
    int finished;
};

AUGUR_API struct augur_stream_params augur_stream_default_params(void)
{
    vp_opts o;
    vp_default_opts(&o);
    struct augur_stream_params p = {o.max_faces, o.redetect_every, o.smooth, o.baseline};
    return p;
}

AUGUR_API int augur_stream_open(augur_context *ctx, const struct augur_stream_params *p, augur_stream **out)
{
    *out = NULL;
    struct augur_stream_params sp = p ? *p : augur_stream_default_params();
    vp_opts po;
    vp_default_opts(&po);
    po.max_faces = sp.max_faces;
    po.redetect_every = sp.redetect_every;
    po.smooth = sp.smooth;
    po.baseline = sp.baseline;
    augur_stream *s = calloc(1, sizeof *s);
    if (!s) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    s->ctx = ctx;
    vt_opts to;
    vt_default_opts(&to);
    int rc = vp_create(&s->pipe, ctx->stage, &po, &ctx->err);
    if (!rc) rc = vt_create(&s->ta, &to, &ctx->err);
    if (rc) { augur_stream_free(s); return rc; }
    *out = s;
    return 0;
}

AUGUR_API int augur_stream_push(augur_stream *s, const augur_image *frame, double t, long long index,
                                struct augur_track *tracks, int *n)
{
    *n = 0;
    if (s->finished) return au_fail(&s->ctx->err, AUGUR_EARG, "the stream is finished");
    int rc = vp_process(s->pipe, frame, t, index, tracks, n, &s->ctx->err);
    for (int i = 0; !rc && i < *n; i++) {
        vt_frame f;
        vt_frame_from_face(&f, index, t, tracks[i].face_id, &tracks[i].face);
        f.success = tracks[i].success;
        rc = vt_push(s->ta, &f, &s->ctx->err);
    }
    return rc;
}

AUGUR_API int augur_stream_finish(augur_stream *s)
{
    if (s->finished) return 0;
    s->finished = 1;
    return vt_finish(s->ta, &s->ctx->err);
}

AUGUR_API char *augur_stream_events_json(augur_stream *s, int pretty)
{
    return api_json_string(vt_events_json(s->ta), pretty);
}

AUGUR_API int augur_stream_write_timeline(augur_stream *s, FILE *f)
{
    return vt_timeline_text(s->ta, f, &s->ctx->err);
}

AUGUR_API int augur_stream_write_plot(augur_stream *s, const char *png_path)
{
    return vt_plot_png(s->ta, png_path, &s->ctx->err);
}

AUGUR_API int augur_stream_tracks_started(const augur_stream *s) { return vp_tracks_started(s->pipe); }

AUGUR_API void augur_stream_free(augur_stream *s)
{
    if (!s) return;
    vp_free(s->pipe);
    vt_free(s->ta);
    free(s);
}

/* ---- per-frame writers ------------------------------------------------------- */

AUGUR_API int augur_write_video_csv_header(augur_context *ctx, FILE *f)
{
    return augur_write_csv_header(ctx, f);
}

AUGUR_API int augur_write_video_csv(augur_context *ctx, FILE *f, const char *file, long long frame, double t,
                                    const struct augur_track *tracks, int n)
{
    return au_csv_track_rows(f, file ? file : "", frame, t, tracks, n)
               ? au_fail(&ctx->err, AUGUR_EIO, "cannot write the CSV")
               : 0;
}

AUGUR_API int augur_draw_tracks(augur_context *ctx, augur_image *frame, const struct augur_track *tracks, int n,
                                double t)
{
    return vo_overlay_draw(frame, tracks, n, t) ? au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory drawing") : 0;
}

/* ---- annotated video ------------------------------------------------------------ */

struct augur_video_writer {
    augur_context *ctx;
    au_video_writer *w;
    int w_even, h_even;
    long long last_pts;
};

AUGUR_API int augur_video_writer_open(augur_context *ctx, const char *path, int width, int height, double fps,
                                      augur_video_writer **out)
{
    *out = NULL;
    int we = width & ~1, he = height & ~1; /* yuv420p needs even sizes */
    if (we < 2 || he < 2) return au_fail(&ctx->err, AUGUR_EARG, "frame too small for a video (%dx%d)", width, height);
    augur_video_writer *vw = calloc(1, sizeof *vw);
    if (!vw) return au_fail(&ctx->err, AUGUR_ENOMEM, "out of memory");
    au_video_writer_opts wo;
    au_video_writer_default_opts(&wo);
    const char *s = strrchr(path, '/'), *d = strrchr(path, '.');
    const char *ext = d && (!s || d > s) ? d + 1 : "";
    wo.codec = strcasecmp(ext, "avi") && au_video_writer_has_codec("h264") ? "h264" : "mjpeg";
    wo.crf = !strcmp(wo.codec, "h264") ? 20 : 3;
    if (!(fps > 0 && fps < 1000)) fps = 25;
    wo.fps_num = (int)lround(fps * 1000);
    wo.fps_den = 1000;
    wo.tb_num = 1;
    wo.tb_den = 1000; /* pts in milliseconds: the source's own times */
    int rc = au_video_writer_open(&vw->w, path, we, he, &wo, &ctx->err);
    if (rc) { free(vw); return rc; }
    vw->ctx = ctx;
    vw->w_even = we;
    vw->h_even = he;
    vw->last_pts = -1;
    *out = vw;
    return 0;
}

AUGUR_API int augur_video_writer_write(augur_video_writer *vw, const augur_image *frame, double t)
{
    if ((frame->w & ~1) != vw->w_even || (frame->h & ~1) != vw->h_even)
        return au_fail(&vw->ctx->err, AUGUR_EARG, "the frame size changed (%dx%d, the video is %dx%d)", frame->w,
                       frame->h, vw->w_even, vw->h_even);
    au_image view = *frame;
    uint8_t *copy = NULL;
    if (frame->w != vw->w_even || frame->h != vw->h_even) { /* drop the odd last row/column */
        copy = malloc((size_t)vw->w_even * vw->h_even * 3);
        if (!copy) return au_fail(&vw->ctx->err, AUGUR_ENOMEM, "out of memory");
        for (int y = 0; y < vw->h_even; y++)
            memcpy(copy + (size_t)y * vw->w_even * 3, frame->rgb + (size_t)y * frame->w * 3, (size_t)vw->w_even * 3);
        view.w = vw->w_even;
        view.h = vw->h_even;
        view.rgb = copy;
    }
    long long pts = llround(t * 1000);
    if (pts <= vw->last_pts) pts = vw->last_pts + 1;
    vw->last_pts = pts;
    int rc = au_video_writer_write(vw->w, &view, pts, &vw->ctx->err);
    free(copy);
    return rc;
}

AUGUR_API int augur_video_writer_close(augur_video_writer *vw, int keep)
{
    if (!vw) return 0;
    int rc = au_video_writer_close(vw->w, keep, keep ? &vw->ctx->err : NULL);
    free(vw);
    return rc;
}
