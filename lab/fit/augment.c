/*
 * lab/fit/augment.c — training-time augmentation (see augment.h).
 */
#include "fit/augment.h"

#include <math.h>
#include <setjmp.h>
#include <stdio.h>   /* before jpeglib.h, which uses FILE */
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* ---- the original recipe ---------------------------------------------------- */

static void basic(const uint8_t *src, int S, const uint8_t *hsrc, int H, tr_rng *rng, int flip_always, float *out,
                  float *hout)
{
    int flip = flip_always, dx = 0, dy = 0;
    float gain = 1, bias = 0;
    if (rng) {
        flip = tr_rng_uniform(rng) < 0.5f;
        dx = (int)(tr_rng_uniform(rng) * 7) - 3;
        dy = (int)(tr_rng_uniform(rng) * 7) - 3;
        gain = tr_rng_range(rng, 0.8f, 1.2f);
        bias = tr_rng_range(rng, -0.1f, 0.1f);
    }
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            int sx = (flip ? S - 1 - x : x) + dx, sy = y + dy;
            sx = sx < 0 ? 0 : sx >= S ? S - 1 : sx;   /* edge replicate */
            sy = sy < 0 ? 0 : sy >= S ? S - 1 : sy;
            out[y * S + x] = (src[sy * S + sx] / 255.0f - 0.5f) * gain + bias;
        }
    if (hsrc && hout) /* the heatmap is only mirrored: shifts of 3 px are under one 4-px cell */
        for (int y = 0; y < H; y++)
            for (int x = 0; x < H; x++) hout[y * H + x] = hsrc[y * H + (flip ? H - 1 - x : x)] / 255.0f;
}

/* ---- robust ------------------------------------------------------------------ */

/* dst[y][x] = src at the inverse-mapped point, bilinear, edges replicated.
 * The map: mirror (optional), then rotate by theta and scale by s about the
 * centre, then shift by (tx, ty) pixels of this grid. */
static void warp(const uint8_t *src, int S, int flip, float theta, float s, float tx, float ty, float scale_out,
                 float *dst)
{
    float c = 0.5f * (S - 1), cs = cosf(theta) / s, sn = sinf(theta) / s;
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            float u = (float)(flip ? S - 1 - x : x) - c - tx, v = (float)y - c - ty;
            float sx = cs * u + sn * v + c, sy = -sn * u + cs * v + c;
            sx = sx < 0 ? 0 : sx > S - 1 ? (float)(S - 1) : sx;
            sy = sy < 0 ? 0 : sy > S - 1 ? (float)(S - 1) : sy;
            int x0 = (int)sx, y0 = (int)sy, x1 = x0 + 1 < S ? x0 + 1 : x0, y1 = y0 + 1 < S ? y0 + 1 : y0;
            float fx = sx - x0, fy = sy - y0;
            float top = src[y0 * S + x0] + fx * (src[y0 * S + x1] - src[y0 * S + x0]);
            float bot = src[y1 * S + x0] + fx * (src[y1 * S + x1] - src[y1 * S + x0]);
            dst[y * S + x] = (top + fy * (bot - top)) * scale_out;
        }
}

/* one pass of the [1 2 1]/4 binomial filter in each direction, edges replicated */
static void blur(float *p, int S)
{
    float row[EXPR_AUG_MAX];
    for (int y = 0; y < S; y++) {
        for (int x = 0; x < S; x++) row[x] = p[y * S + x];
        for (int x = 0; x < S; x++)
            p[y * S + x] = 0.25f * row[x > 0 ? x - 1 : 0] + 0.5f * row[x] + 0.25f * row[x < S - 1 ? x + 1 : S - 1];
    }
    for (int x = 0; x < S; x++) {
        for (int y = 0; y < S; y++) row[y] = p[y * S + x];
        for (int y = 0; y < S; y++)
            p[y * S + x] = 0.25f * row[y > 0 ? y - 1 : 0] + 0.5f * row[y] + 0.25f * row[y < S - 1 ? y + 1 : S - 1];
    }
}

typedef struct jerr { struct jpeg_error_mgr pub; jmp_buf jb; } jerr;
static void jerr_exit(j_common_ptr c) { longjmp(((jerr *)c->err)->jb, 1); }
static void jerr_quiet(j_common_ptr c, int level) { (void)c; (void)level; }

/* JPEG round trip of an S x S gray image (0-255 floats) at quality q, with
 * libjpeg-turbo itself, so the block artefacts are the codec's. On any codec
 * error the image is left as it was (augmentation is best effort). */
static void jpeg_roundtrip(float *p, int S, int q)
{
    uint8_t px[EXPR_AUG_MAX * EXPR_AUG_MAX], back[EXPR_AUG_MAX * EXPR_AUG_MAX];
    for (int i = 0; i < S * S; i++) px[i] = (uint8_t)(p[i] < 0 ? 0 : p[i] > 255 ? 255 : p[i] + 0.5f);
    unsigned char *mem = NULL;
    unsigned long len = 0;
    struct jpeg_compress_struct cc;
    struct jpeg_decompress_struct dc;
    jerr e;
    memset(&cc, 0, sizeof cc);
    memset(&dc, 0, sizeof dc);
    cc.err = jpeg_std_error(&e.pub);
    e.pub.error_exit = jerr_exit;
    e.pub.emit_message = jerr_quiet;
    volatile int stage = 0;
    if (setjmp(e.jb)) {
        if (stage >= 1) jpeg_destroy_compress(&cc);
        if (stage >= 2) jpeg_destroy_decompress(&dc);
        free(mem);
        return;
    }
    jpeg_create_compress(&cc);
    stage = 1;
    jpeg_mem_dest(&cc, &mem, &len);
    cc.image_width = (JDIMENSION)S;
    cc.image_height = (JDIMENSION)S;
    cc.input_components = 1;
    cc.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&cc);
    jpeg_set_quality(&cc, q, TRUE);
    jpeg_start_compress(&cc, TRUE);
    while (cc.next_scanline < cc.image_height) {
        JSAMPROW r = px + (size_t)cc.next_scanline * S;
        jpeg_write_scanlines(&cc, &r, 1);
    }
    jpeg_finish_compress(&cc);
    dc.err = cc.err;
    jpeg_create_decompress(&dc);
    stage = 2;
    jpeg_mem_src(&dc, mem, len);
    if (jpeg_read_header(&dc, TRUE) != JPEG_HEADER_OK) longjmp(e.jb, 1);
    dc.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&dc);
    if (dc.output_width != (JDIMENSION)S || dc.output_height != (JDIMENSION)S || dc.output_components != 1)
        longjmp(e.jb, 1);
    while (dc.output_scanline < dc.output_height) {
        JSAMPROW r = back + (size_t)dc.output_scanline * S;
        jpeg_read_scanlines(&dc, &r, 1);
    }
    jpeg_finish_decompress(&dc);
    jpeg_destroy_decompress(&dc);
    jpeg_destroy_compress(&cc);
    free(mem);
    for (int i = 0; i < S * S; i++) p[i] = back[i];
}

static void robust(const uint8_t *src, int S, const uint8_t *hsrc, int H, tr_rng *rng, float *out, float *hout)
{
    const float deg = 3.14159265f / 180;
    int flip = tr_rng_uniform(rng) < 0.5f;
    float theta = tr_rng_range(rng, -15, 15) * deg, s = tr_rng_range(rng, 0.88f, 1.12f);
    float tx = tr_rng_range(rng, -4, 4), ty = tr_rng_range(rng, -4, 4);
    float gain = tr_rng_range(rng, 0.7f, 1.3f), bias = tr_rng_range(rng, -0.15f, 0.15f);
    float gamma = expf(tr_rng_range(rng, -0.4f, 0.4f));
    int blurs = tr_rng_uniform(rng) < 0.2f ? 1 + (tr_rng_uniform(rng) < 0.5f) : 0;
    int q = tr_rng_uniform(rng) < 0.25f ? 15 + (int)(tr_rng_uniform(rng) * 61) : 0;
    float sigma = tr_rng_uniform(rng) < 0.3f ? tr_rng_range(rng, 0, 0.05f) : 0;
    int erase = tr_rng_uniform(rng) < 0.25f;
    float w[EXPR_AUG_MAX * EXPR_AUG_MAX];
    warp(src, S, flip, theta, s, tx, ty, 1.0f, w);
    for (int k = 0; k < blurs; k++) blur(w, S);
    if (q) jpeg_roundtrip(w, S, q);
    for (int i = 0; i < S * S; i++) {
        float v = w[i] / 255.0f;
        v = v <= 0 ? 0 : powf(v > 1 ? 1 : v, gamma);
        out[i] = (v - 0.5f) * gain + bias;
        if (sigma > 0) out[i] += sigma * tr_rng_normal(rng);
    }
    if (erase) {
        int ew = 8 + (int)(tr_rng_uniform(rng) * 13), eh = 8 + (int)(tr_rng_uniform(rng) * 13);
        int ex = (int)(tr_rng_uniform(rng) * (S - ew + 1)), ey = (int)(tr_rng_uniform(rng) * (S - eh + 1));
        float val = tr_rng_range(rng, -0.5f, 0.5f);
        for (int y = ey; y < ey + eh && y < S; y++)
            for (int x = ex; x < ex + ew && x < S; x++) out[y * S + x] = val;
    }
    if (hsrc && hout) /* the same geometry on the heatmap's grid */
        warp(hsrc, H, flip, theta, s, tx * H / S, ty * H / S, 1.0f / 255, hout);
}

void expr_augment(const uint8_t *src, int size, const uint8_t *hsrc, int hsize, tr_rng *rng, int level,
                  int flip_always, float *out, float *hout)
{
    if (rng && level == EXPR_AUG_ROBUST && size <= EXPR_AUG_MAX && hsize <= size) robust(src, size, hsrc, hsize, rng, out, hout);
    else basic(src, size, hsrc, hsize, rng, flip_always, out, hout);
}
