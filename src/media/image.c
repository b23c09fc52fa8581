/*
 * media/image.c — image decoding through FFmpeg (libavformat probes the
 * container from the bytes, libavcodec decodes the first frame, libswscale
 * converts any pixel format to RGB24), EXIF orientation, PNG writing (libpng)
 * with write-then-rename, and the image type's allocation. See image.h.
 */
#include "media/image.h"

#include <errno.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int au_image_alloc(au_image *im, int w, int h, au_error *err)
{
    im->w = im->h = 0;
    im->rgb = NULL;
    if (w < 1 || h < 1 || w > AU_IMAGE_MAX_SIDE || h > AU_IMAGE_MAX_SIDE || (long long)w * h > AU_IMAGE_MAX_PIXELS)
        return au_fail(err, AUGUR_ELIMIT, "image size %dx%d is outside 1..%d per side or %d pixels", w, h,
                       AU_IMAGE_MAX_SIDE, AU_IMAGE_MAX_PIXELS);
    im->rgb = calloc((size_t)w * h * 3, 1);
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

/* ---- EXIF orientation ---------------------------------------------------
 * FFmpeg 5.1's JPEG decoder keeps EXIF only as frame metadata in some paths;
 * reading the one tag we need (IFD0 0x0112) from the APP1 segment directly is
 * small, bounds-checked and independent of that. */
static unsigned rd16(const uint8_t *p, int le) { return le ? p[0] | p[1] << 8 : p[0] << 8 | p[1]; }
static unsigned rd32(const uint8_t *p, int le)
{
    return le ? (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24
              : (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | (unsigned)p[3];
}

static int jpeg_orientation(const uint8_t *d, size_t n)
{
    if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return 1;
    size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) return 1;
        unsigned marker = d[i + 1];
        if (marker == 0xDA || marker == 0xD9) return 1; /* start of scan: no EXIF before it */
        size_t len = rd16(d + i + 2, 0);
        if (len < 2 || i + 2 + len > n) return 1;
        if (marker == 0xE1 && len >= 16 && !memcmp(d + i + 4, "Exif\0\0", 6)) {
            const uint8_t *t = d + i + 10;
            size_t tn = len - 8;
            if (tn < 8) return 1;
            int le = t[0] == 'I' && t[1] == 'I';
            if (!le && !(t[0] == 'M' && t[1] == 'M')) return 1;
            size_t ifd = rd32(t + 4, le);
            if (ifd + 2 > tn) return 1;
            unsigned count = rd16(t + ifd, le);
            for (unsigned k = 0; k < count; k++) {
                size_t e = ifd + 2 + 12 * (size_t)k;
                if (e + 12 > tn) return 1;
                if (rd16(t + e, le) == 0x0112) {
                    unsigned v = rd16(t + e + 8, le);
                    return v >= 1 && v <= 8 ? (int)v : 1;
                }
            }
            return 1;
        }
        i += 2 + len;
    }
    return 1;
}

/* Applies EXIF orientation o (2..8) to im, replacing its pixels. */
static int apply_orientation(au_image *im, int o, au_error *err)
{
    if (o <= 1) return 0;
    int sw = im->w, sh = im->h, transpose = o >= 5;
    au_image out;
    int rc = au_image_alloc(&out, transpose ? sh : sw, transpose ? sw : sh, err);
    if (rc) return rc;
    for (int y = 0; y < out.h; y++)
        for (int x = 0; x < out.w; x++) {
            int sx, sy; /* source pixel of displayed (x, y) */
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

/* Dimensions declared in a PNG or JPEG header, without decoding: FFmpeg only
 * learns them by decoding, and a hostile header must be refused before any
 * allocation is attempted. Returns 0 if found. */
static int sniff_size(const uint8_t *d, size_t n, int *w, int *h)
{
    if (n >= 24 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8) && !memcmp(d + 12, "IHDR", 4)) {
        *w = (int)(rd32(d + 16, 0) & 0x7fffffff);
        *h = (int)(rd32(d + 20, 0) & 0x7fffffff);
        return 0;
    }
    if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8) {
        size_t i = 2;
        while (i + 9 <= n && d[i] == 0xFF) {
            unsigned mk = d[i + 1];
            size_t len = rd16(d + i + 2, 0);
            if (mk >= 0xC0 && mk <= 0xCF && mk != 0xC4 && mk != 0xC8 && mk != 0xCC) {
                *h = (int)rd16(d + i + 5, 0);
                *w = (int)rd16(d + i + 7, 0);
                return 0;
            }
            if (len < 2) break;
            i += 2 + len;
        }
    }
    return -1;
}

/* ---- decoding ------------------------------------------------------------ */

typedef struct membuf { const uint8_t *p; size_t n, off; } membuf;

static int mem_read(void *opaque, uint8_t *buf, int size)
{
    membuf *m = opaque;
    size_t left = m->n - m->off;
    if (left == 0) return AVERROR_EOF;
    size_t k = (size_t)size < left ? (size_t)size : left;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (int)k;
}

static int64_t mem_seek(void *opaque, int64_t off, int whence)
{
    membuf *m = opaque;
    if (whence == AVSEEK_SIZE) return (int64_t)m->n;
    int64_t base = whence == SEEK_CUR ? (int64_t)m->off : whence == SEEK_END ? (int64_t)m->n : 0;
    int64_t pos = base + off;
    if (pos < 0 || pos > (int64_t)m->n) return AVERROR(EINVAL);
    m->off = (size_t)pos;
    return pos;
}

int au_image_decode(const uint8_t *data, size_t len, const char *name, au_image *out, au_error *err)
{
    out->w = out->h = 0;
    out->rgb = NULL;
    if (len == 0) return au_fail(err, AUGUR_EFORMAT, "'%s' is empty", name);
    int sw, sh;
    if (sniff_size(data, len, &sw, &sh) == 0 &&
        (sw > AU_IMAGE_MAX_SIDE || sh > AU_IMAGE_MAX_SIDE || (long long)sw * sh > AU_IMAGE_MAX_PIXELS))
        return au_fail(err, AUGUR_ELIMIT, "'%s' is %dx%d pixels: larger than augur's limit (%d per side, %d in all)",
                       name, sw, sh, AU_IMAGE_MAX_SIDE, AU_IMAGE_MAX_PIXELS);
    av_log_set_level(AV_LOG_QUIET);
    membuf mb = {data, len, 0};
    AVFormatContext *fmt = NULL;
    AVIOContext *io = NULL;
    AVCodecContext *cc = NULL;
    AVPacket *pkt = NULL;
    AVFrame *fr = NULL;
    struct SwsContext *sws = NULL;
    uint8_t *iobuf = av_malloc(65536);
    int rc = 0, ret;
    char why[AV_ERROR_MAX_STRING_SIZE] = "";
    if (!iobuf) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    io = avio_alloc_context(iobuf, 65536, 0, &mb, mem_read, NULL, mem_seek);
    fmt = avformat_alloc_context();
    if (!io || !fmt) { if (!io) av_free(iobuf); rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); goto done; }
    fmt->pb = io;
    fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    if ((ret = avformat_open_input(&fmt, NULL, NULL, NULL)) < 0) {
        fmt = NULL; /* freed by avformat_open_input on failure */
        rc = au_fail(err, AUGUR_EFORMAT, "'%s' is not an image augur can read (format not recognised)", name);
        goto done;
    }
    if (avformat_find_stream_info(fmt, NULL) < 0 || fmt->nb_streams < 1 ||
        fmt->streams[0]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) {
        rc = au_fail(err, AUGUR_EFORMAT, "'%s' is not an image augur can read", name);
        goto done;
    }
    AVCodecParameters *par = fmt->streams[0]->codecpar;
    if (par->width > AU_IMAGE_MAX_SIDE || par->height > AU_IMAGE_MAX_SIDE ||
        (long long)par->width * par->height > AU_IMAGE_MAX_PIXELS) {
        rc = au_fail(err, AUGUR_ELIMIT, "'%s' is %dx%d pixels: larger than augur's limit (%d per side, %d in all)",
                     name, par->width, par->height, AU_IMAGE_MAX_SIDE, AU_IMAGE_MAX_PIXELS);
        goto done;
    }
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec) { rc = au_fail(err, AUGUR_EUNSUPPORTED, "'%s': no decoder for this format", name); goto done; }
    cc = avcodec_alloc_context3(codec);
    pkt = av_packet_alloc();
    fr = av_frame_alloc();
    if (!cc || !pkt || !fr) { rc = au_fail(err, AUGUR_ENOMEM, "out of memory"); goto done; }
    avcodec_parameters_to_context(cc, par);
    cc->thread_count = 1;
    cc->max_pixels = AU_IMAGE_MAX_PIXELS; /* other formats: the decoder refuses larger frames */
    cc->err_recognition = AV_EF_CRCCHECK | AV_EF_BITSTREAM | AV_EF_BUFFER | AV_EF_EXPLODE;
    if ((ret = avcodec_open2(cc, codec, NULL)) < 0) {
        av_strerror(ret, why, sizeof why);
        rc = au_fail(err, AUGUR_EFORMAT, "'%s': cannot open decoder (%s)", name, why);
        goto done;
    }
    int got = 0;
    while (!got && (ret = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index == 0) {
            ret = avcodec_send_packet(cc, pkt);
            if (ret >= 0) {
                ret = avcodec_receive_frame(cc, fr);
                if (ret >= 0) got = 1;
                else if (ret == AVERROR(EAGAIN)) ret = 0;
            }
            if (ret < 0) { av_packet_unref(pkt); break; }
        }
        av_packet_unref(pkt);
    }
    if (!got && ret >= 0) { /* drain */
        avcodec_send_packet(cc, NULL);
        if (avcodec_receive_frame(cc, fr) >= 0) got = 1;
    }
    if (!got || (fr->flags & AV_FRAME_FLAG_CORRUPT) || fr->decode_error_flags) {
        if (ret < 0) av_strerror(ret, why, sizeof why);
        rc = au_fail(err, AUGUR_EFORMAT, "'%s' is truncated or corrupt%s%s%s", name, why[0] ? " (decoder: " : "", why,
                     why[0] ? ")" : "");
        goto done;
    }
    if (fr->width < 1 || fr->height < 1) { rc = au_fail(err, AUGUR_EFORMAT, "'%s' has no pixels", name); goto done; }
    if ((rc = au_image_alloc(out, fr->width, fr->height, err))) goto done;
    /* alpha is dropped (pixels keep their colour; no compositing): faces are read from colour alone */
    sws = sws_getContext(fr->width, fr->height, (enum AVPixelFormat)fr->format, fr->width, fr->height, AV_PIX_FMT_RGB24,
                         SWS_BILINEAR | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, NULL, NULL, NULL);
    if (!sws) { au_image_free(out); rc = au_fail(err, AUGUR_EUNSUPPORTED, "'%s': unsupported pixel format", name); goto done; }
    uint8_t *dst[4] = {out->rgb, NULL, NULL, NULL};
    int dst_stride[4] = {3 * out->w, 0, 0, 0};
    sws_scale(sws, (const uint8_t *const *)fr->data, fr->linesize, 0, fr->height, dst, dst_stride);
    if (par->codec_id == AV_CODEC_ID_MJPEG) rc = apply_orientation(out, jpeg_orientation(data, len), err);
    if (rc) au_image_free(out);
done:
    sws_freeContext(sws);
    av_frame_free(&fr);
    av_packet_free(&pkt);
    avcodec_free_context(&cc);
    avformat_close_input(&fmt);
    if (io) { av_freep(&io->buffer); avio_context_free(&io); }
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

/* ---- PNG writing ---------------------------------------------------------- */

int au_image_save_png(const au_image *im, const char *path, au_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) return au_fail(err, AUGUR_EIO, "cannot write '%s': %s", path, strerror(errno));
    FILE *f = fdopen(fd, "wb");
    if (!f) { close(fd); unlink(tmp); return au_fail(err, AUGUR_EIO, "cannot write '%s'", path); }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, NULL);
        fclose(f);
        unlink(tmp);
        return au_fail(err, AUGUR_ENOMEM, "out of memory");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        unlink(tmp);
        return au_fail(err, AUGUR_EIO, "cannot write '%s' (disk full?)", path);
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)im->w, (png_uint_32)im->h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < im->h; y++) png_write_row(png, im->rgb + (size_t)y * im->w * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    int bad = fflush(f) != 0 || ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return au_fail(err, AUGUR_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
    return 0;
}
