/*
 * face/blendshapes.h — MediaPipe's face blendshapes: 52 ARKit-style
 * coefficients (browDownLeft, cheekSquintLeft, mouthSmileLeft, jawOpen …,
 * each 0..1) from the face's landmarks, by Google's network
 * face_blendshapes.tflite (from MediaPipe's Face Landmarker, Apache-2.0; an
 * MLP-Mixer over 146 landmarks), run by augur's runtime (nn/tflite.c).
 *
 * Input, as MediaPipe's FaceBlendshapesGraph builds it: 146 of the 478 points
 * of MediaPipe's attention mesh (468 FaceMesh points, then 5 iris points of
 * the subject's right eye and 5 of the left, centre first), x and y in image
 * pixels. The network normalises position and scale itself. augur's 478
 * points are its FaceMesh mesh plus the Iris network's points (face/gaze.h),
 * so blendshapes come with gaze.
 *
 * Names and order are MediaPipe's (index 0 "_neutral" is a constant-ish
 * output MediaPipe tells users to ignore; it is kept so indices match).
 */
#ifndef AUGUR_FACE_BLENDSHAPES_H
#define AUGUR_FACE_BLENDSHAPES_H

#include "face/face.h"
#include "nn/nn.h"

#define AU_BLENDSHAPES 52
#define AU_BLENDSHAPE_POINTS 146
#define AU_BLENDSHAPES_FILE "face_blendshapes.tflite"

typedef struct au_blendshapes au_blendshapes;

/* Loads the network from path (checked: one [1,146,2] input, 52 outputs). */
int au_blendshapes_create(au_blendshapes **out, const char *path, const nn_options *o, au_error *err);
void au_blendshapes_free(au_blendshapes *b);

/* Coefficients of a face from its mesh (468 points, px) and the 5 iris points
 * of each eye (eye 0: the subject's right eye, leftmost in the image; centre
 * first; px). */
int au_blendshapes_run(au_blendshapes *b, const float (*mesh)[3], const float iris[2][5][2],
                       float out[AU_BLENDSHAPES], au_error *err);

/* MediaPipe's name of coefficient i ("mouthSmileLeft"), NULL out of range. */
const char *au_blendshape_name(int i);

/* The coefficient a horizontal mirror image reads in place of coefficient i
 * (mouthSmileLeft <-> mouthSmileRight, jawLeft <-> jawRight; i itself for
 * browInnerUp, jawOpen ...); -1 out of range. */
int au_blendshape_mirror(int i);

#endif
