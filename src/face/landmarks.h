/*
 * face/landmarks.h — named FaceMesh points (MediaPipe canonical topology) and
 * the 468 -> 68 (iBUG/OpenFace) map.
 */
#ifndef AUGUR_FACE_LANDMARKS_H
#define AUGUR_FACE_LANDMARKS_H

#include "face/face.h"

extern const int au_mesh_to_lm68[AU_LM68_N];

enum {
    AU_MP_RIGHT_EYE_OUTER = 33,
    AU_MP_RIGHT_EYE_INNER = 133,
    AU_MP_LEFT_EYE_INNER = 362,
    AU_MP_LEFT_EYE_OUTER = 263,
    AU_MP_NOSE_TIP = 4,
    AU_MP_MOUTH_RIGHT = 61,
    AU_MP_MOUTH_LEFT = 291,
    AU_MP_UPPER_LIP = 13,
    AU_MP_LOWER_LIP = 14,
    AU_MP_CHIN = 152,
    AU_MP_FOREHEAD = 10,
};

#endif
