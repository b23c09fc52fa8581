/*
 * lab/fit/au_fit.h — fitting augur's AU model (au/model.h) from labelled
 * rows, and writing it as the JSON file au_model_load reads.
 */
#ifndef AUGUR_LAB_AU_FIT_H
#define AUGUR_LAB_AU_FIT_H

#include "au/model.h"
#include "core/util.h"

/* Training rows for au_model_fit. */
typedef struct au_fit_data {
    const float *X;               /* n x n_feat features */
    const signed char *y;         /* n x AU_COUNT labels: 1 present, 0 absent, -1 unknown */
    const float *weight;          /* n row weights, or NULL (all 1) */
    const int *group;             /* n: person (or film) index; inner fold = group % 3 */
    const unsigned char *coded;   /* n: 1 = FACS-coded row (its F1 picks thresholds), or NULL (all rows) */
    const unsigned char *neutral; /* n: 1 = a neutral face (the false-alarm budget), or NULL */
    const signed char *cls;       /* n: expression class 0..7 or -1 (the evidence map), or NULL */
    const float *ev_weight;       /* n: row weights of the evidence map, or NULL (all 1) */
    int n, n_feat;
    const int *ref;               /* n: the row of this person's neutral to read the row against (a CK+
                                     peak: its sequence's first frame; a CK+ neutral frame: another
                                     sequence's; a row itself: a face held still, --personal-rest-self;
                                     such rows count in the personal budget only, never in the personal
                                     range of faces at rest), -1 for none; NULL: no thresholds for the
                                     personal reading (threshold_personal = threshold) */
    const float *neutral_weight;  /* n: a neutral row's weight in the budget's false-alarm rate (the rate
                                     is the weighted share of neutral rows an AU fires on), or NULL: every
                                     neutral row weighs 1 (budget_domains: the caller makes each data set's
                                     neutral rows weigh the same in total) */
} au_fit_data;

typedef struct au_fit_opts {
    float l2;               /* ridge on standardised features (objective: sum of balanced row losses + l2/2 |w|^2) */
    int min_pos;            /* fit AUs with at least this many positive rows */
    float neutral_budget;   /* presence thresholds keep out-of-fold false alarms on neutral rows <= this */
    int joint_budget;       /* 1: then re-allocate: the rate of neutral rows with any AU stays at the
                               per-AU thresholds' level, spent where the coded F1 gains most */
    float ev_l2;            /* ridge of the evidence map */
    int regional;           /* 0: each AU reads every feature; 1: only the features of its face areas
                               (au_area_of, au_model_feature_area); 2 (auto): per AU, whichever of the
                               two gives the better out-of-fold F1 on the coded rows (at its own
                               threshold, under the budget) in the 3 inner folds; 3: the AUs with
                               regional_aus[a] from their areas, the others from the whole face;
                               m->regional[a] says */
    unsigned char regional_aus[AU_COUNT]; /* regional 3: the AU indices read from their own area */
    int ev_domains;         /* evidence map: every data set (CK+, FERPlus, SFEW) weighs the same (1) or
                               every row (0); the caller makes ev_weight from it */
    int budget_domains;     /* the budget's false-alarm rate: every data set's neutral rows weigh the same
                               (1) or every row (0); the caller makes neutral_weight from it (not with
                               joint_budget, which counts neutral rows one by one) */
    int hidden;             /* 0: per-AU logistic regressions on the features (l2 above); H > 0: one
                               network for every AU, a hidden layer of H ReLU units shared by the AUs'
                               regressions (fit_mlp: the same balanced, weighted losses, Adam) */
    int epochs;             /* hidden: passes over the rows */
    float wd;               /* hidden: weight decay (on the loss averaged per AU) */
    float dropout;          /* hidden: input dropout */
    float area_dropout;     /* hidden: per row and epoch, the probability that one face area (upper or lower)
                               is read as at rest and its AUs carry no loss, as the reading reads a covered
                               area (RULE26; 0: off) */
    unsigned seed;          /* hidden: initial weights, row order, dropout */
    int members;            /* hidden: networks of different seeds per fit, their logits averaged; kept
                               as one layer of members x hidden units (the output weights divided by
                               members), so the model file and the runtime do not change (1: one) */
    int video_reading;      /* with ref: 0 (personal): video reads every AU against the person's neutral;
                               1 (auto): per AU, the still reading where its F1 over the rows with a ref
                               (inner-fold scores, each reading at its own threshold) is strictly higher
                               (m->still_in_video) */
    unsigned char rest_gate[AU_COUNT]; /* AU indices scored present only beyond the range of faces at rest
                               (m->rest_gate; an AU with a named measurement); copied into the model,
                               the fit itself does not change */
    float video_margin;     /* auto: the still reading's F1 must exceed the personal one's by more than this
                               (au_fit_default_opts: 0; train au / eval au: 0.05, the shipped recipe) */
    int ev_signs;           /* the evidence map's signs (m->ev_signed; 0: unconstrained): AU_EV_SIGNS_FACS, each
                               weight w[class][AU] >= 0 where expr_codebook lists the AU for the class and <= 0 where
                               it does not (RULE36); AU_EV_SIGNS_FACS_FOR, only the second half: an AU counts for a
                               class only where the codebook lists it (RULE37); neutral lists none; biases free */
    float min_auc;          /* an AU whose out-of-fold AUC (m->oof_auc, the inner folds) is under this is not
                               validated: never present, out of the evidence map (m->min_auc; RULE34; 0: off) */
} au_fit_opts;

au_fit_opts au_fit_default_opts(void);

/* The AUC of score over the rows with rows[i] set (rows NULL: every row) whose label lab[i * stride] is 0 or 1:
 * the chance that a positive outranks a negative, ties counting half. NaN with no positive or no negative (or out
 * of memory). */
double au_fit_auc(const double *score, const signed char *lab, size_t stride, const unsigned char *rows, int n);

/* Refuses settings au_model_fit cannot use (hidden units out of range, a hidden
 * layer with regional AUs, bad network settings), so callers can check them
 * before any data is read. 0 or AUGUR_EARG. */
int au_fit_check_opts(const au_fit_opts *o, au_error *err);

/* Fits every AU with at least min_pos positives (nested: only the rows given
 * are used; m's use_appearance, use_blendshapes and bs_symmetric are the
 * caller's, and X holds the features as au/au.h computes them). Per AU: an L2 logistic regression with balanced classes; its
 * presence threshold from out-of-fold scores over 3 inner folds of the
 * groups: the best F1 on coded rows among thresholds whose false alarms on
 * neutral rows stay within the budget; then the evidence map (if cls).
 * With ref, a second threshold per AU for faces read against the person's
 * own neutral (au_personal_features, as augur video does): chosen the same way
 * on the out-of-fold scores of the rows with a ref, read against it. */
int au_model_fit(au_model *m, const au_fit_data *d, const au_fit_opts *o, au_error *err);

int au_model_save(const au_model *m, const char *path, au_error *err);
#endif
