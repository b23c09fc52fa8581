/*
 * explain/explain.h — grounded reasoning over AU evidence (TAG, SEEDS.md §1;
 * VL-FAU's local and global descriptions, §2), and the verifier that scores
 * any rationale against augur's own evidence on the same image.
 *
 * Every sentence the trace says comes from a measured AU reading (its
 * probability, intensity, region box and the measurement behind it); nothing
 * is said that was not measured.
 */
#ifndef AUGUR_EXPLAIN_H
#define AUGUR_EXPLAIN_H

#include <stddef.h>

#include "core/util.h"
#include "expr/classes.h"
#include "face/face.h"

#define EX_MAX_STEPS 8

typedef struct ex_step {
    char region[32];          /* "mouth", "eye", "brow", "nose", "chin" */
    int aus[8], n_aus;        /* FACS ids cited */
    float box[4];             /* union of their boxes, image px */
    char observation[512];    /* what was measured, in words */
} ex_step;

typedef struct ex_trace {
    char global[512];                 /* global description of the face */
    ex_step steps[EX_MAX_STEPS];
    int n_steps;
    char conclusion[512];
    int answer;                       /* expression class */
    float evidence[EXPR_N];        /* AU-evidence score per class, 0..1 (prototype matching) */
    char local[24][384];              /* per present AU: local description */
    int n_local;
    /* consistency with the expression classifier (when the face has one) */
    int has_classifier;
    float classifier_p;               /* the classifier's probability for its class */
    int weakly_grounded;              /* its class trails the best AU-supported class by > EX_WEAK_MARGIN */
    float confidence;                 /* grounded confidence (ex_grounded_confidence) */
    float cam_cos;                    /* -1 when not defined (neutral, no classifier) */
    char consistency[512];            /* the check in words */
} ex_trace;

/* AU-evidence expression scores (FACS prototypes, FACS.md): for each class,
 * the mean probability of its prototype AUs, with alternatives (e.g. 26 or
 * 27) counted by their best member; neutral = 1 - the largest AU probability. */
void ex_evidence_scores(const au_face *f, float score[EXPR_N]);

/* The face's evidence as the AU stage gave it (f->evidence: the AU model's
 * evidence map), or the FACS prototypes when it has none (all zero). */
void ex_face_evidence(const au_face *f, float score[EXPR_N]);

/* Fills f->evidence (ex_evidence_scores) and f->evidence_class (its argmax). */
void ex_set_evidence(au_face *f);

/* The consistency rule: the classifier's class (f->expression_class) is weakly
 * grounded when its AU evidence trails the best-supported class by more than
 * EX_WEAK_MARGIN (docs/REASONING.md). Needs f->evidence and evidence_class. */
#define EX_WEAK_MARGIN 0.10f
/* The smallest difference of an AU's evidence terms (struct augur_au.evidence_term, in logits) for which a trace's
 * conclusion cites the AU for one class over another: 0.1 moves the odds by about 10%. */
#define EX_TERM_MIN 0.10f
int ex_weakly_grounded(const au_face *f);

/* 1 when the face's AUs carry evidence terms (struct augur_au.evidence_term: an AU model with an evidence map),
 * by which a conclusion and augur verify tell which class each AU favours; 0 with FACS prototypes. */
int ex_face_has_terms(const au_face *f);

/* Confidence of the classifier's answer, lowered when the AU evidence does not
 * support it: p when consistent, p * evidence[class] / evidence[best] when
 * weakly grounded (docs/REASONING.md). -1 without a classifier. */
float ex_grounded_confidence(const au_face *f);

/* FACS intensity grade of an AU intensity (augur's 1-5 scale): 0..4 for
 * A..E, and its word: "trace", "slight", "marked", "severe", "maximum". */
int ex_intensity_grade(float v);
const char *ex_intensity_word(float v);

/* Builds the trace of a face with AUs (f->n_aus > 0). answer: a class chosen
 * by a classifier, or -1 to answer from the AU evidence alone. */
int ex_build_trace(const au_face *f, int answer, ex_trace *t, au_error *err);

/* TAG's text format; returns the length written (snprintf semantics). */
int ex_trace_tag(const ex_trace *t, char *buf, size_t cap);

/* Plain readable text (no tags): the same content for a person. */
int ex_trace_text(const ex_trace *t, char *buf, size_t cap);

/* ---- verification -------------------------------------------------------- */

#define EX_MAX_CLAIMS AUGUR_MAX_CLAIMS

/* A claim and the verdict on a rationale are the public struct augur_claim
 * and struct augur_verdict (augur.h documents the fields). */
typedef struct augur_claim ex_claim;
typedef struct augur_verdict ex_verdict;

/* Parses a rationale (TAG text, or JSON {"answer": ..., "claims": [{"au": 12,
 * "box": [x1,y1,x2,y2]}]}) and scores it against face f. Returns 0 (the
 * verdict says how well it is grounded, 0 when it claims nothing), or
 * AUGUR_ELIMIT for text over 1 MiB, AUGUR_EARG for a face without AUs. */
int ex_verify(const au_face *f, const char *text, size_t len, ex_verdict *v, au_error *err);

#endif
