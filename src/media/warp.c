/*
 * media/warp.c — affine resampling of au_image into float tensors. See warp.h.
 * Hand-written because it fuses what the networks need in one pass (affine
 * map, bilinear sampling, anti-alias averaging, black border, channel
 * conversion and normalisation straight into the input tensor); swscale only
 * scales axis-aligned rectangles.
 */
#include "media/warp.h"

#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline void sample(const au_image *img, float x, float y, float rgb[3])
{
    /* pixel centres are at integer + 0.5 */
    x -= 0.5f;
    y -= 0.5f;
    rgb[0] = rgb[1] = rgb[2] = 0;
    /* wholly outside (or NaN, from a hostile model's landmarks): black, and
     * no float-to-int conversion of a value out of int's range */
    if (!(x > -1.0f && y > -1.0f && x < (float)img->w && y < (float)img->h)) return;
    int x0 = (int)floorf(x), y0 = (int)floorf(y);
    float fx = x - (float)x0, fy = y - (float)y0;
    for (int dy = 0; dy < 2; dy++) {
        int yy = y0 + dy;
        if (yy < 0 || yy >= img->h) continue;
        float wy = dy ? fy : 1 - fy;
        for (int dx = 0; dx < 2; dx++) {
            int xx = x0 + dx;
            if (xx < 0 || xx >= img->w) continue;
            float w = wy * (dx ? fx : 1 - fx);
            const uint8_t *p = img->rgb + ((size_t)yy * img->w + xx) * 3;
            rgb[0] += w * p[0];
            rgb[1] += w * p[1];
            rgb[2] += w * p[2];
        }
    }
}

static int antialias_k(const float M[6])
{
    float sx = sqrtf(M[0] * M[0] + M[3] * M[3]), sy = sqrtf(M[1] * M[1] + M[4] * M[4]);
    float s = sx > sy ? sx : sy;
    if (!(s > 1.5f)) return 1; /* NaN too */
    if (!(s < 4.0f)) return 4;
    return (int)ceilf(s);
}

static inline void sample_px(const au_image *img, const float M[6], int u, int v, int k, float rgb[3])
{
    if (k == 1) {
        float uu = u + 0.5f, vv = v + 0.5f;
        sample(img, M[0] * uu + M[1] * vv + M[2], M[3] * uu + M[4] * vv + M[5], rgb);
        return;
    }
    float acc[3] = {0, 0, 0}, s[3];
    for (int j = 0; j < k; j++)
        for (int i = 0; i < k; i++) {
            float uu = u + (i + 0.5f) / k, vv = v + (j + 0.5f) / k;
            sample(img, M[0] * uu + M[1] * vv + M[2], M[3] * uu + M[4] * vv + M[5], s);
            acc[0] += s[0]; acc[1] += s[1]; acc[2] += s[2];
        }
    float inv = 1.0f / (float)(k * k);
    rgb[0] = acc[0] * inv; rgb[1] = acc[1] * inv; rgb[2] = acc[2] * inv;
}

void au_warp_affine(const au_image *img, const float M[6], int ow, int oh, int channels,
                    float scale, float offset, float *dst)
{
    int k = antialias_k(M);
    float rgb[3];
    const int W = img->w, H = img->h;
    for (int v = 0; v < oh; v++) {
        float *o = dst + (size_t)v * ow * channels;
        /* source position of (u + 0.5, v + 0.5), minus the pixel-centre half, advanced per u */
        float vv = v + 0.5f;
        float x = M[0] * 0.5f + M[1] * vv + M[2] - 0.5f, y = M[3] * 0.5f + M[4] * vv + M[5] - 0.5f;
        for (int u = 0; u < ow; u++, x += M[0], y += M[3], o += channels) {
            /* fast path: all four taps inside the image, i.e. 0 <= x < W - 1
             * (then truncation is floor, and no out-of-range value, such as a
             * hostile model's 1e11, is ever converted to int) */
            if (k == 1 && x >= 0.0f && y >= 0.0f && x < (float)(W - 1) && y < (float)(H - 1)) {
                int x0 = (int)x, y0 = (int)y;
                float fx = x - (float)x0, fy = y - (float)y0;
                const uint8_t *p = img->rgb + ((size_t)y0 * W + x0) * 3, *q = p + (size_t)W * 3;
                float w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
                rgb[0] = w00 * p[0] + w01 * p[3] + w10 * q[0] + w11 * q[3];
                rgb[1] = w00 * p[1] + w01 * p[4] + w10 * q[1] + w11 * q[4];
                rgb[2] = w00 * p[2] + w01 * p[5] + w10 * q[2] + w11 * q[5];
            } else {
                sample_px(img, M, u, v, k, rgb);
            }
            if (channels == 1) {
                o[0] = (0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2]) * scale + offset;
            } else {
                o[0] = rgb[0] * scale + offset;
                o[1] = rgb[1] * scale + offset;
                o[2] = rgb[2] * scale + offset;
            }
        }
    }
}

void au_warp_points_gray(const au_image *img, const float *pos, int n, const float J[4], float *dst)
{
    const float M[6] = {J[0], J[1], 0, J[2], J[3], 0};
    int k = antialias_k(M);
    float rgb[3];
    for (int i = 0; i < n; i++) {
        float acc = 0;
        for (int b = 0; b < k; b++)
            for (int a = 0; a < k; a++) {
                /* the sample's offset from the pixel centre, in output pixels, through the local scale
                 * (sample() takes the point with pixel centres at integer + 0.5, like au_warp_affine) */
                float du = (a + 0.5f) / k - 0.5f, dv = (b + 0.5f) / k - 0.5f;
                sample(img, pos[2 * i] + J[0] * du + J[1] * dv, pos[2 * i + 1] + J[2] * du + J[3] * dv, rgb);
                acc += 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
            }
        dst[i] = acc / (float)(k * k);
    }
}

void au_warp_affine_rgb(const au_image *img, const float M[6], au_image *dst)
{
    int k = antialias_k(M);
    float rgb[3];
    for (int v = 0; v < dst->h; v++)
        for (int u = 0; u < dst->w; u++) {
            sample_px(img, M, u, v, k, rgb);
            uint8_t *o = dst->rgb + ((size_t)v * dst->w + u) * 3;
            for (int c = 0; c < 3; c++) o[c] = (uint8_t)fminf(255.0f, fmaxf(0.0f, rgb[c] + 0.5f));
        }
}

void au_affine_compose(const float a[6], const float b[6], float out[6])
{
    float r[6] = {
        a[0] * b[0] + a[1] * b[3], a[0] * b[1] + a[1] * b[4], a[0] * b[2] + a[1] * b[5] + a[2],
        a[3] * b[0] + a[4] * b[3], a[3] * b[1] + a[4] * b[4], a[3] * b[2] + a[4] * b[5] + a[5],
    };
    for (int i = 0; i < 6; i++) out[i] = r[i];
}

int au_affine_invert(const float m[6], float out[6])
{
    double det = (double)m[0] * m[4] - (double)m[1] * m[3];
    if (fabs(det) < 1e-12) return -1;
    double a = m[4] / det, b = -m[1] / det, d = -m[3] / det, e = m[0] / det;
    float r[6] = {(float)a, (float)b, (float)(-(a * m[2] + b * m[5])),
                  (float)d, (float)e, (float)(-(d * m[2] + e * m[5]))};
    for (int i = 0; i < 6; i++) out[i] = r[i];
    return 0;
}

void au_affine_apply(const float m[6], float x, float y, float *ox, float *oy)
{
    *ox = m[0] * x + m[1] * y + m[2];
    *oy = m[3] * x + m[4] * y + m[5];
}

void au_affine_rotated_square(float cx, float cy, float size, float angle, int out_size, float M[6])
{
    /* crop (u,v) in [0,out) -> centred, scaled, rotated into the image */
    float s = size / (float)out_size, c = cosf(angle), sn = sinf(angle);
    /* crop x axis -> image direction (c, -sn); crop y axis -> (sn, c) */
    M[0] = s * c;  M[1] = s * sn;
    M[3] = -s * sn; M[4] = s * c;
    float h = 0.5f * (float)out_size;
    M[2] = cx - (M[0] * h + M[1] * h);
    M[5] = cy - (M[3] * h + M[4] * h);
}

/* Rows handed to swscale from a padded copy: its SIMD input readers may read
 * a few bytes past the last pixel of the last row, and an image's buffer
 * (the caller's, through augur_analyze_rgb) has nothing after it. */
#define TAIL_ROWS 2
#define TAIL_SLACK 64

int au_sws_scale_rgb(struct SwsContext *sws, const au_image *img, uint8_t *const out[], const int out_stride[],
                     uint8_t **tail, size_t *tail_cap)
{
    /* two slices in order (swscale keeps the lines it needs between them): the
     * image but its last rows in place, then those rows from a padded copy */
    int t = img->h < TAIL_ROWS ? img->h : TAIL_ROWS, head = img->h - t;
    size_t row = (size_t)3 * img->w, need = row * t + TAIL_SLACK;
    if (need > *tail_cap) {
        uint8_t *nb = realloc(*tail, need);
        if (!nb) return AUGUR_ENOMEM;
        *tail = nb;
        *tail_cap = need;
    }
    memcpy(*tail, img->rgb + row * head, row * t);
    memset(*tail + row * t, 0, TAIL_SLACK);
    int src_stride[4] = {(int)row, 0, 0, 0};
    if (head > 0) {
        const uint8_t *src[4] = {img->rgb, NULL, NULL, NULL};
        sws_scale(sws, src, src_stride, 0, head, out, out_stride);
    }
    const uint8_t *src2[4] = {*tail, NULL, NULL, NULL};
    sws_scale(sws, src2, src_stride, head, t, out, out_stride);
    return 0;
}

struct au_resizer {
    struct SwsContext *sws;
    uint8_t *buf;
    size_t cap;
    uint8_t *tail;     /* the image's last rows, copied with slack after them (see au_letterbox) */
    size_t tail_cap;
};



int au_letterbox(au_resizer **rp, const au_image *img, int S, float scale, float offset, float *dst, float M[6],
                 au_error *err)
{
    if (!*rp && !(*rp = calloc(1, sizeof **rp))) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    au_resizer *r = *rp;
    int L = img->w > img->h ? img->w : img->h;
    int dw = (int)lrint((double)img->w * S / L), dh = (int)lrint((double)img->h * S / L);
    if (dw < 1) dw = 1;
    if (dh < 1) dh = 1;
    int ox = (S - dw) / 2, oy = (S - dh) / 2;
    r->sws = sws_getCachedContext(r->sws, img->w, img->h, AV_PIX_FMT_RGB24, dw, dh, AV_PIX_FMT_RGB24,
                                  (dw < img->w ? SWS_AREA : SWS_BILINEAR) | SWS_ACCURATE_RND, NULL, NULL, NULL);
    size_t need = (size_t)dw * dh * 3 + 64;
    if (need > r->cap) {
        uint8_t *nb = realloc(r->buf, need);
        if (!nb) return au_fail(err, AUGUR_ENOMEM, "out of memory");
        r->buf = nb;
        r->cap = need;
    }
    if (!r->sws) return au_fail(err, AUGUR_EINTERNAL, "swscale refused a %dx%d -> %dx%d resize", img->w, img->h, dw, dh);
    uint8_t *out[4] = {r->buf, NULL, NULL, NULL};
    int out_stride[4] = {3 * dw, 0, 0, 0};
    if (au_sws_scale_rgb(r->sws, img, out, out_stride, &r->tail, &r->tail_cap))
        return au_fail(err, AUGUR_ENOMEM, "out of memory");
    for (size_t i = 0; i < (size_t)S * S * 3; i++) dst[i] = offset; /* black bars */
    for (int y = 0; y < dh; y++) {
        const uint8_t *row = r->buf + (size_t)y * dw * 3;
        float *o = dst + ((size_t)(y + oy) * S + ox) * 3;
        for (int x = 0; x < 3 * dw; x++) o[x] = (float)row[x] * scale + offset;
    }
    float sx = (float)img->w / (float)dw, sy = (float)img->h / (float)dh;
    M[0] = sx; M[1] = 0; M[2] = -(float)ox * sx;
    M[3] = 0; M[4] = sy; M[5] = -(float)oy * sy;
    return 0;
}

void au_resizer_free(au_resizer *r)
{
    if (!r) return;
    sws_freeContext(r->sws);
    free(r->buf);
    free(r->tail);
    free(r);
}
