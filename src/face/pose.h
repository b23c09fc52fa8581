/*
 * face/pose.h — head pose from the 3D mesh, and the alignment transform.
 *
 * Pose: the similarity (scale s, rotation R, translation t) that best maps
 * augur's canonical face (face/canonical.c: the mean neutral frontal FaceMesh
 * shape, in mm) onto the face's mesh, fitted on the rigid upper face (eyes,
 * brows, nose, forehead, upper cheeks: the lips and jaw move with expression)
 * by Umeyama's least squares. Camera frame as OpenFace's: x right, y down,
 * z away from the camera. R = Rx(pitch) * Ry(yaw) * Rz(roll):
 *   pitch > 0: head tilted down (chin towards chest)? — sign as the fit
 *   gives it, matching OpenFace's pose_Rx; yaw > 0: face turned towards the
 *   image's right; roll > 0: head rotated clockwise on screen.
 * Translation assumes a pinhole camera with focal length 500 px per 640 px
 * of image width (OpenFace's default when the camera is unknown).
 *
 * Alignment: the similarity transform (from eye and nose points, which do not
 * move with expression) that puts the face into a canonical crop whose
 * framing matches FER2013's 48x48 crops (template measured on FER2013Train,
 * tools/make_canonical.c), expressed for a unit-square crop.
 */
#ifndef AUGUR_FACE_POSE_H
#define AUGUR_FACE_POSE_H

#include "face/face.h"

/* Fills f->pose_R (degrees), f->pose_T (mm) and f->lm68_3d (mm, camera
 * frame) from f->mesh (requires has_mesh); the image size gives the assumed
 * camera (focal length au_pose_focal, principal point at the centre). */
void au_face_pose(au_face *f, int img_w, int img_h);
/* The pose fit itself: mesh ~ scale * R * canonical + t (scale: mesh px per
 * mm). Returns 0, or -1 for a degenerate mesh. */
int au_face_pose_fit(const au_face *f, double *scale, double R[3][3], double t[3]);
/* The assumed focal length, px: 500 px per 640 px of image width (OpenFace's
 * default for an uncalibrated camera). */
double au_pose_focal(int img_w);
/* The face's mesh in the canonical frame (mm, pose and scale removed by the
 * rigid upper-face fit): what the AU stage measures. Returns 0 or -1. */
int au_face_canonicalize(const au_face *f, float out[AU_MESH_N][3]);

/* Fills f->align, f->align_inv from f->mesh. */
void au_face_alignment(au_face *f);

/* Similarity fit (Umeyama) of n 3-D points: dst ~ scale * R * src + t, over
 * the points with use[i] != 0 (use may be NULL). Returns 0, or -1 if degenerate. */
int au_similarity_3d(const float (*src)[3], const float (*dst)[3], const unsigned char *use, int n,
                     double *scale, double R[3][3], double t[3]);

/* Similarity fit (Umeyama) of n 2-D points src -> dst, weights optional.
 * M is 2x3 (dst = M * src). Returns 0, or -1 if degenerate. */
int au_similarity_2d(const float (*src)[2], const float (*dst)[2], int n, float M[6]);

/* The 2x3 map from a crop of side `size` px to the image: align_inv scaled. */
void au_align_crop_map(const au_face *f, int size, float M[6]);

#endif
