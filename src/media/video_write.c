/*
 * media/video_write.c — the video writer of video_write.h: an FFmpeg encoder
 * (FFV1, libx264 or MJPEG) and muxer writing to a temporary file that is
 * renamed when finished.
 *
 * Pixel paths, RGB24 in: FFV1 takes packed BGR0 (an exact copy; FFmpeg's FFV1
 * has no 8-bit planar RGB) or, for gray frames, one 8-bit plane (the R
 * channel, exact); H.264 and MJPEG take 4:2:0
 * YUV made by libswscale with BT.601 coefficients (limited range for H.264,
 * full range for MJPEG), tagged in the stream so readers convert back with the
 * same matrix.
 */
#include "media/video_write.h"
#include "media/warp.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct au_video_writer {
    AVFormatContext *fmt;
    AVCodecContext *cc;
    AVStream *st;
    AVFrame *fr;
    AVPacket *pkt;
    struct SwsContext *sws;     /* RGB24 -> YUV (h264, mjpeg) */
    uint8_t *tail;              /* au_sws_scale_rgb's padded last rows */
    size_t tail_cap;
    int w, h;
    int64_t last_pts;           /* INT64_MIN before the first frame */
    char *path, *tmp;           /* final name; temporary name being written */
};

void au_video_writer_default_opts(au_video_writer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = "ffv1";
    o->fps_num = 25;
    o->fps_den = 1;
    o->crf = -1;
}

/* FFmpeg's encoder for augur's codec name. */
static const AVCodec *find_encoder(const char *codec)
{
    if (!codec || !strcmp(codec, "ffv1")) return avcodec_find_encoder_by_name("ffv1");
    if (!strcmp(codec, "h264")) return avcodec_find_encoder_by_name("libx264");
    if (!strcmp(codec, "mjpeg")) return avcodec_find_encoder_by_name("mjpeg");
    return NULL;
}

int au_video_writer_has_codec(const char *codec) { return find_encoder(codec) != NULL; }

static int ff_fail(au_error *err, int code, int ret, const char *what, const char *path)
{
    char why[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(ret, why, sizeof why);
    if (ret == AVERROR(ENOMEM)) code = AUGUR_ENOMEM;
    return au_fail(err, code, "cannot write '%s': %s (%s)", path, what, why);
}

/* Sends frame (NULL: flush) to the encoder and muxes every packet it gives back. */
static int encode(au_video_writer *w, AVFrame *frame, au_error *err)
{
    int ret = avcodec_send_frame(w->cc, frame);
    if (ret < 0) return ff_fail(err, AUGUR_EIO, ret, "the encoder refused a frame", w->path);
    for (;;) {
        ret = avcodec_receive_packet(w->cc, w->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return 0;
        if (ret < 0) return ff_fail(err, AUGUR_EIO, ret, "encoding failed", w->path);
        av_packet_rescale_ts(w->pkt, w->cc->time_base, w->st->time_base);
        w->pkt->stream_index = w->st->index;
        ret = av_interleaved_write_frame(w->fmt, w->pkt); /* takes the packet's data */
        if (ret < 0) return ff_fail(err, AUGUR_EIO, ret, "writing a packet failed", w->path);
    }
}

static void writer_free(au_video_writer *w)
{
    if (!w) return;
    if (w->fmt) {
        if (w->fmt->pb) avio_closep(&w->fmt->pb);
        avformat_free_context(w->fmt);
    }
    avcodec_free_context(&w->cc);
    av_frame_free(&w->fr);
    av_packet_free(&w->pkt);
    sws_freeContext(w->sws);
    free(w->tail);
    if (w->tmp) unlink(w->tmp);
    free(w->tmp);
    free(w->path);
    free(w);
}

int au_video_writer_open(au_video_writer **out, const char *path, int width, int height,
                         const au_video_writer_opts *o, au_error *err)
{
    *out = NULL;
    au_video_writer_opts def;
    if (!o) {
        au_video_writer_default_opts(&def);
        o = &def;
    }
    if (!path || !*path) return au_fail(err, AUGUR_EARG, "cannot write a video: no file name given");
    int crc = au_out_check_target(path, err); /* rename() would replace a link or /dev/null */
    if (crc) return crc;
    if (width < 1 || height < 1 || width > AU_IMAGE_MAX_SIDE || height > AU_IMAGE_MAX_SIDE ||
        (long long)width * height > AU_IMAGE_MAX_PIXELS)
        return au_fail(err, AUGUR_EARG, "cannot write '%s': frame size %dx%d is invalid", path, width, height);
    if (o->fps_num < 1 || o->fps_den < 1 || ((o->tb_num || o->tb_den) && (o->tb_num < 1 || o->tb_den < 1)) ||
        o->rotate % 90 || o->rotate < 0 || o->rotate > 270)
        return au_fail(err, AUGUR_EARG, "cannot write '%s': invalid frame rate, time base or rotation", path);
    const char *codec_name = o->codec ? o->codec : "ffv1";
    const AVCodec *codec = find_encoder(codec_name);
    if (!codec)
        return au_fail(err, AUGUR_EUNSUPPORTED, "cannot write '%s': %s", path,
                       strcmp(codec_name, "ffv1") && strcmp(codec_name, "h264") && strcmp(codec_name, "mjpeg")
                           ? "unknown codec (use ffv1, h264 or mjpeg)"
                           : "this FFmpeg build has no encoder for that codec");
    au_media_ffmpeg_init();
    const AVOutputFormat *ofmt = av_guess_format(NULL, path, NULL);
    if (!ofmt)
        return au_fail(err, AUGUR_EARG, "cannot write '%s': unknown video file extension (use .mkv, .mp4, .avi…)", path);
    if (avformat_query_codec(ofmt, codec->id, FF_COMPLIANCE_NORMAL) == 0)
        return au_fail(err, AUGUR_EUNSUPPORTED, "cannot write '%s': the %s format cannot hold %s video", path,
                       ofmt->name, codec_name);

    au_video_writer *w = calloc(1, sizeof *w);
    if (!w) return au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
    w->w = width;
    w->h = height;
    w->last_pts = INT64_MIN;
    size_t plen = strlen(path);
    w->path = strdup(path);
    w->tmp = malloc(plen + sizeof ".tmp-XXXXXX");
    if (!w->path || !w->tmp) {
        writer_free(w);
        return au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
    }
    memcpy(w->tmp, path, plen);
    memcpy(w->tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int fd = mkstemp(w->tmp);
    if (fd < 0) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        writer_free(w);
        return au_fail(err, AUGUR_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    (void)fchmod(fd, 0644); /* mkstemp makes it 0600 */
    close(fd);

    int rc = 0, ret;
    AVRational fps = {o->fps_num, o->fps_den};
    AVRational tb = o->tb_num ? (AVRational){o->tb_num, o->tb_den} : av_inv_q(fps);
    if (!(w->cc = avcodec_alloc_context3(codec)) || !(w->fr = av_frame_alloc()) || !(w->pkt = av_packet_alloc()) ||
        (ret = avformat_alloc_output_context2(&w->fmt, ofmt, NULL, NULL)) < 0) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
        goto fail;
    }
    AVCodecContext *cc = w->cc;
    cc->width = width;
    cc->height = height;
    cc->time_base = tb;
    cc->framerate = fps;
    cc->sample_aspect_ratio = (AVRational){1, 1};
    cc->thread_count = 1;   /* deterministic output */
    if (codec->id == AV_CODEC_ID_FFV1) {
        cc->pix_fmt = o->gray ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_BGR0;
        cc->level = 3;
        cc->gop_size = 1; /* every frame a keyframe: a lost frame cannot spoil the next ones, any frame is a seek point */
        av_opt_set_int(cc->priv_data, "slicecrc", 1, 0); /* lets readers detect damaged slices */
    } else if (codec->id == AV_CODEC_ID_MJPEG) {
        cc->pix_fmt = AV_PIX_FMT_YUVJ420P;
        cc->color_range = AVCOL_RANGE_JPEG;
        cc->flags |= AV_CODEC_FLAG_QSCALE;
        cc->global_quality = FF_QP2LAMBDA * (o->crf >= 2 && o->crf <= 31 ? o->crf : 3);
    } else {
        cc->pix_fmt = AV_PIX_FMT_YUV420P;
        cc->color_range = AVCOL_RANGE_MPEG;
        char crf[16];
        snprintf(crf, sizeof crf, "%d", o->crf >= 0 && o->crf <= 51 ? o->crf : 16);
        av_opt_set(cc->priv_data, "crf", crf, 0);
        av_opt_set(cc->priv_data, "preset", "veryfast", 0);
        /* bounded memory (issue 14): x264's defaults (medium: a 40-frame
         * look-ahead, B-frames, 1.5 frame threads per core) hold ~190 MB of
         * 720p frames; veryfast with no look-ahead, no B-frames and one
         * thread holds a few frames (the whole `augur video` with every
         * output on a 720p clip peaks near 130 MB, docs/VIDEO.md). The
         * overlay is a picture for a person; its bitrate is what gives. */
        av_opt_set(cc->priv_data, "x264-params", "rc-lookahead=0:sync-lookahead=0:bframes=0:mbtree=0", 0);
        cc->thread_count = 1;
    }
    if (cc->pix_fmt != AV_PIX_FMT_BGR0 && cc->pix_fmt != AV_PIX_FMT_GRAY8) {
        cc->colorspace = AVCOL_SPC_SMPTE170M; /* BT.601, what swscale uses below */
        cc->color_primaries = AVCOL_PRI_SMPTE170M;
        cc->color_trc = AVCOL_TRC_SMPTE170M;
        w->sws = sws_getContext(width, height, AV_PIX_FMT_RGB24, width, height, cc->pix_fmt,
                                SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, NULL, NULL, NULL);
        if (!w->sws) {
            rc = au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
            goto fail;
        }
        int *inv, *tbl, sr, dr, b, c, s;
        if (sws_getColorspaceDetails(w->sws, &inv, &sr, &tbl, &dr, &b, &c, &s) >= 0)
            sws_setColorspaceDetails(w->sws, sws_getCoefficients(SWS_CS_ITU601), 1, sws_getCoefficients(SWS_CS_ITU601),
                                     cc->color_range == AVCOL_RANGE_JPEG, b, c, s);
    }
    if (ofmt->flags & AVFMT_GLOBALHEADER) cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if ((ret = avcodec_open2(cc, codec, NULL)) < 0) {
        rc = ff_fail(err, AUGUR_EUNSUPPORTED, ret, "cannot open the encoder", path);
        goto fail;
    }
    if (!(w->st = avformat_new_stream(w->fmt, NULL)) ||
        (ret = avcodec_parameters_from_context(w->st->codecpar, cc)) < 0) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
        goto fail;
    }
    w->st->time_base = tb;
    w->st->avg_frame_rate = fps;
    if (o->rotate) {
        uint8_t *m = av_stream_new_side_data(w->st, AV_PKT_DATA_DISPLAYMATRIX, 9 * sizeof(int32_t));
        if (!m) {
            rc = au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
            goto fail;
        }
        /* players turn frames by -av_display_rotation_get() degrees clockwise; the sign
         * convention of av_display_rotation_set() has changed between FFmpeg versions,
         * so the matrix is checked against the getter */
        av_display_rotation_set((int32_t *)m, o->rotate);
        double back = fmod(av_display_rotation_get((const int32_t *)m) + o->rotate + 720.0, 360.0);
        if (back > 1 && back < 359) av_display_rotation_set((int32_t *)m, -o->rotate);
    }
    w->fr->format = cc->pix_fmt;
    w->fr->width = width;
    w->fr->height = height;
    if ((ret = av_frame_get_buffer(w->fr, 0)) < 0) {
        rc = ff_fail(err, AUGUR_ENOMEM, ret, "no frame buffer", path);
        goto fail;
    }
    char url[4200];
    snprintf(url, sizeof url, "file:%s", w->tmp); /* never a protocol name in a file name */
    w->fmt->flags |= AVFMT_FLAG_BITEXACT; /* no random UIDs or version strings: same frames, same bytes */
    if ((ret = avio_open(&w->fmt->pb, url, AVIO_FLAG_WRITE)) < 0) {
        rc = ff_fail(err, AUGUR_EIO, ret, "cannot create the file", path);
        goto fail;
    }
    if ((ret = avformat_write_header(w->fmt, NULL)) < 0) {
        rc = ff_fail(err, AUGUR_EUNSUPPORTED, ret, "the container refused the stream", path);
        goto fail;
    }
    *out = w;
    return 0;
fail:
    writer_free(w);
    return rc;
}

int au_video_writer_write(au_video_writer *w, const au_image *im, int64_t pts, au_error *err)
{
    if (!w) return au_fail(err, AUGUR_EARG, "no video writer");
    if (!im || !im->rgb || im->w != w->w || im->h != w->h)
        return au_fail(err, AUGUR_EARG, "cannot write '%s': frame is %dx%d, the video is %dx%d", w->path,
                       im ? im->w : 0, im ? im->h : 0, w->w, w->h);
    if (pts < 0) pts = w->last_pts == INT64_MIN ? 0 : w->last_pts + 1;
    if (w->last_pts != INT64_MIN && pts <= w->last_pts)
        return au_fail(err, AUGUR_EARG, "cannot write '%s': timestamp %lld after %lld (must increase)", w->path,
                       (long long)pts, (long long)w->last_pts);
    int ret = av_frame_make_writable(w->fr);
    if (ret < 0) return ff_fail(err, AUGUR_ENOMEM, ret, "no frame buffer", w->path);
    AVFrame *fr = w->fr;
    const size_t stride = (size_t)w->w * 3;
    if (fr->format == AV_PIX_FMT_BGR0 || fr->format == AV_PIX_FMT_GRAY8) {
        int bgr0 = fr->format == AV_PIX_FMT_BGR0;
        for (int y = 0; y < w->h; y++) {
            const uint8_t *s = im->rgb + (size_t)y * stride;
            uint8_t *d = fr->data[0] + (size_t)y * fr->linesize[0];
            if (!bgr0) {
                for (int x = 0; x < w->w; x++) d[x] = s[3 * x];
                continue;
            }
            for (int x = 0; x < w->w; x++, s += 3, d += 4) {
                d[0] = s[2];
                d[1] = s[1];
                d[2] = s[0];
                d[3] = 255;
            }
        }
    } else {
        if (au_sws_scale_rgb(w->sws, im, fr->data, fr->linesize, &w->tail, &w->tail_cap))
            return au_fail(err, AUGUR_ENOMEM, "out of memory");
    }
    fr->pts = pts;
    w->last_pts = pts;
    return encode(w, fr, err);
}

int au_video_writer_close(au_video_writer *w, int keep, au_error *err)
{
    if (!w) return 0;
    int rc = 0;
    if (keep) {
        rc = encode(w, NULL, err);
        int ret = av_write_trailer(w->fmt);
        if (!rc && ret < 0) rc = ff_fail(err, AUGUR_EIO, ret, "finishing the file failed", w->path);
        if (!rc && w->fmt->pb->error < 0) rc = ff_fail(err, AUGUR_EIO, w->fmt->pb->error, "write error", w->path);
        ret = avio_closep(&w->fmt->pb);
        if (!rc && ret < 0) rc = ff_fail(err, AUGUR_EIO, ret, "closing the file failed", w->path);
        if (!rc && rename(w->tmp, w->path) != 0)
            rc = au_fail(err, AUGUR_EIO, "cannot write '%s': %s", w->path, strerror(errno));
        if (!rc) { /* renamed: nothing left to remove */
            free(w->tmp);
            w->tmp = NULL;
        }
    }
    writer_free(w);
    return rc;
}
