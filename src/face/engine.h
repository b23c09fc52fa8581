/*
 * face/engine.h — the face stage as one call: image in, faces out (detected,
 * meshed, posed, aligned). Holds the detector and mesh networks.
 *
 * Strategy per image (measured on FER2013 and CK+ crops, docs/FACES.md):
 *   1. short-range BlazeFace; if it finds nothing, full-range BlazeFace;
 *   2. for each detection, FaceMesh on a square crop 1.5x the detector box,
 *      rotated so the eyes are level; then a second FaceMesh pass on the crop
 *      the first mesh defines (tighter, better centred);
 *      the final mesh is averaged with the (mirrored back) mesh of the
 *      horizontally flipped crop, so results are mirror-consistent;
 *   3. images that are already face crops (small images where no detector
 *      fires, or crop_mode = always) are meshed directly from a crop covering
 *      the whole image.
 */
#ifndef AUGUR_FACE_ENGINE_H
#define AUGUR_FACE_ENGINE_H

#include "face/face.h"
#include "nn/nn.h"

typedef struct au_face_engine au_face_engine;

/* Same values as the public enum augur_detector / enum augur_crop. */
enum au_detector_choice { AU_DET_AUTO = AUGUR_DETECTOR_AUTO, AU_DET_SHORT = AUGUR_DETECTOR_SHORT, AU_DET_FULL = AUGUR_DETECTOR_FULL };
enum au_crop_mode { AU_CROP_AUTO = AUGUR_CROP_AUTO, AU_CROP_NEVER = AUGUR_CROP_NEVER, AU_CROP_ALWAYS = AUGUR_CROP_ALWAYS };

typedef struct au_face_opts {
    enum au_detector_choice detector;
    enum au_crop_mode crop_mode;
    float min_det_score;     /* default 0.5 */
    float nms_iou;           /* default 0.3 */
    float min_mesh_score;    /* face presence for success, default 0.5 */
    int   refine_passes;     /* extra FaceMesh passes on the mesh-defined crop, default 1 */
    int   flip_average;      /* average with the mirrored mesh of the flipped crop, default 1 */
    int   max_faces;         /* default AU_MAX_FACES */
    int   crop_max_side;     /* AU_CROP_AUTO treats images up to this side as face crops, default 160 */
    float crop_scale;        /* face-crop mode: mesh ROI side / image side, default 1.3 */
} au_face_opts;

au_face_opts au_face_default_opts(void);

int au_face_engine_create(au_face_engine **out, const char *model_dir, const nn_options *o, au_error *err);
void au_face_engine_free(au_face_engine *e);

/* Finds faces in img; writes at most opts->max_faces into faces (caller's
 * array of AU_MAX_FACES), sets *n. 0 faces is a success, not an error. */
int au_face_find(au_face_engine *e, const au_image *img, const au_face_opts *opts,
                 au_face *faces, int *n, au_error *err);

/* Runs FaceMesh on a rotated square ROI (centre, side in image px, angle in
 * radians, counter-clockwise on screen) and fills f->mesh, mesh_score. */
int au_face_mesh_roi(au_face_engine *e, const au_image *img, float cx, float cy, float size, float angle,
                     au_face *f, au_error *err);

#endif
