/*
 * face/landmarks.c — fixed facts about the 468-point FaceMesh topology:
 * the map to the 68-point iBUG/OpenFace layout and named points used by the
 * later stages. Indices follow MediaPipe's canonical face mesh; "right" and
 * "left" are the subject's.
 */
#include "face/landmarks.h"

/* iBUG 68 order: jaw 0-16 (subject's right ear to left ear), right brow
 * 17-21 (outer to inner), left brow 22-26 (inner to outer), nose bridge
 * 27-30, lower nose 31-35, right eye 36-41 (outer corner, upper lid, inner
 * corner, lower lid), left eye 42-47 (inner corner first), outer lip 48-59
 * (right corner, clockwise on screen), inner lip 60-67. */
const int au_mesh_to_lm68[AU_LM68_N] = {
    234, 93, 132, 58, 172, 136, 150, 176, 152, 400, 379, 365, 397, 288, 361, 323, 454, /* jaw */
    70, 63, 105, 66, 107,                                                             /* right brow */
    336, 296, 334, 293, 300,                                                          /* left brow */
    168, 197, 5, 4,                                                                   /* nose bridge */
    75, 97, 2, 326, 305,                                                              /* lower nose */
    33, 160, 158, 133, 153, 144,                                                      /* right eye */
    362, 385, 387, 263, 373, 380,                                                     /* left eye */
    61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181,                              /* outer lip */
    78, 82, 13, 312, 308, 317, 14, 87,                                                /* inner lip */
};
