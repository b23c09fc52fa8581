/*
 * lab/eval/traces.h — TAG-style training data from a labelled face set
 * (`augur traces`, docs/TRACES.md): one record per image, on its largest face
 * with AU readings — the image, its label, a question, augur's grounded trace
 * (augur_trace, TAG text), TAG's AU-Prob-Bbox list (augur_aulist), the trace's
 * own grounding score (augur_verify of the trace against the same face) and
 * whether the AU evidence agrees with the label.
 *
 * Filters, in this order (a dropped image counts under the first that drops it):
 * unreadable image, no face, the trace's <answer> differs from the label
 * (keep_matching), the AU evidence does not support the label (keep_agreeing),
 * grounding under min_grounding (a trace that cites no AU, for a face at
 * rest, has nothing to ground and passes), and the per-class cap (balance: the first N
 * images of each class that pass, in an order shuffled by seed; images of a
 * class already full are not analysed). The result does not depend on the
 * number of threads.
 *
 * Boxes (<bbox> and the AU-Prob-Bbox list) lie in the image: the AU stage
 * clips every region box to it (au_fill_face).
 *
 * Everything on the faces goes through the public API (augur.h), one context
 * per thread.
 */
#ifndef AUGUR_EVAL_TRACES_H
#define AUGUR_EVAL_TRACES_H

#include "augur.h"
#include "core/util.h"

enum tg_format { TG_JSONL = 0, TG_LLAVA, TG_SHAREGPT };

typedef struct tg_opts {
    const char *protocol;      /* "ferplus", "folders" or "ckplus" */
    const char *data;          /* ferplus: a folder with label.csv, or a root holding FER2013Train/Valid/Test */
    const char *split;         /* ferplus on a root: "train", "valid" or "test" (default "test") */
    const char *labels;        /* ckplus: the AU label CSV (default DATA/au_labels.csv) */
    enum tg_format format;
    const char *prompt;        /* the question; NULL: tg_default_prompt */
    const char *image_root;    /* image paths written relative to this folder (NULL: as read) */
    int keep_matching;         /* only traces whose <answer> is the label */
    int keep_agreeing;         /* only faces whose AU evidence supports the label */
    float min_grounding;       /* only traces grounded at least this much (0: no filter) */
    int balance;               /* at most this many per class (0: no cap) */
    unsigned seed;             /* the order in which the cap takes images */
    int limit;                 /* only the first N images of the set (0: all) */
    int threads;               /* contexts in parallel (default 2) */
    int topk;                  /* AUs in the AU-Prob-Bbox list (default 5) */
    int progress;              /* a progress line on stderr */
    struct augur_params params;
} tg_opts;

extern const char *const tg_default_prompt;

void tg_default_opts(tg_opts *o);

/* Why an image is not in the output (TG_KEPT: it is). */
enum tg_outcome {
    TG_KEPT = 0, TG_UNREADABLE, TG_NO_FACE, TG_ANSWER, TG_EVIDENCE, TG_GROUNDING, TG_CAP, TG_N_OUTCOMES
};
extern const char *const tg_outcome_name[TG_N_OUTCOMES];

typedef struct tg_result {
    int n;                                       /* images read from the set (after limit) */
    int dropped_by_reader;                       /* rows the data set's protocol leaves out */
    int in_set[AUGUR_EXPR_COUNT];
    int outcome[AUGUR_EXPR_COUNT][TG_N_OUTCOMES];
    int not_analysed;                            /* TG_CAP images skipped before analysis */
    /* over every face analysed, whatever the filters */
    int n_faces, n_answer_matches, n_evidence_agrees;
    int n_faces_claims;                          /* faces whose trace cites AUs (the others are at rest) */
    double grounding_sum_faces;                  /* over those */
    /* over the kept records that cite AUs */
    int n_kept_claims;
    double grounding_sum, grounding_min;
    int n_low_grounding;                         /* kept with grounding < 1 */
    int n_attributions, n_attributions_supported; /* kept: the conclusions' attributions, and those supported */
    /* ckplus: AUs the kept traces cite that the FACS labels code (present or absent) */
    int cited_coded, cited_coded_present;
    char **records;                              /* the kept records in data-set order, one JSON object each */
    int n_records;
    char first_unreadable[512];                  /* an example, for the report */
    double seconds;
    int threads;
} tg_result;

/* Runs the whole set. 0, or an AUGUR_E* code (a set that cannot be read, a
 * model that fails) with err filled; res is filled either way (tg_free). */
int tg_run(const tg_opts *o, tg_result *res, au_error *err);
void tg_free(tg_result *res);

/* The records to f: JSON Lines, or one JSON array when array != 0. */
int tg_write(const tg_result *res, FILE *f, int array);

/* The Markdown report (counts kept per class and why the others were dropped). */
void tg_write_report(const tg_result *res, const tg_opts *o, const char *command, FILE *f);

#endif
