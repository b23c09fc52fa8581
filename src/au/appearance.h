/*
 * au/appearance.h — AU evidence from appearance: what the mesh cannot see
 * (wrinkles, furrows, bulges, teeth, the nasolabial fold) described by a
 * histogram of oriented gradients (HOG; Dalal & Triggs, CVPR 2005) of the
 * aligned gray face crop, as OpenFace 2 does for its AU models.
 *
 * The crop is the face stage's alignment (FER2013 framing, unit square) at
 * AU_APP_SIZE px. The descriptor is made mirror-symmetric — the mean of the
 * HOG of the crop and of its mirror image, which is an exact permutation of
 * the first (cells mirror left/right, orientation bins k -> B-1-k) — so, like
 * the geometry features, a flipped image gives the same evidence.
 */
#ifndef AUGUR_AU_APPEARANCE_H
#define AUGUR_AU_APPEARANCE_H

#include <stdint.h>

#include "face/face.h"
#include "media/image.h"

#include "au/geometry.h"

#define AU_APP_SIZE 64   /* aligned crop side, px */
#define AU_APP_CELL 8    /* HOG cell side, px: 8 x 8 cells */
#define AU_APP_BINS 9    /* unsigned orientation bins over 0..pi */
#define AU_APP_CELLS (AU_APP_SIZE / AU_APP_CELL)
/* 2x2-cell blocks at a stride of one cell, each L2-Hys normalised */
#define AU_APP_N ((AU_APP_CELLS - 1) * (AU_APP_CELLS - 1) * 4 * AU_APP_BINS)

/* The face areas (au/geometry.h's AU_AREA_*) HOG feature j's block covers in
 * the aligned crop (FER2013 framing: eyes at 0.38 of its height, the nose
 * tip at 0.58): block rows 0-3 (0 .. 0.625) upper, 1-4 (0.125 .. 0.75)
 * middle, 4-6 (0.5 .. 1) lower. */
int au_hog_area(int j);

/* HOG of an AU_APP_SIZE^2 gray crop (row-major), made mirror-symmetric. out: AU_APP_N. */
void au_hog(const uint8_t *crop, float *out);

/* The aligned gray crop of face f (AU_APP_SIZE^2 bytes). */
void au_appearance_crop(const au_image *img, const au_face *f, uint8_t *crop);

/* Both: the appearance features of face f in img. out: AU_APP_N. */
void au_appearance_features(const au_image *img, const au_face *f, float *out);

/* The shape-free crop (an AU model's "use_appearance": 2): the aligned crop with the face's own shape
 * taken out, each pixel sampled where the face's mesh puts the canonical face's point at that pixel
 * (interpolated from the 4 nearest mesh points), so that every face's brows, lids, nose wings and
 * lips fall on the same HOG cells whatever the person's shape, expression or head turn; what is
 * left is texture (furrows, wrinkles, teeth, shading), and the shape is the geometry features'. */
void au_appearance_crop_shape_free(const au_image *img, const au_face *f, uint8_t *crop);
void au_appearance_features_shape_free(const au_image *img, const au_face *f, float *out);

#endif
