/*
 * expr/prep.h — the one preprocessing shared by expression training and
 * inference: the face stage's aligned crop (FER2013 framing, gray), so a
 * model trained on the 48x48 datasets sees a real photo or a video frame the
 * same way; plus, for training, the AU heatmap of the class's codebook AUs on
 * that crop (Belharbi et al.'s guidance target). Large faces are cropped
 * from the face engine's image pyramid (stage/stage.h, st_expr_crop), for
 * training and inference alike.
 *
 * An image where no face is meshed is used whole (the datasets are already
 * face crops in that framing), and flagged, so no test image is ever dropped.
 */
#ifndef AUGUR_EXPR_PREP_H
#define AUGUR_EXPR_PREP_H

#include <stdint.h>

#include "face/engine.h"

/* Aligned gray crop of face f (or of the whole image when f is NULL). */
void expr_crop(const au_image *img, const au_face *f, int size, uint8_t *crop);

/* Heatmap of class cls's codebook AUs for face f on an hsize x hsize grid
 * over the aligned crop (0 when cls has no AUs or f is NULL). */
void expr_class_heatmap(const au_face *f, int cls, int hsize, uint8_t *map);

#endif
