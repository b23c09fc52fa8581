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
 *      the whole image;
 *   4. with opts.gaze, the eye gaze of every meshed face (face/gaze.h: the
 *      Iris network on each eye's crop), and its blendshapes when the engine
 *      has that network (face/blendshapes.h).
 */
#ifndef AUGUR_FACE_ENGINE_H
#define AUGUR_FACE_ENGINE_H

#include "face/face.h"
#include "nn/nn.h"

typedef struct au_face_engine au_face_engine;

/* Same values as the public enum augur_detector / enum augur_crop. */
enum au_detector_choice { AU_DET_AUTO = AUGUR_DETECTOR_AUTO, AU_DET_SHORT = AUGUR_DETECTOR_SHORT, AU_DET_FULL = AUGUR_DETECTOR_FULL,
                          AU_DET_TILED = AUGUR_DETECTOR_TILED };
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
    int   crop_max_side;     /* AU_CROP_AUTO treats images up to this side as face crops, default 256 */
    float crop_scale;        /* face-crop mode: mesh ROI side / image side, default 1.3 */
    float min_mesh_score_tiles; /* face presence for success of a face found only in tiles (RULE40) */
    int   tile_when_none;    /* au_face_find with AU_DET_AUTO: where the whole image gives no meshed face, the
                                full-range detector over tiles of it too (AU_DET_TILED always does); default 1.
                                Video (video/pipeline.c) tiles in auto at most every 5 s while it tracks and
                                finds nothing */
    int   gaze;              /* eye gaze of each meshed face (face/gaze.h: two Iris runs per face); default 0
                                here (the lab and tools need none), 1 through the public API (augur_params.gaze) */
} au_face_opts;

au_face_opts au_face_default_opts(void);

int au_face_engine_create(au_face_engine **out, const char *model_dir, const nn_options *o, au_error *err);
void au_face_engine_free(au_face_engine *e);

/* Finds faces in img; writes at most opts->max_faces into faces (caller's
 * array of AU_MAX_FACES), sets *n. 0 faces is a success, not an error. */
int au_face_find(au_face_engine *e, const au_image *img, const au_face_opts *opts,
                 au_face *faces, int *n, au_error *err);

/* ---- The pieces au_face_find is made of; the video tracker (video/) uses
 * them too, so a face new to a video is found and meshed exactly as in a
 * still image. ROIs are {centre x, centre y, side (image px), angle (radians,
 * counter-clockwise on screen)}. */

/* The full-range detector over tiles of the image alone (what AU_DET_TILED adds to the cascade): where it finds
 * faces they replace cand[0..*n) (and *n), else cand and *n are left as they were. Video's auto calls it where
 * nothing is tracked or found. */
int au_face_detect_tiles(au_face_engine *e, const au_image *img, const au_face_opts *o, au_face *cand, float (*roi)[4],
                         int *n, au_error *err);

/* 1 when candidate i of the last au_face_detect (or au_face_detect_tiles) was found only in tiles of the image (detect_tiles): it needs
 * opts.min_mesh_score_tiles to succeed (au_face_tile_opts gives the options to mesh it with). */
int au_face_candidate_from_tiles(const au_face_engine *e, int i);
au_face_opts au_face_tile_opts(const au_face_engine *e, const au_face_opts *o, int i);

/* A new image or frame begins: the pyramid of the previous one is dropped
 * (au_face_find does it itself). */
void au_face_engine_new_image(au_face_engine *e);

/* The detector cascade of opts (short range, then full range if it finds
 * nothing): candidates with their detector fields and FaceMesh ROI (1.5x the
 * box, eyes level), not meshed. */
int au_face_detect(au_face_engine *e, const au_image *img, const au_face_opts *opts, au_face *cand,
                   float (*roi)[4], int *n, au_error *err);

/* The whole image as one face candidate (face-crop mode): 1 when opts allow
 * it for this image (crop_mode ALWAYS, or AUTO and the image is at most
 * crop_max_side), else 0. */
int au_face_crop_candidate(const au_image *img, const au_face_opts *opts, au_face *f, float roi[4]);

/* Meshes a candidate: FaceMesh on its ROI, refine_passes more on the ROI
 * the mesh defines, the flip average, then au_face_finish; sets success. */
int au_face_mesh_candidate(au_face_engine *e, const au_image *img, const au_face_opts *opts, au_face *f,
                           const float roi[4], au_error *err);

/* One FaceMesh pass on a ROI (tracking): fills f->mesh, mesh_score. Large
 * ROIs are warped from a level of the image's pyramid (2x2 box averages), so
 * the crop needs no supersampling. */
int au_face_mesh_roi(au_face_engine *e, const au_image *img, float cx, float cy, float size, float angle,
                     au_face *f, au_error *err);

/* The ROI a mesh defines: eyes level, centred on its extent, side 1.5x. */
void au_face_roi_from_mesh(const float (*mesh)[3], float roi[4]);

/* Eye gaze of a meshed face (face/gaze.h): the Iris network on each eye's
 * crop, from the image's pyramid; fills f->has_gaze, gaze, gaze_angle, iris,
 * eyeball (has_gaze 0 for a face that did not succeed). The Iris model loads
 * on first use; au_face_engine_load_gaze loads it now. */
int au_face_gaze(au_face_engine *e, const au_image *img, au_face *f, au_error *err);
int au_face_engine_load_gaze(au_face_engine *e, au_error *err);

/* From now on au_face_gaze also gives each face MediaPipe's 52 blendshape
 * coefficients (face/blendshapes.h: f->has_blendshapes, blendshapes), from
 * its mesh and the Iris network's points; the network loads from path. */
int au_face_engine_load_blendshapes(au_face_engine *e, const char *path, au_error *err);

/* Extent of a mesh: x1, y1, x2, y2. */
void au_mesh_box(const float (*mesh)[3], float box[4]);

/* Box, 68 landmarks, pose and alignment of a face from its mesh (the box
 * from det_box when it has none). */
void au_face_finish(au_face *f, const au_image *img);

/* The pyramid level of img to sample at `step` image px per output px: the
 * first level where a step spans at most max_step of its pixels (the face
 * networks' crops use 1.5); *k = image px per level px (1, 2, 4 or 8). NULL
 * only when out of memory (err set). */
const au_image *au_face_engine_level(au_face_engine *e, const au_image *img, float step, float max_step, float *k,
                                     au_error *err);

#endif
