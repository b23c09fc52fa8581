/*
 * lab/eval/au_eval.h — training and evaluating the AU stage on real data.
 *
 * Rows come from up to four sources, each with what it can say about AUs:
 *
 *   CK+ peaks       FACS-coded AU presence (the only true AU labels);
 *   CK+ neutral     each sequence's first frame: every AU absent;
 *   FERPlus Train   weak labels through the FACS codebook, from faces whose
 *                   class at least min_votes of 10 annotators agree on: a
 *                   strongly neutral face shows no AU, a strongly happy face
 *                   shows AU6 and AU12 and not AU4 or AU15, ... (au_weak_labels);
 *   SFEW Train      the same codebook from the class folder (films).
 *
 * Features are augur's own (au/au.h: geometry of the mesh and HOG of the
 * aligned crop), computed through the same face stage a user's photo goes
 * through; they are cached (AUGUR_CACHE or --cache) because the face stage
 * dominates the cost.
 *
 * au_train fits on every row. au_eval cross-validates with folds over CK+
 * subjects and SFEW films together (no person or film in both parts; FERPlus
 * rows, whose people are unknown, always train): per-AU F1 on held-out CK+
 * subjects, false alarms on their neutral frames, and the evidence class on
 * held-out SFEW films. Every choice (thresholds, the evidence map) is made
 * inside each training part (au_model_fit's inner folds).
 */
#ifndef AUGUR_EVAL_AU_EVAL_H
#define AUGUR_EVAL_AU_EVAL_H

#include "au/model.h"
#include "fit/au_fit.h"
#include "core/util.h"

/* The shipped AU model's layer (models/au.md: train au --hidden 128), the
 * default of train au / eval au since 2026-12-06 (0 before: per-AU regressions);
 * with personal thresholds (au_eval_opts.personal_thresholds, default 1 since
 * the same day) */
#define AU_SHIPPED_HIDDEN 128

typedef struct au_eval_opts {
    const char *data_dir;     /* CK+-style folder (class folders of images) with FACS labels */
    const char *labels_csv;   /* default: <data_dir>/au_labels.csv */
    const char *negatives_dir;/* CK+ neutral first frames <seq>_00000001.png: every AU absent */
    const char *ferplus_dir;  /* FERPlus-layout folder with label.csv (FER2013Train): weak labels */
    const char *sfew_dir;     /* class folders of film faces (SFEW Train): weak labels */
    const char *model_dir;    /* pretrained face models */
    const char *cache_dir;    /* feature cache folder; NULL: $AUGUR_CACHE, else no cache */
    int appearance;           /* 1: geometry + HOG features (default); 0: geometry only */
    int blendshapes;          /* 1 (default): also MediaPipe's blendshapes (with the appearance) */
    int bs_symmetric;         /* 1: the blendshapes enter mirror-symmetrised (au_model_input) */
    int personal_rest_self;   /* 1: the personal thresholds' false-alarm budget also counts every FERPlus and SFEW
                                 row labelled neutral read against itself (a face held still; RULE21) */
    int personal_all;         /* 1: the reading against the person's neutral shifts every feature, not the
                                 geometry alone (au_model.personal_all; --personal-shift all) */
    int cover;                /* train au: fit the covered-area test (au/cover.h, RULE24; --no-cover: 0) */
    int weak_au10;            /* AU10 weak labels (au_weak_labels_au10; --weak-au10 N; default 0) */
    int personal_gate;        /* AU_GATE_MOVED: against the person's neutral an AU is present only where the still
                                 reading shows it or its measurement goes beyond faces at rest (au_model.personal_gate;
                                 --personal-gate moved, RULE22); AU_GATE_NEUTRAL (--personal-gate neutral, the
                                 default since RULE23): the still reading counts only where the neutral's does not
                                 show the AU; 0 none */
    float personal_gate_margin; /* with AU_GATE_NEUTRAL: the still reading counts where the neutral shows the AU too
                                   if the face's still logit exceeds the neutral's by this (RULE38; 0: off) */
    float personal_gate_rise;   /* with AU_GATE_NEUTRAL: the still reading also counts where its logit exceeds the
                                   neutral's by this, over its threshold or not (RULE39; 0: off) */
    int mirrored_rows;        /* 1: every training row is read a second time from its image flipped left to
                                 right (same labels and group; au_eval scores the original images only) */
    int personal_thresholds;  /* 1: a second presence threshold per AU for faces read against the person's
                                 neutral, chosen on CK+ peaks against their own neutral frame and CK+
                                 neutral frames against another of the person's (au_fit_data.ref) */
    int min_votes;            /* FERPlus: votes (of 10) for a face's class to give weak labels (default 7) */
    float ck_weight;          /* weight of each FACS-coded CK+ row against a weakly labelled one (default 10) */
    float sfew_weight;        /* weight of each SFEW row (weak labels from its class folder; default 1) */
    int ev_fit_weights;       /* 1: the evidence map weighs each row as the AU fit does (ck_weight, sfew_weight);
                                 0 (default): every labelled row 1, or by data set with fit.ev_domains */
    float ck_fraction;        /* eval au: each fold trains on this fraction of its CK+ subjects (the same subjects at
                                 every fraction, so a smaller set is part of a larger one; the held-out subjects are
                                 all scored): a learning curve of the FACS-coded data (default 1: all) */
    int folds;                /* default 5 */
    unsigned seed;            /* fold assignment, default 1 */
    au_fit_opts fit;
    int min_report_seqs;      /* the "old" mean: AUs with >= this many positive sequences, default 20 */
    int threads;              /* feature extraction threads (default 2) */
    const char *predictions;  /* au_eval: a CSV of every held-out CK+ and SFEW row's out-of-fold AU
                                 probabilities, thresholds and labels (NULL: none) */
    int quiet;
} au_eval_opts;

au_eval_opts au_eval_default_opts(void);

/* The 16 AUs OpenFace 2 reports as presence that CK+ codes: the headline mean. */
extern const int au_eval_openface16[16];

/* Weak AU labels of an expression class (FACS codebook, FACS.md): y[a] = 1
 * for the prototype's core AUs, 0 for AUs that contradict the class, -1
 * unknown; a neutral face: every AU 0. */
void au_weak_labels(int cls, signed char y[AU_COUNT]);

/* The same with AU10 asserted absent (RULE31): au10_absent 0 as au_weak_labels; 1 on surprise, sadness, fear
 * and contempt faces (classes neither FACS.md codebook gives AU10); 2 on those and happiness. */
void au_weak_labels_au10(int cls, int au10_absent, signed char y[AU_COUNT]);

typedef struct au_eval_row {
    int au;                       /* FACS id */
    int pos_images, pos_sequences;
    int tp, fp, fn, tn;
    double precision, recall, f1;
    double auc;                   /* how well the out-of-fold margin (logit p - logit threshold, each fold's)
                                     ranks the coded peaks: 0.5 chance, whatever the threshold */
    double auc_fitted;            /* the same over the peaks of the folds that fitted the AU (= auc when all did) */
    int in_mean;                  /* counted in the >= min_report_seqs mean */
    int openface;                 /* one of au_eval_openface16 */
    int fitted;
} au_eval_row;

typedef struct au_eval_report {
    int n_images, n_sequences, n_subjects, n_failed_faces, folds;
    int n_rows;
    au_eval_row rows[32];
    double mean_f1;               /* over rows with in_mean */
    int n_in_mean;
    double mean_f1_openface16;    /* over the 16 OpenFace AUs (a never-fitted AU counts as F1 0) */
    int n_weak_ferplus, n_weak_sfew;
    double seconds, ms_per_face_au;  /* wall time; AU stage time per face (features + model) */
    /* the same CK+ peaks read against their sequence's neutral first frame (the
     * person-specific neutral augur video uses once it has seen the person at
     * rest); a peak whose neutral frame gives no face is read as above */
    int n_personal;               /* peaks read against their own neutral */
    au_eval_row rows_personal[32];
    double mean_f1_openface16_personal;
    /* held-out CK+ neutral frames read against another of the person's neutral
     * frames (another sequence): the personal reading's false alarms */
    int n_personal_neutral, personal_neutral_any;
    int still_in_video_folds[AU_COUNT]; /* --video-reading auto: in how many folds the AU kept the still reading */
    int fitted_folds[AU_COUNT];   /* in how many folds the AU was fitted (its training part had min_pos positives) */
    int unvalidated_folds[AU_COUNT]; /* in how many folds the fitted AU was not validated (its inner-fold AUC under
                                     --min-auc: never present; RULE34) */
    int n_neutral;                /* held-out CK+ neutral frames scored */
    double neutral_any_rate;      /* fraction of them with any fitted AU present */
    double neutral_au_rate;       /* fraction of (frame, fitted AU) pairs present */
    /* held-out SFEW films: the AU evidence's class */
    int n_sfew, n_sfew_found;
    double ck_ev_accuracy;        /* held-out CK+ peaks whose evidence class is their label (a face not found: wrong) */
    double sfew_accuracy, sfew_macro_f1;
    int n_sfew_neutral;           /* the held-out SFEW faces labelled neutral ... */
    double sfew_neutral_any_rate; /* ... with any fitted AU present (a face not found shows none) */
    double sfew_recall[AUGUR_EXPR_COUNT];
    int sfew_count[AUGUR_EXPR_COUNT];
    /* 95% percentile intervals of 1,000 bootstrap resamples of the held-out
     * people (CK+ subjects) and films (SFEW), with replacement: how far the
     * headline numbers move with who happens to be in the data */
    double ci_f1_16[2], ci_f1_16_personal[2], ci_sfew[2], ci_sfew_neutral[2], ci_ck_ev[2];
} au_eval_report;

int au_eval(const au_eval_opts *o, au_eval_report *rep, au_error *err);

/* F1 from true positives, false positives and misses (counts, or counts weighted by a bootstrap
 * draw); 0 without a true positive. */
double au_eval_f1(double tp, double fp, double fn);

/* The 2.5th and 97.5th percentiles of v (n values, sorted in place): a
 * bootstrap's 95% interval. */
void au_eval_interval95(double *v, int n, double ci[2]);

/* One bootstrap draw of n groups with replacement: n times, a group of ids[0..n-1]
 * (ids NULL: 0..n-1) drawn by the generator *state, adding 1 to w[group]. */
void au_eval_resample(unsigned *state, const int *ids, int n, int *w);

/* Fits on every row and writes the model (JSON) to out_path. */
int au_train(const au_eval_opts *o, const char *out_path, au_model *m, au_error *err);

/* Writes the report as Markdown and JSON (path_prefix.md, path_prefix.json). */
int au_eval_write(const au_eval_report *rep, const au_eval_opts *o, const char *path_prefix, au_error *err);

#endif
