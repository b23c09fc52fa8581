/*
 * face/face.h — the face stage: from an image to every face in it, located
 * (BlazeFace), meshed in 3D (FaceMesh, 468 points), posed (pitch/yaw/roll and
 * translation) and aligned (similarity transform to a canonical crop).
 *
 * Coordinates: image pixels, origin at the top-left pixel's corner, x right,
 * y down. Mesh z is in the same pixel scale as x/y (relative depth, larger =
 * farther from the camera), as FaceMesh predicts it. Left/right in names are
 * the subject's (FACS convention), not the image's.
 */
#ifndef AUGUR_FACE_H
#define AUGUR_FACE_H

#include "core/util.h"
#include "media/image.h"

#define AU_MESH_N AUGUR_MESH_POINTS
#define AU_LM68_N AUGUR_LM68_POINTS
#define AU_MAX_FACES AUGUR_MAX_FACES

/* BlazeFace keypoints, in the detector's order. */
enum { AU_KP_RIGHT_EYE = 0, AU_KP_LEFT_EYE, AU_KP_NOSE, AU_KP_MOUTH, AU_KP_RIGHT_EAR, AU_KP_LEFT_EAR, AU_KP_N };

/* The face record is public (struct augur_face in augur.h); inside the
 * library it is au_face. */
typedef struct augur_face au_face;

#endif
