/*
 * eval/au_compare.h — two AU recipes compared face by face on the same folds.
 *
 * `augur eval au --predictions FILE` writes every held-out CK+ and SFEW row's
 * out-of-fold reading. Two such files made with the same folds (the same data,
 * --folds and --seed) read the same faces, so their difference can be measured
 * paired: the bootstrap resamples the people (CK+ subjects) and the films
 * (SFEW) once and scores both recipes on each resample. A difference whose
 * interval holds 0 is within what the choice of people and films moves; the
 * unpaired intervals of `eval au` (docs/reports/au-cv.md) are several times
 * wider, because most of that movement is shared by the two recipes.
 */
#ifndef AUGUR_LAB_AU_COMPARE_H
#define AUGUR_LAB_AU_COMPARE_H

#include "core/util.h"

typedef struct au_compare_side {
    double f1_16;        /* mean F1 over OpenFace's 16 AUs on the CK+ peaks (an AU not in the file: 0) */
    double neutral_any;  /* CK+ neutral frames with any AU present */
    double sfew;         /* SFEW faces whose evidence class is their label (not found: wrong) */
    double sfew_neutral_any; /* SFEW faces labelled neutral with any AU present (not found: none) */
    double ck_evidence;  /* CK+ peaks whose evidence class is their label (not found: wrong) */
    /* read against the person's neutral, as video reads a face (files with the
     * personal columns; a peak without a neutral is read as a still image, as
     * eval au does): the 16-AU F1, and the neutral frames read against another
     * of the person's with any AU */
    double f1_16_personal, neutral_any_personal;
} au_compare_side;

typedef struct au_compare_report {
    int n_peaks, n_neutral, n_sfew, n_subjects, n_films;
    au_compare_side a, b;
    /* B - A, and the 95% percentile interval of the paired bootstrap (1,000 resamples) */
    double d_f1_16, ci_f1_16[2], d_neutral, ci_neutral[2], d_sfew, ci_sfew[2], d_sfew_neutral, ci_sfew_neutral[2];
    double d_ck_evidence, ci_ck_evidence[2];
    int n_sfew_neutral;
    int has_personal;    /* both files have the personal columns */
    double d_f1_16_personal, ci_f1_16_personal[2], d_neutral_personal, ci_neutral_personal[2];
    double p_f1_better, p_sfew_better; /* share of resamples where B is higher */
} au_compare_report;

/* Reads two prediction files; they must hold the same rows (image, set,
 * group, fold) in the same order, else AUGUR_EFORMAT naming the first row that
 * differs. AUGUR_EIO for an unreadable file. */
int au_compare(const char *path_a, const char *path_b, au_compare_report *rep, au_error *err);

/* The comparison as Markdown (prefix.md) and JSON (prefix.json). */
int au_compare_write(const au_compare_report *rep, const char *path_a, const char *path_b, const char *prefix,
                     au_error *err);

#endif
