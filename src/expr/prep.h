/*
 * expr/prep.h — the one preprocessing shared by expression training and
 * inference: the face stage's aligned crop (FER2013 framing, gray), so a
 * model trained on the 48x48 datasets sees a real photo or a video frame the
 * same way; plus, for training, the AU heatmap of the class's codebook AUs on
 * that crop (Belharbi et al.'s guidance target).
 *
 * An image where no face is meshed is used whole (the datasets are already
 * face crops in that framing), and flagged, so no test image is ever dropped.
 */
#ifndef AUGUR_EXPR_PREP_H
#define AUGUR_EXPR_PREP_H

#include <stdint.h>

#include "face/engine.h"

typedef struct expr_sample {
    uint8_t *crop;       /* size x size gray */
    uint8_t *heatmap;    /* hsize x hsize, 0..255 (all 0 for neutral or no mesh) */
    int has_face;        /* 1: aligned from a mesh; 0: the whole image */
} expr_sample;

/* Aligned gray crop of face f (or of the whole image when f is NULL). */
void expr_crop(const au_image *img, const au_face *f, int size, uint8_t *crop);

/* Heatmap of class cls's codebook AUs for face f on an hsize x hsize grid
 * over the aligned crop (0 when cls has no AUs or f is NULL). */
void expr_class_heatmap(const au_face *f, int cls, int hsize, uint8_t *map);

/* Both, for one image: runs the face stage (largest-score face). */
int expr_prepare(au_face_engine *e, const au_image *img, int cls, int size, int hsize, expr_sample *out, au_error *err);

#endif
