/*
 * lab/data/ckplus.h — reader for CK+-style AU data: a folder of class folders of
 * face images named S###_###_########.png (subject_sequence_frame) and a
 * label file `subject,sequence,emotion,AU1,…` of FACS-coded presence (0/1)
 * per sequence (../shared/data/ckplus48, see its README).
 */
#ifndef AUGUR_DATA_CKPLUS_H
#define AUGUR_DATA_CKPLUS_H

#include "au/au_defs.h"
#include "core/util.h"

typedef struct ck_item {
    char *path;              /* image file */
    char subject[16];        /* "S005" */
    char sequence[24];       /* "S005_001" */
    char emotion[24];        /* class folder name */
    signed char label[AU_COUNT]; /* 1 / 0, or -1 where the label file codes no such AU */
    int subject_index;       /* 0.. over distinct subjects, in sorted order */
} ck_item;

typedef struct ck_set {
    ck_item *items;
    int n;
    int n_subjects;
    int coded[AU_COUNT];     /* 1 if the label file has a column for this AU */
} ck_set;

/* One row of the label file: a sequence's FACS-coded AUs. */
typedef struct ck_label {
    char seq[24];                /* "S005_001" */
    char subject[16];            /* "S005" */
    signed char label[AU_COUNT]; /* 1 / 0, or -1 where the file codes no such AU */
} ck_label;

/* Reads the label file: *rows (free()) and which AUs it codes (coded[a] set
 * to 1; the caller zeroes it). AUGUR_EIO / AUGUR_EFORMAT naming the file. */
int ck_read_labels(const char *path, ck_label **rows, int *n_rows, int coded[AU_COUNT], au_error *err);

/* Reads every image under dir/<class>/ whose sequence has a row in labels_csv.
 * Images without a label row are skipped (counted in *n_unlabelled if given). */
int ck_read(const char *dir, const char *labels_csv, ck_set *out, int *n_unlabelled, au_error *err);
void ck_free(ck_set *s);

/* Subject-independent k-fold: fold of each subject index (deterministic, seeded). */
void ck_subject_folds(int n_subjects, int k, unsigned seed, int *fold_of_subject);

#endif
