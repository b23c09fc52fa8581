/*
 * lab/fit/augment.h — training-time augmentation of the expression network's
 * input: an aligned 48x48 gray face crop (FER2013 framing, expr/prep.h) and
 * its 12x12 AU heatmap, which must move with the face.
 *
 * Two levels:
 *   EXPR_AUG_BASIC   the original recipe (models/expr-ferplus.md): flip, shifts
 *                    of up to 3 px, brightness/contrast. Kept bit-for-bit so the
 *                    shipped recipes reproduce.
 *   EXPR_AUG_ROBUST  what the pipeline and real cameras do to a face that the
 *                    web crops of FERPlus rarely show (issue 13):
 *                    geometry — flip, rotation ±15°, scale 0.88–1.12, shifts
 *                      ±4 px (box jitter and alignment error of the face stage);
 *                    photometry — gain 0.7–1.3, offset ±0.15, gamma e^±0.4
 *                      (film lighting, exposure);
 *                    degradation — blur (p 0.2), JPEG re-encoding at quality
 *                      15–75 (p 0.25, libjpeg-turbo: the real codec, not a
 *                      model of it), Gaussian noise (p 0.3, sigma ≤ 0.05);
 *                    occlusion — one gray rectangle of 8–20 px a side (p 0.25:
 *                      hands, glasses, hair).
 * The heatmap follows the geometric part only. Every draw comes from the
 * caller's seeded tr_rng, so a training run is reproducible.
 */
#ifndef AUGUR_FIT_AUGMENT_H
#define AUGUR_FIT_AUGMENT_H

#include <stdint.h>

#include "train/rng.h"

enum { EXPR_AUG_BASIC = 0, EXPR_AUG_ROBUST = 1 };
#define EXPR_AUG_MAX 64 /* the robust level's largest crop side (its buffers are on the stack); larger: basic */

/* src: size x size crop; out: size x size floats, (v/255 - 0.5) * gain + bias as
 * the network reads them. hsrc: hsize x hsize heatmap (0-255) or NULL; hout:
 * hsize x hsize in [0, 1]. rng NULL: no augmentation (flip_always still
 * mirrors). */
void expr_augment(const uint8_t *src, int size, const uint8_t *hsrc, int hsize, tr_rng *rng, int level,
                  int flip_always, float *out, float *hout);

#endif
