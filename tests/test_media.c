/*
 * tests/test_media.c — image input (media/image.h): decoding examples/
 * astronaut.png against libpng's own decode; the other formats (JPEG
 * baseline/progressive/gray, TIFF, WebP lossy/lossless, BMP, PPM, PGM) and
 * PNG pixel formats (gray, gray16, rgb48, RGBA over white, palette with
 * transparency), all written at run time with the format libraries
 * themselves into a temporary folder; JPEG EXIF orientations 1..8 in both
 * byte orders; hostile inputs (missing, folder, empty, 1 byte, random, text,
 * truncated PNG/JPEG/TIFF/WebP/BMP, a bad CRC, headers claiming huge sizes),
 * each of which must fail with its error code and a message and leave no
 * image behind; PNG writing (gray detection, exact round trips, a missing
 * folder, permissions); and input expansion (folders, @lists, errors).
 * Needs no models and no data. AUGUR_TEST_KEEP=1 keeps the temporary folder.
 */
#include <dirent.h>
#include <stdio.h>      /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>
#include <webp/encode.h>

#include "media/image.h"
#include "testutil.h"

static char g_dir[64];          /* the temporary folder of this run */
static au_image g_ref;          /* astronaut.png decoded by libpng: the reference pixels */

/* ---- small helpers ------------------------------------------------------- */

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(data, 1, n, f) : 0;
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static uint8_t *read_all(const char *path, size_t *n)
{
    au_error err = {0};
    uint8_t *d = NULL;
    if (au_read_file(path, (size_t)64 << 20, 0, &d, n, &err)) return NULL;
    return d;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rm_tree(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Mean absolute difference per channel value; 1e9 if the sizes differ. */
static double mad(const au_image *a, const au_image *b)
{
    if (a->w != b->w || a->h != b->h || !a->rgb || !b->rgb) return 1e9;
    size_t n = (size_t)a->w * a->h * 3;
    double s = 0;
    for (size_t i = 0; i < n; i++) s += abs((int)a->rgb[i] - (int)b->rgb[i]);
    return s / (double)n;
}

static const uint8_t *px(const au_image *im, int x, int y) { return im->rgb + ((size_t)y * im->w + x) * 3; }

/* Decoding must fail with `code`, a message, and no image left behind. */
static void expect_fail_mem(const char *what, const uint8_t *d, size_t n, int code)
{
    au_image im = {7, 7, (uint8_t *)1};
    au_error err = {0};
    int rc = au_image_decode(d, n, what, &im, &err);
    CHECK(rc == code && err.code == code, "%s: want error %d, got %d (%s)", what, code, rc, err.msg);
    CHECK(err.msg[0] && strstr(err.msg, what), "%s: the message names the input: '%s'", what, err.msg);
    CHECK(im.rgb == NULL && im.w == 0 && im.h == 0, "%s: no image left behind", what);
}

static void expect_fail_file(const char *path, int code, const char *why)
{
    au_image im = {7, 7, (uint8_t *)1};
    au_error err = {0};
    int rc = au_image_load(path, &im, &err);
    CHECK(rc == code && err.code == code, "%s (%s): want error %d, got %d (%s)", path, why, code, rc, err.msg);
    CHECK(strstr(err.msg, path) != NULL, "%s: the message names the file: '%s'", why, err.msg);
    CHECK(im.rgb == NULL && im.w == 0 && im.h == 0, "%s: no image left behind", why);
}

/* CRC-32 as PNG chunks use it (the zlib polynomial), written out so the test
 * needs no zlib of its own. */
static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v; }

/* ---- writers: each format made by its own library ------------------------ */

/* A PNG from packed rows (16-bit samples big-endian), optional palette/tRNS. */
static int write_png(const char *path, int w, int h, int depth, int color, const uint8_t *data,
                     const png_color *pal, int npal, const uint8_t *trns, int ntrns)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (pal) png_set_PLTE(png, info, pal, npal);
    if (trns) png_set_tRNS(png, info, trns, ntrns, NULL);
    png_write_info(png, info);
    int ch = color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_PALETTE ? 1
           : color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : color == PNG_COLOR_TYPE_RGB ? 3 : 4;
    size_t row = (size_t)w * ch * (depth / 8);
    for (int y = 0; y < h; y++) png_write_row(png, data + (size_t)y * row);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(f) == 0 ? 0 : -1;
}

/* The APP1 payload ("Exif\0\0" + TIFF header + IFD0 with one Orientation
 * entry), as cameras write it; returns its length. */
static size_t exif_payload(uint8_t *b, int orient, int big_endian)
{
    static const uint8_t le[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
                                 1, 0,                         /* one entry */
                                 0x12, 0x01, 3, 0, 1, 0, 0, 0, /* 0x0112 SHORT x1 */
                                 0, 0, 0, 0,                   /* value */
                                 0, 0, 0, 0};                  /* no next IFD */
    static const uint8_t be[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                                 0, 1,
                                 0x01, 0x12, 0, 3, 0, 0, 0, 1,
                                 0, 0, 0, 0,
                                 0, 0, 0, 0};
    memcpy(b, big_endian ? be : le, sizeof le);
    b[big_endian ? 25 : 24] = (uint8_t)orient; /* a SHORT, left-justified in its 4-byte value field */
    return sizeof le;
}

/* A JPEG of im in memory (malloc'ed); gray writes one component. */
static uint8_t *make_jpeg(const au_image *im, int quality, int progressive, int gray, const uint8_t *app1,
                          size_t app1_len, size_t *n)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    unsigned char *buf = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &buf, &len);
    c.image_width = (JDIMENSION)im->w;
    c.image_height = (JDIMENSION)im->h;
    c.input_components = gray ? 1 : 3;
    c.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (progressive) jpeg_simple_progression(&c);
    if (app1) c.write_JFIF_header = FALSE; /* cameras: SOI, APP1 Exif, … */
    jpeg_start_compress(&c, TRUE);
    if (app1) jpeg_write_marker(&c, JPEG_APP0 + 1, app1, (unsigned)app1_len);
    uint8_t *row = malloc((size_t)im->w * 3);
    while (c.next_scanline < c.image_height) {
        const uint8_t *src = px(im, 0, (int)c.next_scanline);
        if (gray)
            for (int x = 0; x < im->w; x++) row[x] = src[3 * x + 1];
        else
            memcpy(row, src, (size_t)im->w * 3);
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    *n = len;
    return buf;
}

static int write_tiff(const char *path, const au_image *im)
{
    TIFF *t = TIFFOpen(path, "w");
    if (!t) return -1;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)im->w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)im->h);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
    int rc = 0;
    for (int y = 0; y < im->h && !rc; y++)
        if (TIFFWriteScanline(t, (void *)px(im, 0, y), (uint32_t)y, 0) < 0) rc = -1;
    TIFFClose(t);
    return rc;
}

static int write_bmp(const char *path, const au_image *im)
{
    int pad = (4 - (im->w * 3) % 4) % 4;
    size_t data = (size_t)(im->w * 3 + pad) * im->h, total = 54 + data;
    uint8_t *b = calloc(total, 1);
    b[0] = 'B'; b[1] = 'M';
    uint32_t v[] = {(uint32_t)total, 0, 54, 40, (uint32_t)im->w, (uint32_t)im->h};
    for (int i = 0; i < 6; i++) memcpy(b + 2 + 4 * i, &v[i], 4); /* little-endian host */
    b[26] = 1; b[28] = 24;
    for (int y = 0; y < im->h; y++) { /* bottom-up, BGR */
        uint8_t *d = b + 54 + (size_t)(im->h - 1 - y) * (im->w * 3 + pad);
        for (int x = 0; x < im->w; x++) {
            const uint8_t *s = px(im, x, y);
            d[3 * x] = s[2]; d[3 * x + 1] = s[1]; d[3 * x + 2] = s[0];
        }
    }
    int rc = write_file(path, b, total);
    free(b);
    return rc;
}

/* P6 (RGB) or P5 (gray: the green channel). */
static int write_pnm(const char *path, const au_image *im, int gray)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fprintf(f, "P%d\n# made by test_media\n%d %d\n255\n", gray ? 5 : 6, im->w, im->h);
    for (size_t i = 0; i < (size_t)im->w * im->h; i++) {
        if (gray) fputc(im->rgb[3 * i + 1], f);
        else fwrite(im->rgb + 3 * i, 1, 3, f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- astronaut.png and the formats ---------------------------------------- */

/* au_image_mirror: pixel (x, y) goes to (w-1-x, y) with its three channels in
 * order, odd and even widths (the middle column stays), twice is the identity. */
static void test_mirror(void)
{
    au_error err = {0};
    for (int w = 1; w <= 4; w++) {
        au_image im, orig;
        if (au_image_alloc(&im, w, 3, &err) || au_image_alloc(&orig, w, 3, &err)) { CHECK(0, "%s", err.msg); return; }
        for (size_t i = 0; i < (size_t)w * 3 * 3; i++) im.rgb[i] = orig.rgb[i] = (unsigned char)(7 * i + 1);
        au_image_mirror(&im);
        int ok = 1;
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    ok &= im.rgb[((size_t)y * w + x) * 3 + c] == orig.rgb[((size_t)y * w + (w - 1 - x)) * 3 + c];
        CHECK(ok, "width %d: each pixel mirrored with its channels in order", w);
        au_image_mirror(&im);
        CHECK(memcmp(im.rgb, orig.rgb, (size_t)w * 3 * 3) == 0, "width %d: mirrored twice is the image", w);
        au_image_free(&im);
        au_image_free(&orig);
    }
    au_image_mirror(NULL); /* nothing to do, no crash */
}

static void test_astronaut(void)
{
    const char *path = t_src("examples/astronaut.png");
    au_image im;
    au_error err = {0};
    int rc = au_image_load(path, &im, &err);
    CHECK(rc == 0, "load %s: %s", path, err.msg);
    if (rc) return;
    CHECK(im.w == 512 && im.h == 512, "astronaut is %dx%d, want 512x512", im.w, im.h);
    double mean = 0;
    int all_equal = 1;
    for (size_t i = 0; i < (size_t)im.w * im.h * 3; i++) {
        mean += im.rgb[i];
        if (im.rgb[i] != im.rgb[0]) all_equal = 0;
    }
    mean /= (double)im.w * im.h * 3;
    CHECK(!all_equal, "pixels are not all equal");
    CHECK(mean > 40 && mean < 215, "mean %.1f in a plausible range", mean);

    /* the same file through libpng: must be identical */
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_file(&pi, path)) {
        pi.format = PNG_FORMAT_RGB;
        if (au_image_alloc(&g_ref, (int)pi.width, (int)pi.height, &err) == 0 &&
            png_image_finish_read(&pi, NULL, g_ref.rgb, 0, NULL)) {
            CHECK(memcmp(g_ref.rgb, im.rgb, (size_t)512 * 512 * 3) == 0, "FFmpeg and libpng decode astronaut.png identically");
        } else {
            CHECK(0, "libpng reference decode: %s", pi.message);
        }
        png_image_free(&pi);
    } else {
        CHECK(0, "libpng reference decode: %s", pi.message);
    }
    if (!g_ref.rgb) { g_ref = im; return; } /* go on with ours */
    au_image_free(&im);
}

/* Loads path and compares it with ref: same size, mean abs diff <= tol. */
static void check_close(const char *what, const char *path, const au_image *ref, double tol)
{
    au_image im;
    au_error err = {0};
    if (au_image_load(path, &im, &err)) { CHECK(0, "%s: %s", what, err.msg); return; }
    double d = mad(&im, ref);
    CHECK(im.w == ref->w && im.h == ref->h, "%s: %dx%d, want %dx%d", what, im.w, im.h, ref->w, ref->h);
    CHECK(d <= tol, "%s: mean abs diff %.3f > %.3f", what, d, tol);
    au_image_free(&im);
}

static void test_formats(void)
{
    au_error err = {0};
    const au_image *ref = &g_ref;
    au_image gray = {0}; /* the reference's green channel as gray */
    if (au_image_alloc(&gray, ref->w, ref->h, &err)) { CHECK(0, "%s", err.msg); return; }
    for (size_t i = 0; i < (size_t)ref->w * ref->h; i++) memset(gray.rgb + 3 * i, ref->rgb[3 * i + 1], 3);

    size_t n;
    uint8_t *j = make_jpeg(ref, 92, 0, 0, NULL, 0, &n);
    CHECK(write_file(tpath("a.jpg"), j, n) == 0, "write a.jpg");
    free(j);
    check_close("JPEG baseline", tpath("a.jpg"), ref, 4.0);
    j = make_jpeg(ref, 92, 1, 0, NULL, 0, &n);
    CHECK(write_file(tpath("p.jpg"), j, n) == 0, "write p.jpg");
    free(j);
    check_close("JPEG progressive", tpath("p.jpg"), ref, 4.0);
    j = make_jpeg(ref, 92, 0, 1, NULL, 0, &n);
    CHECK(write_file(tpath("g.jpg"), j, n) == 0, "write g.jpg");
    free(j);
    check_close("JPEG gray", tpath("g.jpg"), &gray, 2.0);

    CHECK(write_tiff(tpath("a.tif"), ref) == 0, "write a.tif");
    check_close("TIFF (LZW)", tpath("a.tif"), ref, 0);

    uint8_t *w = NULL;
    n = WebPEncodeRGB(ref->rgb, ref->w, ref->h, ref->w * 3, 90, &w);
    CHECK(n > 0 && write_file(tpath("a.webp"), w, n) == 0, "write a.webp");
    WebPFree(w);
    check_close("WebP lossy", tpath("a.webp"), ref, 5.0);
    n = WebPEncodeLosslessRGB(ref->rgb, ref->w, ref->h, ref->w * 3, &w);
    CHECK(n > 0 && write_file(tpath("l.webp"), w, n) == 0, "write l.webp");
    WebPFree(w);
    check_close("WebP lossless", tpath("l.webp"), ref, 0);

    CHECK(write_bmp(tpath("a.bmp"), ref) == 0, "write a.bmp");
    check_close("BMP", tpath("a.bmp"), ref, 0);
    CHECK(write_pnm(tpath("a.ppm"), ref, 0) == 0, "write a.ppm");
    check_close("PPM", tpath("a.ppm"), ref, 0);
    CHECK(write_pnm(tpath("a.pgm"), ref, 1) == 0, "write a.pgm");
    check_close("PGM", tpath("a.pgm"), &gray, 0);

    /* an odd width (row strides that are not multiples of anything) */
    au_image odd;
    if (au_image_alloc(&odd, 37, 23, &err) == 0) {
        for (int y = 0; y < 23; y++) memcpy(odd.rgb + (size_t)y * 37 * 3, px(ref, 200, 200 + y), 37 * 3);
        CHECK(write_pnm(tpath("odd.ppm"), &odd, 0) == 0, "write odd.ppm");
        check_close("PPM 37x23", tpath("odd.ppm"), &odd, 0);
        j = make_jpeg(&odd, 95, 0, 0, NULL, 0, &n);
        CHECK(write_file(tpath("odd.jpg"), j, n) == 0, "write odd.jpg");
        free(j);
        check_close("JPEG 37x23", tpath("odd.jpg"), &odd, 6.0);
        au_image_free(&odd);
    }
    au_image_free(&gray);
}

/* PNG pixel formats: each must come out as the 8-bit RGB a viewer shows. */
static void test_png_kinds(void)
{
    enum { W = 40, H = 30 };
    au_error err = {0};
    au_image im, want;
    if (au_image_alloc(&want, W, H, &err)) { CHECK(0, "%s", err.msg); return; }

    /* gray16 with samples v*257 (an exact 8-bit value), 0 and 65535 */
    static uint8_t g16[W * H * 2];
    for (int i = 0; i < W * H; i++) {
        unsigned v = (unsigned)(i * 7) % 256, s = v * 257;
        if (i == 0) s = v = 0;
        if (i == 1) { s = 65535; v = 255; }
        g16[2 * i] = (uint8_t)(s >> 8); g16[2 * i + 1] = (uint8_t)s;
        memset(want.rgb + 3 * i, (int)v, 3);
    }
    CHECK(write_png(tpath("g16.png"), W, H, 16, PNG_COLOR_TYPE_GRAY, g16, NULL, 0, NULL, 0) == 0, "write g16.png");
    if (au_image_load(tpath("g16.png"), &im, &err) == 0) {
        CHECK(mad(&im, &want) == 0, "gray16 PNG: exact 8-bit values (mad %.3f)", mad(&im, &want));
        au_image_free(&im);
    } else CHECK(0, "gray16: %s", err.msg);

    /* rgb48 */
    static uint8_t c16[W * H * 6];
    for (int i = 0; i < W * H * 3; i++) {
        unsigned v = (unsigned)(i * 13 + i / 7) % 256;
        c16[2 * i] = (uint8_t)v; c16[2 * i + 1] = (uint8_t)v;
        want.rgb[i] = (uint8_t)v;
    }
    CHECK(write_png(tpath("c16.png"), W, H, 16, PNG_COLOR_TYPE_RGB, c16, NULL, 0, NULL, 0) == 0, "write c16.png");
    if (au_image_load(tpath("c16.png"), &im, &err) == 0) {
        CHECK(mad(&im, &want) == 0, "rgb48 PNG: exact 8-bit values (mad %.3f)", mad(&im, &want));
        au_image_free(&im);
    } else CHECK(0, "rgb48: %s", err.msg);

    /* RGBA: opaque, transparent and half-transparent pixels, over white */
    static uint8_t rgba[W * H * 4];
    for (int i = 0; i < W * H; i++) {
        uint8_t *p = rgba + 4 * i;
        p[0] = 200; p[1] = 40; p[2] = 10;
        p[3] = i % 3 == 0 ? 255 : i % 3 == 1 ? 0 : 128;
        if (i % 3 == 1) { p[0] = 0; p[1] = 0; p[2] = 0; } /* hidden colour: must not show */
    }
    CHECK(write_png(tpath("rgba.png"), W, H, 8, PNG_COLOR_TYPE_RGB_ALPHA, rgba, NULL, 0, NULL, 0) == 0, "write rgba.png");
    if (au_image_load(tpath("rgba.png"), &im, &err) == 0) {
        const uint8_t *o = px(&im, 0, 0), *t = px(&im, 1, 0), *h = px(&im, 2, 0);
        CHECK(o[0] == 200 && o[1] == 40 && o[2] == 10, "opaque pixel kept: %d %d %d", o[0], o[1], o[2]);
        CHECK(t[0] == 255 && t[1] == 255 && t[2] == 255, "transparent pixel is white: %d %d %d", t[0], t[1], t[2]);
        CHECK(abs(h[0] - 227) <= 1 && abs(h[1] - 147) <= 1 && abs(h[2] - 132) <= 1,
              "half-transparent pixel blended over white: %d %d %d", h[0], h[1], h[2]);
        au_image_free(&im);
    } else CHECK(0, "rgba: %s", err.msg);

    /* palette with a transparent entry */
    static const png_color pal[3] = {{255, 0, 0}, {0, 0, 255}, {9, 9, 9}};
    static const uint8_t trns[3] = {255, 255, 0};
    static uint8_t idx[W * H];
    for (int i = 0; i < W * H; i++) idx[i] = (uint8_t)(i % 3);
    CHECK(write_png(tpath("pal.png"), W, H, 8, PNG_COLOR_TYPE_PALETTE, idx, pal, 3, trns, 3) == 0, "write pal.png");
    if (au_image_load(tpath("pal.png"), &im, &err) == 0) {
        const uint8_t *r = px(&im, 0, 0), *b = px(&im, 1, 0), *t = px(&im, 2, 0);
        CHECK(r[0] == 255 && r[1] == 0 && r[2] == 0, "palette red: %d %d %d", r[0], r[1], r[2]);
        CHECK(b[0] == 0 && b[1] == 0 && b[2] == 255, "palette blue: %d %d %d", b[0], b[1], b[2]);
        CHECK(t[0] == 255 && t[1] == 255 && t[2] == 255, "palette transparent entry is white: %d %d %d", t[0], t[1], t[2]);
        au_image_free(&im);
    } else CHECK(0, "palette: %s", err.msg);
    au_image_free(&want);
}

/* ---- EXIF orientation ----------------------------------------------------- */

enum { RED, GREEN, BLUE, WHITE };

static int colour_of(const uint8_t *p)
{
    if (p[0] > 200 && p[1] > 200 && p[2] > 200) return WHITE;
    if (p[0] > 200 && p[1] < 60 && p[2] < 60) return RED;
    if (p[1] > 200 && p[0] < 60 && p[2] < 60) return GREEN;
    if (p[2] > 200 && p[0] < 60 && p[1] < 60) return BLUE;
    return -1;
}

static void test_orientation(void)
{
    /* stored 64x32: quadrants red | green over blue | white */
    enum { W = 64, H = 32 };
    static const uint8_t rgb[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
    au_image src;
    au_error err = {0};
    if (au_image_alloc(&src, W, H, &err)) { CHECK(0, "%s", err.msg); return; }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) memcpy(src.rgb + ((size_t)y * W + x) * 3, rgb[(y >= H / 2) * 2 + (x >= W / 2)], 3);
    /* displayed quadrants (top-left, top-right, bottom-left, bottom-right)
     * for EXIF orientations 1..8, as the EXIF specification defines them */
    static const int want[9][4] = {
        {0},
        {RED, GREEN, BLUE, WHITE},  /* 1 as stored */
        {GREEN, RED, WHITE, BLUE},  /* 2 mirrored left-right */
        {WHITE, BLUE, GREEN, RED},  /* 3 rotated 180° */
        {BLUE, WHITE, RED, GREEN},  /* 4 mirrored top-bottom */
        {RED, BLUE, GREEN, WHITE},  /* 5 transposed */
        {BLUE, RED, WHITE, GREEN},  /* 6 rotated 90° clockwise */
        {WHITE, GREEN, BLUE, RED},  /* 7 transversed */
        {GREEN, WHITE, RED, BLUE},  /* 8 rotated 90° counter-clockwise */
    };
    for (int be = 0; be < 2; be++)
        for (int o = 1; o <= 8; o++) {
            uint8_t app1[64];
            size_t alen = exif_payload(app1, o, be), n;
            uint8_t *j = make_jpeg(&src, 95, 0, 0, app1, alen, &n);
            char name[64];
            snprintf(name, sizeof name, "orient%d%s.jpg", o, be ? "MM" : "II");
            au_image im;
            if (au_image_decode(j, n, name, &im, &err)) {
                CHECK(0, "%s: %s", name, err.msg);
                free(j);
                continue;
            }
            int tw = o >= 5 ? H : W, th = o >= 5 ? W : H;
            CHECK(im.w == tw && im.h == th, "%s: %dx%d, want %dx%d", name, im.w, im.h, tw, th);
            if (im.w == tw && im.h == th) {
                int got[4] = {colour_of(px(&im, tw / 4, th / 4)), colour_of(px(&im, 3 * tw / 4, th / 4)),
                              colour_of(px(&im, tw / 4, 3 * th / 4)), colour_of(px(&im, 3 * tw / 4, 3 * th / 4))};
                CHECK(!memcmp(got, want[o], sizeof got), "%s: quadrants %d %d %d %d, want %d %d %d %d", name, got[0],
                      got[1], got[2], got[3], want[o][0], want[o][1], want[o][2], want[o][3]);
            }
            au_image_free(&im);
            if (o == 6 && !be) CHECK(write_file(tpath("orient6.jpg"), j, n) == 0, "write orient6.jpg");
            free(j);
        }
    /* the same through a file */
    au_image im;
    if (au_image_load(tpath("orient6.jpg"), &im, &err) == 0) {
        CHECK(im.w == H && im.h == W && colour_of(px(&im, 0, 0)) == BLUE, "orient6.jpg from a file is upright");
        au_image_free(&im);
    } else CHECK(0, "orient6.jpg: %s", err.msg);

    /* out-of-range orientation (9) and a broken Exif segment: pixels as stored */
    uint8_t app1[64];
    size_t alen = exif_payload(app1, 9, 0), n;
    uint8_t *j = make_jpeg(&src, 95, 0, 0, app1, alen, &n);
    if (au_image_decode(j, n, "orient9.jpg", &im, &err) == 0) {
        CHECK(im.w == W && im.h == H && colour_of(px(&im, 0, 0)) == RED, "orientation 9 ignored");
        au_image_free(&im);
    } else CHECK(0, "orient9.jpg: %s", err.msg);
    free(j);
    alen = exif_payload(app1, 6, 0);
    app1[10] = 0xF0; /* IFD0 offset far outside the segment */
    j = make_jpeg(&src, 95, 0, 0, app1, alen, &n);
    if (au_image_decode(j, n, "badexif.jpg", &im, &err) == 0) {
        CHECK(im.w == W && im.h == H, "a broken Exif IFD is ignored (%dx%d)", im.w, im.h);
        au_image_free(&im);
    } else CHECK(0, "badexif.jpg: %s", err.msg);
    free(j);
    au_image_free(&src);
}

/* ---- hostile inputs --------------------------------------------------------- */

/* A PNG: signature, IHDR (w x h, 8-bit RGB), one small IDAT, IEND; CRCs right. */
static size_t craft_png(uint8_t *b, uint32_t w, uint32_t h, int bad_crc)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    /* zlib stream of 100 zero bytes */
    static const uint8_t idat[] = {0x78, 0x9c, 0x63, 0x60, 0xa0, 0x3d, 0x00, 0x00, 0x00, 0x64, 0x00, 0x01};
    size_t o = 0;
    memcpy(b, sig, 8);
    o = 8;
    put32(b + o, 13); memcpy(b + o + 4, "IHDR", 4);
    put32(b + o + 8, w); put32(b + o + 12, h);
    b[o + 16] = 8; b[o + 17] = 2; b[o + 18] = 0; b[o + 19] = 0; b[o + 20] = 0;
    put32(b + o + 21, crc32_png(b + o + 4, 17) ^ (bad_crc ? 1u : 0u));
    o += 25;
    put32(b + o, sizeof idat); memcpy(b + o + 4, "IDAT", 4); memcpy(b + o + 8, idat, sizeof idat);
    put32(b + o + 8 + sizeof idat, crc32_png(b + o + 4, 4 + sizeof idat));
    o += 12 + sizeof idat;
    put32(b + o, 0); memcpy(b + o + 4, "IEND", 4); put32(b + o + 8, crc32_png(b + o + 4, 4));
    return o + 12;
}

static void test_hostile(void)
{
    au_error err = {0};
    au_image im;

    /* files */
    expect_fail_file(tpath("does-not-exist.png"), AUGUR_EIO, "missing file");
    mkdir(tpath("adir.png"), 0755);
    expect_fail_file(tpath("adir.png"), AUGUR_EIO, "a folder");
    CHECK(write_file(tpath("empty.png"), "", 0) == 0, "write empty.png");
    expect_fail_file(tpath("empty.png"), AUGUR_EFORMAT, "empty file");
    CHECK(write_file(tpath("one.png"), "\x89", 1) == 0, "write one.png");
    expect_fail_file(tpath("one.png"), AUGUR_EFORMAT, "1-byte file");
    static const char text[] = "This is a text file, not a picture.\nSecond line.\n";
    CHECK(write_file(tpath("text.jpg"), text, sizeof text - 1) == 0, "write text.jpg");
    expect_fail_file(tpath("text.jpg"), AUGUR_EFORMAT, "text file");
    size_t rn = 20000;
    uint8_t *rnd = malloc(rn);
    uint32_t s = 12345;
    for (size_t i = 0; i < rn; i++) { s = s * 1664525u + 1013904223u; rnd[i] = (uint8_t)(s >> 24); }
    CHECK(write_file(tpath("random.png"), rnd, rn) == 0, "write random.png");
    expect_fail_file(tpath("random.png"), AUGUR_EFORMAT, "random bytes");
    au_image_decode(rnd, rn, "random", &im, &err);
    CHECK(strstr(err.msg, "not an image"), "random bytes: '%s'", err.msg);
    free(rnd);
    expect_fail_mem("empty buffer", (const uint8_t *)"", 0, AUGUR_EFORMAT);
    CHECK(au_image_decode(NULL, 0, NULL, &im, &err) == AUGUR_EFORMAT && err.msg[0], "NULL data, no name: %s", err.msg);

    /* truncated PNG, JPEG, TIFF, WebP, BMP, PGM */
    size_t n;
    uint8_t *d = read_all(t_src("examples/astronaut.png"), &n);
    if (d) {
        expect_fail_mem("astronaut.png cut at 50%", d, n / 2, AUGUR_EFORMAT);
        expect_fail_mem("astronaut.png cut at 90%", d, n * 9 / 10, AUGUR_EFORMAT);
        expect_fail_mem("astronaut.png cut at 99.9%", d, n - n / 1000, AUGUR_EFORMAT);
        au_image_decode(d, n / 2, "half.png", &im, &err);
        CHECK(strstr(err.msg, "truncated or corrupt"), "truncated PNG message: '%s'", err.msg);
        CHECK(write_file(tpath("half.png"), d, n / 2) == 0, "write half.png");
        expect_fail_file(tpath("half.png"), AUGUR_EFORMAT, "PNG cut at 50%, as a file");
        d[n / 2] ^= 0x55; /* one damaged byte inside the image data: the CRC catches it */
        expect_fail_mem("astronaut.png with a damaged byte", d, n, AUGUR_EFORMAT);
        free(d);
    } else CHECK(0, "read astronaut.png");
    const char *cut[] = {"a.jpg", "p.jpg", "a.tif", "a.webp", "a.bmp", "a.pgm"};
    for (size_t k = 0; k < sizeof cut / sizeof *cut; k++) {
        d = read_all(tpath(cut[k]), &n);
        if (!d) { CHECK(0, "read %s", cut[k]); continue; }
        char what[64];
        snprintf(what, sizeof what, "%s cut at 50%%", cut[k]);
        expect_fail_mem(what, d, n / 2, AUGUR_EFORMAT);
        snprintf(what, sizeof what, "%s cut at 90%%", cut[k]);
        expect_fail_mem(what, d, n * 9 / 10, AUGUR_EFORMAT);
        if (k <= 1) { /* JPEGs: only the final EOI marker missing */
            snprintf(what, sizeof what, "%s without its EOI", cut[k]);
            expect_fail_mem(what, d, n - 2, AUGUR_EFORMAT);
        }
        free(d);
    }

    /* PNG headers claiming sizes over the limits: AUGUR_ELIMIT, nothing allocated */
    static const uint32_t sizes[][2] = {{100000, 100000}, {20000, 20000}, {16000, 16000}, {9000, 9000}, {20000, 100},
                                        {100, 16385}};
    uint8_t png[128];
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        char what[64];
        snprintf(what, sizeof what, "PNG claiming %ux%u", sizes[k][0], sizes[k][1]);
        n = craft_png(png, sizes[k][0], sizes[k][1], 0);
        expect_fail_mem(what, png, n, AUGUR_ELIMIT);
        au_image_decode(png, n, what, &im, &err);
        char dims[32];
        snprintf(dims, sizeof dims, "%ux%u", sizes[k][0], sizes[k][1]);
        CHECK(strstr(err.msg, dims) != NULL, "%s: the message gives the size: '%s'", what, err.msg);
    }
    n = craft_png(png, 100000, 100000, 0);
    CHECK(write_file(tpath("huge.png"), png, n) == 0, "write huge.png");
    expect_fail_file(tpath("huge.png"), AUGUR_ELIMIT, "PNG claiming 100000x100000, as a file");
    n = craft_png(png, 10, 10, 1);
    expect_fail_mem("PNG with a bad IHDR CRC", png, n, AUGUR_EFORMAT);
    n = craft_png(png, 10, 10, 0); /* valid header, 100 bytes of data for 10 rows of 31: short */
    expect_fail_mem("PNG with too little image data", png, n, AUGUR_EFORMAT);
    n = craft_png(png, 0, 10, 0);
    expect_fail_mem("PNG claiming 0x10", png, n, AUGUR_EFORMAT);
}

/* ---- PNG writing ---------------------------------------------------------------- */

static void test_save_png(void)
{
    au_error err = {0};
    au_image g, back;
    /* a gray-looking 48x48 image: written as a grayscale PNG, reloaded exactly */
    if (au_image_alloc(&g, 48, 48, &err)) { CHECK(0, "%s", err.msg); return; }
    for (int y = 0; y < 48; y++)
        for (int x = 0; x < 48; x++) memset(g.rgb + ((size_t)y * 48 + x) * 3, (x * 5 + y * 11) % 256, 3);
    const char *gp = tpath("gray48.png");
    CHECK(au_image_save_png(&g, gp, &err) == 0, "save gray48.png: %s", err.msg);
    size_t n;
    uint8_t *d = read_all(gp, &n);
    CHECK(d && n > 33 && !memcmp(d + 12, "IHDR", 4) && d[24] == 8 && d[25] == 0, "gray48.png is an 8-bit grayscale PNG");
    free(d);
    if (au_image_load(gp, &back, &err) == 0) {
        CHECK(back.w == 48 && back.h == 48 && !memcmp(back.rgb, g.rgb, (size_t)48 * 48 * 3), "gray PNG round trip is exact");
        au_image_free(&back);
    } else CHECK(0, "reload gray48.png: %s", err.msg);
    struct stat st;
    CHECK(stat(gp, &st) == 0 && (st.st_mode & 0777) == 0644, "new file is rw-r--r-- (%o)", (unsigned)(st.st_mode & 0777));

    /* colour: astronaut saved and reloaded exactly, over the gray file (mode kept) */
    chmod(gp, 0640);
    CHECK(au_image_save_png(&g_ref, gp, &err) == 0, "overwrite gray48.png: %s", err.msg);
    CHECK(stat(gp, &st) == 0 && (st.st_mode & 0777) == 0640, "an existing file keeps its mode (%o)",
          (unsigned)(st.st_mode & 0777));
    if (au_image_load(gp, &back, &err) == 0) {
        CHECK(mad(&back, &g_ref) == 0, "RGB PNG round trip is exact");
        au_image_free(&back);
    } else CHECK(0, "reload: %s", err.msg);

    /* failures: a missing folder (no temporary file anywhere), no image */
    char missing[600];
    snprintf(missing, sizeof missing, "%s/no/such/folder/out.png", g_dir);
    int before = count_entries(g_dir);
    memset(&err, 0, sizeof err);
    CHECK(au_image_save_png(&g, missing, &err) == AUGUR_EIO && err.code == AUGUR_EIO, "missing folder: AUGUR_EIO (%s)",
          err.msg);
    CHECK(strstr(err.msg, missing) != NULL, "the message names the path: '%s'", err.msg);
    CHECK(count_entries(g_dir) == before, "nothing left behind");
    snprintf(missing, sizeof missing, "%s/adir.png", g_dir); /* a folder where the file should go */
    CHECK(au_image_save_png(&g, missing, &err) == AUGUR_EIO, "over a folder: AUGUR_EIO (%s)", err.msg);
    CHECK(count_entries(g_dir) == before, "nothing left behind after a failed rename");
    au_image none = {0};
    CHECK(au_image_save_png(&none, tpath("none.png"), &err) == AUGUR_EARG, "empty image: AUGUR_EARG");
    CHECK(au_image_save_png(&g, "", &err) == AUGUR_EARG, "empty path: AUGUR_EARG");
    au_image_free(&g);
}

/* ---- input expansion ----------------------------------------------------------------- */

static void test_inputs(void)
{
    au_error err = {0};
    char **p;
    int n;

    CHECK(au_is_image_name("a.png") && au_is_image_name("B.JPG") && au_is_image_name("x.Jpeg") &&
          au_is_image_name("dir.d/y.tiff") && au_is_image_name("z.webp") && au_is_image_name("q.PNM"),
          "image extensions, any case");
    CHECK(!au_is_image_name("a.txt") && !au_is_image_name("png") && !au_is_image_name("a.png.bak") &&
          !au_is_image_name("dir.png/file") && !au_is_image_name(".png") && !au_is_image_name("a."),
          "not image names");

    /* a folder with mixed entries */
    char dir[600];
    snprintf(dir, sizeof dir, "%s/mixed", g_dir);
    mkdir(dir, 0755);
    const char *files[] = {"b.png", "A.JPG", "c.txt", ".hidden.png", "z.webp", "noext", "m.tif"};
    char path[700];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        write_file(path, "x", 1);
    }
    snprintf(path, sizeof path, "%s/folder.png", dir); /* a folder with an image name */
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/sub/deep.png", dir);
    write_file(path, "x", 1);
    if (au_inputs_expand(dir, &p, &n, &err) == 0) {
        static const char *want[] = {"A.JPG", "b.png", "m.tif", "z.webp"}; /* byte order */
        CHECK(n == 4, "mixed folder: %d images, want 4", n);
        for (int i = 0; i < n && i < 4; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, want[i]);
            CHECK(!strcmp(p[i], path), "mixed folder [%d]: '%s', want '%s'", i, p[i], path);
        }
        au_inputs_free(p, n);
    } else CHECK(0, "mixed folder: %s", err.msg);
    snprintf(path, sizeof path, "%s/", dir); /* a trailing slash does not double */
    if (au_inputs_expand(path, &p, &n, &err) == 0) {
        CHECK(n == 4 && !strstr(p[0], "//"), "trailing slash: '%s'", p[0]);
        au_inputs_free(p, n);
    } else CHECK(0, "trailing slash: %s", err.msg);

    /* a single file, whatever its extension */
    snprintf(path, sizeof path, "%s/noext", dir);
    if (au_inputs_expand(path, &p, &n, &err) == 0) {
        CHECK(n == 1 && !strcmp(p[0], path), "a file is itself");
        au_inputs_free(p, n);
    } else CHECK(0, "single file: %s", err.msg);

    /* an @list: comments, blank lines, CRLF, trailing spaces, relative and absolute paths */
    char list[700];
    snprintf(list, sizeof list, "%s/lists/in.txt", g_dir);
    snprintf(path, sizeof path, "%s/lists", g_dir);
    mkdir(path, 0755);
    char body[1024];
    snprintf(body, sizeof body, "# faces to analyse\r\n\r\nrel/one.png\r\n   \n  two.jpg  \n%s/mixed/b.png\t\n#x.png\nlast.png", g_dir);
    write_file(list, body, strlen(body));
    char arg[710];
    snprintf(arg, sizeof arg, "@%s", list);
    if (au_inputs_expand(arg, &p, &n, &err) == 0) {
        char w0[700], w1[700], w2[700], w3[700];
        snprintf(w0, sizeof w0, "%s/lists/rel/one.png", g_dir);
        snprintf(w1, sizeof w1, "%s/lists/  two.jpg", g_dir);
        snprintf(w2, sizeof w2, "%s/mixed/b.png", g_dir);
        snprintf(w3, sizeof w3, "%s/lists/last.png", g_dir);
        CHECK(n == 4, "@list: %d entries, want 4", n);
        if (n == 4)
            CHECK(!strcmp(p[0], w0) && !strcmp(p[1], w1) && !strcmp(p[2], w2) && !strcmp(p[3], w3),
                  "@list entries: '%s' '%s' '%s' '%s'", p[0], p[1], p[2], p[3]);
        au_inputs_free(p, n);
    } else CHECK(0, "@list: %s", err.msg);

    /* errors */
    snprintf(path, sizeof path, "%s/emptydir", g_dir);
    mkdir(path, 0755);
    p = (char **)1; n = 5;
    CHECK(au_inputs_expand(path, &p, &n, &err) == AUGUR_EARG && strstr(err.msg, "no images") && strstr(err.msg, path),
          "empty folder: AUGUR_EARG (%s)", err.msg);
    CHECK(p == NULL && n == 0, "nothing returned on error");
    snprintf(path, sizeof path, "%s/lists", g_dir); /* only in.txt: no image names */
    CHECK(au_inputs_expand(path, &p, &n, &err) == AUGUR_EARG, "folder without images: AUGUR_EARG (%s)", err.msg);
    snprintf(path, sizeof path, "%s/missing-folder", g_dir);
    CHECK(au_inputs_expand(path, &p, &n, &err) == AUGUR_EIO && strstr(err.msg, path), "missing path: AUGUR_EIO (%s)",
          err.msg);
    snprintf(arg, sizeof arg, "@%s/missing.txt", g_dir);
    CHECK(au_inputs_expand(arg, &p, &n, &err) == AUGUR_EIO && strstr(err.msg, arg + 1), "missing @list: AUGUR_EIO (%s)",
          err.msg);
    CHECK(au_inputs_expand("@", &p, &n, &err) == AUGUR_EARG, "'@' alone: AUGUR_EARG (%s)", err.msg);
    CHECK(au_inputs_expand("", &p, &n, &err) == AUGUR_EARG, "empty argument: AUGUR_EARG (%s)", err.msg);
    snprintf(list, sizeof list, "%s/comments.txt", g_dir);
    write_file(list, "# nothing\n\n   \n#\n", 17);
    snprintf(arg, sizeof arg, "@%s", list);
    CHECK(au_inputs_expand(arg, &p, &n, &err) == AUGUR_EARG && strstr(err.msg, "no images"),
          "list of comments only: AUGUR_EARG (%s)", err.msg);
    /* 1,000,001 lines */
    size_t big_n = 1000001 * 2;
    char *big = malloc(big_n);
    for (size_t i = 0; i < big_n; i += 2) { big[i] = 'a'; big[i + 1] = '\n'; }
    snprintf(list, sizeof list, "%s/long.txt", g_dir);
    write_file(list, big, big_n);
    free(big);
    snprintf(arg, sizeof arg, "@%s", list);
    CHECK(au_inputs_expand(arg, &p, &n, &err) == AUGUR_ELIMIT, "list of 1,000,001 lines: AUGUR_ELIMIT (%s)", err.msg);
    unlink(list);
}

int main(void)
{
    au_log_level = 0;
    snprintf(g_dir, sizeof g_dir, "/tmp/augur_test_media_XXXXXX");
    if (!mkdtemp(g_dir)) { fprintf(stderr, "mkdtemp failed\n"); return 1; }
    TIFFSetWarningHandler(NULL); /* libtiff's chatter while writing the fixture */
    test_mirror();
    test_astronaut();
    if (!g_ref.rgb) { rm_tree(g_dir); return t_finish(); }
    test_formats();
    test_png_kinds();
    test_orientation();
    test_hostile();
    test_save_png();
    test_inputs();
    au_image_free(&g_ref);
    if (getenv("AUGUR_TEST_KEEP")) printf("kept %s\n", g_dir);
    else rm_tree(g_dir);
    return t_finish();
}
