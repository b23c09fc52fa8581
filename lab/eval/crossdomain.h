/*
 * lab/eval/crossdomain.h — `augur eval crossdomain` (issue 13): the expression
 * as a user meets it on faces from several domains. Every image goes through
 * the public API (augur_analyze_file: detection, mesh, alignment, AUs, AU
 * evidence, classifier), one context per worker thread; the largest face with
 * AUs is scored, and an image with no face counts as wrong.
 *
 * Sets (under --data, ../shared/data):
 *   ferplus   FERPlus test (fer2013/FER2013Test, majority protocol, 8 classes)
 *   fer2013   FER2013 PrivateTest (fer2013/fer2013_labels.csv, original 7 classes)
 *   ckplus    CK+ dev (ckplus48: peak frames, 7 emotions incl. contempt, no neutral)
 *   sfew      SFEW 2.0 Train (sfew/Train: film faces, 7 classes, no contempt)
 * Every set is scored on augur's 8-class output (a contempt answer on a set
 * without contempt is simply wrong); macro-F1 averages the F1 of the classes
 * the set has.
 *
 * Decisions scored: the classifier's class (expression_class), the AU
 * evidence's class (evidence_class), and fused decisions of the two
 * (lab/eval/fusion.h), fitted on FERPlus Valid only (fer2013/FER2013Valid) —
 * or, for the cross-domain variant, also on CK+ subjects and SFEW films with
 * the CK+/SFEW scores taken out of fold.
 *
 * The shipped AU model was trained on CK+ (all of ckplus48) and SFEW Train, so
 * its evidence there is in-sample: with au_cv (the default) one AU model per
 * fold over CK+ subjects and SFEW films together is trained by the shipped
 * recipe and each CK+/SFEW face is analysed with the model that never saw its
 * subject or film; every decision on CK+/SFEW then reads that evidence (the
 * shipped model's is reported beside it as "evidence-insample"). The same
 * folds serve fused-lr-xd.
 *
 * An expression model trained on CK+ and SFEW too (`augur train expr --add`)
 * is scored there out of fold in the same way: expr_folds names the K models
 * trained without each fold (their M.holdout files must list exactly the
 * groups this evaluation assigns to that fold), every decision on CK+/SFEW
 * reads their probabilities, and the full model's own answer is reported as
 * "classifier-insample".
 *
 * A per-image cache of the numbers (probabilities, evidence, faces) keeps
 * re-runs fast: CACHE/crossdomain/<settings>.bin, each record keyed by the
 * image's path, size and modification time, the file keyed by the models'
 * paths, sizes and times and the analysis settings. It does not see changes
 * to the library's code: after changing src/, run with --no-cache.
 */
#ifndef AUGUR_EVAL_CROSSDOMAIN_H
#define AUGUR_EVAL_CROSSDOMAIN_H

#include "augur.h"
#include "core/util.h"
#include "eval/fusion.h"

enum { CD_FERPLUS, CD_FER2013, CD_CKPLUS, CD_SFEW, CD_NSETS };

/* decisions */
enum {
    CD_R_CLASSIFIER,  /* expression_class */
    CD_R_EVIDENCE,    /* evidence_class (CK+/SFEW with --au-cv: AU models that never saw the face's subject/film) */
    CD_R_EV_SHIPPED,  /* CK+/SFEW with --au-cv: evidence_class of the shipped AU model, which was trained on them */
    CD_R_CL_INSAMPLE, /* CK+/SFEW with expr_folds: expression_class of the full model, which was trained on them */
    CD_R_LR,          /* fused: logistic regression on FERPlus Valid (the primary fused rule) */
    CD_R_LR_BAL,      /* fused: the same with class-balanced row weights */
    CD_R_POE,         /* fused: log p + w log e, w chosen on FERPlus Valid (macro-F1) */
    CD_R_LR_XD,       /* fused: FERPlus Valid + CK+ subjects + SFEW films, out of fold on CK+/SFEW */
    CD_R_SHIPPED,     /* fused: a given weights file (--fusion FILE) */
    CD_NRULES
};

typedef struct cd_opts {
    const char *data;          /* the data root (fer2013/, ckplus48/, sfew/) */
    struct augur_params params;
    const char *cache;         /* cache folder; NULL: $AUGUR_CACHE; none if both unset */
    int no_cache;
    int threads;               /* contexts in parallel (default 2) */
    int every;                 /* a subset: every K-th image of each set (default 1: all) */
    unsigned sets;             /* bit mask of CD_* (default all) */
    int fusion;                /* fit and score the fused rules (default 1) */
    const char *fusion_in;     /* also score this fusion weights file (CD_R_SHIPPED) */
    const char *fusion_out;    /* write the primary fused rule's weights (CD_R_LR) here */
    double l2;                 /* fusion penalty (default 1e-3) */
    int folds;                 /* CD_R_LR_XD folds over CK+ subjects and SFEW films (default 5) */
    unsigned seed;             /* their assignment (default 1) */
    int faces_study;           /* SFEW: faces found under other crop and detector settings */
    int au_cv;                 /* CK+/SFEW: the AU evidence out of fold (default 1; needs both sets) */
    const char *expr_folds;    /* "M0,M1,...": expression models trained without fold k of the CK+ subjects and
                                  SFEW films (`augur train expr --add ... --folds K --holdout k`, each with its
                                  M.holdout file, checked); each CK+/SFEW face is classified by the model that
                                  never saw it; NULL: the classifier is taken as never trained on them */
    unsigned expr_fold_seed;   /* their fold assignment (default 1, as train's --fold-seed) */
    const char *command;       /* the command line, for the report */
    int quiet;
} cd_opts;

void cd_default_opts(cd_opts *o);
/* "ferplus,fer2013,ckplus,sfew" -> mask; -1 on an unknown name */
int cd_parse_sets(const char *list, unsigned *mask);

typedef struct cd_scores {
    int used;
    int right;
    int tp[AUGUR_EXPR_COUNT], pred[AUGUR_EXPR_COUNT];
    int confusion[AUGUR_EXPR_COUNT][AUGUR_EXPR_COUNT]; /* label x decision (found faces) */
    double accuracy, macro_f1;
} cd_scores;

typedef struct cd_set_report {
    int done;
    int n, n_found, n_errors, cache_hits;
    int count[AUGUR_EXPR_COUNT];
    cd_scores r[CD_NRULES];
    double seconds;            /* analysis wall time (cached images cost ~0) */
} cd_set_report;

typedef struct cd_faces_row {
    char label[64];
    int n, found, cl_right, ev_right;
    int recovered;             /* faces this setting finds that the default does not */
    int recovered_cl_right, recovered_ev_right;
    double seconds;
} cd_faces_row;

typedef struct cd_report {
    cd_set_report set[CD_NSETS];
    char expr_model[1024], au_model[1024];
    /* fusion */
    int has_fusion;
    fu_model lr, lr_bal, lr_xd;  /* lr_xd: fitted on every row (for ferplus/fer2013) */
    double poe_w;
    int valid_n, valid_found;
    cd_scores valid[CD_NRULES];  /* on FERPlus Valid itself (in-sample for the fused rules) */
    int xd_rows_ck, xd_rows_sfew, xd_groups;
    int has_shipped;
    /* AU evidence out of fold on CK+ and SFEW */
    int au_cv;
    double au_cv_train_seconds, au_cv_analysis_seconds;
    int n_groups_ck, n_groups_sfew;
    /* classifier out of fold on CK+ and SFEW (expr_folds) */
    int expr_cv, expr_cv_folds;
    double expr_cv_seconds;
    /* faces not found (SFEW) */
    int n_faces_rows;
    cd_faces_row faces[12];
    double seconds;
} cd_report;

extern const char *const cd_set_names[CD_NSETS];
extern const char *const cd_rule_names[CD_NRULES];

int cd_eval(const cd_opts *o, cd_report *rep, au_error *err);
void cd_print(const cd_report *rep, const cd_opts *o, FILE *f);
int cd_write(const cd_report *rep, const cd_opts *o, const char *prefix, au_error *err);

#endif
