/*
 * eval/au_eval.h — AU detection evaluation and training on CK+-style data:
 * runs the face stage on every image, builds AU evidence features (against
 * the population neutral, or each sequence's own neutral first frame), and
 * either fits the shipped AU model on everything (au_train_ckplus) or
 * measures per-AU precision/recall/F1 with subject-independent k-fold
 * cross-validation (au_eval_ckplus): no subject is ever in both the training
 * and the test part of a fold.
 */
#ifndef AUGUR_EVAL_AU_EVAL_H
#define AUGUR_EVAL_AU_EVAL_H

#include "au/model.h"
#include "core/util.h"

typedef struct au_eval_opts {
    const char *data_dir;     /* CK+-style folder (class folders of images) */
    const char *labels_csv;   /* default: <data_dir>/au_labels.csv */
    const char *neutral_dir;  /* folder of neutral first frames (ckplus48-pairs/neutral) for per-person
                                 neutral; NULL: population neutral */
    const char *negatives_dir;/* folder of neutral first frames (ckplus48-pairs/neutral) added as training
                                 examples with every AU absent (FACS: a neutral face shows no AU);
                                 NULL: peak frames only */
    const char *model_dir;    /* pretrained face models */
    int folds;                /* default 5 */
    unsigned seed;            /* fold assignment, default 1 */
    float l2;                 /* ridge, default 1.0 */
    int min_pos;              /* fit AUs with at least this many positive images (default 40: ~13 sequences;
                                 fewer gave CV F1 near 0 for AU10, AU16, AU26) */
    int min_report_seqs;      /* "mean F1" over AUs with >= this many positive sequences, default 20 */
    int quiet;
} au_eval_opts;

au_eval_opts au_eval_default_opts(void);

typedef struct au_eval_row {
    int au;                       /* FACS id */
    int pos_images, pos_sequences;
    int tp, fp, fn, tn;
    double precision, recall, f1;
    int in_mean;                  /* counted in the headline mean */
    int fitted;                   /* a regression was fitted (enough positives in training folds) */
} au_eval_row;

typedef struct au_eval_report {
    int n_images, n_sequences, n_subjects, n_failed_faces, folds;
    int n_rows;
    au_eval_row rows[32];
    double mean_f1;               /* over rows with in_mean */
    int n_in_mean;
    double seconds, ms_per_face_au;  /* wall time; AU stage time per face (features + model) */
    int n_neutral;                /* held-out neutral frames scored (0 without negatives_dir) */
    double neutral_any_rate;      /* fraction of them with any fitted AU predicted present */
    double neutral_au_rate;       /* fraction of (frame, fitted AU) pairs predicted present */
    char neutral[64];
} au_eval_report;

int au_eval_ckplus(const au_eval_opts *o, au_eval_report *rep, au_error *err);

/* Fits on all labelled images and writes the model (JSON) to out_path. */
int au_train_ckplus(const au_eval_opts *o, const char *out_path, au_model *m, au_error *err);

/* Writes the report as Markdown and JSON (path_prefix.md, path_prefix.json). */
int au_eval_write(const au_eval_report *rep, const au_eval_opts *o, const char *path_prefix, au_error *err);

#endif
