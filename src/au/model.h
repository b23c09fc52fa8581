/*
 * au/model.h — the AU calibration model: per AU, an L2-regularised logistic
 * regression on standardised evidence features (geometry, and appearance when
 * the model was trained with it), fitted on real FACS labels (CK+) by
 * augur's own trainer (au/train.c), stored as JSON under models/.
 *
 * AUs the labels do not cover (CK+ codes no AU28, AU43, AU45) are read by a
 * documented geometric rule instead (au/au.c), and say so in their source.
 */
#ifndef AUGUR_AU_MODEL_H
#define AUGUR_AU_MODEL_H

#include "au/au_defs.h"
#include "core/util.h"

#define AU_MAX_FEATURES 1024

typedef struct au_model {
    int n_feat;                       /* feature vector length */
    int use_appearance;               /* features = geometry [+ appearance] */
    float mean[AU_MAX_FEATURES];      /* standardisation */
    float scale[AU_MAX_FEATURES];     /* 1 / std */
    int trained[AU_COUNT];            /* 1 if this AU has a fitted regression */
    float w[AU_COUNT][AU_MAX_FEATURES];
    float b[AU_COUNT];
    float threshold[AU_COUNT];        /* probability at which the AU counts as present */
    float l2[AU_COUNT];               /* ridge strength chosen by inner subject-fold CV */
    float intensity_ref[AU_COUNT];    /* logit at which intensity reaches 5 (95th pct of positives) */
    int n_pos[AU_COUNT], n_train;     /* training support */
    char source[256];                 /* data and command that produced it */
} au_model;

/* Probabilities (0..1) of each AU from a feature vector (untrained AUs: -1). */
void au_model_predict(const au_model *m, const float *feat, float prob[AU_COUNT]);

/* Fits every AU that has at least min_pos positives in y.
 * X: n x n_feat features; y: n x AU_COUNT labels (0, 1, or -1 = not coded).
 * l2: base ridge strength on standardised features; with subject groups, each
 * AU picks l2/10, l2 or 10*l2 and its presence threshold by the best F1 of
 * out-of-fold scores over 3 inner subject folds (nested: only the rows given
 * are used). groups may be NULL (then l2 as given, in-sample threshold). */
int au_model_fit(au_model *m, const float *X, const signed char *y, const int *groups, int n, int n_feat,
                 float l2, int min_pos, au_error *err);

int au_model_save(const au_model *m, const char *path, au_error *err);
int au_model_load(au_model *m, const char *path, au_error *err);

#endif
