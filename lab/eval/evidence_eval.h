/*
 * lab/eval/evidence_eval.h — the AU evidence as a user meets it: every image of an
 * expression data set goes through augur's public analysis (augur_analyze_file:
 * detection, mesh, AUs, evidence, classifier, consistency), and the largest
 * face is scored (no face: wrong, and no AU).
 *
 *   - faces that >= strong_votes of 10 FERPlus annotators call neutral: the
 *     fraction with any AU present (FACS: a neutral face shows none);
 *   - the class the AU evidence alone ranks first (evidence_class) against the
 *     label: accuracy, macro-F1, per-class recall;
 *   - the classifier on the same faces, and the consistency rule: accuracy of
 *     the answers flagged weakly grounded against the unflagged ones;
 *   - the measurement behind each AU: of the AUs read present, how many have a
 *     named measurement that moves the AU's way (augur_measure_shows), and
 *     how many move it beyond faces at rest (augur_measure_beyond_rest); with
 *     FACS codes (labels), the same on the faces coded with the AU, whatever
 *     augur reads, which is what the choice of each AU's measurement rests on;
 *   - with mirror, each image also read flipped left to right: how many AU
 *     readings and evidence classes change (a mirrored face should read the
 *     same).
 *
 * Protocols: "ferplus" (a FERPlus folder with label.csv, majority labels) or
 * "folders" (class folders, e.g. SFEW, or CK+ with its FACS codes as labels).
 */
#ifndef AUGUR_EVAL_EVIDENCE_EVAL_H
#define AUGUR_EVAL_EVIDENCE_EVAL_H

#include "augur.h"
#include "core/util.h"

typedef struct ev_eval_opts {
    const char *protocol;     /* "ferplus" or "folders" */
    const char *data;         /* the folder */
    struct augur_params params;
    int strong_votes;         /* FERPlus: votes that make a face "strongly neutral" (default 8) */
    int mirror;               /* also read each image mirrored and count what changes (a mirrored face should
                                 read the same AUs and evidence) */
    const char *labels;       /* or NULL: a CK+ label file (subject,sequence,emotion,AU1,...) coding the images,
                                 named S###_###_*.png, of a folders protocol */
    int threads;              /* contexts run in parallel (default 2) */
    int quiet;
} ev_eval_opts;

void ev_eval_default_opts(ev_eval_opts *o);

typedef struct ev_eval_report {
    int n, n_found;
    int n_covered_any, n_covered[2]; /* faces found with a face area taken as covered: any, upper, lower */
    int n_strong_neutral, strong_neutral_any;   /* FERPlus only */
    int au_present_on_neutral[AUGUR_AU_COUNT];  /* per AU index (augur_face.aus order = au_defs order) */
    int count[AUGUR_EXPR_COUNT], ev_tp[AUGUR_EXPR_COUNT], ev_pred[AUGUR_EXPR_COUNT];
    int cl_tp[AUGUR_EXPR_COUNT], cl_pred[AUGUR_EXPR_COUNT];
    int confusion[AUGUR_EXPR_COUNT][AUGUR_EXPR_COUNT]; /* label x evidence class */
    double ev_accuracy, ev_macro_f1, cl_accuracy;
    int n_flagged, flagged_right, n_unflagged, unflagged_right;
    int consistent_against_margin;             /* faces called consistent although the evidence ranks another
                                                  class first by more than the rule's margin (must be 0) */
    /* the consistency rule at other margins (choose one on a validation split):
     * flagged when evidence[best] - evidence[classifier's class] > margin */
    int n_margins;
    float margin[20];
    int m_flagged[20], m_flagged_right[20], m_unflagged_right[20];
    /* the measurement behind each AU (per AU index): readings present with a named measurement,
     * and how many of those it shows (moves the AU's way); with labels, the same over the faces
     * coded with the AU (found, the AU measured), and the faces whose sequence the labels lack */
    int present_measured[AUGUR_AU_COUNT], present_shown[AUGUR_AU_COUNT];
    int present_beyond[AUGUR_AU_COUNT];   /* ... and beyond faces at rest (augur_measure_beyond_rest) */
    int present_rest_known[AUGUR_AU_COUNT]; /* ... of those whose model knows the range of faces at rest */
    int coded_measured[AUGUR_AU_COUNT], coded_shown[AUGUR_AU_COUNT];
    int n_coded_faces, n_uncoded_faces;
    /* with labels: each AU's presence against the FACS codes, over the faces with a code row (a face not
     * found reads every AU absent): true and false positives, misses, for the AUs the labels code; the mean
     * F1 over OpenFace's 16 AUs (au_eval_openface16) that they code, and how many they code */
    int codes_au[AUGUR_AU_COUNT], code_tp[AUGUR_AU_COUNT], code_fp[AUGUR_AU_COUNT], code_fn[AUGUR_AU_COUNT];
    double codes_f1_16;
    int codes_n16;
    /* mirror (opts.mirror): faces found both ways, (face, AU) presence pairs compared and how many differ,
     * per AU; faces whose evidence_class differs; the sum and largest |intensity change| */
    int mirror_faces, mirror_pairs, mirror_flips, mirror_au_flips[AUGUR_AU_COUNT], mirror_ev_changed;
    double mirror_abs_intensity, mirror_max_intensity;
    double seconds;
} ev_eval_report;

int ev_eval(const ev_eval_opts *o, ev_eval_report *rep, au_error *err);
/* F1 of AU index a's presence against the codes (rep->code_*); 0 without a true positive. */
double ev_code_f1(const ev_eval_report *rep, int a);
int ev_eval_write(const ev_eval_report *rep, const ev_eval_opts *o, const char *prefix, au_error *err);

#endif
