/*
 * au/au.h — the Action Unit stage: for each meshed face, per AU a
 * probability, presence, intensity 0–5, the region box in image pixels, the
 * evidence source, and the named measurement that moved most; plus heatmaps
 * of AU regions on the aligned crop (Belharbi et al.'s landmark discs).
 */
#ifndef AUGUR_AU_H
#define AUGUR_AU_H

#include "au/appearance.h"
#include "au/au_defs.h"
#include "au/geometry.h"
#include "au/model.h"
#include "face/face.h"

/* Same values as the public enum augur_au_source. */
typedef enum {
    AU_SRC_NONE = AUGUR_AU_SOURCE_NONE, AU_SRC_GEOMETRY = AUGUR_AU_SOURCE_GEOMETRY,
    AU_SRC_APPEARANCE = AUGUR_AU_SOURCE_APPEARANCE, AU_SRC_BOTH = AUGUR_AU_SOURCE_BOTH, AU_SRC_RULE = AUGUR_AU_SOURCE_RULE
} au_source;

typedef struct au_reading {
    int   id;             /* FACS number */
    float probability;    /* 0..1 */
    int   present;        /* probability >= the AU's calibrated threshold */
    float intensity;      /* 0 (absent) .. 5 (maximum), FACS A–E mapped as OpenFace's AUxx_r */
    float box[4];         /* region in image px x1, y1, x2, y2 */
    au_source source;
    int   measure;        /* au_measure that best shows it, -1 if none */
    float measure_mm;     /* that measurement, face minus neutral, mm */
    float measure_rest_mm; /* the edge of faces at rest in the AU's direction (struct augur_au.measure_rest_mm) */
    float level;          /* intensity without the floor at 0 (-5..5; struct augur_au.level) */
    int   held_at_rest;   /* enum augur_au_held: read at or over its threshold but not scored present: 1 the model gates it by faces
                             at rest and its measurement is within them (au_rest_gated); 2 read against the
                             person's neutral, the still reading does not show it and its measurement is
                             within the person's faces at rest (au_personal_gated); 3 the same, the still
                             reading shows it but so does the person's neutral read as a photo; 4 its face
                             area looks covered (au/cover.h); 5 the model does not validate it (RULE34) */
    int   side;           /* 0 both / symmetric, 1 subject's right stronger, 2 left stronger */
    int   unvalidated;    /* the model does not validate this AU (au_model_validated; struct augur_au.unvalidated) */
    float ev_term[AU_EV_CLASSES]; /* its term in each class's evidence score (struct augur_au.evidence_term) */
} au_reading;

/* Every evidence feature: geometry (against the population neutral), then
 * appearance, then MediaPipe's blendshape coefficients (face/blendshapes.h;
 * all but "_neutral"). A model reads a prefix: geometry, geometry +
 * appearance, or all three. */
#define AU_BS_N (AUGUR_BLENDSHAPES - 1)
#define AU_FEAT_N (AU_GEOM_N + AU_APP_N + AU_BS_N)

/* A person's own neutral (video): the mean over their neutral-looking frames
 * of the canonical mesh and of the evidence features. The geometry features
 * are read shifted by (this mean - the model's mean of neutral training
 * faces), i.e. relative to the person's rest, placed at the population's rest
 * (person-specific normalisation, as OpenFace does with a running median, but
 * taken only from frames that look neutral, so a held expression is not
 * absorbed). The appearance (HOG) and blendshape features are read as they
 * are: measured on CK+ peaks read against their own neutral frame (5-fold
 * subject CV, docs/AUS.md), shifting the geometry raises the mean F1 over
 * OpenFace's 16 AUs from 0.569 (still image) to 0.602, while shifting every
 * feature drops it to 0.487 (AU17 0.73 -> 0.17, AU23 0.49 -> 0.08: a texture
 * histogram is not additive the way a landmark displacement is). */
typedef struct au_neutral {
    float mesh[AU_MESH_N][3];
    float feat[AU_FEAT_N];
} au_neutral;

typedef struct au_face_aus {
    int n;                          /* AU_COUNT */
    au_reading au[AU_COUNT];
    float features[AU_FEAT_N];      /* evidence features (population reference; geometry then appearance) */
    float measures[AU_M_COUNT];     /* named measurements, face - neutral (mm) */
    int   has_evidence;             /* the model has an evidence map: */
    float evidence[AU_EV_CLASSES];  /* expression evidence from these AUs alone (sums to 1) */
    int   per_person_neutral;       /* 1 if a personal neutral was used */
    int   covered;                  /* AU_AREA_UPPER / AU_AREA_LOWER bits of the face areas that look covered
                                       (au/cover.h): their AUs are not scored present, and every feature that
                                       meets them is, in features, a face at rest's (RULE25) */
    float cover_score[AU_COVER_AREAS]; /* per area (upper, lower): over 1 covered; 0 without a cover test */
} au_face_aus;

/* Reads the AUs of a meshed face in img (the appearance features need its
 * pixels). `neutral` is the person's neutral or NULL for the population's.
 * Returns 0, or AUGUR_EARG for a face with no mesh. */
int au_read(const au_model *m, const au_image *img, const au_face *f, const au_neutral *neutral, au_face_aus *out,
            au_error *err);

/* The same from features already computed (au_evidence_features), so one
 * face can be read against several neutrals at the cost of one feature pass. */
int au_read_features(const au_model *m, const au_face *f, const float *feat, const au_neutral *neutral,
                     au_face_aus *out, au_error *err);

/* The features the model reads for a face against a person's neutral
 * features (au_neutral.feat): feat (m->n_feat of them) with the geometry block
 * shifted onto the population's rest (see au_neutral); the model needs
 * has_neutral_mean. Presence is then read at m->threshold_personal, except for
 * the AUs the model reads as a still image there (au_predict_personal). */
void au_personal_features(const au_model *m, const float *feat, const float *neutral_feat, float *x);

/* A face read against its person's neutral, as augur video reads it once the
 * neutral is known: per AU the reading its model chose (au_model.still_in_video):
 * against the neutral (au_personal_features) at threshold_personal, or as a
 * still image at threshold. prob, thr: AU_COUNT each (untrained AUs: prob -1).
 * still_prob (AU_COUNT, or NULL): the same face's still reading, for the gate
 * au_personal_gated; neutral_still_prob (AU_COUNT, or NULL): the person's
 * neutral read as a still image (its features neutral_feat). */
void au_predict_personal(const au_model *m, const float *feat, const float *neutral_feat, float *prob, float *thr,
                         float *still_prob, float *neutral_still_prob);

/* The evidence features of face f in img against the population neutral
 * (geometry, then appearance when `appearance`: 1 the HOG of the aligned crop, 2 of the shape-free
 * crop; then the face's blendshapes, zeros when it has none). feat: AU_FEAT_N. */
int au_evidence_features(const au_image *img, const au_face *f, int appearance, float *feat);

/* Copies the readings into the face's public AU records (f->aus, f->n_aus)
 * and, when the model has an evidence map, f->evidence and evidence_class.
 * The region boxes are clipped to the img_w x img_h image (au_clip_box): the
 * mesh is estimated past the frame's edge, but evidence is only what the
 * image shows, so every box a person, a trace or a grounding reward reads lies
 * inside it. */
void au_fill_face(const au_face_aus *r, au_face *f, int img_w, int img_h);

/* Clips box (x1, y1, x2, y2, px) to the w x h image; a region wholly outside
 * it becomes an empty box on the edge (x1 == x2 or y1 == y2). */
void au_clip_box(float box[4], int w, int h);

/* Geometry features of a face against a neutral (population if NULL). */
int au_face_features(const au_face *f, const float (*neutral)[3], float *feat, float measures[AU_M_COUNT]);

/* FACS scores one of two alternatives, never both:
 *   - jaw drop (AU26) is not scored when the mouth is stretched open (AU27),
 *     the wider action. In CK+'s codes the two never occur together; the
 *     whole-face model put both on all 43 CK+ peaks where it read AU26.
 *   - a blink (AU45) is not scored beside eyes closed (AU43): both read the
 *     same closure of the lids, and what tells them apart is time (a blink
 *     closes and opens again within AU_BLINK_MAX_S), which a still image
 *     does not show, so a still's closure is AU43; a video names it by its
 *     duration (au_closure_timed, and the timeline's events).
 * 1 when AU index a is present (present[a], over AU indices) but must not be
 * scored for that reason; the reading then leaves it not present (its
 * probability, intensity and level stay as measured, as OpenFace's AUxx_c
 * and AUxx_r are independent). */
int au_facs_excluded(int a, const int present[AU_COUNT]);

/* Applies au_facs_excluded to a whole reading: present (over AU indices, 0/1)
 * loses the AUs FACS does not score beside the others present. */
void au_facs_apply(int present[AU_COUNT]);

/* A video frame's closure named by its duration so far: where r reads the eyes
 * closed (AU43 present) and the closure began closed_s seconds ago (this frame
 * 0), a closure younger than AU_BLINK_MAX_S is read as a blink (AU45 present,
 * AU43 not) and an older one stays AU43. Causal: a frame is named by what has
 * been seen up to it. */
void au_closure_timed(au_face_aus *r, double closed_s);

/* Region box (image px) of AU index a on face f. */
void au_region_box(const au_face *f, int a, float box[4]);

/* Heatmap of a set of AUs on the aligned crop (size x size, unit-square
 * framing of face->align): discs of radius au_defs[a].radius * inter-ocular
 * distance at each region point, max over AUs (weights[a] scales each AU,
 * or 1 if weights is NULL), Gaussian blur, min-max normalised to 0..1.
 * aus: n indices into au_defs. */
void au_heatmap(const au_face *f, const int *aus, const float *weights, int n, int size, float *map);

const char *au_source_name(au_source s);
/* Which way AU id's named measurement (au_reading.measure) moves when the AU
 * acts: +1 grows, -1 shrinks, 0 for an AU without one. A reading's
 * measurement shows the AU when measure_mm * direction > 0. */
int au_measure_direction(int id);
/* The au_measure an AU's readings cite (au_reading.measure), -1 for none. */
int au_measure_of(int id);
/* The edge of faces at rest in AU id's direction on its measurement, as model m
 * measured it over its neutral training faces (personal: each against another
 * of the person's neutral frames, as video reads; else against the population
 * neutral, as a still image is read); NaN when m has no range or the AU no
 * measurement. */
float au_rest_edge(const au_model *m, int id, int personal);
/* Whether measure_mm goes beyond rest_edge_mm in AU id's direction: 1 it does,
 * 0 it does not (or moves the other way), -1 unknown (no measurement or edge).
 * The one test behind augur_measure_beyond_rest and the fit's and evaluation's
 * counts. */
int au_beyond_rest(int id, float measure_mm, float rest_edge_mm);
/* 1 when model m gates AU index a by faces at rest (m->rest_gate) and
 * measure_mm (against the population neutral, or the person's with personal)
 * does not go beyond the model's range: the AU is then not scored present,
 * whatever its probability. 0 otherwise, and where the model has no range. */
int au_rest_gated(const au_model *m, int a, float measure_mm, int personal);
/* Non-zero (AUGUR_HELD_STILL, or AUGUR_HELD_NEUTRAL where the person's neutral
 * shows the AU too) when model m gates its reading against the person's neutral (m->personal_gate,
 * RULE22) and AU index a, read present there, is shown neither by the still
 * reading (still_prob under m->threshold[a]) nor by a movement: measure_mm,
 * against the person's neutral, does not go beyond the model's personal range
 * of faces at rest. A face that has not moved then reads at most what its photo
 * reads. With AU_GATE_NEUTRAL (RULE23) the still reading counts only where the
 * person's neutral read as a photo (neutral_still_prob) does not show the AU:
 * a face that has not moved then reads no AU that its neutral shows. 0
 * otherwise, and where the model has no range or the AU no measurement. */
int au_personal_gated(const au_model *m, int a, float still_prob, float neutral_still_prob, float measure_mm);

#endif
