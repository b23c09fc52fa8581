/*
 * au/geometry.h — AU evidence from 3D geometry: named measurements of the
 * pose-normalised mesh (canonical frame, mm; face/pose.h), taken relative to
 * a neutral reference (the population neutral face, or the person's own
 * neutral frame when one is known).
 *
 * Every feature is left/right symmetric by construction (bilateral pairs are
 * averaged, their asymmetry kept as |left - right|), so a mirrored face gives
 * the same features: AU estimates cannot change when an image is flipped.
 */
#ifndef AUGUR_AU_GEOMETRY_H
#define AUGUR_AU_GEOMETRY_H

#include "face/face.h"

/* Named measurements (mm), each face-minus-neutral. */
typedef enum {
    AU_M_INNER_BROW_RAISE = 0, /* inner brow height above the eye line */
    AU_M_OUTER_BROW_RAISE,     /* outer brow height above the eye line */
    AU_M_BROW_GAP,             /* distance between the inner brow ends */
    AU_M_BROW_LOWER_GLABELLA,  /* glabella/brow-centre height above the eye line */
    AU_M_UPPER_LID_RAISE,      /* upper lid height above the eye-corner line */
    AU_M_LOWER_LID_RAISE,      /* lower lid height above its neutral position (upwards +) */
    AU_M_EYE_APERTURE,         /* upper to lower lid distance */
    AU_M_CHEEK_RAISE,          /* infra-orbital cheek height (upwards +) */
    AU_M_NOSE_WING_RAISE,      /* alar (nose wing) height (upwards +) */
    AU_M_NOSE_LENGTH,          /* bridge (168) to nose tip (4) distance */
    AU_M_UPPER_LIP_RAISE,      /* upper lip centre height (upwards +), relative to the nose base */
    AU_M_LIP_CORNER_RAISE,     /* lip corner height (upwards +) relative to the eye line */
    AU_M_LIP_CORNER_OUT,       /* lip corner distance from the midline */
    AU_M_LIP_CORNER_BACK,      /* lip corner depth (backwards +) */
    AU_M_MOUTH_WIDTH,          /* corner to corner */
    AU_M_LOWER_LIP_DROP,       /* lower lip centre height below the mouth corners */
    AU_M_LIPS_GAP,             /* inner lip distance (lips part) */
    AU_M_JAW_DROP,             /* nose base to chin distance */
    AU_M_CHIN_RAISE,           /* chin to lower lip distance (shorter: chin raised, so negated) */
    AU_M_UPPER_LIP_THICKNESS,  /* red upper lip, vertical */
    AU_M_LOWER_LIP_THICKNESS,  /* red lower lip, vertical */
    AU_M_LIP_PROTRUSION,       /* lips' depth relative to the corners (forwards +) */
    AU_M_BROW_ASYM,            /* |left - right| of the inner/outer brow raise */
    AU_M_CORNER_ASYM,          /* |left - right| of the lip corner raise and pull */
    AU_M_EYE_ASYM,             /* |left - right| of the eye aperture */
    AU_M_COUNT
} au_measure;

extern const char *const au_measure_names[AU_M_COUNT];

/* Displacement features: symmetric (x, y, z) displacements of key points. */
#define AU_KEYPOINT_PAIRS 30
#define AU_KEYPOINT_MID 10
#define AU_GEOM_N (AU_M_COUNT + 4 * AU_KEYPOINT_PAIRS + 2 * AU_KEYPOINT_MID)

/* Face areas, for models whose AUs read only the evidence of their own part
 * of the face (au_model_feature_area): a bit set per area a feature shows. */
enum {
    AU_AREA_UPPER = 1, /* brows, forehead, eyes and lids */
    AU_AREA_MID = 2,   /* lower lids, cheeks, nose: from the brows to the nose wings */
    AU_AREA_LOWER = 4  /* from the nose wings down: lips, mouth corners, jaw, chin */
};

/* The areas geometry feature j (0..AU_GEOM_N-1) measures. */
int au_geometry_area(int j);

/* All named measurements of one canonical mesh (absolute, mm). */
void au_measure_all(const float m[AU_MESH_N][3], float out[AU_M_COUNT]);

/* Feature vector of a face against a neutral reference: named measurements
 * (face - neutral) then symmetric key-point displacements. out: AU_GEOM_N. */
void au_geometry_features(const float face[AU_MESH_N][3], const float neutral[AU_MESH_N][3], float *out);

#endif
