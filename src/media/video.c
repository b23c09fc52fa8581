/*
 * media/video.c — the streaming video reader of video.h: FFmpeg demuxing,
 * single-threaded decoding and RGB24 conversion for files and devices, and
 * image sequences read one image at a time with au_image_load (so a sequence
 * of photos gets exactly what `augur analyze` would see: EXIF orientation,
 * the same limits and errors).
 *
 * Decoding follows libavcodec's send/receive loop with one packet and one
 * frame. Damage handling, the part that matters for long recordings:
 *   - a demuxer error, an I/O error, a packet the demuxer marks corrupt, or a
 *     decoder error is noted (the first one, with the time reached), no more
 *     packets are sent, and the decoder is drained of the frames it already
 *     holds (they come from packets before the damage); then the read fails
 *     with AUGUR_EFORMAT;
 *   - a frame the decoder marks corrupt (concealed errors) ends the stream
 *     at once (it and later frames are not returned);
 *   - decoder errors before the first frame of an inter-coded stream are
 *     tolerated (recordings cut mid-GOP start with undecodable frames); for
 *     intra-only codecs (FFV1, MJPEG, PNG, …) decoding "explodes" at the
 *     first error, and FFV1's slice CRCs are checked here (FFmpeg 5.1's
 *     decoder only logs a mismatch and conceals the slice);
 *   - a stream that ends cleanly but well before the duration its header
 *     declares (the usual shape of a cut-short MKV or AVI) is damage too,
 *     and so is a frame stamped well after that duration (a damaged
 *     timestamp in the container).
 * Not detectable here: bit errors inside codecs without checksums (JPEG,
 * H.264 residuals decode "fine" into wrong pixels), and container damage that
 * FFmpeg resynchronises past with only a log line (e.g. a Matroska block
 * whose header is damaged is dropped). FFmpeg's log belongs to media/image.c
 * (one process-wide callback); a per-thread count of its error lines there
 * would let this reader treat those as damage too.
 *
 * Seeking for opts.start_s: avformat_seek_file to the last keyframe at or
 * before the start, then frames before the start are decoded and skipped. If
 * the first frame after the seek lands clearly after the start (inexact
 * demuxer indexes), the reader rewinds to the beginning and skips instead, so
 * no frame is ever lost to a seek. Unseekable inputs (pipes, devices) skip.
 */
#include "media/video.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/crc.h>
#include <libavutil/display.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef AUGUR_HAVE_AVDEVICE
#include <libavdevice/avdevice.h>
#endif

#define SEQ_MAX_FRAMES  10000000   /* an image-sequence pattern is counted up to this index */
#define DEFAULT_FPS     25.0

enum { SRC_FFMPEG, SRC_SEQUENCE };

struct au_video {
    char *name;                 /* the url as given, for messages */
    au_video_opts o;
    au_video_info info;
    char format_name[64], codec_name[64];
    int kind;

    /* image sequences: a list of paths, or a printf pattern */
    char **paths;
    int n_paths;
    char *pat_prefix, *pat_suffix;   /* pattern = prefix, the integer, suffix */
    int pat_width, pat_zero;
    int64_t pat_first;               /* file index of frame 0 */
    int64_t seq_next, seq_count;     /* next frame (0-based), frames in the sequence */
    double seq_fps;
    au_image pending;                /* first frame, decoded at open */

    /* FFmpeg */
    AVFormatContext *fmt;
    AVCodecContext *cc;
    AVPacket *pkt;
    AVFrame *fr;
    struct SwsContext *sws;
    int sws_w, sws_h, sws_fmt, sws_range, sws_space;
    int rotate;                      /* display rotation, degrees clockwise: 0, 90, 180, 270 */
    au_image stored;                 /* a rotated stream's frame as stored, before turning it upright */
    int si;                          /* the video stream */
    AVRational tb;                   /* its time base */
    int64_t origin;                  /* stream time of t = 0; AV_NOPTS_VALUE until known */
    double declared_end_s;           /* t at which the header says the video ends; < 0 unknown */
    double period_s;                 /* nominal frame period, for tolerances and missing times */
    int explode;                     /* intra-only codec: stop at the first decoder error */
    int ffv1_crc;                    /* FFV1 slice CRCs: 0 not yet known, 1 checked, -1 absent */
    int draining;                    /* the decoder was sent its flush */
    int got_frame;                   /* a frame was decoded since open or the last seek */
    int seek_check;                  /* the next frame verifies that the seek did not overshoot */
    int pre_errors;                  /* tolerated decoder errors before the first frame */
    char pre_error[128];
    int big_w, big_h;                /* a frame refused by get_buffer2 as too large */
    int64_t frames_decoded;          /* including frames skipped before the start */

    /* common state */
    int have_t;
    double last_t;                   /* time of the last decoded frame (returned or skipped) */
    char damage[256];                /* first damage noted; "" none */
    int done;                        /* 1: reads return 0 */
    au_error sticky;                 /* a failure, returned again by later reads */
};

static int size_ok(long long w, long long h)
{
    return w >= 1 && h >= 1 && w <= AU_IMAGE_MAX_SIDE && h <= AU_IMAGE_MAX_SIDE && w * h <= AU_IMAGE_MAX_PIXELS;
}

void au_video_default_opts(au_video_opts *o)
{
    memset(o, 0, sizeof *o);
}

const au_video_info *au_video_get_info(const au_video *v) { return v ? &v->info : NULL; }

void au_video_close(au_video *v)
{
    if (!v) return;
    av_frame_free(&v->fr);
    av_packet_free(&v->pkt);
    avcodec_free_context(&v->cc);
    avformat_close_input(&v->fmt);
    sws_freeContext(v->sws);
    au_image_free(&v->stored);
    au_inputs_free(v->paths, v->n_paths);
    au_image_free(&v->pending);
    free(v->pat_prefix);
    free(v->pat_suffix);
    free(v->name);
    free(v);
}

/* Records the first damage found; later ones are consequences. */
static void note_damage(au_video *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_damage(au_video *v, const char *fmt, ...)
{
    if (v->damage[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->damage, sizeof v->damage, fmt, ap);
    va_end(ap);
    if (!v->damage[0]) snprintf(v->damage, sizeof v->damage, "damaged data");
}

/* Fails this read and every later one with (code, message). Returns -code. */
static int fail_sticky(au_video *v, au_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail_sticky(au_video *v, au_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    v->sticky.code = code;
    vsnprintf(v->sticky.msg, sizeof v->sticky.msg, fmt, ap);
    va_end(ap);
    v->done = 1;
    if (err) *err = v->sticky;
    return -code;
}

/* ---- image sequences ------------------------------------------------------- */

/* Splits a printf pattern with exactly one integer field (%d, %05d, %3i, %u;
 * "%%" is a literal '%') into prefix and suffix. Returns 1 if it is one. */
static int parse_pattern(au_video *v, const char *s)
{
    size_t n = strlen(s);
    char *pre = malloc(n + 1), *suf = malloc(n + 1);
    if (!pre || !suf) {
        free(pre);
        free(suf);
        return 0;
    }
    char *out = pre;
    int fields = 0, width = 0, zero = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *out++ = s[i];
            continue;
        }
        if (s[i + 1] == '%') {
            *out++ = '%';
            i++;
            continue;
        }
        size_t j = i + 1;
        int z = 0, wd = 0;
        if (s[j] == '0') { z = 1; j++; }
        while (s[j] >= '0' && s[j] <= '9' && wd < 100) wd = wd * 10 + (s[j++] - '0');
        if ((s[j] != 'd' && s[j] != 'i' && s[j] != 'u') || fields || wd >= 100) {
            fields = -1;
            break;
        }
        fields = 1;
        width = wd;
        zero = z;
        *out = 0;
        out = suf;
        i = j;
    }
    *out = 0;
    if (fields != 1) {
        free(pre);
        free(suf);
        return 0;
    }
    v->pat_prefix = pre;
    v->pat_suffix = suf;
    v->pat_width = width;
    v->pat_zero = zero;
    return 1;
}

static void pattern_name(const au_video *v, int64_t index, char *buf, size_t size)
{
    if (v->pat_zero)
        snprintf(buf, size, "%s%0*lld%s", v->pat_prefix, v->pat_width, (long long)index, v->pat_suffix);
    else
        snprintf(buf, size, "%s%*lld%s", v->pat_prefix, v->pat_width, (long long)index, v->pat_suffix);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Path of sequence frame k (0-based). */
static const char *seq_path(const au_video *v, int64_t k, char *buf, size_t size)
{
    if (v->paths) return v->paths[k];
    pattern_name(v, v->pat_first + k, buf, size);
    return buf;
}

/* Loads sequence frame k into out (freed and replaced). */
static int seq_load(au_video *v, int64_t k, au_image *out, au_error *err)
{
    char buf[4200];
    const char *path = seq_path(v, k, buf, sizeof buf);
    au_image im = {0, 0, NULL};
    au_error e = {0, ""};
    int rc = au_image_load(path, &im, &e);
    if (rc)
        return au_fail(err, rc, "'%s': frame %lld at %.3f s ('%s') cannot be read: %s", v->name, (long long)k,
                       (double)k / v->seq_fps, path, e.msg);
    if (out->rgb && out->w == im.w && out->h == im.h) { /* keep the caller's buffer */
        memcpy(out->rgb, im.rgb, (size_t)im.w * im.h * 3);
        au_image_free(&im);
    } else {
        au_image_free(out);
        *out = im;
    }
    return 0;
}

static int open_sequence(au_video *v, const char *url, int is_pattern, au_error *err)
{
    v->kind = SRC_SEQUENCE;
    v->seq_fps = v->o.fps > 0 ? v->o.fps : DEFAULT_FPS;
    if (is_pattern) {
        char buf[4200];
        int64_t first = -1;
        for (int64_t i = 0; i < 5 && first < 0; i++) { /* FFmpeg's image2 convention */
            pattern_name(v, i, buf, sizeof buf);
            if (file_exists(buf)) first = i;
        }
        if (first < 0) {
            pattern_name(v, 0, buf, sizeof buf);
            return au_fail(err, AUGUR_EIO, "image sequence '%s': no file for the first index (0..4; e.g. '%s')", url,
                           buf);
        }
        v->pat_first = first;
        int64_t n = 1;
        for (;; n++) {
            if (n >= SEQ_MAX_FRAMES)
                return au_fail(err, AUGUR_ELIMIT, "image sequence '%s' has more than %d frames", url, SEQ_MAX_FRAMES);
            pattern_name(v, first + n, buf, sizeof buf);
            if (!file_exists(buf)) break;
        }
        v->seq_count = n;
    } else {
        int rc = au_inputs_expand(url, &v->paths, &v->n_paths, err);
        if (rc) return rc;
        v->seq_count = v->n_paths;
    }
    v->info.fps = v->seq_fps;
    v->info.n_frames = v->seq_count;
    v->info.duration_s = (double)v->seq_count / v->seq_fps;
    snprintf(v->format_name, sizeof v->format_name, "image sequence");
    snprintf(v->codec_name, sizeof v->codec_name, "image");
    v->seq_next = v->o.start_s > 0 ? (int64_t)ceil(v->o.start_s * v->seq_fps - 1e-6) : 0;
    if (v->seq_next < v->seq_count && !(v->o.end_s > 0 && (double)v->seq_next / v->seq_fps >= v->o.end_s - 1e-9)) {
        int rc = seq_load(v, v->seq_next, &v->pending, err);
        if (rc) return rc;
        v->info.width = v->pending.w;
        v->info.height = v->pending.h;
    }
    return 0;
}

static int seq_read(au_video *v, au_image *frame, double *t_seconds, au_error *err)
{
    int64_t k = v->seq_next;
    double t = (double)k / v->seq_fps;
    if (k >= v->seq_count || (v->o.end_s > 0 && t >= v->o.end_s - 1e-9)) {
        v->done = 1;
        return 0;
    }
    if (v->pending.rgb) {
        if (frame->rgb && frame->w == v->pending.w && frame->h == v->pending.h) {
            memcpy(frame->rgb, v->pending.rgb, (size_t)frame->w * frame->h * 3);
            au_image_free(&v->pending);
        } else {
            au_image_free(frame);
            *frame = v->pending;
            v->pending = (au_image){0, 0, NULL};
        }
    } else {
        au_error e = {0, ""};
        int rc = seq_load(v, k, frame, &e);
        if (rc) return fail_sticky(v, err, rc, "%s", e.msg);
    }
    v->seq_next++;
    v->info.width = frame->w;
    v->info.height = frame->h;
    v->info.frames_read++;
    v->have_t = 1;
    v->last_t = t;
    if (t_seconds) *t_seconds = t;
    return 1;
}

/* ---- FFmpeg: opening ---------------------------------------------------------- */

#ifdef AUGUR_HAVE_AVDEVICE
static pthread_once_t dev_once = PTHREAD_ONCE_INIT;
static void dev_register(void) { avdevice_register_all(); }
#endif

/* Sees each frame's size before its buffer is allocated (limits before memory). */
static int limited_get_buffer(AVCodecContext *cc, AVFrame *fr, int flags)
{
    au_video *v = cc->opaque;
    if (!size_ok(fr->width, fr->height)) {
        v->big_w = fr->width;
        v->big_h = fr->height;
        return AVERROR(ERANGE);
    }
    return avcodec_default_get_buffer2(cc, fr, flags);
}

static int too_large(au_error *err, const char *name, long long w, long long h)
{
    return au_fail(err, AUGUR_ELIMIT,
                   "'%s' has %lldx%lld-pixel frames: larger than augur's limit (%d pixels per side, %d pixels in all)",
                   name, w, h, AU_IMAGE_MAX_SIDE, AU_IMAGE_MAX_PIXELS);
}

/* Intra-only codecs whose decoders reliably stop at damaged data under
 * AV_EF_EXPLODE (every packet is a whole picture, so an error is damage). */
static int explode_ok(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_FFV1: case AV_CODEC_ID_MJPEG: case AV_CODEC_ID_PNG: case AV_CODEC_ID_APNG:
    case AV_CODEC_ID_RAWVIDEO: case AV_CODEC_ID_GIF: case AV_CODEC_ID_BMP: case AV_CODEC_ID_PGM:
    case AV_CODEC_ID_PPM: case AV_CODEC_ID_HUFFYUV: case AV_CODEC_ID_FFVHUFF: case AV_CODEC_ID_UTVIDEO:
        return 1;
    default:
        return 0;
    }
}

/* Matroska keeps a track's own duration in a "DURATION" tag (HH:MM:SS.fff…). */
static double tag_duration(const AVDictionary *meta)
{
    const AVDictionaryEntry *e = av_dict_get(meta, "DURATION", NULL, 0);
    unsigned h, m;
    double s;
    if (e && e->value && sscanf(e->value, "%u:%u:%lf", &h, &m, &s) == 3) return h * 3600.0 + m * 60.0 + s;
    return -1;
}

static int open_ffmpeg(au_video *v, const char *url, int is_device, au_error *err)
{
    v->kind = SRC_FFMPEG;
    v->origin = AV_NOPTS_VALUE;
    au_media_ffmpeg_init();
    const AVInputFormat *ifmt = NULL;
    if (is_device || v->o.format) {
#ifdef AUGUR_HAVE_AVDEVICE
        pthread_once(&dev_once, dev_register);
#else
        if (is_device)
            return au_fail(err, AUGUR_EUNSUPPORTED,
                           "'%s' is a capture device: this augur was built without libavdevice (install "
                           "libavdevice-dev and rebuild)", url);
#endif
        const char *want = v->o.format ? v->o.format : "v4l2";
        if (!(ifmt = av_find_input_format(want)))
            return au_fail(err, AUGUR_EUNSUPPORTED, "'%s': input format '%s' is not available in this FFmpeg", url,
                           want);
    }
    AVDictionary *opts = NULL;
    char *open_url = NULL;
    if (!strcmp(url, "-")) {
        open_url = strdup("pipe:0");
    } else if (is_device) {
        open_url = strdup(url);
    } else {
        open_url = malloc(strlen(url) + 6);
        if (open_url) sprintf(open_url, "file:%s", url); /* a ':' in a file name is not a protocol */
    }
    if (!open_url) return au_fail(err, AUGUR_ENOMEM, "out of memory opening '%s'", url);
    av_dict_set(&opts, "protocol_whitelist", "file,pipe", 0);
    if (is_device || (ifmt && ifmt->priv_class && AV_IS_INPUT_DEVICE(ifmt->priv_class->category))) {
        char s[64];
        if (v->o.fps > 0) {
            snprintf(s, sizeof s, "%g", v->o.fps);
            av_dict_set(&opts, "framerate", s, 0);
        }
        if (v->o.device_w > 0 && v->o.device_h > 0) {
            snprintf(s, sizeof s, "%dx%d", v->o.device_w, v->o.device_h);
            av_dict_set(&opts, "video_size", s, 0);
        }
    }
    /* demuxers check what they can (Matroska's CRC-32 elements, …) and
     * report damage as errors instead of resynchronising past it */
    av_dict_set(&opts, "err_detect", "crccheck+bitstream+buffer+explode", 0);
    int ret = avformat_open_input(&v->fmt, open_url, ifmt, &opts);
    av_dict_free(&opts);
    free(open_url);
    char why[AV_ERROR_MAX_STRING_SIZE];
    if (ret < 0) {
        av_strerror(ret, why, sizeof why);
        if (ret == AVERROR(ENOMEM)) return au_fail(err, AUGUR_ENOMEM, "out of memory opening '%s'", url);
        if (is_device) return au_fail(err, AUGUR_EIO, "cannot open capture device '%s': %s", url, why);
        if (ret == AVERROR(ENOENT) || ret == AVERROR(EACCES))
            return au_fail(err, AUGUR_EIO, "cannot open '%s': %s", url, why);
        if (ret == AVERROR(EIO) || ret == AVERROR_EOF) /* a file that ends inside its header */
            return au_fail(err, AUGUR_EFORMAT, "'%s' is truncated or corrupt (its header cannot be read: %s)", url, why);
        return au_fail(err, AUGUR_EFORMAT, "'%s' is not a video augur can read (%s)", url, why);
    }
    const char *fname = v->fmt->iformat->name;
    size_t fl = strlen(fname);
    if (!strcmp(fname, "image2") || (fl > 5 && !strcmp(fname + fl - 5, "_pipe")))
        return au_fail(err, AUGUR_EFORMAT,
                       "'%s' is a still image, not a video: analyse it as an image (a folder or a pattern such as "
                       "frames/%%05d.png is read as an image sequence)", url);
    if (!strcmp(fname, "tty"))
        return au_fail(err, AUGUR_EFORMAT, "'%s' is not a video augur can read (it looks like text)", url);
    const AVClass *icls = v->fmt->iformat->priv_class;
    v->info.is_live = icls && AV_IS_INPUT_DEVICE(icls->category);

    /* stream information, with single-threaded probe decoders */
    AVDictionary **sopts = av_calloc(v->fmt->nb_streams ? v->fmt->nb_streams : 1, sizeof *sopts);
    if (!sopts) return au_fail(err, AUGUR_ENOMEM, "out of memory opening '%s'", url);
    for (unsigned k = 0; k < v->fmt->nb_streams; k++) av_dict_set(&sopts[k], "threads", "1", 0);
    ret = avformat_find_stream_info(v->fmt, sopts);
    for (unsigned k = 0; k < v->fmt->nb_streams; k++) av_dict_free(&sopts[k]);
    av_free(sopts);
    if (ret < 0) {
        av_strerror(ret, why, sizeof why);
        return au_fail(err, ret == AVERROR(ENOMEM) ? AUGUR_ENOMEM : AUGUR_EFORMAT,
                       "'%s' is truncated or corrupt (cannot read its stream information: %s)", url, why);
    }
    const AVCodec *codec = NULL;
    int si = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si == AVERROR_DECODER_NOT_FOUND) {
        int k = av_find_best_stream(v->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
        enum AVCodecID id = k >= 0 ? v->fmt->streams[k]->codecpar->codec_id : AV_CODEC_ID_NONE;
        if (id == AV_CODEC_ID_NONE)
            return au_fail(err, AUGUR_EFORMAT, "'%s' is corrupt or not a video augur can read (unknown video codec)",
                           url);
        return au_fail(err, AUGUR_EUNSUPPORTED, "'%s': this FFmpeg has no decoder for its %s video", url,
                       avcodec_get_name(id));
    }
    if (si < 0 || (v->fmt->streams[si]->disposition & AV_DISPOSITION_ATTACHED_PIC))
        return au_fail(err, AUGUR_EFORMAT, "'%s' has no video stream (format '%s')", url, fname);
    v->si = si;
    for (unsigned k = 0; k < v->fmt->nb_streams; k++)
        if ((int)k != si) v->fmt->streams[k]->discard = AVDISCARD_ALL;
    AVStream *st = v->fmt->streams[si];
    const AVCodecParameters *par = st->codecpar;
    if (par->width > 0 && par->height > 0 && !size_ok(par->width, par->height))
        return too_large(err, url, par->width, par->height);
    v->tb = st->time_base;
    if (v->tb.num <= 0 || v->tb.den <= 0) v->tb = (AVRational){1, AV_TIME_BASE};

    if (!(v->cc = avcodec_alloc_context3(codec)) || !(v->pkt = av_packet_alloc()) || !(v->fr = av_frame_alloc()))
        return au_fail(err, AUGUR_ENOMEM, "out of memory opening '%s'", url);
    if ((ret = avcodec_parameters_to_context(v->cc, par)) < 0)
        return au_fail(err, AUGUR_ENOMEM, "out of memory opening '%s'", url);
    v->explode = explode_ok(codec->id);
    v->cc->pkt_timebase = v->tb;
    v->cc->thread_count = 1;
    v->cc->thread_type = 0; /* no frame threading (and no warning about get_buffer2) */
    v->cc->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | (v->explode ? AV_EF_EXPLODE : 0);
    v->cc->max_pixels = AU_IMAGE_MAX_PIXELS;
    v->cc->opaque = v;
    v->cc->get_buffer2 = limited_get_buffer;
    if ((ret = avcodec_open2(v->cc, codec, NULL)) < 0) {
        av_strerror(ret, why, sizeof why);
        if (ret == AVERROR_INVALIDDATA) /* the codec's own header (extradata) is damaged */
            return au_fail(err, AUGUR_EFORMAT, "'%s' is corrupt (the %s decoder rejects its stream header: %s)", url,
                           codec->name, why);
        return au_fail(err, ret == AVERROR(ENOMEM) ? AUGUR_ENOMEM : AUGUR_EUNSUPPORTED,
                       "'%s': cannot open the %s decoder (%s)", url, codec->name, why);
    }

    /* what the header says */
    AVRational fr = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate : st->r_frame_rate;
    v->info.fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
    if (v->info.fps > 1000) v->info.fps = 0; /* time-base-like rates (1000/1) are not frame rates */
    v->period_s = 1.0 / (v->info.fps > 0 ? v->info.fps : DEFAULT_FPS);
    v->info.width = par->width;
    v->info.height = par->height;
    v->info.n_frames = st->nb_frames > 0 ? st->nb_frames : -1;
    /* t = 0 is the start of the file as players show it; live sources count from their first frame */
    if (!v->info.is_live) {
        if (v->fmt->start_time != AV_NOPTS_VALUE) v->origin = av_rescale_q(v->fmt->start_time, AV_TIME_BASE_Q, v->tb);
        else if (st->start_time != AV_NOPTS_VALUE) v->origin = st->start_time;
    }

    /* the declared length of the video, and the time (t) at which it ends:
     * the stream's own duration (counted from the stream's start), Matroska's
     * DURATION tag, or the file's duration when the video is all it holds */
    double d = -1, end = -1;
    if (st->duration > 0 && st->duration != AV_NOPTS_VALUE) {
        d = st->duration * av_q2d(v->tb);
        end = d;
        if (st->start_time != AV_NOPTS_VALUE && v->origin != AV_NOPTS_VALUE)
            end += (double)(st->start_time - v->origin) * av_q2d(v->tb);
    } else if ((d = tag_duration(st->metadata)) > 0) {
        end = d;
    } else if (v->fmt->duration > 0 && v->fmt->duration != AV_NOPTS_VALUE && v->fmt->nb_streams == 1 &&
               v->fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
        d = end = v->fmt->duration / (double)AV_TIME_BASE;
    }
    v->declared_end_s = v->info.is_live ? -1 : end;
    v->info.duration_s = v->info.is_live ? -1
                       : d > 0 ? d
                       : v->fmt->duration > 0 && v->fmt->duration != AV_NOPTS_VALUE ? v->fmt->duration / (double)AV_TIME_BASE
                       : -1;
    snprintf(v->format_name, sizeof v->format_name, "%s", fname);
    snprintf(v->codec_name, sizeof v->codec_name, "%s", avcodec_get_name(par->codec_id));

    /* phones store portrait video sideways with a display matrix: turn it upright */
    const int32_t *dm = (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (dm) {
        double a = -av_display_rotation_get(dm); /* degrees clockwise */
        long q = lround(a / 90.0);
        if (isfinite(a) && fabs(a - 90.0 * q) < 1.0) v->rotate = (int)(((q % 4) + 4) % 4) * 90;
        if (v->rotate == 90 || v->rotate == 270) {
            v->info.width = par->height;
            v->info.height = par->width;
        }
    }

    if (v->o.start_s > 0 && !v->info.is_live && v->fmt->pb && (v->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL)) {
        int64_t base = v->origin != AV_NOPTS_VALUE ? v->origin : 0;
        int64_t ts = base + (int64_t)llround(v->o.start_s / av_q2d(v->tb));
        ret = avformat_seek_file(v->fmt, si, INT64_MIN, ts, ts, 0);
        if (ret >= 0) v->seek_check = 1;
        else au_log(2, "video: '%s': cannot seek to %.3f s; decoding from the start\n", url, v->o.start_s);
    }
    return 0;
}

/* ---- FFmpeg: frames ------------------------------------------------------------- */

/* FFV1 version 3 with error correction ends every slice of a packet with its
 * size (24 bits), a status byte and a CRC-32 over the slice, so the CRC of a
 * whole intact slice is 0. FFmpeg 5.1's decoder only logs a mismatch and
 * conceals the slice with the previous frame, so the slices are checked here:
 * 1 intact, 0 damaged, -1 the packet has no such slice chain. Whether a
 * stream has the chain is decided on its first packet (a chain of sizes that
 * adds up exactly is no accident; a damaged size field in that very first
 * packet turns the check off for the stream). */
static int ffv1_slices_ok(const uint8_t *d, int size)
{
    const AVCRC *tab = av_crc_get_table(AV_CRC_32_IEEE);
    int end = size, bad = 0;
    while (end > 0) {
        if (end < 8) return -1;
        int v = (d[end - 8] << 16 | d[end - 7] << 8 | d[end - 6]) + 8;
        if (v > end) return -1;
        bad |= av_crc(tab, 0, d + end - v, (size_t)v) != 0;
        end -= v;
    }
    return size > 0 && !bad;
}

/* out = in turned clockwise by deg (90, 180, 270); out is reused when its size fits. */
static int turn_upright(const au_image *in, int deg, au_image *out, au_error *err)
{
    int w = in->w, h = in->h, ow = deg == 180 ? w : h, oh = deg == 180 ? h : w;
    if (!out->rgb || out->w != ow || out->h != oh) {
        au_image_free(out);
        int rc = au_image_alloc(out, ow, oh, err);
        if (rc) return rc;
    }
    for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++) {
            int ix, iy; /* the stored pixel shown at (ox, oy) */
            if (deg == 90) { ix = oy; iy = h - 1 - ox; }
            else if (deg == 180) { ix = w - 1 - ox; iy = h - 1 - oy; }
            else { ix = w - 1 - oy; iy = ox; }
            memcpy(out->rgb + ((size_t)oy * ow + ox) * 3, in->rgb + ((size_t)iy * w + ix) * 3, 3);
        }
    return 0;
}

/* Converts the decoded frame to RGB24 into out (reused when the size matches),
 * upright. */
static int frame_to_rgb(au_video *v, au_image *out, au_error *err)
{
    const AVFrame *fr = v->fr;
    int w = fr->width, h = fr->height;
    if (!size_ok(w, h))
        return w < 1 || h < 1 ? au_fail(err, AUGUR_EFORMAT, "'%s': a frame has no pixels", v->name)
                              : too_large(err, v->name, w, h);
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get((enum AVPixelFormat)fr->format);
    if (!desc || (desc->flags & AV_PIX_FMT_FLAG_HWACCEL))
        return au_fail(err, AUGUR_EUNSUPPORTED, "'%s': unsupported pixel format", v->name);
    int range = fr->color_range == AVCOL_RANGE_JPEG, space = fr->colorspace;
    if (!v->sws || w != v->sws_w || h != v->sws_h || fr->format != v->sws_fmt || range != v->sws_range ||
        space != v->sws_space) {
        v->sws = sws_getCachedContext(v->sws, w, h, (enum AVPixelFormat)fr->format, w, h, AV_PIX_FMT_RGB24,
                                      SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
        if (!v->sws)
            return au_fail(err, AUGUR_EUNSUPPORTED, "'%s': pixel format %s cannot be converted to RGB", v->name,
                           desc->name);
        /* YUV: the frame's range and matrix (swscale assumes limited-range BT.601 unless told) */
        int is_yuv = !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && desc->nb_components >= 3;
        int *inv, *tbl, src_range, dst_range, bright, contrast, sat;
        if (is_yuv && sws_getColorspaceDetails(v->sws, &inv, &src_range, &tbl, &dst_range, &bright, &contrast, &sat) >= 0) {
            if (range) src_range = 1;
            if (space != AVCOL_SPC_UNSPECIFIED && space != AVCOL_SPC_RGB) inv = (int *)sws_getCoefficients(space);
            sws_setColorspaceDetails(v->sws, (const int *)inv, src_range, tbl, dst_range, bright, contrast, sat);
        }
        v->sws_w = w;
        v->sws_h = h;
        v->sws_fmt = fr->format;
        v->sws_range = range;
        v->sws_space = space;
    }
    au_image *rgb = v->rotate ? &v->stored : out;
    if (!rgb->rgb || rgb->w != w || rgb->h != h) {
        au_image_free(rgb);
        int rc = au_image_alloc(rgb, w, h, err);
        if (rc) return rc;
    }
    uint8_t *dst[1] = {rgb->rgb};
    int dst_stride[1] = {w * 3};
    if (sws_scale(v->sws, (const uint8_t *const *)fr->data, fr->linesize, 0, h, dst, dst_stride) != h)
        return au_fail(err, AUGUR_EINTERNAL, "'%s': pixel conversion from %s failed", v->name, desc->name);
    return v->rotate ? turn_upright(&v->stored, v->rotate, out, err) : 0;
}

/* After a seek that landed after the start: back to the beginning. */
static void rewind_to_start(au_video *v)
{
    int64_t ts = v->origin != AV_NOPTS_VALUE ? v->origin : 0;
    int ret = avformat_seek_file(v->fmt, v->si, INT64_MIN, ts, ts, 0);
    if (ret < 0) {
        au_log(1, "video: '%s': cannot rewind after an inexact seek; frames just after %.3f s may be missing\n",
               v->name, v->o.start_s);
        return;
    }
    avcodec_flush_buffers(v->cc);
    v->have_t = 0;
    v->got_frame = 0;
}

/* The stream ended (decoder drained): 0, or the damage as an error. */
static int finish(au_video *v, au_error *err)
{
    double reached = v->have_t ? v->last_t : 0;
    if (!v->damage[0] && v->frames_decoded == 0 && v->pre_errors)
        note_damage(v, "no frame could be decoded (%s)", v->pre_error);
    if (!v->damage[0] && v->declared_end_s > 0 && v->o.start_s < v->declared_end_s - 0.5) {
        double tol = fmax(0.5, 2.5 * v->period_s);
        if (v->declared_end_s - reached > tol)
            note_damage(v, "the video stream ends %s %.3f s although the file declares %.3f s",
                        v->have_t ? "at" : "before any frame, at", reached, v->declared_end_s);
    }
    if (v->big_w) return fail_sticky(v, err, AUGUR_ELIMIT, "'%s' has %dx%d-pixel frames: larger than augur's limit "
                                     "(%d pixels per side, %d pixels in all)", v->name, v->big_w, v->big_h,
                                     AU_IMAGE_MAX_SIDE, AU_IMAGE_MAX_PIXELS);
    if (v->damage[0])
        return fail_sticky(v, err, v->info.is_live ? AUGUR_EIO : AUGUR_EFORMAT,
                           "'%s' is truncated or corrupt after %.3f s (%lld frames decoded): %s", v->name, reached,
                           (long long)v->frames_decoded, v->damage);
    if (v->frames_decoded == 0 && v->o.start_s <= 0)
        return fail_sticky(v, err, AUGUR_EFORMAT, "'%s' has no video frames", v->name);
    v->done = 1;
    return 0;
}

/* Starts draining the decoder (no more packets). */
static void drain(au_video *v)
{
    if (v->draining) return;
    v->draining = 1;
    avcodec_send_packet(v->cc, NULL);
}

/* The frame just decoded: 1 returned in *frame, 0 skipped, 2 the end time is
 * reached, < 0 error (already sticky). */
static int take_frame(au_video *v, au_image *frame, double *t_seconds, au_error *err)
{
    AVFrame *fr = v->fr;
    if ((fr->flags & AV_FRAME_FLAG_CORRUPT) || fr->decode_error_flags) {
        if (!v->got_frame && !v->explode) { /* an inter-coded stream starting mid-GOP */
            v->pre_errors++;
            snprintf(v->pre_error, sizeof v->pre_error, "a damaged frame");
            return 0;
        }
        note_damage(v, "the decoder found a damaged frame");
        return 2;
    }
    int64_t ts = fr->best_effort_timestamp != AV_NOPTS_VALUE ? fr->best_effort_timestamp : fr->pts;
    double t;
    if (ts != AV_NOPTS_VALUE) {
        if (v->origin == AV_NOPTS_VALUE) v->origin = ts;
        t = (double)(ts - v->origin) * av_q2d(v->tb);
    } else {
        t = v->have_t ? v->last_t + v->period_s : 0;
    }
    if (v->have_t && t <= v->last_t) t = v->last_t + 0.001; /* never back in time */
    if (v->declared_end_s > 0 && t > v->declared_end_s + fmax(0.5, 2.5 * v->period_s)) { /* a damaged timestamp */
        note_damage(v, "a frame is stamped %.3f s, past the %.3f s the file declares", t, v->declared_end_s);
        return 2;
    }
    v->have_t = 1;
    v->last_t = t;
    v->frames_decoded++;
    v->got_frame = 1;
    if (v->seek_check) {
        v->seek_check = 0;
        if (t > v->o.start_s + fmax(0.1, 2.5 * v->period_s)) {
            au_log(2, "video: '%s': seek to %.3f s landed at %.3f s; rewinding\n", v->name, v->o.start_s, t);
            rewind_to_start(v);
            return 0;
        }
    }
    if (t < v->o.start_s - 1e-9) return 0;
    if (v->o.end_s > 0 && t >= v->o.end_s - 1e-9) return 2;
    int rc = frame_to_rgb(v, frame, err);
    if (rc) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return fail_sticky(v, NULL, rc, "%s", msg);
    }
    v->info.width = frame->w;
    v->info.height = frame->h;
    v->info.frames_read++;
    if (t_seconds) *t_seconds = t;
    return 1;
}

static int ff_read(au_video *v, au_image *frame, double *t_seconds, au_error *err)
{
    char why[AV_ERROR_MAX_STRING_SIZE];
    for (;;) {
        int ret = avcodec_receive_frame(v->cc, v->fr);
        if (ret >= 0) {
            au_error e = {0, ""};
            int r = take_frame(v, frame, t_seconds, &e);
            av_frame_unref(v->fr);
            if (r == 1) return 1;
            if (r < 0) {
                if (err) *err = v->sticky;
                return r;
            }
            if (r == 2) {
                if (v->damage[0]) return finish(v, err);
                v->done = 1;
                return 0;
            }
            continue;
        }
        if (ret == AVERROR_EOF) return finish(v, err);
        if (ret != AVERROR(EAGAIN)) {
            av_strerror(ret, why, sizeof why);
            if (ret == AVERROR(ENOMEM)) return fail_sticky(v, err, AUGUR_ENOMEM, "out of memory decoding '%s'", v->name);
            if (v->big_w) return finish(v, err);
            if (!v->got_frame && !v->explode && !v->draining) {
                v->pre_errors++;
                snprintf(v->pre_error, sizeof v->pre_error, "decoder: %s", why);
                continue;
            }
            note_damage(v, "decoder: %s", why);
            if (v->draining) return finish(v, err);
            drain(v);
            continue;
        }
        if (v->draining) return finish(v, err); /* EAGAIN after the flush: nothing more will come */

        ret = av_read_frame(v->fmt, v->pkt);
        if (ret < 0) {
            if (ret == AVERROR(ENOMEM)) /* a packet's size is read from the file: a damaged one asks for gigabytes */
                note_damage(v, "the next packet cannot be allocated (a damaged size field?)");
            else if (ret != AVERROR_EOF) {
                av_strerror(ret, why, sizeof why);
                note_damage(v, "%s", why);
            } else if (v->fmt->pb && v->fmt->pb->error < 0) {
                av_strerror(v->fmt->pb->error, why, sizeof why);
                note_damage(v, "read error: %s", why);
            }
            drain(v);
            continue;
        }
        if (v->pkt->stream_index != v->si) {
            av_packet_unref(v->pkt);
            continue;
        }
        if (v->pkt->flags & AV_PKT_FLAG_CORRUPT) {
            av_packet_unref(v->pkt);
            note_damage(v, "the container marks a packet as damaged");
            drain(v);
            continue;
        }
        if (v->ffv1_crc >= 0 && v->cc->codec_id == AV_CODEC_ID_FFV1) {
            int ok = ffv1_slices_ok(v->pkt->data, v->pkt->size);
            /* the first packet tells whether the stream has the slice chain (a
             * chain of sizes that adds up exactly is no accident); its CRCs
             * are checked like any other's */
            if (v->ffv1_crc == 0) v->ffv1_crc = ok >= 0 ? 1 : -1;
            if (v->ffv1_crc == 1 && ok != 1) {
                int64_t ts = v->pkt->pts != AV_NOPTS_VALUE ? v->pkt->pts : v->pkt->dts;
                av_packet_unref(v->pkt);
                if (ts != AV_NOPTS_VALUE && v->origin != AV_NOPTS_VALUE)
                    note_damage(v, "slice checksum mismatch in the frame at %.3f s",
                                (double)(ts - v->origin) * av_q2d(v->tb));
                else
                    note_damage(v, "slice checksum mismatch");
                drain(v);
                continue;
            }
        }
        ret = avcodec_send_packet(v->cc, v->pkt);
        av_packet_unref(v->pkt);
        if (ret < 0 && ret != AVERROR(EAGAIN)) {
            av_strerror(ret, why, sizeof why);
            if (ret == AVERROR(ENOMEM)) return fail_sticky(v, err, AUGUR_ENOMEM, "out of memory decoding '%s'", v->name);
            if (v->big_w) return finish(v, err);
            if (!v->got_frame && !v->explode) {
                v->pre_errors++;
                snprintf(v->pre_error, sizeof v->pre_error, "decoder: %s", why);
                continue;
            }
            note_damage(v, "decoder: %s", why);
            drain(v);
        }
    }
}

/* ---- the public entry points ------------------------------------------------------ */

int au_video_read(au_video *v, au_image *frame, double *t_seconds, au_error *err)
{
    if (!v || !frame) return -au_fail(err, AUGUR_EARG, "au_video_read: no video or no frame");
    if (v->sticky.code) {
        if (err) *err = v->sticky;
        return -v->sticky.code;
    }
    if (v->done) return 0;
    return v->kind == SRC_SEQUENCE ? seq_read(v, frame, t_seconds, err) : ff_read(v, frame, t_seconds, err);
}

int au_video_open(au_video **out, const char *url, const au_video_opts *o, au_error *err)
{
    *out = NULL;
    if (!url || !*url) return au_fail(err, AUGUR_EARG, "no video given");
    au_video_opts def;
    if (!o) {
        au_video_default_opts(&def);
        o = &def;
    }
    if (!(o->start_s >= 0) || !isfinite(o->start_s) || isnan(o->end_s) || isnan(o->fps) || o->fps > 1000 ||
        (o->end_s > 0 && o->end_s <= o->start_s))
        return au_fail(err, AUGUR_EARG, "'%s': invalid options (start %g s, end %g s, fps %g)", url, o->start_s,
                       o->end_s, o->fps);
    au_video *v = calloc(1, sizeof *v);
    if (!v || !(v->name = strdup(url))) {
        free(v);
        return au_fail(err, AUGUR_ENOMEM, "out of memory opening '%s'", url);
    }
    v->o = *o; /* o->format is used while opening only */
    v->info.duration_s = -1;
    v->info.n_frames = -1;
    v->info.format = v->format_name;
    v->info.codec = v->codec_name;
    int rc;
    struct stat st;
    int exists = stat(url, &st) == 0, stat_errno = exists ? 0 : errno;
    if (o->format) {
        rc = open_ffmpeg(v, url, 0, err);
    } else if (!strcmp(url, "-")) {
        rc = open_ffmpeg(v, url, 0, err);
    } else if (url[0] == '@') {
        rc = open_sequence(v, url, 0, err);
    } else if (exists) {
        if (S_ISDIR(st.st_mode)) rc = open_sequence(v, url, 0, err);
        else if (S_ISCHR(st.st_mode)) rc = open_ffmpeg(v, url, 1, err);
        else if (S_ISREG(st.st_mode) && st.st_size == 0)
            rc = au_fail(err, AUGUR_EFORMAT, "'%s' is empty (0 bytes): not a video", url);
        else rc = open_ffmpeg(v, url, 0, err);
    } else if (strchr(url, '%') && parse_pattern(v, url)) {
        rc = open_sequence(v, url, 1, err);
    } else {
        rc = au_fail(err, AUGUR_EIO, "cannot open '%s': %s", url, strerror(stat_errno));
    }
    v->o.format = NULL;
    if (rc) {
        au_video_close(v);
        return rc;
    }
    *out = v;
    return 0;
}
