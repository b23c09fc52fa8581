/*
 * face/gaze.h — eye gaze from MediaPipe Iris (iris.json, the TF.js graph
 * model the pretrained set ships beside facemesh.json).
 *
 * Per eye:
 *   1. the crop: a square of side AU_IRIS_ROI_SCALE (2.3, MediaPipe's) times
 *      the distance between the eye's corners (mesh points 33/133 for the
 *      subject's right eye, 362/263 for the left), centred on their midpoint
 *      and rotated so that they are level, sampled to the network's 64x64
 *      input (values 0..1). The network was trained on the eye that appears
 *      on the image's left (the subject's right eye); the other eye's crop is
 *      mirrored, as MediaPipe's iris graph does, and its answer mirrored back;
 *   2. the network gives 71 eye-contour and brow points and 5 iris points
 *      (centre first) in crop px, with a relative depth in the same scale;
 *   3. the eyeball centre: the midpoint of the eye corners on the mesh,
 *      pushed back (away from the camera, along the head's forward axis from
 *      the pose fit) by AU_EYEBALL_RADIUS_MM (12 mm, an adult eyeball's
 *      radius); mm become mesh px through the pose fit's scale;
 *   4. the iris centre in 3D: its image position from the network, and its
 *      depth relative to the eye corners from the network's z (the corners'
 *      depth is the mesh's), so it sits in front of the corners by what the
 *      network sees;
 *   5. the gaze vector: the unit vector from the eyeball centre to the iris
 *      centre, in the camera frame (x right, y down, z away from the camera;
 *      looking into the camera is about (0, 0, -1)). The mesh is a weak
 *      perspective (scaled orthographic) reconstruction, so the frame is the
 *      one a camera looking straight at the face would have: for a face far
 *      off the optical axis the vectors are not corrected for the viewing
 *      angle (pose_R is not either);
 *   6. gaze_angle_x = atan2(x, -z), gaze_angle_y = atan2(y, -z) of the mean of
 *      the two unit vectors (OpenFace 2's definition; radians, 0 looking into
 *      the camera, x > 0 looking towards the image's right... see docs/OUTPUT.md).
 *
 * Eye 0 is the eye leftmost in the image (the subject's right eye), eye 1
 * the other, as OpenFace numbers gaze_0 / gaze_1.
 */
#ifndef AUGUR_FACE_GAZE_H
#define AUGUR_FACE_GAZE_H

#include "face/face.h"
#include "nn/nn.h"

#define AU_IRIS_ROI_SCALE 2.3f     /* crop side / eye-corner distance (MediaPipe's iris ROI) */
#define AU_EYEBALL_RADIUS_MM 12.0f /* eye-corner midpoint -> eyeball centre, along the head's axis */
#define AU_IRIS_POINTS 76          /* 71 contour/brow points, then 5 iris points (centre first) */
#define AU_IRIS_CENTRE 71

/* The iris network. */
typedef struct au_iris au_iris;
int au_iris_create(au_iris **out, const char *model_dir, const nn_options *o, au_error *err);
void au_iris_free(au_iris *m);
/* Side of the network's square input, px (64). */
int au_iris_input_size(const au_iris *m);

/* The crop of eye `eye` (0: leftmost in the image, the subject's right eye;
 * 1: the other) from the face's mesh: {centre x, centre y, side, angle}
 * (image px; angle radians, counter-clockwise on screen), and whether the
 * network sees it mirrored. */
void au_gaze_eye_roi(const au_face *f, int eye, float roi[4], int *flip);

/* Runs the network on the ROI of `src`, an image or a level of its pyramid
 * with k image px per src px (ROIs are in image px); writes the 76 points
 * in image px (z: relative depth in image px, larger = farther). */
int au_iris_run(au_iris *m, const au_image *src, float k, const float roi[4], int flip,
                float pts[AU_IRIS_POINTS][3], au_error *err);

/* From the two eyes' network points (eye 0, eye 1) and the face's mesh and
 * pose fit: f->iris, f->eyeball, f->gaze, f->gaze_angle, f->has_gaze. A
 * degenerate mesh (no pose fit) leaves has_gaze 0. */
void au_gaze_from_iris(au_face *f, const float pts[2][AU_IRIS_POINTS][3]);

#endif
