/*
 * serve/imgsize.c — an image's dimensions from its header, so that the
 * server refuses an image over --max-pixels before decoding it (a small file
 * may claim 100000x100000 pixels). Only reads: PNG (IHDR), JPEG (the first
 * SOFn marker), GIF (logical screen), BMP (DIB header), WebP (VP8, VP8L,
 * VP8X). Other formats are checked after decoding (and within libaugur's own
 * limits while decoding).
 */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}
static unsigned le16(const unsigned char *p) { return (unsigned)p[1] << 8 | p[0]; }
static unsigned long le24(const unsigned char *p) { return (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0]; }
static unsigned long le32(const unsigned char *p) { return le24(p) | (unsigned long)p[3] << 24; }

static int jpeg_size(const unsigned char *d, size_t n, long long *w, long long *h)
{
    size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) return 0;              /* not at a marker: damaged; let the decoder say so */
        while (i < n && d[i] == 0xFF) i++;       /* fill bytes */
        if (i >= n) return 0;
        unsigned m = d[i++];
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue; /* no length */
        if (m == 0xD9 || m == 0xDA) return 0;    /* end of image or scan data before any frame header */
        if (i + 2 > n) return 0;
        unsigned len = be16(d + i);
        if (len < 2) return 0;
        int sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof) {
            if (i + 7 > n || len < 7) return 0;
            *h = be16(d + i + 3);
            *w = be16(d + i + 5);
            return 1;
        }
        i += len;
    }
    return 0;
}

int serve_image_size(const unsigned char *d, size_t n, long long *w, long long *h)
{
    if (n >= 24 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8) && !memcmp(d + 12, "IHDR", 4)) {
        *w = (long long)be32(d + 16);
        *h = (long long)be32(d + 20);
        return 1;
    }
    if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return jpeg_size(d, n, w, h);
    if (n >= 10 && (!memcmp(d, "GIF87a", 6) || !memcmp(d, "GIF89a", 6))) {
        *w = le16(d + 6);
        *h = le16(d + 8);
        return 1;
    }
    if (n >= 26 && d[0] == 'B' && d[1] == 'M') {
        unsigned long hs = le32(d + 14);
        if (hs == 12) {
            *w = le16(d + 18);
            *h = le16(d + 20);
        } else {
            long long hh = (long long)(int)(unsigned)le32(d + 22); /* negative: top-down rows */
            *w = (long long)(int)(unsigned)le32(d + 18);
            *h = hh < 0 ? -hh : hh;
        }
        return 1;
    }
    if (n >= 30 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4)) {
        const unsigned char *c = d + 12;
        if (!memcmp(c, "VP8 ", 4) && d[23] == 0x9d && d[24] == 0x01 && d[25] == 0x2a) {
            *w = le16(d + 26) & 0x3fff;
            *h = le16(d + 28) & 0x3fff;
            return 1;
        }
        if (!memcmp(c, "VP8L", 4) && d[20] == 0x2f) {
            unsigned long b = le32(d + 21);
            *w = (long long)(b & 0x3fff) + 1;
            *h = (long long)((b >> 14) & 0x3fff) + 1;
            return 1;
        }
        if (!memcmp(c, "VP8X", 4)) {
            *w = (long long)le24(d + 24) + 1;
            *h = (long long)le24(d + 27) + 1;
            return 1;
        }
    }
    return 0;
}
