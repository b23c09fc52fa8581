/*
 * media/warp.h — sampling an image through an affine map into a float tensor:
 * the one way every stage makes network inputs (detector letterbox, rotated
 * face crops, aligned crops).
 *
 * The map M (2x3, row-major) sends an output pixel centre (u+0.5, v+0.5) to
 * an input-image point (x, y) in pixel units whose origin is the top-left
 * corner of the top-left pixel:  x = M0*u' + M1*v' + M2,  y = M3*u' + M4*v' + M5.
 * Samples are bilinear; outside the image they are black (0). When the map
 * shrinks by more than 1.5x, each output pixel averages a k x k grid of
 * samples (k = ceil(shrink), at most 4) so small crops of large images do not
 * alias.
 */
#ifndef AUGUR_MEDIA_WARP_H
#define AUGUR_MEDIA_WARP_H

#include "media/image.h"

/* dst is ow*oh*channels floats, NHWC; value = pixel(0..255) * scale + offset.
 * channels 3: RGB; channels 1: luma (0.299 R + 0.587 G + 0.114 B). */
void au_warp_affine(const au_image *img, const float M[6], int ow, int oh, int channels,
                    float scale, float offset, float *dst);

/* A non-affine resampling (the AU stage's shape-free crop, au/appearance.c): output pixel i is the
 * luma at image point (pos[2i], pos[2i+1]) (pixel units as above), bilinear, black outside; J (2x2,
 * row-major: dx/du, dx/dv, dy/du, dy/dv) is the map's local scale, image pixels per output pixel, from
 * which, when it shrinks by more than 1.5x, each output pixel averages a k x k grid of samples spread
 * over its footprint as au_warp_affine does. dst: n floats, pixel(0..255) values. */
void au_warp_points_gray(const au_image *img, const float *pos, int n, const float J[4], float *dst);

/* Same, into an 8-bit RGB image (for crops that are saved or drawn). */
void au_warp_affine_rgb(const au_image *img, const float M[6], au_image *dst);

/* Letterbox resize for detectors: the whole image, scaled to fit an S x S
 * square (aspect kept, centred, black bars), into an NHWC float tensor
 * (value = pixel * scale + offset). Axis-aligned shrinking is what swscale's
 * area filter is made for (SIMD, exact box averaging), so it does the work;
 * the resizer caches its context and buffer between calls. M receives the
 * map from tensor pixels to image pixels (same convention as above). */
typedef struct au_resizer au_resizer;
int au_letterbox(au_resizer **r, const au_image *img, int S, float scale, float offset, float *dst, float M[6],
                 au_error *err);
void au_resizer_free(au_resizer *r);

/* Affine helpers: out = a o b (apply b first), inverse, apply. */
void au_affine_compose(const float a[6], const float b[6], float out[6]);
int au_affine_invert(const float m[6], float out[6]);
void au_affine_apply(const float m[6], float x, float y, float *ox, float *oy);

/* The map from a square crop of side `out_size` px to a rotated square of side
 * `size` px centred at (cx, cy) in the image, rotated by `angle` radians
 * (positive = counter-clockwise as seen on screen, i.e. the crop's x axis
 * points along (cos a, -sin a) in image coordinates). */
void au_affine_rotated_square(float cx, float cy, float size, float angle, int out_size, float M[6]);

/* sws_scale of an RGB24 image whose buffer may end right after its last
 * pixel (a caller's): the last rows go through a padded copy in *tail
 * (grown as needed; the caller frees it). 0 or AUGUR_ENOMEM. */
struct SwsContext;
int au_sws_scale_rgb(struct SwsContext *sws, const au_image *img, uint8_t *const out[], const int out_stride[],
                     uint8_t **tail, size_t *tail_cap);

#endif
