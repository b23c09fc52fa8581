/*
 * media/image.c — image decoding through FFmpeg, EXIF orientation, PNG
 * writing (libpng) with write-then-rename, and the image type's allocation.
 * See image.h for the contract.
 *
 * Decoding, step by step:
 *   1. libavformat probes the bytes (held in memory, read through a custom
 *      AVIOContext) and picks a demuxer; only still-image demuxers are
 *      accepted (FFmpeg's per-format "*_pipe" demuxers: png_pipe, jpeg_pipe,
 *      tiff_pipe, webp_pipe, bmp_pipe, pgm_pipe, …, plus gif and apng), so a
 *      stray MP3 or video is "not an image", never decoded as one;
 *   2. libavcodec decodes the first frame, single-threaded (augur runs images
 *      in parallel, not one image on many threads), with FFmpeg's error
 *      detection on and, for the codecs where it is reliable, "explode"
 *      (stop at the first error) so a truncated file fails instead of coming
 *      back half grey;
 *   3. libswscale converts whatever pixel format came out (gray, gray16,
 *      rgb48, pal8, yuvj420p, …) to RGB24; 16-bit samples are rounded to 8.
 *      Images with an alpha channel are composited over white, as a viewer
 *      shows them on a white page (dropping alpha would expose the arbitrary
 *      colours encoders leave under fully transparent pixels);
 *   4. the EXIF orientation of JPEGs is applied.
 *
 * Size limits are enforced before any pixel buffer is allocated: the pipe
 * demuxers do not know the dimensions (codecpar says 0x0 until a frame is
 * decoded), so the decoder's get_buffer2 callback, which sees the frame's
 * size before allocating it, refuses frames over the limits, and max_pixels
 * makes the decoders' own size checks refuse them even earlier. FFmpeg
 * reports those refusals as "Picture size WxH is invalid" through its log,
 * which is how the error gets its dimensions and AUGUR_ELIMIT code.
 *
 * Thread safety: images may be decoded on many threads at once (every FFmpeg
 * object is per call; the log callback is installed once and keeps its
 * per-decode notes in thread-local storage).
 */
#include "media/image.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <png.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_BUF_BYTES   65536
#define PROBE_BYTES    (1 << 20)  /* formats are recognised within a few KB; this bounds junk input */

static int size_ok(long long w, long long h)
{
    return w >= 1 && h >= 1 && w <= AU_IMAGE_MAX_SIDE && h <= AU_IMAGE_MAX_SIDE && w * h <= AU_IMAGE_MAX_PIXELS;
}

/* ---- the image type ------------------------------------------------------ */

int au_image_alloc(au_image *im, int w, int h, au_error *err)
{
    im->w = im->h = 0;
    im->rgb = NULL;
    if (!size_ok(w, h))
        return au_fail(err, AUGUR_ELIMIT, "image size %dx%d is outside 1..%d pixels per side or %d pixels in all", w,
                       h, AU_IMAGE_MAX_SIDE, AU_IMAGE_MAX_PIXELS);
    im->rgb = calloc((size_t)w * (size_t)h * 3, 1);
    if (!im->rgb) return au_fail(err, AUGUR_ENOMEM, "out of memory for a %dx%d image", w, h);
    im->w = w;
    im->h = h;
    return 0;
}

void au_image_free(au_image *im)
{
    if (!im) return;
    free(im->rgb);
    im->rgb = NULL;
    im->w = im->h = 0;
}

void au_image_mirror(au_image *im)
{
    if (!im || !im->rgb) return;
    for (int y = 0; y < im->h; y++) {
        unsigned char *row = im->rgb + (size_t)y * im->w * 3;
        for (int x = 0, x2 = im->w - 1; x < x2; x++, x2--)
            for (int c = 0; c < 3; c++) {
                unsigned char t = row[3 * x + c];
                row[3 * x + c] = row[3 * x2 + c];
                row[3 * x2 + c] = t;
            }
    }
}

/* ---- FFmpeg's log ----------------------------------------------------------
 * FFmpeg logs through one process-wide callback. Ours keeps it off stderr
 * (it goes to au_log at debug level) and remembers, per thread, the first
 * error line of the current decode and any "Picture size WxH is invalid"
 * refusal, for the error message. Decoding is single-threaded, so FFmpeg
 * logs on the thread that called au_image_decode. */

typedef struct ff_diag {
    char first_error[160];
    unsigned bad_w, bad_h;   /* from "Picture size WxH is invalid", or 0 */
} ff_diag;

static _Thread_local ff_diag tl_diag;

static void ff_log(void *avcl, int level, const char *fmt, va_list ap)
{
    (void)avcl;
    if (level > AV_LOG_ERROR && au_log_level < 2) return;
    if (level > AV_LOG_INFO) return;
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    if (level <= AV_LOG_ERROR) {
        unsigned w, h;
        if (sscanf(line, "Picture size %ux%u is invalid", &w, &h) == 2) {
            tl_diag.bad_w = w;
            tl_diag.bad_h = h;
        }
        if (!tl_diag.first_error[0]) { /* truncated to fit */
            size_t k = n < sizeof tl_diag.first_error ? n : sizeof tl_diag.first_error - 1;
            memcpy(tl_diag.first_error, line, k);
            tl_diag.first_error[k] = 0;
        }
    }
    au_log(2, "ffmpeg: %s\n", line);
}

static pthread_once_t ff_once = PTHREAD_ONCE_INIT;
static void ff_setup_once(void) { av_log_set_callback(ff_log); }

void au_media_ffmpeg_init(void) { pthread_once(&ff_once, ff_setup_once); }

/* ---- reading from memory ---------------------------------------------------- */

typedef struct membuf { const uint8_t *p; size_t n, off; } membuf;

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    membuf *m = opaque;
    size_t left = m->n - m->off;
    if (left == 0 || size <= 0) return AVERROR_EOF;
    size_t k = (size_t)size < left ? (size_t)size : left;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (int)k;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    membuf *m = opaque;
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) return (int64_t)m->n;
    int64_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)m->off; break;
    case SEEK_END: base = (int64_t)m->n; break;
    default: return AVERROR(EINVAL);
    }
    if (off < -base || off > (int64_t)m->n - base) return AVERROR(EINVAL);
    m->off = (size_t)(base + off);
    return base + off;
}

/* ---- JPEG specifics ---------------------------------------------------------- */

/* 1 when a JPEG was cut short: it has a start-of-scan but no end-of-image
 * marker after it, or it ends inside a marker segment. A baseline JPEG cut
 * mid-scan makes the decoder fail under "explode", but a progressive one cut
 * between scans decodes "fine" (FFmpeg emulates the missing EOI) into a
 * blurred image, so the check is made on the bytes. The segments before the
 * first SOS are walked by their lengths, so the EOI of an EXIF thumbnail is
 * not taken for the image's; after it, entropy-coded data is byte-stuffed, so
 * FF D9 there is the real EOI. Anything this walk does not understand returns
 * 0 and the decoder decides. */
static int jpeg_truncated(const uint8_t *d, size_t n)
{
    if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return 0;
    size_t i = 2;
    for (;;) {
        if (i >= n) return 1;                     /* ended between segments, before any scan */
        if (d[i] != 0xFF) return 0;
        while (i + 1 < n && d[i + 1] == 0xFF) i++; /* fill bytes */
        if (i + 1 >= n) return 1;
        unsigned m = d[i + 1];
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { i += 2; continue; } /* no length */
        if (m == 0xD9) return 0;                  /* EOI before any scan: the decoder says what is wrong */
        if (i + 4 > n) return 1;
        size_t len = (size_t)d[i + 2] << 8 | d[i + 3];
        if (len < 2) return 0;
        if (len > n - i - 2) return 1;            /* the segment runs past the end of the file */
        i += 2 + len;
        if (m == 0xDA) break;
    }
    for (; i + 1 < n; i++) {
        const uint8_t *ff = memchr(d + i, 0xFF, n - 1 - i);
        if (!ff) return 1;
        i = (size_t)(ff - d);
        if (d[i + 1] == 0xD9) return 0;
    }
    return 1;
}

/* EXIF orientation (1..8) of a decoded JPEG frame, 1 when absent or odd.
 * FFmpeg 5.1's mjpeg decoder parses the APP1 Exif IFD0 itself and exports its
 * tags as frame metadata ("Orientation" = "    6"; it also adds a display
 * matrix, but the tag maps to the eight cases directly). */
static int frame_orientation(const AVFrame *fr)
{
    const AVDictionaryEntry *e = av_dict_get(fr->metadata, "Orientation", NULL, AV_DICT_MATCH_CASE);
    if (!e || !e->value) return 1;
    char *end;
    long v = strtol(e->value, &end, 10);
    while (*end == ' ') end++;
    return end != e->value && !*end && v >= 1 && v <= 8 ? (int)v : 1;
}

/* Applies EXIF orientation o to im, replacing its pixels with the image as a
 * viewer displays it. o = 2..4 are flips/180°, 5..8 swap width and height
 * (5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-
 * clockwise). */
static int apply_orientation(au_image *im, int o, au_error *err)
{
    if (o <= 1 || o > 8) return 0;
    int sw = im->w, sh = im->h, transpose = o >= 5;
    au_image out;
    int rc = au_image_alloc(&out, transpose ? sh : sw, transpose ? sw : sh, err);
    if (rc) return rc;
    for (int y = 0; y < out.h; y++)
        for (int x = 0; x < out.w; x++) {
            int sx, sy; /* stored pixel shown at (x, y) */
            switch (o) {
            case 2: sx = sw - 1 - x; sy = y; break;
            case 3: sx = sw - 1 - x; sy = sh - 1 - y; break;
            case 4: sx = x; sy = sh - 1 - y; break;
            case 5: sx = y; sy = x; break;
            case 6: sx = y; sy = sh - 1 - x; break;
            case 7: sx = sw - 1 - y; sy = sh - 1 - x; break;
            default: sx = sw - 1 - y; sy = x; break; /* 8 */
            }
            memcpy(out.rgb + ((size_t)y * out.w + x) * 3, im->rgb + ((size_t)sy * sw + sx) * 3, 3);
        }
    au_image_free(im);
    *im = out;
    return 0;
}

/* ---- decoding ------------------------------------------------------------------ */

/* Still-image demuxers: FFmpeg's image pipes (png_pipe, jpeg_pipe, …; not
 * yuv4mpegpipe, which is video) and the GIF/APNG demuxers, whose first frame
 * is the image. */
static int still_image_format(const char *name)
{
    size_t n = strlen(name);
    if (n > 5 && !strcmp(name + n - 5, "_pipe")) return 1;
    return !strcmp(name, "gif") || !strcmp(name, "apng");
}

/* Codecs whose decoders stop at the first damaged byte under AV_EF_EXPLODE
 * without rejecting valid files. Not TIFF: FFmpeg 5.1's TIFF decoder treats
 * any tag it does not know (even ResolutionUnit, which FFmpeg's own encoder
 * writes) as fatal under explode; it fails on truncation without it. */
static int explode_ok(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_MJPEG: case AV_CODEC_ID_PNG: case AV_CODEC_ID_APNG: case AV_CODEC_ID_WEBP:
    case AV_CODEC_ID_BMP: case AV_CODEC_ID_PGM: case AV_CODEC_ID_PPM: case AV_CODEC_ID_PBM:
    case AV_CODEC_ID_PAM: case AV_CODEC_ID_GIF:
        return 1;
    default:
        return 0;
    }
}

typedef struct dec_state { int big_w, big_h; } dec_state;

/* Sees each frame's size before its buffer is allocated. */
static int limited_get_buffer(AVCodecContext *cc, AVFrame *fr, int flags)
{
    dec_state *st = cc->opaque;
    if (!size_ok(fr->width, fr->height)) {
        st->big_w = fr->width;
        st->big_h = fr->height;
        return AVERROR(ERANGE);
    }
    return avcodec_default_get_buffer2(cc, fr, flags);
}

static int too_large(au_error *err, const char *name, long long w, long long h)
{
    return au_fail(err, AUGUR_ELIMIT,
                   "'%s' is %lldx%lld pixels: larger than augur's limit (%d pixels per side, %d pixels in all)", name,
                   w, h, AU_IMAGE_MAX_SIDE, AU_IMAGE_MAX_PIXELS);
}

/* 16-bit sample -> 8-bit, to nearest (v*257, the usual widening, -> v). */
static uint8_t to8(uint32_t v) { return (uint8_t)((v * 255u + 32767u) / 65535u); }

/* Converts a decoded frame to out (RGB24), compositing alpha over white.
 * swscale converts to RGB24/RGBA, or for sources deeper than 8 bits to
 * RGB48/RGBA64 (exact), because its own 16-to-8-bit reduction is off by one
 * for half the values; the reduction to 8 bits and the alpha blend are done
 * here, into out's rows (stride exactly 3*w). */
static int frame_to_rgb(const AVFrame *fr, au_image *out, const char *name, au_error *err)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get((enum AVPixelFormat)fr->format);
    if (!desc || (desc->flags & AV_PIX_FMT_FLAG_HWACCEL))
        return au_fail(err, AUGUR_EUNSUPPORTED, "'%s': unsupported pixel format", name);
    int w = fr->width, h = fr->height, depth = 0;
    for (int c = 0; c < desc->nb_components; c++)
        if (desc->comp[c].depth > depth) depth = desc->comp[c].depth;
    int alpha = (desc->flags & AV_PIX_FMT_FLAG_ALPHA) != 0, wide = depth > 8;
    enum AVPixelFormat dst_fmt = wide ? (alpha ? AV_PIX_FMT_RGBA64 : AV_PIX_FMT_RGB48)
                                      : (alpha ? AV_PIX_FMT_RGBA : AV_PIX_FMT_RGB24);
    struct SwsContext *sws = sws_alloc_context();
    if (!sws) return au_fail(err, AUGUR_ENOMEM, "out of memory converting '%s'", name);
    if (av_opt_set_int(sws, "srcw", w, 0) < 0 || av_opt_set_int(sws, "srch", h, 0) < 0 ||
        av_opt_set_int(sws, "dstw", w, 0) < 0 || av_opt_set_int(sws, "dsth", h, 0) < 0 ||
        av_opt_set_pixel_fmt(sws, "src_format", (enum AVPixelFormat)fr->format, 0) < 0 ||
        av_opt_set_pixel_fmt(sws, "dst_format", dst_fmt, 0) < 0 ||
        av_opt_set_int(sws, "sws_flags", SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, 0) < 0 ||
        sws_init_context(sws, NULL, NULL) < 0) {
        sws_freeContext(sws);
        return au_fail(err, AUGUR_EUNSUPPORTED, "'%s': pixel format %s cannot be converted to RGB", name,
                       desc->name);
    }
    /* YUV: use the frame's range and matrix (swscale assumes limited-range
     * BT.601 unless told, though yuvj* formats are known to be full range). */
    int is_yuv = !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && desc->nb_components >= 3;
    if (is_yuv) {
        int *inv, *tbl, src_range, dst_range, bright, contrast, sat;
        if (sws_getColorspaceDetails(sws, &inv, &src_range, &tbl, &dst_range, &bright, &contrast, &sat) >= 0) {
            if (fr->color_range == AVCOL_RANGE_JPEG) src_range = 1;
            if (fr->colorspace != AVCOL_SPC_UNSPECIFIED && fr->colorspace != AVCOL_SPC_RGB)
                inv = (int *)sws_getCoefficients(fr->colorspace);
            sws_setColorspaceDetails(sws, (const int *)inv, src_range, tbl, dst_range, bright, contrast, sat);
        }
    }
    uint8_t *tmp[4] = {NULL};
    int tmp_stride[4] = {0};
    int rc = 0;
    if (av_image_alloc(tmp, tmp_stride, w, h, dst_fmt, 64) < 0) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory converting '%s' (%dx%d)", name, w, h);
        goto done;
    }
    if (sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0, h, tmp, tmp_stride) != h) {
        rc = au_fail(err, AUGUR_EINTERNAL, "'%s': pixel conversion from %s failed", name, desc->name);
        goto done;
    }
    if ((rc = au_image_alloc(out, w, h, err))) goto done;
    int nc = alpha ? 4 : 3;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = tmp[0] + (size_t)y * tmp_stride[0];
        uint8_t *d = out->rgb + (size_t)y * w * 3;
        if (!wide && !alpha) {
            memcpy(d, row, (size_t)w * 3);
        } else if (!wide) {
            for (int x = 0; x < w; x++, row += 4, d += 3) { /* c*a + 255*(1-a), rounded */
                unsigned a = row[3], bg = 255 * (255 - a);
                for (int c = 0; c < 3; c++) d[c] = (uint8_t)((row[c] * a + bg + 127) / 255);
            }
        } else {
            const uint16_t *s = (const uint16_t *)row; /* native-endian RGB48 / RGBA64 */
            for (int x = 0; x < w; x++, s += nc, d += 3) {
                if (!alpha) {
                    for (int c = 0; c < 3; c++) d[c] = to8(s[c]);
                    continue;
                }
                uint64_t a = s[3], bg = 65535u * (65535u - a);
                for (int c = 0; c < 3; c++) d[c] = to8((uint32_t)((s[c] * a + bg + 32767u) / 65535u));
            }
        }
    }
done:
    av_freep(&tmp[0]);
    sws_freeContext(sws);
    return rc;
}

int au_image_decode(const uint8_t *data, size_t len, const char *name, au_image *out, au_error *err)
{
    out->w = out->h = 0;
    out->rgb = NULL;
    if (!name) name = "(image in memory)";
    if (!data && len) return au_fail(err, AUGUR_EARG, "'%s': no data", name);
    if (len == 0) return au_fail(err, AUGUR_EFORMAT, "'%s' is empty (0 bytes): not an image", name);
    if (len > AU_IMAGE_MAX_FILE)
        return au_fail(err, AUGUR_ELIMIT, "'%s' is too large (%zu bytes, limit %zu)", name, len, AU_IMAGE_MAX_FILE);

    au_media_ffmpeg_init();

    membuf mb = {data, len, 0};
    dec_state st = {0, 0};
    AVIOContext *io = NULL;
    AVFormatContext *fmt = NULL;
    AVCodecContext *cc = NULL;
    AVPacket *pkt = NULL;
    AVFrame *fr = NULL;
    int rc = 0, ret = 0;
    char why[AV_ERROR_MAX_STRING_SIZE] = "";

    uint8_t *iobuf = av_malloc(IO_BUF_BYTES);
    if (!iobuf) return au_fail(err, AUGUR_ENOMEM, "out of memory decoding '%s'", name);
    io = avio_alloc_context(iobuf, IO_BUF_BYTES, 0, &mb, mem_read, NULL, mem_seek);
    if (!io) {
        av_free(iobuf);
        return au_fail(err, AUGUR_ENOMEM, "out of memory decoding '%s'", name);
    }
    if (!(fmt = avformat_alloc_context())) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory decoding '%s'", name);
        goto done;
    }
    fmt->pb = io;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    fmt->format_probesize = PROBE_BYTES;
    if ((ret = avformat_open_input(&fmt, NULL, NULL, NULL)) < 0) { /* frees fmt, not io */
        rc = ret == AVERROR(ENOMEM)
                 ? au_fail(err, AUGUR_ENOMEM, "out of memory decoding '%s'", name)
                 : au_fail(err, AUGUR_EFORMAT, "'%s' is not an image augur can read (format not recognised)", name);
        goto done;
    }
    if (!still_image_format(fmt->iformat->name)) {
        rc = au_fail(err, AUGUR_EFORMAT, "'%s' is not an image augur can read (it looks like '%s' data)", name,
                     fmt->iformat->name);
        goto done;
    }
    int si = -1;
    for (unsigned k = 0; k < fmt->nb_streams && si < 0; k++)
        if (fmt->streams[k]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) si = (int)k;
    if (si < 0) {
        rc = au_fail(err, AUGUR_EFORMAT, "'%s' is not an image augur can read (no picture in it)", name);
        goto done;
    }
    const AVCodecParameters *par = fmt->streams[si]->codecpar;
    if (par->width > 0 && par->height > 0 && !size_ok(par->width, par->height)) { /* known early only for GIF */
        rc = too_large(err, name, par->width, par->height);
        goto done;
    }
    if (par->codec_id == AV_CODEC_ID_MJPEG && jpeg_truncated(data, len)) {
        rc = au_fail(err, AUGUR_EFORMAT, "'%s' is truncated (the JPEG data ends before its end-of-image marker)", name);
        goto done;
    }
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec) {
        rc = au_fail(err, AUGUR_EUNSUPPORTED, "'%s': this FFmpeg has no decoder for %s images", name,
                     avcodec_get_name(par->codec_id));
        goto done;
    }
    cc = avcodec_alloc_context3(codec);
    pkt = av_packet_alloc();
    fr = av_frame_alloc();
    if (!cc || !pkt || !fr) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory decoding '%s'", name);
        goto done;
    }
    if ((ret = avcodec_parameters_to_context(cc, par)) < 0) {
        rc = au_fail(err, AUGUR_ENOMEM, "out of memory decoding '%s'", name);
        goto done;
    }
    cc->thread_count = 1;
    cc->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | (explode_ok(codec->id) ? AV_EF_EXPLODE : 0);
    cc->max_pixels = AU_IMAGE_MAX_PIXELS;
    cc->opaque = &st;
    cc->get_buffer2 = limited_get_buffer;
    if ((ret = avcodec_open2(cc, codec, NULL)) < 0) {
        av_strerror(ret, why, sizeof why);
        rc = au_fail(err, AUGUR_EUNSUPPORTED, "'%s': cannot open the %s decoder (%s)", name, codec->name, why);
        goto done;
    }

    /* the first frame: packets until one decodes, then a flush if none did */
    memset(&tl_diag, 0, sizeof tl_diag); /* the decoder's complaints only */
    int got = 0, packets = 0;
    while (!got && (ret = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index == si) {
            packets++;
            ret = avcodec_send_packet(cc, pkt);
            if (ret >= 0) {
                ret = avcodec_receive_frame(cc, fr);
                if (ret >= 0) got = 1;
                else if (ret == AVERROR(EAGAIN)) ret = 0;
            }
        }
        av_packet_unref(pkt);
        if (ret < 0) break;
    }
    if (!got && (ret >= 0 || ret == AVERROR_EOF) && avcodec_send_packet(cc, NULL) >= 0) {
        int r2 = avcodec_receive_frame(cc, fr);
        if (r2 >= 0) got = 1;
        else if (ret >= 0 || packets) ret = r2;
    }

    if (!got) {
        if (st.big_w) rc = too_large(err, name, st.big_w, st.big_h);
        else if (tl_diag.bad_w && !size_ok(tl_diag.bad_w, tl_diag.bad_h))
            rc = too_large(err, name, tl_diag.bad_w, tl_diag.bad_h);
        else if (ret == AVERROR(ENOMEM)) rc = au_fail(err, AUGUR_ENOMEM, "out of memory decoding '%s'", name);
        else if (!packets) rc = au_fail(err, AUGUR_EFORMAT, "'%s' is truncated or corrupt (no picture data)", name);
        else {
            av_strerror(ret < 0 ? ret : AVERROR_INVALIDDATA, why, sizeof why);
            rc = au_fail(err, AUGUR_EFORMAT, "'%s' is truncated or corrupt (decoder: %s%s%s)", name, why,
                         tl_diag.first_error[0] ? ": " : "", tl_diag.first_error);
        }
        goto done;
    }
    /* FFmpeg 5.1's PNG decoder hands back a partly filled picture when IEND
     * comes before all rows (e.g. an IDAT cut short), with only an error in
     * its log: for PNG, a decoder error is an error. (Not for all codecs:
     * the JPEG decoder logs errors about camera-private APP segments on
     * pictures that are fine.) */
    int png_complaint = (codec->id == AV_CODEC_ID_PNG || codec->id == AV_CODEC_ID_APNG) && tl_diag.first_error[0];
    if ((fr->flags & AV_FRAME_FLAG_CORRUPT) || fr->decode_error_flags || png_complaint) {
        rc = au_fail(err, AUGUR_EFORMAT, "'%s' is truncated or corrupt (the decoder found the picture damaged%s%s)",
                     name, tl_diag.first_error[0] ? ": " : "", tl_diag.first_error);
        goto done;
    }
    if (!size_ok(fr->width, fr->height)) { /* a decoder bypassing get_buffer2 */
        rc = fr->width < 1 || fr->height < 1 ? au_fail(err, AUGUR_EFORMAT, "'%s' has no pixels", name)
                                             : too_large(err, name, fr->width, fr->height);
        goto done;
    }
    if ((rc = frame_to_rgb(fr, out, name, err))) goto done;
    if (codec->id == AV_CODEC_ID_MJPEG && (rc = apply_orientation(out, frame_orientation(fr), err)))
        au_image_free(out);
done:
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&cc);
    avformat_close_input(&fmt);
    if (io) av_freep(&io->buffer); /* FFmpeg may have replaced our buffer */
    avio_context_free(&io);
    return rc;
}

int au_image_load(const char *path, au_image *out, au_error *err)
{
    uint8_t *data;
    size_t len;
    out->w = out->h = 0;
    out->rgb = NULL;
    int rc = au_read_file(path, AU_IMAGE_MAX_FILE, 0, &data, &len, err);
    if (rc) return rc;
    rc = au_image_decode(data, len, path, out, err);
    free(data);
    return rc;
}

/* ---- PNG writing --------------------------------------------------------------- */

/* What went wrong inside libpng: its message, the errno of a failed write. */
typedef struct png_err { char msg[200]; int sys_errno, oom; } png_err;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_err *pe = png_get_error_ptr(png);
    if (pe) {
        pe->sys_errno = errno;
        snprintf(pe->msg, sizeof pe->msg, "%s", msg ? msg : "libpng error");
    }
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static int is_gray(const au_image *im)
{
    size_t n = (size_t)im->w * im->h;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = im->rgb + 3 * i;
        if (p[0] != p[1] || p[1] != p[2]) return 0;
    }
    return 1;
}

/* Writes the PNG stream to f. Images whose pixels are all gray (R=G=B) are
 * written as 8-bit grayscale, a third of the data; they load back identical.
 * Returns 0, or -1 with why filled. */
static int write_png_stream(FILE *f, const au_image *im, png_err *why)
{
    /* volatile: both are read after libpng's longjmp */
    const volatile int gray = is_gray(im);
    uint8_t *volatile row = gray ? malloc((size_t)im->w) : NULL;
    if (gray && !row) { why->oom = 1; return -1; }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, why, png_on_error, png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        free(row);
        why->oom = 1;
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) { /* png_on_error filled why */
        png_destroy_write_struct(&png, &info);
        free(row);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, gray ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < im->h; y++) {
        const uint8_t *src = im->rgb + (size_t)y * im->w * 3;
        if (gray) {
            for (int x = 0; x < im->w; x++) row[x] = src[3 * x];
            png_write_row(png, row);
        } else {
            png_write_row(png, src);
        }
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    return 0;
}

int au_image_save_png(const au_image *im, const char *path, au_error *err)
{
    if (!im || !im->rgb || !size_ok(im->w, im->h))
        return au_fail(err, AUGUR_EARG, "cannot write '%s': no image (or an invalid size)", path ? path : "(null)");
    if (!path || !*path) return au_fail(err, AUGUR_EARG, "cannot write a PNG: no file name given");
    int crc = au_out_check_target(path, err); /* rename() would replace a link or /dev/null */
    if (crc) return crc;

    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof ".tmp-XXXXXX");
    if (!tmp) return au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return au_fail(err, AUGUR_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    /* mkstemp makes the file 0600: give the new file an existing file's
     * permissions, or rw-r--r-- */
    struct stat old;
    (void)fchmod(fd, stat(path, &old) == 0 && S_ISREG(old.st_mode) ? (old.st_mode & 07777) : 0644);
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return au_fail(err, AUGUR_EIO, "cannot write '%s': %s", path, strerror(e));
    }
    png_err why = {"", 0, 0};
    errno = 0;
    int bad = write_png_stream(f, im, &why) != 0;
    int e = why.sys_errno;
    if (!bad && (fflush(f) != 0 || ferror(f))) { bad = 1; e = errno; }
    if (fclose(f) != 0 && !bad) { bad = 1; e = errno; }
    if (!bad && rename(tmp, path) != 0) { bad = 1; e = errno; }
    int rc = 0;
    if (bad) {
        unlink(tmp);
        if (why.oom) rc = au_fail(err, AUGUR_ENOMEM, "out of memory writing '%s'", path);
        else if (why.msg[0] && e) rc = au_fail(err, AUGUR_EIO, "cannot write '%s': %s (%s)", path, why.msg, strerror(e));
        else rc = au_fail(err, AUGUR_EIO, "cannot write '%s': %s", path, why.msg[0] ? why.msg : e ? strerror(e) : "write error");
    }
    free(tmp);
    return rc;
}
