/*
 * face/blendshapes.c — see blendshapes.h.
 */
#include "face/blendshapes.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct au_blendshapes {
    nn_model *net;
};

/* The points the network reads, as indices of the 478-point attention mesh
 * (MediaPipe's FaceBlendshapesGraph, kLandmarksSubsetIdxs: the model's input
 * contract, so it is data here, not a choice). 468..477 are iris points. */
static const short subset[AU_BLENDSHAPE_POINTS] = {
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70,
    78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146, 148, 149,
    150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 168, 172, 173, 176, 178, 181, 185, 191, 195,
    197, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300,
    308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375,
    377, 378, 379, 380, 381, 382, 384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454,
    466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477};

static const char *const names[AU_BLENDSHAPES] = {
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft",
    "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft",
    "eyeLookUpRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft",
    "jawOpen", "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft",
    "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower",
    "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthUpperUpLeft", "mouthUpperUpRight", "noseSneerLeft", "noseSneerRight"};

const char *au_blendshape_name(int i)
{
    return i >= 0 && i < AU_BLENDSHAPES ? names[i] : NULL;
}

/* Each name's "Left"/"Right" suffix swapped; tests/test_face.c checks the
 * table against the names, and that a flipped image swaps the pairs. */
static const signed char mirror_of[AU_BLENDSHAPES] = {
    0, 2, 1, 3, 5, 4, 6, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15, 18, 17, 20, 19, 22, 21, 23, 26, 25, 24, 27,
    29, 28, 31, 30, 32, 39, 35, 34, 37, 36, 38, 33, 40, 41, 42, 43, 45, 44, 47, 46, 49, 48, 51, 50};

int au_blendshape_mirror(int i)
{
    return i >= 0 && i < AU_BLENDSHAPES ? mirror_of[i] : -1;
}

int au_blendshapes_create(au_blendshapes **out, const char *path, const nn_options *o, au_error *err)
{
    *out = NULL;
    au_blendshapes *b = calloc(1, sizeof *b);
    if (!b) return au_fail(err, AUGUR_ENOMEM, "out of memory");
    int rc = nn_load(&b->net, path, o, err);
    if (rc) { free(b); return rc; }
    nn_shape s, os;
    nn_input(b->net, 0, &s);
    nn_output(b->net, 0, &os);
    if (nn_n_inputs(b->net) != 1 || nn_n_outputs(b->net) != 1 || s.ndim != 3 || s.dim[0] != 1 ||
        s.dim[1] != AU_BLENDSHAPE_POINTS || s.dim[2] != 2 || nn_shape_size(&os) != AU_BLENDSHAPES) {
        au_blendshapes_free(b);
        return au_fail(err, AUGUR_EFORMAT, "%s: not MediaPipe's blendshapes model ([1,146,2] in, 52 out)", path);
    }
    *out = b;
    return 0;
}

void au_blendshapes_free(au_blendshapes *b)
{
    if (!b) return;
    nn_free(b->net);
    free(b);
}

int au_blendshapes_run(au_blendshapes *b, const float (*mesh)[3], const float iris[2][5][2],
                       float out[AU_BLENDSHAPES], au_error *err)
{
    float *in = nn_input(b->net, 0, NULL);
    for (int k = 0; k < AU_BLENDSHAPE_POINTS; k++) {
        int i = subset[k];
        const float *p = i < AU_MESH_N ? mesh[i] : iris[(i - AU_MESH_N) / 5][(i - AU_MESH_N) % 5];
        in[2 * k] = p[0];
        in[2 * k + 1] = p[1];
    }
    int rc = nn_run(b->net, err);
    if (rc) return rc;
    const float *y = nn_output(b->net, 0, NULL);
    for (int i = 0; i < AU_BLENDSHAPES; i++) out[i] = isfinite(y[i]) ? y[i] : 0.0f;
    return 0;
}
