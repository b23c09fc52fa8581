/*
 * video/output.h — per-frame outputs of `augur video`: the CSV (one row per
 * face per frame, OpenFace-2-compatible columns first, written and flushed as
 * frames are processed) and the annotated overlay frame (drawn with cairo
 * into the frame itself, then encoded by media/video_write).
 *
 * CSV columns (docs/VIDEO.md lists them):
 *   frame, face_id, timestamp, confidence, success,          OpenFace 2 video CSV
 *   pose_Tx..pose_Rz, x_0..x_67, y_0..y_67, AUxx_r, AUxx_c   (out/out.h, as the image CSV)
 *   detected, per_person_neutral, det_score, box_x1..box_y2, augur's
 *   expression, p_<class> x 8, evidence_<class> x 8, evidence_class,
 *   weakly_grounded, cam_cos
 * A frame without any face writes one row with face_id empty and success 0,
 * so every frame is accounted for; a face that is tracked but lost in this
 * frame writes success 0 and empty measurements. Expression columns are
 * empty when no expression model is loaded.
 */
#ifndef AUGUR_VIDEO_OUTPUT_H
#define AUGUR_VIDEO_OUTPUT_H

#include <stdio.h>

#include "media/image.h"
#include "video/pipeline.h"

/* Header line; flushes. Returns 0 or AUGUR_EIO. */
int vo_csv_header(FILE *f);

/* The rows of one frame (n faces, possibly 0); flushes. Returns 0 or AUGUR_EIO. */
int vo_csv_rows(FILE *f, int64_t frame, double t, const vp_face *faces, int n);

/* Draws the faces over img in place: face box (green tracked, blue
 * re-detected this frame, orange lost), the 68 landmarks, a label "face N
 * <expression> <p>" and the present AUs with their intensity bars, sized
 * from the face. Returns 0, or AUGUR_ENOMEM. */
int vo_overlay_draw(au_image *img, const vp_face *faces, int n, double t);

#endif
