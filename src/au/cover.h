/*
 * au/cover.h — is part of the face covered (a hand, a mask, sunglasses)?
 * (RULE24, docs/AUS.md "A face half covered")
 *
 * Told from the face's appearance alone, with nothing trained on covers: for
 * each of two disjoint areas of the AU features' HOG (au/appearance.h; upper =
 * block rows 0-3: brows and eyes; lower = block rows 4-6: mouth, jaw, chin),
 * the principal subspace of the HOG of faces (the training faces' mean and
 * their first AU_COVER_K principal components, fitted by `augur train au`:
 * lab/fit/cover_fit.c). A face's area scores the squared residual of its HOG
 * outside that subspace divided by the edge, the 99th percentile of the
 * training faces' residuals: over 1, the area looks unlike 99 faces in 100,
 * and is taken as covered. A cover is not a face, so it falls outside the
 * subspace whatever it is made of; so does a face far from the training faces
 * (a profile, a heavy shadow), which is then also not read there — the safe side.
 */
#ifndef AUGUR_AU_COVER_H
#define AUGUR_AU_COVER_H

#include "au/appearance.h"

#define AU_COVER_AREAS 2   /* 0 upper, 1 lower */
#define AU_COVER_K 24      /* principal components per area (RULE24, fixed before any measurement) */
#define AU_COVER_MAX_DIM (4 * (AU_APP_CELLS - 1) * 4 * AU_APP_BINS) /* the upper area's HOG values */

/* How the model file stores its large float arrays (the network's hidden weights, "hidden_encoding", and
 * the covered-area test's mean and basis, "cover": {"encoding": ...}): each array as base64 of its
 * little-endian float32 values (row by row), bit for bit the fit, at about a third of the decimal size */
#define AU_F32_ENCODING "float32le-base64"
#define AU_COVER_ENCODING AU_F32_ENCODING

typedef struct au_cover {
    int has;                                          /* fitted; 0: faces are never called covered */
    float mean[AU_COVER_AREAS][AU_COVER_MAX_DIM];     /* the area's HOG mean over the training faces */
    float basis[AU_COVER_AREAS][AU_COVER_K][AU_COVER_MAX_DIM]; /* orthonormal principal directions */
    float edge[AU_COVER_AREAS];                       /* 99th percentile of the training residuals */
} au_cover;

/* The HOG values of area k (0 upper, 1 lower): [*first, *first + *n) within the
 * AU_APP_N HOG features (blocks are stored row by row). Returns the area's
 * au/geometry.h AU_AREA_* bit, 0 for a k out of range. */
int au_cover_area(int k, int *first, int *n);

/* The name of area k ("upper face", "lower face"), NULL out of range. */
const char *au_cover_area_name(int k);

/* Area k of an AU_AREA_* bit (0 upper, 1 lower), -1 for another. */
int au_cover_index(int area);

/* The covered areas `covered` (AU_AREA_* bits) in words: "upper face", "lower face", "upper and lower
 * face"; NULL for none. */
const char *au_cover_words(int covered);

/* The squared residual of area k's values x (au_cover_area's n of them)
 * outside c's subspace (not divided by the edge). */
float au_cover_residual(const au_cover *c, int k, const float *x);

/* Scores both areas of hog (AU_APP_N values): score[k] = residual / edge (over
 * 1: covered). Returns the covered areas' AU_AREA_* bits (0 when c has no fit:
 * scores 0). The reading (au_read_features) then reads every feature of a
 * covered area as a face at rest has it (RULE25). */
int au_cover_test(const au_cover *c, const float *hog, float score[AU_COVER_AREAS]);

#endif
