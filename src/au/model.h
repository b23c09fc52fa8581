/*
 * au/model.h — the AU model: per AU, an L2-regularised logistic regression on
 * standardised evidence features (geometry, and HOG appearance when the model
 * was trained with it), or on a hidden layer of ReLU units that every AU shares
 * (a multi-task network, `train au --hidden H`), with a presence threshold and
 * an intensity scale; the
 * evidence map from AUs to expression classes; fitted by augur's own trainer
 * (lab/fit/au_fit.c; the data in lab/eval/au_eval.c: CK+ FACS codes and codebook
 * weak labels), stored as JSON under models/ (docs/AUS.md).
 *
 * AUs the labels do not cover (CK+ codes no AU28, AU43, AU45) are read by a
 * documented geometric rule instead (au/au.c), and say so in their source.
 */
#ifndef AUGUR_AU_MODEL_H
#define AUGUR_AU_MODEL_H

#include "au/au_defs.h"
#include "au/cover.h"
#include "au/geometry.h"
#include "augur.h"
#include "core/util.h"

#define AU_MAX_FEATURES 2048
#define AU_MAX_HIDDEN 512
#define AU_EV_CLASSES AUGUR_EXPR_COUNT   /* expression classes of the evidence map */
enum { AU_EV_SIGNS_FACS = 1, AU_EV_SIGNS_FACS_FOR = 2 }; /* au_model.ev_signed */

/* The sign the evidence map's weight of AU index a for class c must have under signs (AU_EV_SIGNS_*): 1 (>= 0),
 * -1 (<= 0) or 0 (free; also with signs 0). */
int au_ev_sign(int signs, int c, int a);
/* "facs", "facs-for", or "free" (0). */
const char *au_ev_signs_name(int signs);

enum { AU_GATE_MOVED = 1, AU_GATE_NEUTRAL = 2 }; /* au_model.personal_gate */

typedef struct au_model {
    int n_feat;                       /* feature vector length */
    int use_appearance;               /* features = geometry [+ appearance [+ blendshapes]] */
    int use_blendshapes;              /* (only with use_appearance: the features are a prefix of AU_FEAT_N) */
    int bs_symmetric;                 /* the blendshapes enter mirror-symmetrised (au_model_input) */
    int personal_all;                 /* au_personal_features shifts every feature by the person's neutral,
                                         not the geometry alone (JSON "personal_shift": "all"; RULE20) */
    int personal_gate;                /* against the person's neutral, an AU is scored present only where the
                                         still reading shows it too or its measurement goes beyond the personal
                                         range of faces at rest (au_personal_gated): AU_GATE_MOVED (JSON
                                         "personal_gate": "moved"; RULE22); AU_GATE_NEUTRAL ("neutral"; RULE23):
                                         the still reading counts only where the person's neutral, read as a
                                         photo, does not show the AU; 0 none */
    float personal_gate_margin;       /* AU_GATE_NEUTRAL: the still reading still counts where the neutral shows the
                                         AU too if the face's still logit exceeds the neutral's by at least this
                                         (JSON "personal_gate_margin"; RULE38; 0: never, RULE23 as shipped) */
    float personal_gate_rise;         /* AU_GATE_NEUTRAL: the still reading also counts where its logit exceeds the
                                         person's neutral's still logit by at least this, over its threshold or not
                                         (JSON "personal_gate_rise"; RULE39; 0: never) */
    int regional[AU_COUNT];           /* 1: the AU reads only the features of its face areas (au_area_of) */
    float mean[AU_MAX_FEATURES];      /* standardisation */
    float scale[AU_MAX_FEATURES];     /* 1 / std */
    int trained[AU_COUNT];            /* 1 if this AU has a fitted regression */
    /* hidden > 0: h = ReLU(W1 z + b1) over the standardised input z, shared by
     * every AU; each AU's regression (w[a][0..hidden-1], b[a]) reads h. 0: each
     * reads z itself (w[a][0..n_feat-1]). W1 is kept input by input, w1t[j][u]
     * = W1[u][j], so the product is a sum of scaled rows that vectorises */
    int hidden;
    float w1t[AU_MAX_FEATURES][AU_MAX_HIDDEN];
    float b1[AU_MAX_HIDDEN];
    float w[AU_COUNT][AU_MAX_FEATURES];
    float b[AU_COUNT];
    float threshold[AU_COUNT];        /* probability at which the AU counts as present */
    float threshold_personal[AU_COUNT]; /* the same for a face read against the person's own neutral
                                         (au_personal_features); = threshold in models without one */
    int still_in_video[AU_COUNT];     /* 1: a face read against its person's neutral keeps this AU's still
                                         reading (features and threshold), as the fit chose inside its
                                         folds (au_predict_personal); JSON "video_reading": "still" */
    int rest_gate[AU_COUNT];          /* 1: the AU is scored present only where its named measurement goes
                                         beyond the range of faces at rest (measure_rest, or
                                         measure_rest_personal against the person's neutral); the model's
                                         probability alone does not make it present (au_rest_gated;
                                         docs/AUS.md "AU20 and faces at rest"). JSON per AU "rest_gate": 1 */
    float l2[AU_COUNT];               /* ridge strength chosen by inner subject-fold CV */
    float oof_auc[AU_COUNT];          /* how well the AU's out-of-fold logits (the 3 inner folds that pick its
                                         threshold) rank its positives over its negatives, on the rows its F1 is
                                         taken on (FACS-coded rows when it has >= 10 coded positives); NaN where
                                         unknown (a file without it). JSON per AU "oof_auc" */
    float min_auc;                    /* an AU whose oof_auc is under this is not validated (au_model_validated):
                                         never present, and its margin does not enter the evidence map (RULE34);
                                         0: every AU counts. JSON "min_auc" */
    float intensity_ref[AU_COUNT];    /* logit at which intensity reaches 5 (95th pct of positives) */
    int n_pos[AU_COUNT], n_train;     /* training support */
    /* person-specific normalisation (video): mean features of the neutral
     * training faces; a person's own neutral frames are shifted onto it */
    int has_neutral_mean;
    float neutral_mean[AU_MAX_FEATURES];
    /* the range of faces at rest of each named measurement (au/geometry.h): its
     * 10th and 90th percentiles over the neutral training faces, measured as a
     * still image is (against the population neutral, neutral_mean), and over
     * CK+ neutral frames measured against another of the person's neutral frames,
     * as video measures a face once it knows the person's rest. A measurement
     * beyond it shows an AU; inside it, it cannot tell the AU from a face at rest
     * (augur_measure_beyond_rest). JSON "measure_rest_mm" and
     * "measure_rest_personal_mm": {"low": [...], "high": [...]} */
    int has_measure_rest, has_measure_rest_personal;
    float measure_rest[2][AU_M_COUNT], measure_rest_personal[2][AU_M_COUNT];
    /* the evidence map: expression evidence from the AUs alone, a softmax over
     * classes of a linear function of each AU's margin u_a = logit(p_a) -
     * logit(threshold_a) (clamped to +-AU_EV_CLAMP); fitted on training rows
     * with expression labels, from out-of-fold AU probabilities */
    int has_evidence;
    int ev_signed; /* the weights' signs: 0 free; AU_EV_SIGNS_FACS (JSON "evidence_signs": "facs", RULE36): >= 0 for
                    * the AUs expr_codebook lists for the class, <= 0 for the others; AU_EV_SIGNS_FACS_FOR ("facs-for",
                    * RULE37): <= 0 for the AUs it does not list, so that no AU counts for a class it is not listed for */
    float ev_w[AU_EV_CLASSES][AU_COUNT];
    float ev_b[AU_EV_CLASSES];
    /* covered face areas (au/cover.h, RULE24): the principal subspace of the training faces' HOG per area;
     * JSON "cover" (absent: cover.has 0, faces are never called covered) */
    au_cover cover;
    char source[1024];                 /* data and command that produced it */
} au_model;

#define AU_EV_CLAMP 8.0f

/* 1 unless the model's own held-out ranking of AU a was under its min_auc (RULE34). */
int au_model_validated(const au_model *m, int a);

/* The evidence map's input for AU a at probability p (0 if a is not fitted or not validated). */
float au_model_margin(const au_model *m, int a, float p);

/* log(p / (1 - p)) with p clamped to [1e-6, 1 - 1e-6]. */
double au_prob_logit(double p);

/* Evidence per class (sums to 1) from AU probabilities; requires has_evidence. */
void au_model_evidence(const au_model *m, const float prob[AU_COUNT], float ev[AU_EV_CLASSES]);
/* The same, and each AU's term in each class's score (the map's weight x the AU's margin), so that ev is the
 * softmax of the biases plus every AU's terms (struct augur_au.evidence_term); terms may be NULL. */
void au_model_evidence_terms(const au_model *m, const float prob[AU_COUNT], float ev[AU_EV_CLASSES],
                             float terms[AU_COUNT][AU_EV_CLASSES]);

/* The model's input from a feature vector (au/au.h's layout, n_feat of
 * them): a copy, except that with bs_symmetric the blendshape block is made
 * mirror-symmetric: a coefficient with no side as it is, each left/right pair
 * (mouthSmileLeft/Right ...) as its mean and absolute difference, so a
 * mirrored face gives the same input (as the geometry and the HOG do). The
 * person's neutral (au_read_features) is subtracted before this, in the
 * features' own space. */
void au_model_input(const au_model *m, const float *feat, float *x);

/* Regional AUs (`augur train au --regional`, docs/AUS.md): AU index a with
 * regional[a] reads only the model-input features whose areas (au/geometry.h's
 * AU_AREA_*) meet au_area_of(a); the others' weights are 0. au_area_of: the
 * AU's areas (brows and eyes; cheeks and nose for AU6 and AU9; lips, jaw and
 * chin for the rest); au_model_feature_area: model input j's areas. */
int au_area_of(int a);
int au_model_feature_area(const au_model *m, int j);
/* The areas of feature j of the feature vector (au/au.h's layout, before au_model_input: geometry, HOG,
 * the 51 blendshape coefficients); 0 out of range. */
int au_feature_area(int j);

/* Probabilities (0..1) of each AU from a feature vector (untrained AUs: -1). */
void au_model_predict(const au_model *m, const float *feat, float prob[AU_COUNT]);

/* The AUs' logits from a standardised model input z (n_feat values); untrained
 * AUs get 0. au_model_predict is this after au_model_input and the
 * standardisation; the trainer reads it on its standardised rows. */
void au_model_logits(const au_model *m, const float *z, float logit[AU_COUNT]);

/* Fitting and saving (au_model_fit, au_model_save) are the lab's:
 * lab/fit/au_fit.h. */
int au_model_load(au_model *m, const char *path, au_error *err);

#endif
