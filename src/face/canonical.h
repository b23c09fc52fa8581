/*
 * face/canonical.h — data measured by tools/make_canonical.c (generated into
 * face/canonical_data.c; see that tool for the method and the data used).
 */
#ifndef AUGUR_FACE_CANONICAL_H
#define AUGUR_FACE_CANONICAL_H

#include "face/face.h"

/* Mean neutral frontal FaceMesh shape, mm, x right, y down, z away from the
 * camera, origin at its centroid, left/right symmetric. */
extern const float au_canonical_mesh[AU_MESH_N][3];
/* Index of each point's mirror image (left <-> right); self on the midline. */
extern const short au_mesh_mirror[AU_MESH_N];
/* Points used for alignment and their mean positions in FER2013 crops
 * (unit square: 0..1 across the 48x48 crop). */
#define AU_ALIGN_N 12
extern const short au_align_points[AU_ALIGN_N];
extern const float au_align_template[AU_ALIGN_N][2];
/* Provenance, for --version and docs. */
extern const char au_canonical_source[];

#endif
